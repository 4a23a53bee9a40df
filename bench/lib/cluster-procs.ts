/**
 * The lab's cluster as processes, started once for whichever run needs it (the chaos lab's topology,
 * ./chaos-cluster.ts; the soak, ./soak-cluster.ts): redis-server, PostgreSQL with one database, N
 * `scale-chat serve` nodes on both and nginx running deploy/nginx.conf in front, all with the
 * multi-node tests' helpers (test/helpers/: real processes in temp dirs, unpinned).
 *
 * With `net` every node runs as a test host in a network namespace of the lab's own (./chaos-net.ts),
 * on port 8080 of its address there; Redis, PostgreSQL and nginx then also listen on the lab bridge's
 * address, which the nodes use. cleanup() stops everything and removes the namespaces (idempotent);
 * they also go on any exit of this process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { nginxMissing, startNginx, type TestNginx } from '../../test/helpers/nginx.js';
import { startNode, type NodeProcess } from '../../test/helpers/nodes.js';
import { postgresMissing, startPostgres, type TestPostgres } from '../../test/helpers/postgres.js';
import { redisMissing, startRedis, type TestRedis } from '../../test/helpers/redis.js';
import { createNet, type LabNet } from './chaos-net.js';

/** Why the cluster cannot run here (a missing binary), or null. */
export function clusterMissing(): string | null {
  return redisMissing() ?? postgresMissing() ?? nginxMissing();
}

export interface ClusterProcsOptions {
  nodes: number;
  /** More `serve` flags for every node, camelCase or kebab-case names (the helper passes them as --flags). */
  flags: Record<string, string | number>;
  /** The database the nodes use. */
  db: string;
  /** The nodes in the lab's own network namespaces. */
  net: boolean;
  log: (msg: string) => void;
}

export interface ClusterProcs {
  redis: TestRedis;
  pg: TestPostgres;
  /** The nodes' database, reachable from this process (127.0.0.1). */
  pgUrl: string;
  nodes: NodeProcess[];
  lb: TestNginx;
  /** The lab network (null without `net`); node i is lab.hosts[i]. */
  net: LabNet | null;
  /** "node 2 (10.213.4.12:8080)" */
  nodeName(i: number): string;
  cleanup(): Promise<void>;
}

export async function startClusterProcs(o: ClusterProcsOptions): Promise<ClusterProcs> {
  let redis: TestRedis | null = null;
  let pg: TestPostgres | null = null;
  let lb: TestNginx | null = null;
  let net: LabNet | null = null;
  const nodes: NodeProcess[] = [];
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
      // On any exit too (after the caller's exit handler killed what runs in them).
      process.once('exit', net.cleanup);
    }
    const lan = net;
    redis = await startRedis(lan ? { bind: [lan.hostAddr] } : {});
    pg = await startPostgres(lan ? { listen: { addr: lan.hostAddr, cidr: lan.cidr } } : {});
    await pg.createDatabase(o.db);
    const reach = lan?.hostAddr ?? '127.0.0.1';
    const flags = { redisUrl: `redis://${reach}:${redis.port}`, postgresUrl: `postgres://postgres@${reach}:${pg.port}/${o.db}`, ratePerSec: 1000, rateBurst: 2000, maxConnectionsPerAddress: 0, logLevel: 'warn', ...o.flags };
    // One at a time: each runs the store's migrations on start, and the first creates the schema.
    for (let i = 0; i < o.nodes; i++) nodes.push(await startNode(flags, lan ? { netns: lan.hosts[i].ns, host: lan.hosts[i].addr, port: 8080 } : {}));
    lb = await startNginx(nodes.map((x, i) => (lan ? `${lan.hosts[i].addr}:${x.port}` : x.port)));
    o.log(
      `cluster: redis :${redis.port}, postgres :${pg.port}, nodes ${nodes.map((x) => `${x.http.replace('http://', '')} (pid ${x.pid})`).join(', ')}${lan ? ` in namespaces ${lan.hosts.map((h) => h.ns).join(', ')} on ${lan.cidr}` : ''}, nginx ${lb.url}`,
    );
    return { redis, pg, pgUrl: pg.urlFor(o.db), nodes, lb, net, nodeName: (i) => `node ${i + 1} (${nodes[i].http.replace('http://', '')})`, cleanup };
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

/**
 * For a run that started the cluster's processes (the helpers', not lab.ts-tracked, which stop
 * asynchronously): on a signal they get a bounded cleanup first (`cleanup()`, when there is one yet);
 * on any exit whatever is left is killed by pid.
 */
export function guardClusterExit(name: string, cleanup: () => Promise<void> | undefined): void {
  process.on('exit', killDescendants);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(sig);
    process.once(sig, () => {
      console.error(`${name}: ${sig}, stopping the cluster`);
      const done = () => process.exit(130);
      setTimeout(done, 20_000).unref();
      void (cleanup() ?? Promise.resolve()).finally(done);
    });
  }
}
