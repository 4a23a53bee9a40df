/**
 * 1 node vs N nodes on this machine, with the load lab: starts the topology with real processes (the same
 * helpers as the multi-node tests: redis-server, PostgreSQL in a temp dir, N `scale-chat serve` nodes, nginx
 * running deploy/nginx.conf), runs `scale-chat loadtest` against it, prints its result, tears it all down.
 *
 *   npm run build
 *   node dist/bench/cluster.js --nodes 1 --embedded -- --clients 1500 --rooms 30 --rate 1 --duration 30s
 *   node dist/bench/cluster.js --nodes 1 -- --clients 1500 --rooms 30 --rate 1 --duration 30s
 *   node dist/bench/cluster.js --nodes 3 -- --clients 1500 --rooms 30 --rate 1 --duration 30s
 *
 * --workers W: each node is `serve --workers W` (W processes on its port; the /metrics lines then show
 * whichever worker answered). --embedded: one node with the embedded engines (SQLite, in-memory bus): today's single-process default.
 * Otherwise every node uses Redis + PostgreSQL. --direct: clients connect to the nodes round-robin instead of
 * through nginx. Everything after `--` goes to `scale-chat loadtest` (its --url/--metrics-url are set here).
 * On a 2-core machine N nodes, the databases, nginx and the generator share the same 2 cores: this measures
 * correctness under failure-free load and the cost of the extra hops, not scale-out speed.
 */
import { spawn } from 'node:child_process';
import { cliPath, startNode, type NodeProcess } from '../test/helpers/nodes.js';
import { startNginx, type TestNginx } from '../test/helpers/nginx.js';
import { startPostgres, type TestPostgres } from '../test/helpers/postgres.js';
import { startRedis, type TestRedis } from '../test/helpers/redis.js';

function parseArgs(argv: string[]): { nodes: number; workers: number; embedded: boolean; direct: boolean; rest: string[] } {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const rest = dash >= 0 ? argv.slice(dash + 1) : [];
  let nodes = 1;
  let embedded = false;
  let direct = false;
  let workers = 1;
  for (let i = 0; i < own.length; i++) {
    const a = own[i];
    if (a === '--nodes') nodes = Number(own[++i]);
    else if (a === '--embedded') embedded = true;
    else if (a === '--direct') direct = true;
    else if (a === '--workers') workers = Number(own[++i]);
    else throw new Error(`unknown option ${a} (usage: --nodes N [--workers W] [--embedded] [--direct] -- <loadtest options>)`);
  }
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 8) throw new Error('--nodes: 1 to 8');
  if (embedded && nodes !== 1) throw new Error('--embedded runs one node (SQLite and the in-memory bus are per process)');
  if (!Number.isInteger(workers) || workers < 1 || (embedded && workers > 1)) throw new Error('--workers: a positive integer (more than 1 needs Redis: not with --embedded)');
  return { nodes, workers, embedded, direct, rest };
}

async function main(): Promise<void> {
  const { nodes: n, workers, embedded, direct, rest } = parseArgs(process.argv.slice(2));
  let redis: TestRedis | null = null;
  let pg: TestPostgres | null = null;
  let lb: TestNginx | null = null;
  const nodes: NodeProcess[] = [];
  const cleanup = async () => {
    await lb?.stop();
    await Promise.all(nodes.map((x) => x.cleanup()));
    await redis?.cleanup();
    await pg?.cleanup();
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const flags: Record<string, string | number> = { ratePerSec: 1000, rateBurst: 2000, maxConnections: 19_000, maxConnectionsPerAddress: 0, logLevel: 'warn' };
    if (!embedded) {
      redis = await startRedis();
      pg = await startPostgres();
      flags.redisUrl = redis.url;
      flags.postgresUrl = await pg.createDatabase('bench');
    }
    if (workers > 1) flags.workers = workers;
    const started = await Promise.allSettled(Array.from({ length: n }, () => startNode(flags)));
    for (const r of started) if (r.status === 'fulfilled') nodes.push(r.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const viaNginx = n > 1 && !direct;
    if (viaNginx) lb = await startNginx(nodes.map((x) => x.port));
    const urls = viaNginx ? [lb!.url] : nodes.map((x) => x.url);
    const metrics = nodes.map((x) => `${x.http}/metrics`);
    const engines = embedded ? 'SQLite + in-memory bus' : 'PostgreSQL + Redis';
    console.log(`bench/cluster: ${n} node(s)${workers > 1 ? ` of ${workers} workers` : ''} (${engines})${viaNginx ? ' behind nginx' : ''}; loadtest ${rest.join(' ')}`);
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [cliPath(), 'loadtest', '--url', urls.join(','), '--metrics-url', metrics.join(','), ...rest], { stdio: 'inherit' });
      child.on('exit', (c) => resolve(c ?? 1));
    });
    process.exitCode = code;
    // What the nodes saw: group commits, gap fills (cross-node reorders resolved from the store).
    for (const x of nodes) {
      const text = await (await fetch(`${x.http}/metrics`)).text();
      const pick = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
      const commits = pick('scalechat_store_commit_seconds_count');
      const commitAvgMs = (pick('scalechat_store_commit_seconds_sum') / commits) * 1000;
      console.log(
        `node :${x.port}  commits ${commits}, avg ${commitAvgMs.toFixed(2)} ms, avg batch ${(pick('scalechat_store_commit_batch_size_sum') / pick('scalechat_store_commit_batch_size_count')).toFixed(1)}` +
          (embedded ? '' : `; bus gap-filled ${pick('scalechat_bus_gap_filled_total')}, skipped ${pick('scalechat_bus_gap_skipped_total')}, reconnects ${pick('scalechat_bus_reconnects_total')}`),
      );
    }
  } finally {
    await cleanup();
  }
}

main().catch((err) => {
  console.error(`bench/cluster: ${(err as Error).message}`);
  process.exit(2);
});
