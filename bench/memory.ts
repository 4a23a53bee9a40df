/**
 * `npm run bench:memory`: server memory per idle authenticated connection, scale-chat beside ws-naive
 * and Socket.IO (issue 12; target: <= 10 KB per connection for scale-chat, KB = 1,024 bytes).
 *
 *   npx tsc -p . && npm run bench:memory                    # 10,000 connections, 2 runs, all three targets
 *   npm run bench:memory -- --connections 2000 --quick      # small: 1 run, nothing written to docs/ or results/
 *   npm run bench:memory -- --heap-profile                  # plus one more scale-chat pass: per-connection heap objects
 *
 * Per run and target: the server starts alone (pinned to core 0, with `--inspect=127.0.0.1:0` so the
 * bench can force a full GC and read `process.memoryUsage()` inside it); --warmup connections are
 * opened and closed (one-time costs: compiled code, table growth); once the server is idle, a forced
 * GC, then the baseline (RSS from /proc, V8 heap used, external + array buffers). Then --connections
 * N raw `ws` clients from generator child processes (bench/lib/conn-pool.ts: each < 19k sockets,
 * pinned to --gen-cpus, source addresses 127.0.0.2..) complete their handshake and stay open:
 * scale-chat guests `hello` -> `welcome` (every guest is in `general`; hello.presence per --presence:
 * `on` as the web UI, the default, or `off`); ws-naive `hello` -> `welcome` + `join general`; Socket.IO
 * namespace connect + `hello` + `join general` (as their load-test targets do). When the server has
 * been idle (< 2% of a core) for two 1 s windows: forced GC, measure again. Per connection = delta / N.
 *
 * --heap-profile: an extra scale-chat pass (not in the table's runs: a snapshot's own memory would
 * skew RSS) with a heap snapshot at the baseline and one with the N connections open, summarized by
 * object kind (constructor, closure, internal type): the kinds each connection adds, biggest first.
 *
 * Flags: --connections 10000  --runs 2  --targets scale-chat,ws-naive,socketio  --presence on|off
 *        --warmup 500  --concurrency 200 (handshakes in flight while connecting)  --procs (default:
 *        max(2, N/15000 rounded up))  --gen-cpus 1 (taskset list for the generators; "none": unpinned)
 *        --sources 16 (source addresses)  --heap-profile  --quick (1 run, nothing written)
 *        --no-docs (results JSON only)  --help
 * Every child is killed when this process exits; every wait is bounded.
 */
import { benchArgs } from './cli-args.js';
import { ConnFlags } from './lib/conn-flags.js';
import { ConnPool, generatorBottleneck, sourceAddresses, type HoldResult } from './lib/conn-pool.js';
import { Inspector, INSPECT_FLAG, perConnection, type HeapRow, type HeapSummary, type ProcessMemory } from './lib/conn-inspector.js';
import { commandLine, provenance, writeResult, writeSection } from './lib/doc.js';
import { cpuSeconds, median, rssBytes, sleep, startServer, stop, type Server, type Target } from './lib/lab.js';

const args = benchArgs(import.meta.url, ['connections', 'runs', 'targets', 'presence', 'warmup', 'concurrency', 'procs', 'gen-cpus', 'sources'], ['heap-profile', 'quick', 'no-docs']);

const flags = new ConnFlags(args, 'bench/memory');
const quick = args.bool('quick');
const N = flags.int('connections', quick ? 1000 : 10_000, 1, 200_000);
const runs = flags.int('runs', quick ? 1 : 2, 1, 10);
const warmup = flags.int('warmup', quick ? 100 : 500, 0, 20_000);
const concurrency = flags.int('concurrency', 200, 1, 5000);
const procs = flags.int('procs', Math.max(2, Math.ceil(N / 15_000)), 1, 64);
const sources = sourceAddresses(flags.int('sources', 16, 1, 254));
const genCpus = flags.genCpus('gen-cpus');
const presence = flags.presence('presence');
const presenceFlag = presence ? 'on' : 'off';
const targets = flags.oneOf<Target>('targets', 'scale-chat,ws-naive,socketio', ['scale-chat', 'ws-naive', 'socketio']);
const heapProfile = args.bool('heap-profile');
const writeDocs = !quick && !args.bool('no-docs');
const TARGET_BYTES = 10 * 1024;
const KB = 1024;
const MB = 2 ** 20;

interface Mem {
  /** /proc VmRSS, bytes. */
  rss: number;
  heapUsed: number;
  /** external + arrayBuffers (Buffers' memory outside the V8 heap). */
  offHeap: number;
}
interface Point {
  target: Target;
  run: number;
  connections: number;
  failed: number;
  dropped: number;
  codes: Record<string, number>;
  connectS: number;
  connectGenBottleneck: string;
  idleWaitS: number;
  base: Mem;
  after: Mem;
  perConn: Mem;
  /** The server's own /metrics after the connections (RSS, and V8 heap for scale-chat), as a cross-check. */
  metrics: Record<string, number>;
}

const toMem = (m: ProcessMemory, rss: number): Mem => ({ rss, heapUsed: m.heapUsed, offHeap: m.external + m.arrayBuffers });

function serverArgs(target: Target): string[] {
  if (target !== 'scale-chat') return [];
  const cap = N + warmup + 100;
  return cap > 19_000 ? ['--max-connections', String(cap)] : [];
}

/** Waits until the server used < 2% of a core in two 1 s windows in a row (at most `maxS`); returns the seconds waited. */
async function waitIdle(pid: number, maxS = 60): Promise<number> {
  const t0 = Date.now();
  let quiet = 0;
  while (quiet < 2 && Date.now() - t0 < maxS * 1000) {
    const c0 = cpuSeconds(pid);
    await sleep(1000);
    quiet = cpuSeconds(pid) - c0 < 0.02 ? quiet + 1 : 0;
  }
  if (quiet < 2) console.error(`  the server was still busy after ${maxS} s: measuring anyway`);
  return (Date.now() - t0) / 1000;
}

async function measureMem(s: Server, insp: Inspector): Promise<Mem> {
  await insp.gc();
  await sleep(300);
  return toMem(await insp.memory(), rssBytes(s.pid));
}

async function scrape(s: Server): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  try {
    const res = await fetch(`${s.http}/metrics`, { signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    for (const name of ['process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
      if (m) out[name] = Number(m[1]);
    }
  } catch (err) {
    console.error(`  /metrics of ${s.target}: ${(err as Error).message}`);
  }
  return out;
}

function job(target: Target, prefix: string) {
  return { url: '', spec: { target, presence, room: 'general' }, namePrefix: prefix, sources, concurrency, handshakeTimeoutMs: 30_000 };
}

/** Opens `n` connections from a pool; throws when fewer than all are ready. */
async function openAll(s: Server, pool: ConnPool, n: number, prefix: string): Promise<{ held: HoldResult; genBottleneck: string }> {
  await pool.ready();
  const c0 = pool.cpuSeconds();
  const held = await pool.hold(n, { ...job(s.target, prefix), url: s.url }, 60_000 + n * 20);
  const c1 = pool.cpuSeconds();
  const genBottleneck = generatorBottleneck(c1.map((c, i) => c - c0[i]), held.spanMs / 1000, genCpus);
  if (held.ready < n) throw new Error(`${s.target}: ${held.ready} of ${n} connections ready (failures: ${JSON.stringify(held.codes)}); server stderr: ${s.stderr.slice(-3).join(' | ')}`);
  return { held, genBottleneck };
}

/** Starts the target, warms it up, measures the baseline; `during` runs with the N connections open. */
async function withServer<T>(target: Target, label: string, during: (s: Server, insp: Inspector, base: Mem, baseHeap: HeapSummary | null, snapshot: boolean) => Promise<T>, snapshot = false): Promise<T> {
  const s = await startServer(target, { nodeArgs: [INSPECT_FLAG], args: serverArgs(target) });
  let insp: Inspector | null = null;
  try {
    insp = await Inspector.attach(s.stderr);
    if (warmup > 0) {
      const warm = new ConnPool(1, genCpus);
      try {
        await openAll(s, warm, warmup, `w${label}`);
      } finally {
        await warm.close();
      }
    }
    await waitIdle(s.pid);
    const base = await measureMem(s, insp);
    const baseHeap = snapshot ? await insp.heapSummary() : null;
    return await during(s, insp, base, baseHeap, snapshot);
  } finally {
    insp?.close();
    await stop(s.proc);
  }
}

async function point(target: Target, run: number): Promise<Point> {
  return withServer(target, `${run}`, async (s, insp, base) => {
    const pool = new ConnPool(procs, genCpus);
    try {
      const { held, genBottleneck } = await openAll(s, pool, N, `m${run}`);
      const idleWaitS = await waitIdle(s.pid);
      const after = await measureMem(s, insp);
      const metrics = await scrape(s);
      await sleep(600); // one more progress report from every generator
      const late = pool.progress();
      const n = held.ready;
      return {
        target,
        run,
        connections: n,
        failed: held.failed,
        dropped: late.dropped,
        codes: held.codes,
        connectS: held.spanMs / 1000,
        connectGenBottleneck: genBottleneck,
        idleWaitS,
        base,
        after,
        perConn: { rss: (after.rss - base.rss) / n, heapUsed: (after.heapUsed - base.heapUsed) / n, offHeap: (after.offHeap - base.offHeap) / n },
        metrics,
      };
    } finally {
      await pool.close();
    }
  });
}

async function heapPass(): Promise<HeapRow[]> {
  return withServer(
    'scale-chat',
    'h',
    async (s, insp, _base, baseHeap) => {
      const pool = new ConnPool(procs, genCpus);
      try {
        const { held } = await openAll(s, pool, N, 'mh');
        await waitIdle(s.pid);
        const after = await insp.heapSummary();
        return perConnection(baseHeap!, after, held.ready, 30);
      } finally {
        await pool.close();
      }
    },
    true,
  );
}

const kb = (b: number) => (b / KB).toFixed(2);
const mb = (b: number) => (b / MB).toFixed(1);

function table(points: Point[]): string {
  const rows = ['| target | run | connections | RSS before -> after (MiB) | **RSS per conn (KB)** | V8 heap used per conn (KB) | off-heap (Buffers) per conn (KB) | connect time (s) | dropped while idle |', '|---|---|---|---|---|---|---|---|---|'];
  for (const t of targets) {
    const ps = points.filter((p) => p.target === t);
    for (const p of ps) rows.push(`| ${t} | ${p.run} | ${p.connections.toLocaleString('en-US')} | ${mb(p.base.rss)} -> ${mb(p.after.rss)} | ${kb(p.perConn.rss)} | ${kb(p.perConn.heapUsed)} | ${kb(p.perConn.offHeap)} | ${p.connectS.toFixed(1)} | ${p.dropped} |`);
    if (ps.length > 1) rows.push(`| **${t}** | median | | | **${kb(median(ps.map((p) => p.perConn.rss)))}** | ${kb(median(ps.map((p) => p.perConn.heapUsed)))} | ${kb(median(ps.map((p) => p.perConn.offHeap)))} | | |`);
  }
  return rows.join('\n');
}

function heapTable(rows: HeapRow[]): string {
  const out = ['| object kind (heap snapshot) | objects per conn | bytes per conn |', '|---|---|---|'];
  for (const r of rows) out.push(`| \`${r.kind.replace(/\|/g, '\\|')}\` | ${r.countPerConn.toFixed(2)} | ${Math.round(r.bytesPerConn)} |`);
  return out.join('\n');
}

async function main(): Promise<void> {
  const started = new Date();
  const command = commandLine('memory');
  console.log(`bench:memory: ${N.toLocaleString('en-US')} connections, ${runs} run(s), targets ${targets.join(', ')}, scale-chat presence ${presenceFlag}, ${procs} generator process(es) ${genCpus ? `on core(s) ${genCpus}` : 'unpinned'}`);
  const points: Point[] = [];
  const failures: string[] = [];
  for (let run = 1; run <= runs; run++) {
    for (const t of targets) {
      try {
        const p = await point(t, run);
        points.push(p);
        console.log(`  run ${run} ${t}: ${kb(p.perConn.rss)} KB RSS, ${kb(p.perConn.heapUsed)} KB heap, ${kb(p.perConn.offHeap)} KB off-heap per connection (${p.connections} connected in ${p.connectS.toFixed(1)} s${p.connectGenBottleneck ? `; generator-bound while connecting: ${p.connectGenBottleneck}` : ''}; ${p.dropped} dropped)`);
      } catch (err) {
        failures.push(`run ${run} ${t}: ${(err as Error).message}`);
        console.error(`  run ${run} ${t} FAILED: ${(err as Error).message}`);
      }
    }
  }
  let heap: HeapRow[] | null = null;
  if (heapProfile) {
    try {
      heap = await heapPass();
      console.log('  heap snapshot pass (scale-chat): top kinds per connection');
      for (const r of heap.slice(0, 15)) console.log(`    ${Math.round(r.bytesPerConn).toString().padStart(6)} B  ${r.countPerConn.toFixed(2).padStart(6)} x  ${r.kind}`);
    } catch (err) {
      failures.push(`heap profile: ${(err as Error).message}`);
      console.error(`  heap profile FAILED: ${(err as Error).message}`);
    }
  }
  const sc = points.filter((p) => p.target === 'scale-chat');
  const scRss = sc.length ? median(sc.map((p) => p.perConn.rss)) : NaN;
  const verdict = sc.length ? (scRss <= TARGET_BYTES ? `**met**: ${kb(scRss)} KB` : `**not met**: ${kb(scRss)} KB, ${kb(scRss - TARGET_BYTES)} KB over`) : 'not measured (scale-chat not run)';
  const ratio = (t: Target) => {
    const ps = points.filter((p) => p.target === t);
    return ps.length && sc.length ? `${t} ${(median(ps.map((p) => p.perConn.rss)) / scRss).toFixed(1)}x scale-chat's` : '';
  };
  const peersLine = [ratio('ws-naive'), ratio('socketio')].filter(Boolean).join(', ');
  const md = [
    '## Memory per idle authenticated connection (`npm run bench:memory`)',
    '',
    provenance(command, started),
    '',
    `Method: each target's server starts alone, pinned to core 0, with the V8 inspector on (forced full GC and \`process.memoryUsage()\` from inside); ${warmup} connections are opened and closed first (one-time costs), then the baseline is taken after a forced GC on an idle server. ${N.toLocaleString('en-US')} raw \`ws\` clients from ${procs} generator processes (${genCpus ? `pinned to core ${genCpus}` : 'unpinned'}, source addresses 127.0.0.2..) complete their handshake and stay open: scale-chat guests \`hello\` -> \`welcome\` (all in \`general\`, **presence ${presenceFlag}**${presence ? ', as the web UI' : ''}), ws-naive \`hello\` + \`join general\`, Socket.IO namespace connect + \`hello\` + \`join general\`. Once the server has been idle (< 2% of a core for 2 s), a forced GC and the second measurement: per connection = (after - before) / connections. RSS is /proc VmRSS (kernel socket buffers are not in it); KB = 1,024 bytes. ${runs} run(s) per target, fresh server each.`,
    '',
    table(points),
    '',
    `Target (issue 12): <= 10 KB of server RSS per idle authenticated connection for scale-chat (12.8 KB before): ${verdict}.${peersLine ? ` Peers in the same run: ${peersLine}.` : ''}`,
    ...(heap ? ['', `Heap snapshot (a separate scale-chat pass with ${N.toLocaleString('en-US')} connections; shallow sizes, Buffers' memory outside the heap not included): the object kinds each connection adds, biggest first.`, '', heapTable(heap.slice(0, 20))] : []),
    ...(failures.length ? ['', `Failed: ${failures.join('; ')}`] : []),
  ].join('\n');
  if (writeDocs) {
    writeSection('memory', md);
    const file = writeResult('memory', { command, started: started.toISOString(), connections: N, runs, presence: presenceFlag, warmup, procs, genCpus: genCpus || 'unpinned', points, heap, failures });
    console.log(`wrote docs/benchmarks.md (memory) and ${file}`);
  } else console.log('\n' + md);
  if (failures.length && !points.length) process.exit(1);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench/memory: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
