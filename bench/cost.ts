/**
 * `npm run bench:cost`: the cost model, server CPU per message and per delivery against room size.
 *
 *   npx tsc -p . && npm run bench:cost                  # sizes 1,10,50,100,300,1000; 1,000 clients; 20 s; 2 runs
 *   npm run bench:cost -- --quick                       # sizes 1,10,50,100; 200 clients; 6 s; prints only
 *
 * For each run and each room size S (a fresh scale-chat server per point: default SQLite store,
 * persistence on, pinned to core 0 without a quota): `scale-chat loadtest` pinned to core 1
 * (`--gen-cpus`) with floor(--clients / S) x S clients in rooms of exactly S, every client in one
 * room, the whole offering M = min(--msg-rate, --delivery-rate / S) messages per second (each client
 * M / clients msg/s): the light-load rate of 1,000 messages/s (how the group commit and the outbox
 * batch depends on the message rate, so the small rooms are measured at the rate of the light-load
 * target), capped so that the deliveries offered (S x M per second) stay below saturation in the
 * large rooms, whose cost is mostly per delivery. A point whose server used >= 90% of its core is
 * flagged (saturated: its figure is not a light-load cost). Server CPU is the server pid's /proc CPU
 * time over the sending window (bench/lib/perf-sampler.ts) divided by the messages accepted in it;
 * per delivery = per message / S (every member receives it, the sender too). The model
 * `us per message = a + b x members` is a least-squares fit over every run's points
 * (bench/lib/perf-cost-chart.ts), drawn in docs/benchmarks/cost-model.png.
 *
 * Flags: --runs 2  --sizes 1,10,50,100,300,1000  --clients 1000  --msg-rate 1000  --delivery-rate 50000  --duration 20s
 *        --gen-cpus 1 ("" for unpinned)  --gen-procs 1  --seed 7  --quick
 *        --docs <file> (default docs/benchmarks.md; a --quick run writes nothing without it)  --help
 * Writes bench/results/cost-<stamp>.json, docs/benchmarks/cost-model.png and the "cost" section.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { benchArgs } from './cli-args.js';
import { commandLine, DOC, provenance } from './lib/doc.js';
import { startServer, stop, tempDir } from './lib/lab.js';
import { costChart, fitLine, type CostPoint } from './lib/perf-cost-chart.js';
import { FlagReader, usageExit } from './lib/perf-flags.js';
import { runCaveats, runLoadtest, type LoadRun } from './lib/perf-loadtest.js';
import { fmt1, fmtInt, fmtMs, generatorLine, loadNote, mdTable, medianOf, publish } from './lib/perf-report.js';

const a = benchArgs(import.meta.url, ['runs', 'sizes', 'clients', 'msg-rate', 'delivery-rate', 'duration', 'gen-cpus', 'gen-procs', 'seed', 'docs'], ['quick']);
const f = new FlagReader('bench:cost', a.str);
const quick = a.bool('quick');
const runs = f.int('runs', 2, 1, 10);
const clientsMax = f.int('clients', quick ? 200 : 1000, 1, 18_000);
const sizes = f.ints('sizes', quick ? '1,10,50,100' : '1,10,50,100,300,1000', 1, clientsMax).sort((x, y) => x - y);
const msgRate = f.num('msg-rate', 1000, 1, 100_000);
const deliveryRate = f.num('delivery-rate', 50_000, 1, 10_000_000);
/** Messages per second offered with rooms of `members`. */
const rateFor = (members: number) => Math.min(msgRate, deliveryRate / members);
const SATURATED_PCT = 90;
const durationS = f.seconds('duration', quick ? 6 : 20, 2, 600);
const genCpus = f.str('gen-cpus', '1');
const genProcs = f.int('gen-procs', 1, 1, 8);
const seed = f.int('seed', 7, 0, 2 ** 31);
const docsFile = a.str('docs') ? path.resolve(a.str('docs')!) : undefined;
if (cpus().length < 2) usageExit('bench:cost', 'needs 2 cores: the server on core 0, the generator on core 1');

interface PointResult {
  run: number;
  members: number;
  clients: number;
  load: LoadRun;
  caveats: string[];
}

async function point(run: number, members: number): Promise<PointResult> {
  const rooms = Math.floor(clientsMax / members);
  const clients = rooms * members;
  const server = await startServer('scale-chat');
  try {
    const load = await runLoadtest(server, {
      dir: path.join(tempDir('bench-cost-'), 'run'),
      durationS,
      cpus: genCpus,
      connectS: clients / 500 + 30,
      args: [
        '--name', `cost ${members} run ${run}`, '--clients', String(clients), '--rooms', String(rooms), '--room-size', String(members),
        '--rate', String(rateFor(members) / clients), '--duration', `${durationS}s`, '--procs', String(genProcs), '--seed', String(seed + run),
        '--events-sample', '0', '--ack-timeout', '10s', '--drain-timeout', '10s',
      ],
    });
    const caveats = runCaveats(load);
    if (load.window.cpuPct >= SATURATED_PCT) caveats.push(`server saturated (${Math.round(load.window.cpuPct)}% of its core)`);
    return { run, members, clients, load, caveats };
  } finally {
    await stop(server.proc);
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const load = loadNote();
  console.log(`bench:cost: sizes ${sizes.join(', ')}, up to ${clientsMax} clients, min(${msgRate}, ${deliveryRate} / size) msg/s in all, ${durationS} s, ${runs} runs${load}`);
  const results: PointResult[] = [];
  for (let run = 1; run <= runs; run++) {
    for (const m of sizes) {
      const p = await point(run, m);
      const w = p.load.window;
      console.log(`run ${run}, rooms of ${m} (${p.clients} clients): ${fmtInt(w.messages)} messages, server ${fmt1(w.cpuPct)}%, ${fmt1(w.usPerMessage)} us/message, ${fmt1(w.usPerMessage / m)} us/delivery; p99 ${fmtMs(p.load.summary.latencyMs?.p99)} ms; generator ${p.load.summary.generator.cpuPct}%${p.caveats.length ? `; ${p.caveats.join('; ')}` : ''}`);
      results.push(p);
    }
  }
  const pts: CostPoint[] = results.filter((r) => Number.isFinite(r.load.window.usPerMessage)).map((r) => ({ members: r.members, run: r.run, usPerMessage: r.load.window.usPerMessage }));
  const fit = fitLine(pts.map((p) => ({ x: p.members, y: p.usPerMessage })));
  console.log(`bench:cost: us per message = ${fit.a.toFixed(1)} + ${fit.b.toFixed(3)} x members (R^2 ${fit.r2.toFixed(3)})`);

  const writeDocs = !quick || docsFile !== undefined;
  const docBase = path.dirname(docsFile ?? DOC);
  const pngDir = writeDocs ? path.join(docBase, 'benchmarks') : tmpdir();
  mkdirSync(pngDir, { recursive: true });
  const png = path.join(pngDir, 'cost-model.png');
  writeFileSync(png, await costChart(pts, fit, [`scale-chat, SQLite, server pinned to core 0, ${started.toISOString().slice(0, 10)}; min(${msgRate}, ${deliveryRate} / members) messages/s, ${durationS} s per point, ${runs} run(s).`]));
  console.log(`bench:cost: chart ${png}`);

  const bySize = sizes.map((m) => {
    const mine = results.filter((r) => r.members === m);
    return { m, mine, us: medianOf(mine, (r) => r.load.window.usPerMessage) };
  });
  const table = mdTable(
    ['room size', 'clients', 'messages/s', 'deliveries/s', ...Array.from({ length: runs }, (_, i) => `us/message run ${i + 1}`), 'median us/message', 'median us/delivery', 'model us/message', 'server CPU %', 'events per frame', 'p99 latency (ms)'],
    bySize.map(({ m, mine, us }) => [
      fmtInt(m),
      fmtInt(mine[0]?.clients),
      fmtInt(rateFor(m)),
      fmtInt(m * rateFor(m)),
      ...Array.from({ length: runs }, (_, i) => fmt1(mine.find((r) => r.run === i + 1)?.load.window.usPerMessage ?? NaN)),
      `**${fmt1(us)}**`,
      fmt1(us / m),
      fmt1(fit.a + fit.b * m),
      fmt1(medianOf(mine, (r) => r.load.window.cpuPct)),
      fmt1(medianOf(mine, (r) => (r.load.window.messages * (r.members + 1)) / r.load.window.frames)),
      fmtMs(medianOf(mine, (r) => r.load.summary.latencyMs?.p99 ?? NaN)),
    ]),
  );
  const genFlags = results.filter((r) => r.load.summary.generator.bottleneck).map((r) => ({ run: r.run, why: `rooms of ${r.members}: ${r.load.summary.generator.note ?? 'flagged'}` }));
  const other = results.filter((r) => r.caveats.some((c) => !c.startsWith('generator'))).map((r) => `run ${r.run}, rooms of ${r.members}: ${r.caveats.filter((c) => !c.startsWith('generator')).join(', ')}`);
  const cmd = commandLine('cost');
  const pngRel = path.relative(docBase, png).split(path.sep).join('/');
  const markdown = `## Cost model: server CPU per message and per delivery against room size (\`npm run bench:cost\`)

${provenance(cmd, started, load)}

Method: for each of ${runs} run${runs > 1 ? 's' : ''} and each room size S, a fresh server (default SQLite store, persistence on) pinned to core 0 without a quota,
and \`scale-chat loadtest\` ${genCpus ? `pinned to core ${genCpus}` : 'unpinned'}: floor(${fmtInt(clientsMax)} / S) x S clients in rooms of exactly S, together min(${fmtInt(msgRate)}, ${fmtInt(deliveryRate)} / S) messages/s,
${durationS} s of sending: the light-load message rate while the deliveries stay under ${fmtInt(deliveryRate)}/s (batching depends on the message rate, so small rooms
are measured at the light-load target's rate; the large rooms, capped, cost mostly per delivery). Server CPU is the server pid's /proc CPU time over the sending window divided by the messages accepted in it;
per delivery = per message / S (the sender's own copy counts). The model is a least-squares line through every run's points.
"Events per frame" is (S deliveries + 1 ack) per message over the WebSocket frames the server wrote (its \`scalechat_frames_sent_total\`):
above 1, events that met in one event-loop turn left in one \`batch\` frame, and a frame's cost was shared.

**Model: us per message = ${fmt1(fit.a)} + ${fit.b.toFixed(2)} x members** (R² ${fit.r2.toFixed(3)}): ${fmt1(fit.a)} us fixed per message (parse, validate, commit, ack)
and ${fit.b.toFixed(2)} us per member it is delivered to. At the light-load size of 10 members that is ${fmt1(fit.a + fit.b * 10)} us per message
(the light-load target is <= 150 us per message at 10 members and 1,000 messages/s: see its section).

${table}

![${'Server CPU per message and per delivery against room size'}](${pngRel})

${other.length ? `Caveats: ${other.join('; ')}. ` : ''}${generatorLine(genFlags)}

Raw result: \`{{RESULT}}\`.`;
  const result = {
    bench: 'cost',
    command: cmd,
    started: started.toISOString(),
    workload: { sizes, clientsMax, msgRate, deliveryRate, durationS, genCpus, genProcs, seed },
    model: fit,
    chart: pngRel,
    points: results.map((r) => ({ run: r.run, members: r.members, clients: r.clients, caveats: r.caveats, window: r.load.window, summary: r.load.summary })),
  };
  publish('cost', markdown, result, { quick, docsFile });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench:cost: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
