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
import type { TestNginx } from '../../test/helpers/nginx.js';
import type { NodeProcess } from '../../test/helpers/nodes.js';
import type { Topology } from './chaos-faults.js';
import type { ServerFaultKind } from './chaos-history.js';
import { startClusterProcs } from './cluster-procs.js';
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
  const c = await startClusterProcs({ nodes: o.nodes, flags: o.flags, db: 'chaos', net: o.net, log: o.log });
  const { nodes, cleanup } = c;
  const lan = c.net;
  let lb: TestNginx | null = c.lb;
  try {
    const r = c.redis;
    const p = c.pg;
    const nodeName = c.nodeName;
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
        const rows = await readPgStore(c.pgUrl);
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
