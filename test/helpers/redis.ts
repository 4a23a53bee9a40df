/**
 * A real redis-server for tests (Debian package redis-server): a child process on 127.0.0.1 and a free
 * port, no persistence (`--save '' --appendonly no`), working dir in a temp dir. `stop()` + `start()`
 * restart it on the same port with empty memory, like a crashed and restarted Redis.
 *
 * `startRedisCluster(3)` starts a real Redis Cluster (cluster-enabled servers joined with
 * `redis-cli --cluster create`, no replicas), for the sharded pub/sub tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { Redis } from 'ioredis';
import { captureOutput, findBinary, freePort, stopChild, waitUntil } from './binaries.js';

export function redisMissing(): string | null {
  return findBinary('redis-server') ? null : 'SKIPPED: redis-server not installed (Debian package redis-server)';
}

export function redisClusterMissing(): string | null {
  if (!findBinary('redis-server')) return 'SKIPPED: redis-server not installed (Debian package redis-server)';
  if (!findBinary('redis-cli')) return 'SKIPPED: redis-cli not installed (Debian package redis-tools)';
  return null;
}

export interface TestRedis {
  port: number;
  /** redis://127.0.0.1:<port> */
  url: string;
  readonly running: boolean;
  /** SIGKILL (crash: nothing is saved anyway). */
  kill(): Promise<void>;
  /** Starts again on the same port (empty). */
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

async function ping(port: number): Promise<boolean> {
  const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  c.on('error', () => {});
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } finally {
    c.disconnect();
  }
}

function spawnRedis(dir: string, port: number, extra: string[] = [], bind: readonly string[] = []): { child: ChildProcess; output: () => string } {
  const bin = findBinary('redis-server');
  if (!bin) throw new Error(redisMissing()!);
  const child = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', ...bind, ...(bind.length ? ['--protected-mode', 'no'] : []), '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir, '--loglevel', 'warning', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir },
  );
  return { child, output: captureOutput(child) };
}

async function launch(dir: string, fixedPort: number | null, extra: string[] = [], bind: readonly string[] = []): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await freePort());
    const { child, output } = spawnRedis(dir, port, extra, bind);
    let dead = false;
    child.once('exit', () => (dead = true));
    try {
      await waitUntil(async () => {
        if (dead) throw new Error('redis-server exited');
        return ping(port);
      }, 15_000, `redis-server on port ${port}`);
      return { child, port };
    } catch (err) {
      await stopChild(child, 'SIGKILL');
      if (fixedPort === null && attempt < 3 && /Address already in use/.test(output())) continue;
      throw new Error(`redis-server did not start: ${(err as Error).message}\n${output()}`);
    }
  }
}

/** `bind`: more addresses to listen on beside 127.0.0.1 (the chaos lab's bridge; protected mode, which refuses all but loopback without a password, is then off). */
export async function startRedis(opts: { bind?: readonly string[] } = {}): Promise<TestRedis> {
  const missing = redisMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(path.join(tmpdir(), 'scale-chat-redis-'));
  const bind = opts.bind ?? [];
  let { child, port } = await launch(dir, null, [], bind);
  let running = true;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return running;
    },
    async kill() {
      running = false;
      await stopChild(child, 'SIGKILL');
    },
    async start() {
      if (running) return;
      ({ child } = await launch(dir, port, [], bind));
      running = true;
    },
    async cleanup() {
      running = false;
      await stopChild(child, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestRedisCluster {
  ports: number[];
  /** redis+cluster://127.0.0.1:p1,127.0.0.1:p2,... (the form scale-chat's redisUrl accepts) */
  url: string;
  cleanup(): Promise<void>;
}

/** A Redis Cluster of `n` masters (no replicas), all slots assigned. */
export async function startRedisCluster(n = 3): Promise<TestRedisCluster> {
  const missing = redisClusterMissing();
  if (missing) throw new Error(missing);
  const dirs: string[] = [];
  const nodes: { child: ChildProcess; port: number }[] = [];
  const cleanup = async () => {
    for (const node of nodes) await stopChild(node.child, 'SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < n; i++) {
      const dir = mkdtempSync(path.join(tmpdir(), 'scale-chat-redis-cluster-'));
      dirs.push(dir);
      nodes.push(await launch(dir, null, ['--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, 'nodes.conf'), '--cluster-node-timeout', '5000']));
    }
    const addrs = nodes.map((x) => `127.0.0.1:${x.port}`);
    const r = spawnSync(findBinary('redis-cli')!, ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`redis-cli --cluster create failed: ${r.stderr || r.stdout}`);
    // Wait until every node agrees the cluster is up.
    for (const node of nodes) {
      await waitUntil(async () => {
        const c = new Redis({ port: node.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        c.on('error', () => {});
        try {
          await c.connect();
          const info = (await c.call('CLUSTER', 'INFO')) as string;
          return /cluster_state:ok/.test(info);
        } finally {
          c.disconnect();
        }
      }, 30_000, 'cluster_state:ok');
    }
    return { ports: nodes.map((x) => x.port), url: `redis+cluster://${addrs.join(',')}`, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * One Redis server and one 3-master Redis Cluster for a whole test file, each started on first use and
 * stopped when the file's tests are done. Call at the top level of a test file.
 */
export function sharedRedisFixtures(): { redis: () => Promise<TestRedis>; redisCluster: () => Promise<TestRedisCluster> } {
  let shared: Promise<TestRedis> | null = null;
  let sharedCluster: Promise<TestRedisCluster> | null = null;
  after(async () => {
    if (shared) await (await shared).cleanup();
    if (sharedCluster) await (await sharedCluster).cleanup();
  });
  return {
    redis: () => (shared ??= startRedis()),
    redisCluster: () => (sharedCluster ??= startRedisCluster(3)),
  };
}
