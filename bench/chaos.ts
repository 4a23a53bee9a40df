/**
 * `npm run chaos` (node dist/bench/chaos.js): a fault lab for the embedded single node (--mode single)
 * or the cluster (--mode cluster). It proves zero loss under faults at load with a history checker.
 *
 *   npx tsc -p . && node dist/bench/chaos.js                        # 2,000 clients, 100 msg/s, 5 min, every fault
 *   node dist/bench/chaos.js --clients 100 --duration 60s --seed 7  # a short run (what test/chaos.test.ts does)
 *   node dist/bench/chaos.js --faults kill9,drop --seed 42 --out /tmp/chaos
 *
 * Topology, --mode single (bench/lib/chaos-single.ts): one `scale-chat serve` child (SQLite on a
 * temp data dir, loopback abuse limits lifted by bench/lib/lab.ts), pinned to core 0 like the other benches (--server-cpus "" leaves it unpinned).
 * --mode cluster (bench/lib/chaos-cluster.ts): redis-server, PostgreSQL, --nodes 3 nodes on both and
 * nginx with deploy/nginx.conf in front, started with test/helpers (the multi-node tests' own); the
 * clients connect through nginx, and the final messages are read from PostgreSQL. Where the lab can
 * (root, iproute2, nft; --net off to opt out) each node runs in a network namespace of the lab's own
 * (bench/lib/chaos-net.ts: veth ends on one bridge, Redis, PostgreSQL and nginx on its address), which
 * the network faults act on; the namespaces and the bridge are removed when the run ends.
 * Workload (bench/lib/chaos-plan.ts): --clients real SDK ChatClients in this process
 * (bench/lib/chaos-client.ts, over `ws`), each a guest in one room of mixed sizes (3 big rooms of
 * 15% of the clients, small rooms of 2-8) plus a DM for a fifth of them, sending acked messages at
 * --rate msgs/s in all (a random client, a random room of its own) for --duration.
 * Faults (bench/lib/chaos-faults.ts), on a schedule drawn from --seed, one at a time, each kind once
 * first: kill9 (kill -9 of the server, restart on the same data dir and port), sigstop (SIGSTOP for
 * --pause-ms, then SIGCONT), drop (10-30% of the client connections destroyed from the client side),
 * slow (5-15% of the clients stop reading for --slow-ms; past --max-outbox-bytes the server closes
 * them with 4500). In cluster mode kill9 and sigstop hit a random node, and four more kinds come:
 * redis (kill -9 of redis-server, back on its port after 1-3 s), redis-outage (Redis down for
 * --outage-ms: members on every node must still get every message, which the bus reads from the
 * store meanwhile), pg (PostgreSQL stopped for --pg-ms: sends are refused with `unavailable` and the
 * SDK resends them) and rolling (every node SIGTERMed and restarted in turn); with the lab's network,
 * partition-backends (the busiest node cut from Redis and PostgreSQL for --net-ms, its clients still
 * connected), partition-clients (the busiest node cut from nginx: its clients' connections go silent),
 * loss (5-20% of that node's packets dropped) and delay (100-500 ms, `tc netem`: refused, and left out of
 * the default, where the kernel has no netem, as on the machine this was written on). After each, the
 * lab waits until every client is connected again and has answered a ping (bounded).
 * At the end: sends stop, the lab waits for every ack and for every member to catch up (bounded),
 * (cluster: polls presence), stops the servers and reads the store (SQLite read-only, or PostgreSQL). The checker (bench/lib/chaos-check.ts) then
 * verifies over every client's recorded history and the store: 1. every acked message is stored
 * exactly once with its acked seq; 2. every member got every message of its room after its join
 * point exactly once, in order, no gap; 3. no message whose send failed is stored or delivered;
 * 4. every client reconnected within --reconnect-bound after each fault, and all are connected at
 * the end; and in cluster mode 5. presence converged: after the final catch-up each client's
 * `members` view of one of its rooms equals the room's connected members within --presence-bound.
 * Exit code 1 on any violation (each printed with a counter-example), 2 on a bad flag.
 *
 * Flags: --mode single|cluster  --nodes 3 (cluster)  --net on|off (cluster: the lab's namespaces)  --clients 2000  --rate 100 (msgs/s, all clients)  --msg-chars 64 (text length, up to 4000)  --duration 5m (e.g. 60s)  --seed <int> (default: random, printed)
 *        --faults (single: kill9,sigstop,drop,slow; cluster: also redis,redis-outage,pg,rolling and, with the network, partition-backends,partition-clients,loss,delay; a subset, or "none")  --fault-count (default: one per 30 s, at least one per kind)
 *        --pause-ms 5000-20000 (SIGSTOP hold; default 2000-5000 for runs under 5 min)  --slow-ms (the same defaults)
 *        --outage-ms 15000-30000 (redis-outage; 8000-12000 under 5 min)  --pg-ms 5000-15000 (pg; 3000-6000 under 5 min)  --net-ms 5000-20000 (network faults; 3000-8000 under 5 min)  --presence-bound 20s
 *        --reconnect-bound 30s  --server-cpus 0 ("" unpinned)  --serve-args="<more serve flags>" (e.g. --serve-args="--max-outbox-bytes 65536")
 *        --out <dir> (the JSON result and its timeline chart, a PNG; default a new temp dir, kept)  --help
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { benchArgs } from './cli-args.js';
import { chaosChart } from './lib/chaos-chart.js';
import { check, expectedOnline } from './lib/chaos-check.js';
import { ChaosClient } from './lib/chaos-client.js';
import { startCluster } from './lib/chaos-cluster.js';
import { clusterMissing, guardClusterExit } from './lib/cluster-procs.js';
import { netemMissing, netMissing } from './lib/chaos-net.js';
import { inject, waitAllLive, type Topology } from './lib/chaos-faults.js';
import { CLUSTER_FAULT_KINDS, FAULT_KINDS, NET_FAULT_KINDS, SINGLE_FAULT_KINDS, type ChaosRecord, type FaultKind, type FaultRecord, type PresenceRecord } from './lib/chaos-history.js';
import { planFaults, planRooms, rng } from './lib/chaos-plan.js';
import { summarize, summaryText } from './lib/chaos-report.js';
import { startSingle } from './lib/chaos-single.js';
import { sleep } from './lib/lab.js';
import { FlagReader, usageExit } from './lib/perf-flags.js';

const NAME = 'chaos';
const a = benchArgs(import.meta.url, ['mode', 'nodes', 'clients', 'rate', 'msg-chars', 'duration', 'seed', 'faults', 'fault-count', 'pause-ms', 'slow-ms', 'outage-ms', 'pg-ms', 'presence-bound', 'reconnect-bound', 'server-cpus', 'serve-args', 'out', 'net', 'net-ms']);
const f = new FlagReader(NAME, a.str);
const mode = f.str('mode', 'single');
if (mode !== 'single' && mode !== 'cluster') usageExit(NAME, `--mode: single or cluster, got "${mode}"`);
const cluster = mode === 'cluster';
const nodeCount = f.int('nodes', 3, 2, 8);
const clients = f.int('clients', 2000, 2, 5000);
const rate = f.num('rate', 100, 1, 5000);
const msgChars = f.int('msg-chars', 64, 0, 4000);
const durationS = f.seconds('duration', 300, 10, 3600);
const seed = f.int('seed', Math.floor(Math.random() * 2 ** 31), 0, 2 ** 31);
const netFlag = f.str('net', 'on');
if (netFlag !== 'on' && netFlag !== 'off') usageExit(NAME, `--net: on or off, got "${netFlag}"`);
// The network kinds need the lab's own namespaces (root, iproute2, nft); delay also needs netem in the kernel.
const netWhyNot = !cluster ? null : netFlag === 'off' ? '--net off' : netMissing();
const delayWhyNot = !cluster || netWhyNot ? netWhyNot : netemMissing();
const net = cluster && !netWhyNot;
const netKinds = NET_FAULT_KINDS.filter((k) => net && (k !== 'delay' || !delayWhyNot));
const modeKinds: readonly FaultKind[] = cluster ? [...CLUSTER_FAULT_KINDS, ...netKinds] : SINGLE_FAULT_KINDS;
const kindsRaw = f.str('faults', modeKinds.join(','));
const kinds = kindsRaw === 'none' ? [] : kindsRaw.split(',').map((k) => k.trim());
if (cluster && a.str('faults') === undefined) {
  if (netWhyNot) console.error(`chaos: SKIPPED the network faults (${NET_FAULT_KINDS.join(', ')}): ${netWhyNot}`);
  else if (delayWhyNot) console.error(`chaos: SKIPPED the delay fault: ${delayWhyNot}`);
}
for (const k of kinds) {
  if (cluster && (NET_FAULT_KINDS as readonly string[]).includes(k) && !(netKinds as readonly string[]).includes(k))
    usageExit(NAME, `--faults: ${k} cannot run here: ${k === 'delay' && !netWhyNot ? delayWhyNot : netWhyNot}`);
  if (!cluster && (FAULT_KINDS as readonly string[]).includes(k) && !modeKinds.includes(k as FaultKind))
    usageExit(NAME, `--faults: ${k} is a cluster fault (Redis, PostgreSQL or several nodes): it needs --mode cluster; --mode single takes ${SINGLE_FAULT_KINDS.join(',')}`);
  if (!(modeKinds as readonly string[]).includes(k)) usageExit(NAME, `--faults: a subset of ${modeKinds.join(',')} (or none), got "${k}"`);
}
const faultCount = f.int('fault-count', Math.max(kinds.length, Math.round(durationS / 30)), kinds.length ? kinds.length : 0, 1000);
const long = durationS >= 300;
function range(name: 'pause-ms' | 'slow-ms' | 'outage-ms' | 'pg-ms' | 'net-ms', def: string): [number, number] {
  const raw = f.str(name, def);
  const m = /^(\d+)(?:-(\d+))?$/.exec(raw);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(lo >= 100 && hi >= lo && hi <= 120_000)) usageExit(NAME, `--${name}: <min>-<max> ms in 100..120000, got "${raw}"`);
  return [lo, hi];
}
const pauseMs = range('pause-ms', long ? '5000-20000' : '2000-5000');
const slowMs = range('slow-ms', long ? '5000-20000' : '2000-5000');
// Short runs get shorter infrastructure outages, so that every kind fits (faults never overlap).
const outageMs = range('outage-ms', long ? '15000-30000' : '8000-12000');
const pgMs = range('pg-ms', long ? '5000-15000' : '3000-6000');
const netMs = range('net-ms', long ? '5000-20000' : '3000-8000');
const presenceBoundMs = f.seconds('presence-bound', 20, 1, 600) * 1000;
const boundMs = f.seconds('reconnect-bound', 30, 1, 600) * 1000;
const serverCpus = f.str('server-cpus', cpus().length >= 2 ? '0' : '');
const serveArgs = (a.str('serve-args') ?? '').split(/\s+/).filter(Boolean);
const outDir = a.str('out') ? path.resolve(a.str('out')!) : mkdtempSync(path.join(tmpdir(), 'scale-chat-chaos-'));
const SERVE_ARGS = ['--max-connections', String(clients + 1000), ...serveArgs];
if (cluster) {
  const missing = clusterMissing();
  if (missing) {
    console.error(`chaos: --mode cluster cannot run here: ${missing}`);
    process.exit(3);
  }
}

/** Log lines are timed from the start of the load once it started (as the faults in the summary), before that from the start. */
let t0 = Date.now();
const log = (msg: string) => console.log(`[chaos ${Date.now() >= t0 ? '+' : ''}${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}`);

/** `--serve-args` as the cluster helper's flags ({"max-outbox-bytes": "65536"}; a lone switch gets "true"). */
function serveFlags(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const name = args[i].replace(/^--/, '');
    if (args[i + 1] !== undefined && !args[i + 1].startsWith('--')) out[name] = args[++i];
    else out[name] = 'true';
  }
  return out;
}

/** Runs `fn` over `items`, at most `width` at a time. */
async function pool<T>(items: readonly T[], width: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** A promise that rejects after `ms` (setup steps must not hang the run). */
function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([p, new Promise<T>((_, rej) => (timer = setTimeout(() => rej(new Error(`${what}: not done within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(100);
  return cond();
}

/**
 * Presence convergence (cluster mode): every client asks `members` of its first room about once a
 * second until the view equals that room's connected members (the checker's own expectation) or the
 * bound passes; every reply is recorded for the checker, which judges them again on its own.
 */
async function pollPresence(cs: readonly ChaosClient[]): Promise<PresenceRecord> {
  const from = Date.now();
  const views = cs.filter((c) => c.rooms.length).map((c) => ({ c, view: { client: c.index, room: c.rooms[0], polls: [] as PresenceRecord['views'][number]['polls'] }, done: false }));
  const histories = cs.map((c) => c.h);
  for (let round = 0; Date.now() <= from + presenceBoundMs; round++) {
    const todo = views.filter((v) => !v.done);
    if (!todo.length) break;
    if (round) await sleep(1000);
    await pool(todo, 32, async (v) => {
      try {
        const names = await bounded(v.c.online(v.view.room), 5000, 'members');
        const at = Date.now();
        v.view.polls.push([at, names]);
        v.done = expectedOnline(histories, v.view.room, at).join('\u0000') === [...names].sort().join('\u0000');
      } catch (err) {
        v.view.polls.push([Date.now(), null, String((err as Error).message ?? err).slice(0, 120)]);
      }
    });
  }
  return { from, boundMs: presenceBoundMs, views: views.map((v) => v.view) };
}

let topology: Topology | null = null;

async function main(): Promise<number> {
  const started = new Date();
  const r = rng(seed);
  const plan = planRooms(clients, r);
  const faultPlan = planFaults({ kinds: kinds as FaultKind[], durationMs: durationS * 1000, count: faultCount, pauseMs, slowMs, outageMs, pgMs, netMs }, r);
  const sendRng = rng(seed ^ 0x5eed);
  console.log(
    `chaos: mode ${mode}, seed ${seed}, ${clients} clients (${plan.rooms.length} rooms, ${plan.dms.length} DMs), ${rate} msg/s for ${durationS} s, faults ${faultPlan.map((p) => `${p.kind}@${(p.atMs / 1000).toFixed(1)}s`).join(' ') || 'none'}; ${cluster ? `${nodeCount} nodes, unpinned` : `server cores "${serverCpus}"`}`,
  );
  const topo = cluster
    ? await startCluster({ nodes: nodeCount, flags: { maxConnections: clients + 1000, ...serveFlags(serveArgs) }, net, netKinds, log })
    : await startSingle({ cpus: serverCpus, args: SERVE_ARGS, log });
  topology = topo;
  const ackTimeoutMs = (durationS + 300) * 1000; // no send times out during the run: each ends acked or rejected
  const cs = Array.from({ length: clients }, (_, i) => new ChaosClient(i, `c${i}`, topo.url, ackTimeoutMs, msgChars));
  try {
    const setupMs = 60_000 + clients * 50;
    await bounded(pool(cs, 32, (c) => c.connect()), setupMs, 'connect');
    await bounded(
      pool(plan.rooms, 8, async (room) => {
        await cs[room.members[0]].enter(room.id); // the first creates it
        await pool(room.members.slice(1), 16, (i) => cs[i].enter(room.id));
      }),
      setupMs,
      'join',
    );
    await bounded(
      pool(plan.dms, 8, async ([x, y]) => {
        const id = await cs[x].dm(cs[y].name);
        if (!(await waitUntil(() => id in cs[y].h.joins, 10_000))) throw new Error(`${cs[y].name} was never told of DM ${id}`);
      }),
      setupMs,
      'dm',
    );
    log(`setup done: ${cs.filter((c) => c.open).length}/${clients} connected, ${cs.reduce((n, c) => n + c.rooms.length, 0)} memberships`);

    // Steady sends: `rate` per second in all, from a random client into a random room of its own.
    const startAt = Date.now();
    t0 = startAt;
    const endLoad = startAt + durationS * 1000;
    let sent = 0;
    const sender = setInterval(() => {
      const due = Math.floor(((Math.min(Date.now(), endLoad) - startAt) / 1000) * rate);
      for (; sent < due; sent++) {
        const c = cs[Math.floor(sendRng() * cs.length)];
        const rooms = c.rooms;
        if (rooms.length) void c.send(rooms[Math.floor(sendRng() * rooms.length)]);
      }
    }, 20);

    const faults: FaultRecord[] = [];
    const target = { topology: topo, clients: cs };
    for (const p of faultPlan) {
      const when = startAt + p.atMs;
      if (when > endLoad) break;
      await sleep(Math.max(0, when - Date.now()));
      if (Date.now() > endLoad - 1000) {
        log(`fault ${p.kind} skipped: the previous ones ran past the end of the load`);
        continue;
      }
      log(`fault #${faults.length + 1} ${p.kind} (hold ${p.holdMs} ms, share ${p.share.toFixed(2)})`);
      const rec = await inject(faults.length + 1, p, target, r, boundMs);
      faults.push(rec);
      log(`  ${rec.detail}; ${rec.recoveredAt === null ? `NOT all open within ${boundMs} ms` : `all open ${rec.recoveredAt - rec.end} ms after its end`}`);
    }
    await sleep(Math.max(0, endLoad - Date.now()));
    clearInterval(sender);

    const sends = () => cs.flatMap((c) => c.h.sends);
    log(`load over: ${sends().length} sends; waiting for acks and for every member to catch up`);
    await waitUntil(() => sends().every((s) => s.outcome !== 'pending'), 60_000);
    const top = new Map<string, number>();
    for (const s of sends()) if (s.seq !== undefined) top.set(s.room, Math.max(top.get(s.room) ?? 0, s.seq));
    const caughtUp = await waitUntil(() => cs.every((c) => c.rooms.every((room) => (c.client.lastSeq(room) ?? 0) >= (top.get(room) ?? 0))), 30_000);
    await waitAllLive(cs, boundMs);
    log(caughtUp ? 'every member caught up' : 'NOT every member caught up within 30 s');
    let presence: PresenceRecord | undefined;
    if (cluster) {
      presence = await pollPresence(cs);
      const late = presence.views.filter((v) => !v.polls.some(([at, names]) => names && expectedOnline(cs.map((c) => c.h), v.room, at).join('\u0000') === [...names].sort().join('\u0000')));
      log(`presence: ${presence.views.length - late.length}/${presence.views.length} views converged, the last ${((Math.max(...presence.views.map((v) => v.polls.at(-1)?.[0] ?? presence!.from)) - presence.from) / 1000).toFixed(1)} s after the catch-up`);
    }
    const endAt = Date.now();
    log('stopping the clients and the servers');
    for (const c of cs) c.finish();
    const store = await topo.finish();
    const rec: ChaosRecord = { clients: cs.map((c) => c.h), faults, store, startAt, endAt, reconnectBoundMs: boundMs, ...(presence ? { presence } : {}) };
    const res = check(rec);
    const summary = summarize(rec, res);
    console.log(summaryText(summary, rec));
    mkdirSync(outDir, { recursive: true });
    const file = path.join(outDir, `chaos-${started.toISOString().replace(/[:.]/g, '').slice(0, 15)}-${mode}-seed${seed}.json`);
    const config = { mode, nodes: cluster ? nodeCount : 1, clients, rate, msgChars, durationS, seed, faults: kinds, faultCount, pauseMs, slowMs, outageMs, pgMs, netMs, net, presenceBoundMs, reconnectBoundMs: boundMs, serverCpus: cluster ? '' : serverCpus, serveArgs: SERVE_ARGS };
    const result = { bench: NAME, command: process.argv.slice(2), started: started.toISOString(), config, rooms: { rooms: plan.rooms.map((x) => [x.id, x.members.length]), dms: plan.dms.length }, planned: faultPlan, faults, caughtUp, summary };
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    // The fault timeline over acks/s, ack latency and connected clients (bench/lib/chaos-chart.ts).
    const png = file.replace(/\.json$/, '.png');
    const verdictLine = summary.verdicts.map((v) => `${v.ok ? 'PASS' : 'FAIL'} ${v.property}`).join(' · ');
    writeFileSync(png, await chaosChart(rec, `chaos, ${mode} mode: ${clients} clients, ${rate} msg/s, seed ${seed}`, [`${summary.acked} acked, ${summary.deliveriesChecked} deliveries checked`, verdictLine]));
    console.log(`chaos: result in ${file}, timeline chart ${png}`);
    return summary.ok ? 0 : 1;
  } finally {
    for (const c of cs) if (c.client.state !== 'closed') c.finish();
    await topo.cleanup();
  }
}

if (cluster) guardClusterExit('chaos', () => topology?.cleanup());

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`chaos: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
