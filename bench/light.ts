/**
 * `npm run bench:light`: light-load latency and server CPU per message, persistence on.
 *
 *   npx tsc -p . && npm run bench:light                 # 1,000 clients, 100 rooms of 10, 1 msg/s, 30 s, 2 runs
 *   npm run bench:light -- --quick                      # 200 clients, 20 rooms of 10, 8 s, 2 runs; prints only
 *
 * Each run: a fresh scale-chat server (default SQLite store on a temp data dir, loopback abuse limits
 * lifted: bench/lib/lab.ts) pinned to core 0 without a quota; `scale-chat loadtest` pinned to core 1
 * (`--gen-cpus`, one process by default) with --clients clients in --rooms rooms of --room-size, each
 * client sending --rate messages per second for --duration. Latency (p50/p99/p99.9/max) is the
 * generator's: send to delivery at each member, every delivery recorded. Server CPU is the server
 * pid's /proc CPU time over the sending window (bench/lib/perf-sampler.ts), divided by the messages
 * the server accepted in that window: each message costs its store commit, its ack and its
 * deliveries (room size, the sender included). Targets (issue 12): p99 <= 5 ms, p99.9 <= 15 ms,
 * <= 150 us of server CPU per message.
 *
 * Flags: --runs 2  --clients 1000  --rooms 100  --room-size (default clients / rooms)  --rate 1
 *        --duration 30s  --gen-cpus 1 ("" for unpinned)  --gen-procs 1  --seed 12
 *        --quick  --docs <file> (default docs/benchmarks.md; a --quick run writes nothing without it)
 *        --help
 * Writes bench/results/light-<stamp>.json and the "light" section of docs/benchmarks.md.
 */
import { cpus } from 'node:os';
import path from 'node:path';
import { benchArgs } from './cli-args.js';
import { commandLine, provenance } from './lib/doc.js';
import { startServer, stop, tempDir } from './lib/lab.js';
import { FlagReader, usageExit } from './lib/perf-flags.js';
import { runCaveats, runLoadtest, type LoadRun } from './lib/perf-loadtest.js';
import { fmt1, fmtInt, fmtMs, generatorLine, loadNote, mdTable, medianOf, publish, verdict } from './lib/perf-report.js';

const TARGET = { p99Ms: 5, p999Ms: 15, usPerMessage: 150 };

const a = benchArgs(import.meta.url, ['runs', 'clients', 'rooms', 'room-size', 'rate', 'duration', 'gen-cpus', 'gen-procs', 'seed', 'docs'], ['quick']);
const f = new FlagReader('bench:light', a.str);
const quick = a.bool('quick');
const runs = f.int('runs', 2, 1, 10);
const clients = f.int('clients', quick ? 200 : 1000, 2, 18_000);
const rooms = f.int('rooms', quick ? 20 : 100, 1, 10_000);
const roomSize = f.int('room-size', Math.floor(clients / rooms), 1, clients);
const rate = f.num('rate', 1, 0.01, 100);
const durationS = f.seconds('duration', quick ? 8 : 30, 2, 600);
const genCpus = f.str('gen-cpus', '1');
const genProcs = f.int('gen-procs', 1, 1, 8);
const seed = f.int('seed', 12, 0, 2 ** 31);
const docsFile = a.str('docs') ? path.resolve(a.str('docs')!) : undefined;
if (cpus().length < 2) usageExit('bench:light', 'needs 2 cores: the server on core 0, the generator on core 1');

interface RunResult {
  run: number;
  load: LoadRun;
  caveats: string[];
}

async function oneRun(run: number): Promise<RunResult> {
  const server = await startServer('scale-chat');
  try {
    const load = await runLoadtest(server, {
      dir: path.join(tempDir('bench-light-'), 'run'),
      durationS,
      cpus: genCpus,
      connectS: clients / 500 + 30,
      args: [
        '--name', `light ${run}`, '--clients', String(clients), '--rooms', String(rooms), '--room-size', String(roomSize),
        '--rate', String(rate), '--duration', `${durationS}s`, '--procs', String(genProcs), '--seed', String(seed + run),
        '--events-sample', '0', '--ack-timeout', '10s', '--drain-timeout', '10s',
      ],
    });
    return { run, load, caveats: runCaveats(load) };
  } finally {
    await stop(server.proc);
  }
}

function report(results: RunResult[], started: Date, load: string): { markdown: string; result: unknown } {
  const lat = (r: RunResult) => r.load.summary.latencyMs;
  const row = (label: string, g: (r: RunResult) => number, fmt: (v: number) => string) => [label, ...results.map((r) => fmt(g(r))), fmt(medianOf(results, g))];
  const p99 = medianOf(results, (r) => lat(r)?.p99 ?? NaN);
  const p999 = medianOf(results, (r) => lat(r)?.p999 ?? NaN);
  const usMsg = medianOf(results, (r) => r.load.window.usPerMessage);
  const table = mdTable(
    ['', ...results.map((r) => `run ${r.run}`), 'median'],
    [
      row('delivery latency p50 (ms)', (r) => lat(r)?.p50 ?? NaN, fmtMs),
      row('p99 (ms)', (r) => lat(r)?.p99 ?? NaN, fmtMs),
      row('p99.9 (ms)', (r) => lat(r)?.p999 ?? NaN, fmtMs),
      row('max (ms)', (r) => lat(r)?.max ?? NaN, fmtMs),
      row('messages accepted in the window', (r) => r.load.window.messages, fmtInt),
      row('deliveries', (r) => r.load.summary.messages.delivered, fmtInt),
      row('events per WebSocket frame written', (r) => (r.load.window.messages * (roomSize + 1)) / r.load.window.frames, fmt1),
      row('server CPU, % of core 0', (r) => r.load.window.cpuPct, fmt1),
      row('**server CPU per message (us)**', (r) => r.load.window.usPerMessage, fmt1),
      row('generator CPU, % of a core', (r) => r.load.summary.generator.cpuPct, fmt1),
    ],
  );
  const lostNote = results.map((r) => `run ${r.run}: ${fmtInt(r.load.summary.messages.lost)} lost, ${fmtInt(r.load.summary.messages.duplicates)} duplicates, ${fmtInt(r.load.summary.messages.outOfOrder)} out of order`).join('; ');
  const genFlags = results.filter((r) => r.load.summary.generator.bottleneck).map((r) => ({ run: r.run, why: r.load.summary.generator.note ?? 'flagged' }));
  const other = results.filter((r) => r.caveats.some((c) => !c.startsWith('generator'))).map((r) => `run ${r.run}: ${r.caveats.filter((c) => !c.startsWith('generator')).join(', ')}`);
  const cmd = commandLine('light');
  const markdown = `## Light load: 1,000 clients in 100 rooms of 10 (\`npm run bench:light\`)

${provenance(cmd, started, load)}

Method: ${runs} run${runs > 1 ? 's' : ''}, each on a fresh server (default SQLite store, persistence on) pinned to core 0 without a CPU quota;
\`scale-chat loadtest\` ${genCpus ? `pinned to core ${genCpus}` : 'unpinned'} (${genProcs} process${genProcs > 1 ? 'es' : ''}): ${fmtInt(clients)} clients in ${rooms} rooms of ${roomSize}, ${rate} msg/s each, ${durationS} s of sending.
Latency is send to delivery at every member (the generator's HDR histograms, every delivery recorded).
Server CPU is the server pid's user+system time from /proc over the sending window (from the sample before the first accepted
message to the one after the last), divided by the messages the server accepted in it. Each message pays its commit, its ack and
${roomSize} deliveries (the sender's own copy included); events per frame = (deliveries + acks) / frames the server wrote (its
\`scalechat_frames_sent_total\`): above 1, events of one event-loop turn for one connection left in one \`batch\` frame.

${table}

Loss: ${lostNote}.${other.length ? ` Caveats: ${other.join('; ')}.` : ''} ${generatorLine(genFlags)}

| target (issue 12) | median | verdict |
|---|---|---|
| p99 <= ${TARGET.p99Ms} ms | ${fmtMs(p99)} ms | ${verdict(p99, TARGET.p99Ms)} |
| p99.9 <= ${TARGET.p999Ms} ms | ${fmtMs(p999)} ms | ${verdict(p999, TARGET.p999Ms)} |
| server CPU <= ${TARGET.usPerMessage} us per message | ${fmt1(usMsg)} us | ${verdict(usMsg, TARGET.usPerMessage)} |

Raw result: \`{{RESULT}}\`.`;
  const result = {
    bench: 'light',
    command: cmd,
    started: started.toISOString(),
    workload: { clients, rooms, roomSize, rate, durationS, genCpus, genProcs, seed },
    targets: TARGET,
    median: { p99Ms: p99, p999Ms: p999, usPerMessage: usMsg },
    runs: results.map((r) => ({ run: r.run, caveats: r.caveats, window: r.load.window, summary: r.load.summary })),
  };
  return { markdown, result };
}

async function main(): Promise<void> {
  const started = new Date();
  const load = loadNote();
  console.log(`bench:light: ${runs} runs of ${clients} clients in ${rooms} rooms of ${roomSize}, ${rate} msg/s, ${durationS} s${load}`);
  const results: RunResult[] = [];
  for (let run = 1; run <= runs; run++) {
    const r = await oneRun(run);
    const s = r.load.summary;
    console.log(
      `run ${run}: p50 ${fmtMs(s.latencyMs?.p50)} p99 ${fmtMs(s.latencyMs?.p99)} p99.9 ${fmtMs(s.latencyMs?.p999)} ms; ${fmtInt(r.load.window.messages)} messages, server ${fmt1(r.load.window.cpuPct)}% = ${fmt1(r.load.window.usPerMessage)} us/message; generator ${s.generator.cpuPct}%${r.caveats.length ? `; ${r.caveats.join('; ')}` : ''}`,
    );
    results.push(r);
  }
  const { markdown, result } = report(results, started, load);
  publish('light', markdown, result, { quick, docsFile });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench:light: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
