/**
 * `npm run bench:handshakes`: connection rate of one scale-chat server core: handshakes per second
 * from TCP connect to `welcome` (issue 12; target: >= 5,000/s).
 *
 *   npx tsc -p . && npm run bench:handshakes                 # concurrency 10,50,200,500; guest and token; 2 runs
 *   npm run bench:handshakes -- --quick                      # small: concurrency 10,100, 2 s, 1 run, nothing written
 *   npm run bench:handshakes -- --cpu-profile /tmp/hs-prof   # plus a profiled pass: top self-time functions
 *
 * The server (scale-chat, a fresh temp data dir per run, the loopback abuse limits lifted, no CPU
 * quota) is pinned to core 0; --procs generator processes (bench/lib/conn-pool.ts) on --gen-cpus
 * (default core 1) run a closed loop of --concurrency C workers: connect (source addresses
 * 127.0.0.2..), `hello`, wait for `welcome`, close, again. So each handshake is a full cycle
 * for the server: TCP accept, HTTP upgrade, hello decode, auth, hub registration, welcome, close.
 * Auth: `guest` (a new guest user per handshake: a stored row; presence per --presence, default on as
 * the web UI) and `token` (the session token of one account registered before the run; many
 * connections of one user, so the run's server has --max-connections-per-user 0). After --warmup s,
 * handshakes completed in the next --duration s are counted: rate, p50/p99 time from `new WebSocket`
 * to welcome, server CPU (/proc) per handshake and as a share of its core, generator CPU. A level is
 * server-bound when the server used >= 90% of its core, generator-bound when a generator process used
 * >= 90% of a core or all together >= 90% of the cores they are pinned to. --client raw (default): a
 * plain TCP client (bench/lib/conn-raw.ts: fixed upgrade request, masked frames, destroy), several
 * times cheaper than a `ws` client, so the generator core keeps up; --client ws: `ws` clients.
 * --reference ws-naive (default; `none` to skip): the same guest loop against the ws-naive peer (no
 * auth, no store), what ws and Node cost per connection on this machine: the floor of this design.
 *
 * --cpu-profile DIR: one more guest pass at the highest concurrency with the server under
 * `node --cpu-prof --cpu-prof-dir=DIR`; the top self-time functions go in the report.
 *
 * Flags: --concurrency 10,50,200,500  --duration 5 (s)  --warmup 2 (s)  --runs 2  --auth guest,token
 *        --presence on|off  --procs 2  --gen-cpus 1 ("none": unpinned)  --sources 64  --client raw|ws
 *        --reference ws-naive|none
 *        --cpu-profile DIR  --quick  --no-docs (results JSON only)  --help
 * Every child is killed when this process exits; every loop is bounded in count and time.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { benchArgs } from './cli-args.js';
import { readProfile, topSelfTime, type SelfTime } from './lib/conn-cpuprofile.js';
import { ConnFlags } from './lib/conn-flags.js';
import { ConnPool, generatorBottleneck, sourceAddresses } from './lib/conn-pool.js';
import { commandLine, provenance, writeResult, writeSection } from './lib/doc.js';
import { cpuSeconds, median, pct, sleep, startServer, stop, type Server, type Target } from './lib/lab.js';

const args = benchArgs(import.meta.url, ['concurrency', 'duration', 'warmup', 'runs', 'auth', 'presence', 'procs', 'gen-cpus', 'sources', 'cpu-profile', 'client', 'reference'], ['quick', 'no-docs']);
const flags = new ConnFlags(args, 'bench/handshakes');
const quick = args.bool('quick');
const levels = flags.ints('concurrency', quick ? '10,100' : '10,50,200,500', 1, 5000);
const durationS = flags.int('duration', quick ? 2 : 5, 1, 120);
const warmupS = flags.int('warmup', quick ? 1 : 2, 0, 60);
const runs = flags.int('runs', quick ? 1 : 2, 1, 10);
type Auth = 'guest' | 'token';
const auths = flags.oneOf<Auth>('auth', 'guest,token', ['guest', 'token']);
const presence = flags.presence('presence');
const procs = flags.int('procs', 2, 1, 64);
const genCpus = flags.genCpus('gen-cpus');
const sources = sourceAddresses(flags.int('sources', 64, 1, 254));
const profileDir = args.str('cpu-profile') ? path.resolve(args.str('cpu-profile')!) : null;
const client = flags.oneOf('client', 'raw', ['raw', 'ws'] as const).at(-1)!;
const reference = flags.oneOf('reference', 'ws-naive', ['ws-naive', 'none'] as const).at(-1) === 'ws-naive';
const writeDocs = !quick && !args.bool('no-docs');
const TARGET_RATE = 5000;
const SERVER_BOUND = 0.9;
const SERVER_ARGS = ['--max-connections-per-user', '0'];

interface Level {
  target: Target;
  run: number;
  auth: Auth;
  concurrency: number;
  completed: number;
  rate: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuPct: number;
  serverUsPerHandshake: number;
  genCpuPct: number;
  genBottleneck: string;
  serverBound: boolean;
  failed: number;
  codes: Record<string, number>;
}

/** Registers an account over one connection and returns its session token (from the welcome). */
async function accountToken(url: string): Promise<string> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  try {
    return await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('register: no welcome within 15 s')), 15_000);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', v: 1, auth: { kind: 'register', name: 'hsbench', password: 'handshake-bench-password' }, presence })));
      ws.on('message', (d: Buffer) => {
        const f = JSON.parse(d.toString()) as { type: string; token?: string; code?: string; events?: { type: string; token?: string }[] };
        const w = f.type === 'batch' ? f.events?.find((e) => e.type === 'welcome') : f;
        clearTimeout(t);
        if (w?.type === 'welcome' && w.token) resolve(w.token);
        else reject(new Error(`register: ${f.code ?? f.type}`));
      });
      ws.on('error', (e) => (clearTimeout(t), reject(e)));
    });
  } finally {
    ws.terminate();
  }
}

async function level(s: Server, pool: ConnPool, run: number, auth: Auth, concurrency: number, token: string | undefined): Promise<Level> {
  const job = {
    url: s.url,
    spec: { target: s.target, presence, room: 'general', token: auth === 'token' ? token : undefined },
    namePrefix: `h${run}${auth[0]}${concurrency}y`,
    sources,
    concurrency,
    handshakeTimeoutMs: 10_000,
    client,
  };
  let c0 = 0;
  let t0 = 0;
  let c1 = 0;
  let t1 = 0;
  // Server CPU over the generators' measurement window (they start it `warmupS` after the command).
  const sampler = (async () => {
    await sleep(warmupS * 1000);
    c0 = cpuSeconds(s.pid);
    t0 = performance.now();
    await sleep(durationS * 1000);
    c1 = cpuSeconds(s.pid);
    t1 = performance.now();
  })();
  const r = await pool.churn(job, warmupS * 1000, durationS * 1000);
  await sampler;
  const serverCpuS = c1 - c0;
  const wallS = (t1 - t0) / 1000;
  const genCpuS = r.cpuS.reduce((a, b) => a + b, 0);
  return {
    target: s.target,
    run,
    auth,
    concurrency,
    completed: r.completed,
    rate: r.completed / r.windowS,
    p50Ms: pct(r.latenciesMs, 50),
    p99Ms: pct(r.latenciesMs, 99),
    serverCpuPct: (serverCpuS / wallS) * 100,
    serverUsPerHandshake: r.completed ? (serverCpuS * 1e6) / r.completed : NaN,
    genCpuPct: (genCpuS / r.windowS) * 100,
    genBottleneck: generatorBottleneck(r.cpuS, r.windowS, genCpus),
    serverBound: serverCpuS / wallS >= SERVER_BOUND,
    failed: r.failed,
    codes: r.codes,
  };
}

/** One run: a fresh scale-chat server, every auth kind at every level; then the reference, guests at every level. */
async function runOnce(run: number, onLevel: (l: Level) => void): Promise<void> {
  const pool = new ConnPool(procs, genCpus);
  try {
    const s = await startServer('scale-chat', { args: SERVER_ARGS });
    try {
      const token = auths.includes('token') ? await accountToken(s.url) : undefined;
      for (const auth of auths) for (const c of levels) onLevel(await level(s, pool, run, auth, c, token));
    } finally {
      await stop(s.proc);
    }
    if (!reference) return;
    const peer = await startServer('ws-naive');
    try {
      for (const c of levels) onLevel(await level(peer, pool, run, 'guest', c, undefined));
    } finally {
      await stop(peer.proc);
    }
  } finally {
    await pool.close();
  }
}

/** The profiled pass: guest handshakes at the highest level, the server under --cpu-prof. */
async function profilePass(dir: string): Promise<{ busyMs: number; rows: SelfTime[]; level: Level }> {
  mkdirSync(dir, { recursive: true });
  const s = await startServer('scale-chat', { args: SERVER_ARGS, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  const pool = new ConnPool(procs, genCpus);
  let l: Level;
  try {
    l = await level(s, pool, 0, 'guest', Math.max(...levels), undefined);
  } finally {
    await pool.close();
    await stop(s.proc); // SIGTERM: the server exits normally and writes its profile
  }
  return { ...topSelfTime(readProfile(dir), 25), level: l };
}

const f0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');

function limitOf(l: Level): string {
  if (l.genBottleneck) return `generator (${l.genBottleneck})`;
  if (l.serverBound) return 'server CPU';
  return 'neither (concurrency x latency)';
}

function table(all: Level[]): string {
  const rows = ['| target | auth | concurrency | run | handshakes/s | p50 (ms) | p99 (ms) | server CPU (% of core) | server CPU per handshake (us) | generator CPU (% of a core, all procs) | failed | limited by |', '|---|---|---|---|---|---|---|---|---|---|---|---|'];
  const groups: [Target, Auth][] = [...auths.map((a): [Target, Auth] => ['scale-chat', a]), ['ws-naive', 'guest']];
  for (const [target, auth] of groups) {
    for (const c of levels) {
      const ls = all.filter((l) => l.target === target && l.auth === auth && l.concurrency === c);
      for (const l of ls) rows.push(`| ${target} | ${auth} | ${c} | ${l.run} | ${f0(l.rate)} | ${f1(l.p50Ms)} | ${f1(l.p99Ms)} | ${f0(l.serverCpuPct)} | ${f0(l.serverUsPerHandshake)} | ${f0(l.genCpuPct)} | ${l.failed}${l.failed ? ` ${JSON.stringify(l.codes)}` : ''} | ${limitOf(l)} |`);
      if (ls.length > 1) rows.push(`| **${target}** | **${auth}** | **${c}** | median | **${f0(median(ls.map((l) => l.rate)))}** | ${f1(median(ls.map((l) => l.p50Ms)))} | ${f1(median(ls.map((l) => l.p99Ms)))} | ${f0(median(ls.map((l) => l.serverCpuPct)))} | ${f0(median(ls.map((l) => l.serverUsPerHandshake)))} | ${f0(median(ls.map((l) => l.genCpuPct)))} | | |`);
    }
  }
  return rows.join('\n');
}

/** The best level's median rate for an auth kind, with that level. */
function best(all: Level[], target: Target, auth: Auth): { rate: number; concurrency: number; genBound: boolean } | null {
  let out: { rate: number; concurrency: number; genBound: boolean } | null = null;
  for (const c of levels) {
    const ls = all.filter((l) => l.target === target && l.auth === auth && l.concurrency === c);
    if (!ls.length) continue;
    const rate = median(ls.map((l) => l.rate));
    if (!out || rate > out.rate) out = { rate, concurrency: c, genBound: ls.some((l) => l.genBottleneck !== '') };
  }
  return out;
}

async function main(): Promise<void> {
  const started = new Date();
  const command = commandLine('handshakes');
  console.log(`bench:handshakes: concurrency ${levels.join(',')}, ${durationS} s each after ${warmupS} s, ${runs} run(s), auth ${auths.join(',')}, presence ${presence ? 'on' : 'off'}, ${procs} generator process(es) ${genCpus ? `on core(s) ${genCpus}` : 'unpinned'}`);
  const all: Level[] = [];
  const failures: string[] = [];
  for (let run = 1; run <= runs; run++) {
    try {
      await runOnce(run, (l) => {
        all.push(l);
        console.log(`  run ${run} ${l.target} ${l.auth} c=${l.concurrency}: ${f0(l.rate)}/s, p50 ${f1(l.p50Ms)} ms, p99 ${f1(l.p99Ms)} ms, server ${f0(l.serverCpuPct)}% (${f0(l.serverUsPerHandshake)} us/handshake), generator ${f0(l.genCpuPct)}%, ${l.failed} failed; limited by ${limitOf(l)}`);
      });
    } catch (err) {
      failures.push(`run ${run}: ${(err as Error).message}`);
      console.error(`  run ${run} FAILED: ${(err as Error).message}`);
    }
  }
  let profile: Awaited<ReturnType<typeof profilePass>> | null = null;
  if (profileDir) {
    try {
      profile = await profilePass(profileDir);
      console.log(`  profiled pass (guest, c=${profile.level.concurrency}): ${f0(profile.level.rate)}/s; top self time of ${f0(profile.busyMs)} ms busy:`);
      for (const r of profile.rows.slice(0, 15)) console.log(`    ${r.pct.toFixed(1).padStart(5)}%  ${r.fn}  ${r.where}`);
    } catch (err) {
      failures.push(`cpu profile: ${(err as Error).message}`);
      console.error(`  cpu profile FAILED: ${(err as Error).message}`);
    }
  }
  const g = best(all, 'scale-chat', 'guest');
  const t = best(all, 'scale-chat', 'token');
  const ref = best(all, 'ws-naive', 'guest');
  const verdict = g
    ? `${g.rate >= TARGET_RATE ? '**met**' : '**not met**'}: best ${f0(g.rate)} guest handshakes/s (concurrency ${g.concurrency}${g.genBound ? '; the generator was a bottleneck there, so the server may do more' : ''})${t ? `; token auth ${f0(t.rate)}/s (concurrency ${t.concurrency})` : ''}${ref ? `. Reference, the same loop against ws-naive (no auth, no store: what ws and Node cost per connection on this machine): ${f0(ref.rate)}/s (concurrency ${ref.concurrency}${ref.genBound ? ', generator-bound' : ''})` : ''}`
    : 'not measured';
  const md = [
    '## Connection rate: handshakes to welcome per second (`npm run bench:handshakes`)',
    '',
    provenance(command, started),
    '',
    `Method: one scale-chat server (fresh temp data dir per run, loopback abuse limits lifted, no CPU quota) pinned to core 0; ${procs} generator processes (${genCpus ? `pinned to core ${genCpus}` : 'unpinned'}, ${client === 'raw' ? 'a plain TCP client: fixed upgrade request, masked frames, no WebSocket library (bench/lib/conn-raw.ts)' : 'raw `ws` clients'}, source addresses 127.0.0.2..) run a closed loop of C workers: TCP connect + upgrade, \`hello\`, wait for \`welcome\`, close the socket, again, so every handshake is a full accept-to-close cycle for the server. \`guest\`: a new guest user (a stored row) per handshake, presence ${presence ? 'on (as the web UI)' : 'off'}; \`token\`: the session token of one account registered before the run (\`--max-connections-per-user 0\`).${reference ? ' Reference: ws-naive (bench/peers/ws-naive-server.ts: `hello` -> `welcome` + `join`, no auth, no store) under the same loop, the transport floor.' : ''} Handshakes completed in ${durationS} s after a ${warmupS} s warm-up are counted; latency is from \`new WebSocket\` to the welcome; server CPU from /proc over the same window. "limited by": server CPU >= 90% of its core, or the generator's own CPU >= 90% (then the server may do more). ${runs} run(s).`,
    '',
    table(all),
    '',
    `Target (issue 12): >= 5,000 handshakes to welcome per second on one server core: ${verdict}.`,
    ...(profile
      ? ['', `CPU profile of the server (a separate guest pass at concurrency ${profile.level.concurrency}: ${f0(profile.level.rate)}/s; \`node --cpu-prof\`), top self time, share of ${f0(profile.busyMs)} ms busy:`, '', '| self time | function | where |', '|---|---|---|', ...profile.rows.slice(0, 20).map((r) => `| ${r.pct.toFixed(1)}% | \`${r.fn}\` | ${r.where} |`)]
      : []),
    ...(failures.length ? ['', `Failed: ${failures.join('; ')}`] : []),
  ].join('\n');
  if (writeDocs) {
    writeSection('handshakes', md);
    const file = writeResult('handshakes', { command, started: started.toISOString(), levels, durationS, warmupS, runs, auths, presence, procs, genCpus: genCpus || 'unpinned', results: all, profile, failures });
    console.log(`wrote docs/benchmarks.md (handshakes) and ${file}`);
  } else console.log('\n' + md);
  if (!all.length) process.exit(1);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench/handshakes: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
