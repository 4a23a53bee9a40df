/**
 * `npm run bench:acks`: one connection's acked sends per second, persistence on, beside ws-naive.
 *
 *   npx tsc -p . && npm run bench:acks                  # windows 1000 and 100, 10 s each, 2 runs, scale-chat and ws-naive
 *   npm run bench:acks -- --quick                       # window 1000, 4 s, prints only
 *
 * Each run and each window W: a fresh server pinned to core 0 without a quota (scale-chat on a temp
 * SQLite data dir, per-connection rate limit lifted; or bench/peers/ws-naive-server.ts), and one
 * client connection in a child process pinned to core 1 (bench/lib/perf-ack-client.ts: raw `ws`,
 * docs/protocol.md) that keeps W sends in flight in a private room of its own, a new send per ack.
 * After --warmup seconds the client counts acks for --duration seconds; ack latency is from the send
 * call to the frame carrying the ack. Server CPU is the server pid's /proc CPU time over the same
 * window. scale-chat acks after the message is committed to SQLite (group commit); ws-naive has no
 * store and acks at once, then echoes the `msg` to the room's one member: its `ack` is counted the same
 * way. One send per WebSocket frame on both: client frames carry one JSON object (protocol.md
 * section 1); `batch` exists only from server to client, so sends batched per frame cannot be measured.
 * Target (issue 12): >= 100,000 acks/s with 1,000 in flight.
 *
 * Flags: --runs 2  --windows 1000,100  --duration 10s  --warmup 2s  --text-size 64
 *        --targets scale-chat,ws-naive  --gen-cpus 1 ("" for unpinned)  --quick
 *        --docs <file> (default docs/benchmarks.md; a --quick run writes nothing without it)  --help
 * Writes bench/results/acks-<stamp>.json and the "acks" section of docs/benchmarks.md.
 */
import { cpus } from 'node:os';
import path from 'node:path';
import { benchArgs } from './cli-args.js';
import { commandLine, provenance } from './lib/doc.js';
import { cpuSeconds, startServer, stop, type Target } from './lib/lab.js';
import { JsonChild } from './lib/perf-child.js';
import { FlagReader, usageExit } from './lib/perf-flags.js';
import { fmt1, fmtInt, fmtMs, generatorLine, loadNote, mdTable, medianOf, publish, verdict } from './lib/perf-report.js';

const TARGET_ACKS = 100_000;
const CLIENT_BUSY_PCT = 90;
/** scale-chat's per-connection token bucket, lifted far above what one connection can send. */
const RATE_LIFTED = ['--rate-per-sec', '100000000', '--rate-burst', '100000000'];

const a = benchArgs(import.meta.url, ['runs', 'windows', 'duration', 'warmup', 'text-size', 'targets', 'gen-cpus', 'docs'], ['quick']);
const f = new FlagReader('bench:acks', a.str);
const quick = a.bool('quick');
const runs = f.int('runs', 2, 1, 10);
const windows = f.ints('windows', quick ? '1000' : '1000,100', 1, 100_000);
const durationS = f.seconds('duration', quick ? 4 : 10, 1, 300);
const warmupS = f.seconds('warmup', quick ? 1 : 2, 0, 60);
const textSize = f.int('text-size', 64, 1, 4000);
const targets = f.str('targets', 'scale-chat,ws-naive').split(',').map((t) => t.trim()) as Target[];
for (const t of targets) if (t !== 'scale-chat' && t !== 'ws-naive') usageExit('bench:acks', `--targets: scale-chat and/or ws-naive, got "${t}"`);
const genCpus = f.str('gen-cpus', '1');
const docsFile = a.str('docs') ? path.resolve(a.str('docs')!) : undefined;
if (cpus().length < 2) usageExit('bench:acks', 'needs 2 cores: the server on core 0, the client on core 1');

interface Measured {
  target: Target;
  window: number;
  run: number;
  acks: number;
  acksPerSec: number;
  latencyMs: { p50: number; p99: number; max: number };
  clientCpuPct: number;
  serverCpuPct: number;
  usPerAck: number;
  unacked: number;
  errors: Record<string, number>;
}

async function measure(target: Target, window: number, run: number): Promise<Measured> {
  const server = await startServer(target, target === 'scale-chat' ? { args: RATE_LIFTED } : {});
  const client = new JsonChild('perf-ack-client.js', ['--url', server.url, '--window', String(window), '--duration', String(durationS), '--warmup', String(warmupS), '--text-size', String(textSize)], genCpus);
  try {
    await client.next('start', (warmupS + 20) * 1000);
    const c0 = cpuSeconds(server.pid);
    const t0 = performance.now();
    await client.next('stop', (durationS + 10) * 1000);
    const serverS = cpuSeconds(server.pid) - c0;
    const wallS = (performance.now() - t0) / 1000;
    const r = (await client.next('result', 20_000)) as unknown as Omit<Measured, 'target' | 'run' | 'serverCpuPct' | 'usPerAck'>;
    if (server.proc.exitCode !== null) throw new Error(`${target} exited during the run: ${server.stderr.join(' | ')}`);
    return { target, run, ...r, window, serverCpuPct: (serverS / wallS) * 100, usPerAck: r.acks > 0 ? (serverS / r.acks) * 1e6 : NaN };
  } finally {
    await client.end();
    await stop(server.proc);
  }
}

function describe(m: Measured): string {
  const errs = Object.entries(m.errors);
  return `${m.target} window ${m.window} run ${m.run}: ${fmtInt(m.acksPerSec)} acks/s, ack p50 ${fmtMs(m.latencyMs.p50)} p99 ${fmtMs(m.latencyMs.p99)} ms, server ${fmt1(m.serverCpuPct)}% (${fmt1(m.usPerAck)} us/ack), client ${fmt1(m.clientCpuPct)}%${m.unacked ? `, ${m.unacked} unacked at the end` : ''}${errs.length ? `, errors ${errs.map(([k, n]) => `${k} x${n}`).join(' ')}` : ''}`;
}

async function main(): Promise<void> {
  const started = new Date();
  const load = loadNote();
  console.log(`bench:acks: ${targets.join(', ')}; windows ${windows.join(', ')}; ${durationS} s after ${warmupS} s of warm-up; ${runs} runs${load}`);
  const all: Measured[] = [];
  for (let run = 1; run <= runs; run++) {
    for (const target of targets) {
      for (const w of windows) {
        const m = await measure(target, w, run);
        console.log(describe(m));
        all.push(m);
      }
    }
  }
  const cells = (t: Target, w: number) => all.filter((m) => m.target === t && m.window === w);
  const rows = targets.flatMap((t) =>
    windows.map((w) => {
      const mine = cells(t, w);
      return [
        t,
        fmtInt(w),
        ...Array.from({ length: runs }, (_, i) => fmtInt(mine.find((m) => m.run === i + 1)?.acksPerSec)),
        `**${fmtInt(medianOf(mine, (m) => m.acksPerSec))}**`,
        `${fmtMs(medianOf(mine, (m) => m.latencyMs.p50))} / ${fmtMs(medianOf(mine, (m) => m.latencyMs.p99))}`,
        fmt1(medianOf(mine, (m) => m.serverCpuPct)),
        fmt1(medianOf(mine, (m) => m.usPerAck)),
        fmt1(medianOf(mine, (m) => m.clientCpuPct)),
      ];
    }),
  );
  const table = mdTable(['server', 'in flight', ...Array.from({ length: runs }, (_, i) => `acks/s run ${i + 1}`), 'median acks/s', 'ack latency p50 / p99 (ms)', 'server CPU %', 'server us per ack', 'client CPU %'], rows);
  const genFlags = all.filter((m) => m.clientCpuPct >= CLIENT_BUSY_PCT).map((m) => ({ run: m.run, why: `${m.target}, window ${m.window}: the client used ${fmt1(m.clientCpuPct)}% of its core` }));
  const problems = all.filter((m) => m.unacked > 0 || Object.keys(m.errors).length > 0).map((m) => describe(m));
  const head = targets.includes('scale-chat') && windows.includes(1000) ? medianOf(cells('scale-chat', 1000), (m) => m.acksPerSec) : NaN;
  const naive = targets.includes('ws-naive') && windows.includes(1000) ? medianOf(cells('ws-naive', 1000), (m) => m.acksPerSec) : NaN;
  const cmd = commandLine('acks');
  const markdown = `## One connection, acked sends per second (\`npm run bench:acks\`)

${provenance(cmd, started, load)}

Method: ${runs} run${runs > 1 ? 's' : ''}; per run, target and window W, a fresh server pinned to core 0 without a quota (scale-chat: SQLite, persistence on, the
per-connection rate limit lifted; ws-naive: no store) and one raw \`ws\` connection in a child process ${genCpus ? `pinned to core ${genCpus}` : 'unpinned'} (bench/lib/perf-ack-client.ts)
that keeps W sends in flight in a private room of its own, a new send for every ack. After ${warmupS} s of the same load it counts acks for ${durationS} s;
ack latency is from the send call to the frame with the ack; server CPU is the server pid's /proc CPU time over that window.
scale-chat acks after the group commit to SQLite; ws-naive acks at once (no store) and echoes the \`msg\` to the room's one member, so its \`ack\` is
counted the same way. One send per WebSocket frame for both: client frames carry one JSON object (protocol.md section 1) and \`batch\` exists only
from server to client, so "several sends per frame" is not in the protocol and is not measured.

${table}

${problems.length ? `Errors or unacked sends: ${problems.join('; ')}. ` : ''}${generatorLine(genFlags, `The client was not the bottleneck in any run (its process stayed under ${CLIENT_BUSY_PCT}% of its core).`)}

| target (issue 12) | median | verdict |
|---|---|---|
| >= ${fmtInt(TARGET_ACKS)} acks/s, 1,000 in flight, persistence on | ${fmtInt(head)}/s${Number.isFinite(naive) ? ` (ws-naive: ${fmtInt(naive)}/s)` : ''} | ${verdict(head, TARGET_ACKS, true)} |

Raw result: \`{{RESULT}}\`.`;
  publish('acks', markdown, { bench: 'acks', command: cmd, started: started.toISOString(), workload: { windows, durationS, warmupS, textSize, targets, genCpus }, target: TARGET_ACKS, runs: all }, { quick, docsFile });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench:acks: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
