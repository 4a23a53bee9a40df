/**
 * The chaos lab's cluster topology (--mode cluster): redis-server, PostgreSQL, N `scale-chat serve`
 * nodes on both and nginx running deploy/nginx.conf in front, all started with the multi-node tests'
 * helpers (test/helpers/: real processes in temp dirs). Clients connect through nginx, so a client
 * whose node died lands on another one.
 *
 * Faults (each resolves once it is over):
 *  - kill9: kill -9 of the node with the most connections, restarted on the same port;
 *  - sigstop: SIGSTOP of the node with the most connections for the hold, then SIGCONT;
 *  - redis: kill -9 of redis-server, started again (empty) on the same port after the hold (1-3 s);
 *  - redis-outage: the same with a long hold (the bus then delivers from the store every 500 ms);
 *  - pg: PostgreSQL stopped (fast shutdown) for the hold, then started on the same port and data;
 *  - rolling: every node in turn SIGTERMed (drain: its clients get 1012) and restarted, each ready
 *    before the next goes;
 *  - with `net` (the default where the lab can make namespaces: root, iproute2, nft), each node runs as a
 *    test host in a namespace of the lab's own (./chaos-net.ts), Redis, PostgreSQL and nginx reaching it
 *    over the lab's bridge, and four more kinds hit the busiest node for the hold:
 *    partition-backends (Redis and PostgreSQL unreachable, its clients still connected),
 *    partition-clients (nginx unreachable: its clients' connections go silent), loss (a share of all its
 *    packets dropped) and delay (netem, where the kernel has it).
 * At the end the nodes stop and the `messages` table is read from PostgreSQL.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { startNginx, nginxMissing, type TestNginx } from '../../test/helpers/nginx.js';
import { startNode, type NodeProcess } from '../../test/helpers/nodes.js';
import { postgresMissing, startPostgres, type TestPostgres } from '../../test/helpers/postgres.js';
import { redisMissing, startRedis, type TestRedis } from '../../test/helpers/redis.js';
import type { Topology } from './chaos-faults.js';
import type { ServerFaultKind } from './chaos-history.js';
import { createNet, type LabNet } from './chaos-net.js';
import { readPgStore } from './chaos-store.js';
import { sleep } from './lab.js';
import { counterOf } from './perf-sampler.js';

/** Why cluster mode cannot run here (a missing binary), or null. */

/** Index of the node with the most open connections (its /metrics `scalechat_connections`); ties, or no answer, at random. */
async function busiest(nodes: readonly NodeProcess[], rnd: () => number): Promise<number> {
  const pick = rnd();
  const counts = await Promise.all(
    nodes.map(async (n) => {
      try {
        const body = await (await fetch(`${n.http}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
        return counterOf(body, 'scalechat_connections');
      } catch {
        return -1;
      }
    }),
  );
  const top = Math.max(...counts);
  const best = counts.flatMap((c, i) => (c === top ? [i] : []));
  return best[Math.floor(pick * best.length)];
}

export function clusterMissing(): string | null {
  return redisMissing() ?? postgresMissing() ?? nginxMissing();
}

export interface ClusterOptions {
  nodes: number;
  /** More `serve` flags for every node, camelCase or kebab-case names (the helper passes them as --flags). */
  flags: Record<string, string | number>;
  /** Run the nodes in the lab's own network namespaces (./chaos-net.ts), which the network faults need. */
  net: boolean;
  /** The network kinds it may inject (delay only where netem works). */
  netKinds: readonly ServerFaultKind[];
  log: (msg: string) => void;
}

export async function startCluster(o: ClusterOptions): Promise<Topology> {
  let redis: TestRedis | null = null;
  let pg: TestPostgres | null = null;
  let lb: TestNginx | null = null;
  const nodes: NodeProcess[] = [];
  let net: LabNet | null = null;
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      await lb?.stop().catch(() => {});
      await Promise.all(nodes.map((x) => x.cleanup().catch(() => {})));
      await redis?.cleanup().catch(() => {});
      await pg?.cleanup().catch(() => {});
      net?.cleanup();
    })());
  try {
    if (o.net) {
      net = createNet(o.nodes);
      // The lab's namespaces go on any exit (after chaos.ts's handler killed what runs in them).
      process.once('exit', net.cleanup);
    }
    const lan = net;
    redis = await startRedis(lan ? { bind: [lan.hostAddr] } : {});
    pg = await startPostgres(lan ? { listen: { addr: lan.hostAddr, cidr: lan.cidr } } : {});
    const db = 'chaos';
    await pg.createDatabase(db);
    const reach = lan?.hostAddr ?? '127.0.0.1';
    const flags = { redisUrl: `redis://${reach}:${redis.port}`, postgresUrl: `postgres://postgres@${reach}:${pg.port}/${db}`, ratePerSec: 1000, rateBurst: 2000, maxConnectionsPerAddress: 0, logLevel: 'warn', ...o.flags };
    // One at a time: each runs the store's migrations on start, and the first creates the schema.
    for (let i = 0; i < o.nodes; i++) nodes.push(await startNode(flags, lan ? { netns: lan.hosts[i].ns, host: lan.hosts[i].addr, port: 8080 } : {}));
    lb = await startNginx(nodes.map((x) => (lan ? `${lan.hosts[nodes.indexOf(x)].addr}:${x.port}` : x.port)));
    o.log(
      `cluster: redis :${redis.port}, postgres :${pg.port}, nodes ${nodes.map((x) => `${x.http.replace('http://', '')} (pid ${x.pid})`).join(', ')}${lan ? ` in namespaces ${lan.hosts.map((h) => h.ns).join(', ')} on ${lan.cidr}` : ''}, nginx ${lb.url}`,
    );
    const r = redis;
    const p = pg;
    const nodeName = (i: number) => `node ${i + 1} (:${nodes[i].port})`;
    return {
      url: lb.url,
      kinds: ['kill9', 'sigstop', 'redis', 'redis-outage', 'pg', 'rolling', ...(lan ? o.netKinds : [])],
      async fault({ kind, holdMs, share, delayMs }, rnd: () => number): Promise<string> {
        const at = Date.now();
        // The node holding the most connections (ties: at random): after a rolling restart the node
        // restarted last holds none (least_conn balances only new connections), and killing it would test nothing.
        const i = await busiest(nodes, rnd);
        const n = nodes[i];
        switch (kind) {
          case 'kill9': {
            const pid = n.pid;
            await n.kill();
            const gone = Date.now() - at;
            await n.start();
            return `kill -9 of ${nodeName(i)} pid ${pid}, gone in ${gone} ms, ready again ${Date.now() - at} ms after the kill (pid ${n.pid})`;
          }
          case 'sigstop': {
            const pid = n.pid!;
            process.kill(pid, 'SIGSTOP');
            try {
              await sleep(holdMs);
            } finally {
              process.kill(pid, 'SIGCONT');
            }
            return `SIGSTOP of ${nodeName(i)} pid ${pid} for ${Date.now() - at} ms`;
          }
          case 'redis':
          case 'redis-outage': {
            await r.kill();
            await sleep(holdMs);
            await r.start();
            return `kill -9 of redis-server :${r.port}, started again (empty) ${Date.now() - at} ms later (hold ${holdMs} ms)`;
          }
          case 'pg': {
            await p.stop();
            const down = Date.now();
            await sleep(holdMs);
            await p.start();
            return `PostgreSQL :${p.port} stopped in ${down - at} ms, accepting connections again ${Date.now() - at} ms after the stop (hold ${holdMs} ms)`;
          }
          case 'partition-backends':
          case 'partition-clients':
          case 'loss':
          case 'delay': {
            const h = lan!.hosts[i];
            const what =
              kind === 'partition-backends'
                ? `Redis :${r.port} and PostgreSQL :${p.port} unreachable from ${nodeName(i)}`
                : kind === 'partition-clients'
                  ? `${nodeName(i)} unreachable from nginx (its clients' connections silent)`
                  : kind === 'loss'
                    ? `${Math.round(share * 100)}% of ${nodeName(i)}'s packets dropped`
                    : `${delayMs} ms added to ${nodeName(i)}'s packets`;
            h.fault(kind === 'partition-backends' ? 'backends' : kind === 'partition-clients' ? 'clients' : kind, {
              backendPorts: [r.port, p.port],
              listenPort: n.port,
              lossPct: share * 100,
              delayMs,
            });
            try {
              await sleep(holdMs);
            } finally {
              h.heal();
            }
            return `${what} for ${Date.now() - at} ms`;
          }
          case 'rolling': {
            const steps: string[] = [];
            for (let k = 0; k < nodes.length; k++) {
              const t = Date.now();
              const code = await nodes[k].stop();
              const drained = Date.now() - t;
              await nodes[k].start();
              steps.push(`${nodeName(k)} drained in ${drained} ms (exit ${code}), ready ${Date.now() - t} ms after its SIGTERM`);
            }
            return `rolling restart: ${steps.join('; ')}`;
          }
        }
      },
      async finish() {
        // The nodes go first: nothing writes while the table is read.
        await lb?.stop();
        lb = null;
        await Promise.all(nodes.map((x) => x.kill()));
        const rows = await readPgStore(p.urlFor(db));
        await cleanup();
        return rows;
      },
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * Last resort on exit (a signal, a crash): SIGKILL, by pid, every live descendant of this process,
 * deepest first; they are the processes this run started (the helpers' redis-server, postgres and its
 * backends, nginx and its workers, the nodes), whose own cleanup is asynchronous and cannot run in an
 * 'exit' handler.
 */
export function killDescendants(): void {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      (children.get(ppid) ?? children.set(ppid, []).get(ppid)!).push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  const order: number[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      walk(c);
      order.push(c);
    }
  };
  walk(process.pid);
  for (const pid of order) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
