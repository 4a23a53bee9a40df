/**
 * Presence in a large room (issue 12): what presence costs each idle client and the server when many
 * users are online in `general` and people keep coming and going.
 *
 *   npm run bench:presence -- [--online 10000,1000] [--churn 100] [--duration 30] [--runs 2]
 *                             [--large-room 100] [--quick]
 *
 * For each room size N in `--online` (default 10,000 and 1,000, to show whether traffic is flat in room
 * size) and each mode, `--runs` times:
 *  - mode `counts` (today's default: `--presence-large-room` = `--large-room`): a large room's members get
 *    `presence_count` events, diffs only after subscribing (nobody here subscribes, as the web UI with its
 *    member panel closed);
 *  - mode `diffs` (the old behaviour, measured in the same run: `--presence-large-room` above N): every
 *    diff goes to every member.
 * A fresh server (pinned to core 0, abuse limits lifted for loopback) gets N guests online with presence on
 * (as the web UI), from generator child processes (bench/presence-gen.ts, <= 9,000 sockets each, local
 * addresses 127.0.0.2.., pinned to core 1, each connecting 300/s: faster, a burst of guest handshakes
 * outruns the server and some time out), then `--churn` joins+leaves per second (half joins, half
 * leaves: N stays constant) from one more child. After 3 s of churn, for `--duration` s: payload bytes and
 * frames received per second by one idle client in 50 (each counts what it receives), and the server's
 * CPU (/proc/<pid>/stat). Target (issue 12): <= 2 KB/s per client, flat in room size.
 * `--quick`: --online 1000,300 --duration 8 --runs 1; prints only (writes no result and no docs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './cli-args.js';
import { commandLine, provenance, writeResult, writeSection } from './lib/doc.js';
import { cpuSeconds, median, pct, sleep, startServer, stop, track, type Server } from './lib/lab.js';

const flags = benchArgs(import.meta.url, ['online', 'churn', 'duration', 'runs', 'large-room'], ['quick']);
const quick = flags.bool('quick');
const sizes = (flags.str('online') ?? (quick ? '1000,300' : '10000,1000')).split(',').map(Number);
const churn = Number(flags.str('churn') ?? 100);
const duration = Number(flags.str('duration') ?? (quick ? 8 : 30));
const runs = Number(flags.str('runs') ?? (quick ? 1 : 2));
const largeRoom = Number(flags.str('large-room') ?? 100);
for (const [k, v] of Object.entries({ churn, duration, runs, largeRoom, online: Math.min(...sizes) })) {
  if (!Number.isFinite(v) || v < 1) throw new Error(`bad option --${k}: ${v}`);
}
const TARGET_BPS = 2048;
const PER_PROC = 9000;
const GEN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'presence-gen.js');

type Mode = 'counts' | 'diffs';
interface Point {
  online: number;
  mode: Mode;
  run: number;
  /** Payload bytes per second per sampled idle client: median, p99, max. */
  bps: { p50: number; p99: number; max: number };
  framesPerS: number;
  serverCpuPct: number;
  genCpuPct: number;
  genBottleneck: boolean;
  churnReplaced: number;
  clients: number;
}

interface Gen {
  proc: ChildProcess;
  ready: Promise<{ welcomed: number }>;
  result(): Promise<Record<string, unknown>>;
}

function gen(args: string[], label: string): Gen {
  const proc = track(spawn('taskset', ['-c', '1', process.execPath, GEN, '--label', label, ...args], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const results: ((r: Record<string, unknown>) => void)[] = [];
  let readyResolve!: (r: { welcomed: number }) => void;
  const ready = new Promise<{ welcomed: number }>((resolve, reject) => {
    readyResolve = resolve;
    proc.once('exit', (code) => reject(new Error(`generator ${label} exited (${code})`)));
  });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    if (line.startsWith('READY ')) readyResolve(JSON.parse(line.slice(6)));
    else if (line.startsWith('RESULT ')) results.shift()?.(JSON.parse(line.slice(7)));
  });
  return {
    proc,
    ready,
    result: () =>
      new Promise((resolve, reject) => {
        results.push(resolve);
        setTimeout(() => reject(new Error(`generator ${label}: no result within 20 s`)), 20_000).unref();
      }),
  };
}

async function measure(online: number, mode: Mode, run: number): Promise<Point> {
  const limit = mode === 'counts' ? largeRoom : online * 10 + 1000;
  const pool = Math.min(churn, Math.max(1, Math.floor(online / 10)));
  const idleN = online - pool;
  const server: Server = await startServer('scale-chat', { args: ['--presence-large-room', String(limit), '--max-connections', String(online + 2000)] });
  const gens: Gen[] = [];
  try {
    const procs = Math.ceil(idleN / PER_PROC);
    for (let k = 0; k < procs; k++) {
      const n = Math.min(PER_PROC, idleN - k * PER_PROC);
      gens.push(gen(['--role', 'idle', '--url', server.url, '--clients', String(n), '--connect-rate', '300', '--source', `127.0.0.${2 + k}`, '--max-seconds', String(duration + 300)], `i${run}${mode[0]}${k}`));
    }
    const welcomed = (await Promise.all(gens.map((g) => g.ready))).reduce((a, r) => a + r.welcomed, 0);
    if (welcomed < idleN) throw new Error(`only ${welcomed} of ${idleN} idle clients were welcomed`);
    const churner = gen(['--role', 'churn', '--url', server.url, '--pool', String(pool), '--churn', String(churn), '--source', '127.0.0.250', '--max-seconds', String(duration + 300)], `c${run}${mode[0]}`);
    await churner.ready;
    await sleep(3000);
    for (const g of gens) g.proc.stdin!.write('mark\n');
    const cpu0 = cpuSeconds(server.pid);
    const t0 = performance.now();
    await sleep(duration * 1000);
    const results = gens.map((g) => g.result());
    for (const g of gens) g.proc.stdin!.write('report\n');
    const serverCpuPct = ((cpuSeconds(server.pid) - cpu0) / ((performance.now() - t0) / 1000)) * 100;
    const reports = (await Promise.all(results)) as { seconds: number; cpuPct: number; bytes: number[]; frames: number[] }[];
    const churnResult = churner.result();
    churner.proc.stdin!.write('stop\n');
    const replaced = ((await churnResult) as { replaced: number }).replaced;
    const bps = reports.flatMap((r) => r.bytes.map((b) => b / r.seconds));
    const fps = reports.flatMap((r) => r.frames.map((f) => f / r.seconds));
    const genCpuPct = Math.max(...reports.map((r) => r.cpuPct));
    return {
      online,
      mode,
      run,
      bps: { p50: median(bps), p99: pct(bps, 99), max: Math.max(...bps) },
      framesPerS: median(fps),
      serverCpuPct,
      genCpuPct,
      genBottleneck: genCpuPct > 90,
      churnReplaced: replaced,
      clients: welcomed + pool,
    };
  } finally {
    for (const g of gens) g.proc.kill('SIGKILL');
    await stop(server.proc);
  }
}

const kb = (b: number) => `${(b / 1024).toFixed(b < 10_240 ? 2 : 1)} KB/s`;

async function main(): Promise<void> {
  const started = new Date();
  const points: Point[] = [];
  for (const online of sizes) {
    for (let run = 1; run <= runs; run++) {
      for (const mode of ['counts', 'diffs'] as const) {
        const p = await measure(online, mode, run);
        points.push(p);
        console.log(
          `${online} online, ${mode}, run ${run}: ${kb(p.bps.p50)} per idle client (p99 ${kb(p.bps.p99)}), ${p.framesPerS.toFixed(2)} frames/s, server CPU ${p.serverCpuPct.toFixed(1)}%, generator CPU ${p.genCpuPct.toFixed(0)}%${p.genBottleneck ? ' (GENERATOR WAS THE BOTTLENECK)' : ''}`,
        );
      }
    }
  }
  const med = (online: number, mode: Mode, f: (p: Point) => number) => median(points.filter((p) => p.online === online && p.mode === mode).map(f));
  const countsMax = Math.max(...sizes.map((n) => med(n, 'counts', (p) => p.bps.p50)));
  const countsMin = Math.min(...sizes.map((n) => med(n, 'counts', (p) => p.bps.p50)));
  const met = countsMax <= TARGET_BPS;
  const flat = countsMax <= Math.max(countsMin * 1.5, countsMin + 100);
  if (quick) {
    console.log(`--quick: ${met ? 'met' : 'not met'}, ${flat ? 'flat' : 'not flat'} in room size; nothing written (as the other benchmarks' quick runs)`);
    return;
  }
  const file = writeResult('presence', { started, sizes, churn, duration, runs, largeRoom, points });
  const rows = points.map(
    (p) =>
      `| ${p.online.toLocaleString('en-US')} | ${p.mode} | ${p.run} | ${kb(p.bps.p50)} | ${kb(p.bps.p99)} | ${p.framesPerS.toFixed(2)} | ${p.serverCpuPct.toFixed(1)}% | ${p.genCpuPct.toFixed(0)}%${p.genBottleneck ? ' (bottleneck)' : ''} |`,
  );
  const medRows = sizes.flatMap((n) =>
    (['counts', 'diffs'] as const).map((m) => `| ${n.toLocaleString('en-US')} | ${m} | median | ${kb(med(n, m, (p) => p.bps.p50))} | ${kb(med(n, m, (p) => p.bps.p99))} | ${med(n, m, (p) => p.framesPerS).toFixed(2)} | ${med(n, m, (p) => p.serverCpuPct).toFixed(1)}% | |`),
  );
  writeSection(
    'presence',
    `## Presence in a large room (\`npm run bench:presence\`)

${provenance(commandLine('presence'), started)} Raw: \`${file}\`.

Method: a fresh server (pinned to core 0) per point; N guests online in \`general\` with presence on (as
the web UI), from generator processes pinned to core 1 (<= 9,000 sockets each, local addresses
127.0.0.2..); then ${churn} joins+leaves per second (half each, N constant) from one more process. After 3 s
of churn, for ${duration} s: WebSocket payload bytes and frames received per second by one idle client in
50, and server CPU from /proc. \`counts\`: \`--presence-large-room ${largeRoom}\` (large rooms get
\`presence_count\` events; nobody subscribed to the member list); \`diffs\`: the old behaviour (the
option above N: every diff to every member), in the same run.

| online | mode | run | bytes/s per idle client (median) | p99 | frames/s | server CPU | generator CPU |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}
${medRows.join('\n')}

Target (issue 12): <= 2 KB/s per client at 10,000 online and 100 joins+leaves/s, flat in room size.
${met ? 'Met' : 'Not met'}: with counts the median idle client receives at most ${kb(countsMax)} over the room sizes measured (${sizes.map((n) => n.toLocaleString('en-US')).join(', ')})${flat ? ', flat in room size' : ', not flat in room size'}.`,
  );
  console.log(`wrote ${file} and the presence section of docs/benchmarks.md`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench:presence failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
