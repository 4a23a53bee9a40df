/**
 * A real PostgreSQL server for tests, from the Debian package: `initdb` into a temp dir, then `postgres`
 * as a child process on 127.0.0.1 with a free port and its unix socket in the temp dir. As root (CI), the
 * binaries run as the `postgres` user (spawned with its uid/gid; PostgreSQL refuses to run as root).
 * Trust authentication and fsync off: this is a disposable test cluster, never a deployment.
 *
 *   const pg = await startPostgres();           // throws when unavailable: check postgresMissing() first
 *   const url = await pg.createDatabase();       // a fresh, empty database per test
 *   await pg.stop(); await pg.start();           // stop/start the same cluster (failure tests)
 *   await pg.cleanup();
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { captureOutput, freePort, isRoot, stopChild, userIds, waitUntil } from './binaries.js';

/** The newest /usr/lib/postgresql/<ver>/bin containing initdb (or initdb on PATH). */
export function postgresBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(path.join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return path.join(base, versions[0], 'bin');
  }
  for (const d of (process.env.PATH ?? '').split(':')) if (d && existsSync(path.join(d, 'initdb'))) return d;
  return null;
}

/** Why PostgreSQL tests cannot run here, or null when they can. */
export function postgresMissing(): string | null {
  if (!postgresBinDir()) return 'SKIPPED: PostgreSQL not installed (no initdb in /usr/lib/postgresql/*/bin or on PATH; Debian package postgresql)';
  if (isRoot() && !userIds('postgres')) return 'SKIPPED: running as root but there is no "postgres" user to run PostgreSQL as';
  return null;
}

export interface TestPostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  adminUrl: string;
  /** Creates a fresh database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  urlFor(db: string): string;
  /** Fast shutdown (SIGINT); the data dir is kept. */
  stop(): Promise<void>;
  /** Starts the server again on the same port and data dir. */
  start(): Promise<void>;
  readonly running: boolean;
  /** Stops and deletes everything. */
  cleanup(): Promise<void>;
}

let dbCounter = 0;

/** `listen`: one more address to listen on beside 127.0.0.1, and the network allowed from it (the chaos lab's bridge). */
export async function startPostgres(opts: { maxConnections?: number; listen?: { addr: string; cidr: string } } = {}): Promise<TestPostgres> {
  const missing = postgresMissing();
  if (missing) throw new Error(missing);
  const bin = postgresBinDir()!;
  const root = mkdtempSync(path.join(tmpdir(), 'scale-chat-pg-'));
  const dataDir = path.join(root, 'data');
  const sockDir = path.join(root, 'sock');
  mkdirSync(sockDir);
  const asRoot = isRoot();
  const ids = asRoot ? userIds('postgres')! : null;
  if (ids) {
    chownSync(root, ids.uid, ids.gid);
    chownSync(sockDir, ids.uid, ids.gid);
  }
  /**
   * argv + spawn options to run a PostgreSQL binary as the right user. As root, the child gets the postgres
   * uid/gid directly (like `runuser -u postgres`, but signals reach postgres itself: SIGINT = fast shutdown).
   */
  const cmd = (name: string, args: string[]): [string, string[]] => [path.join(bin, name), args];
  const as = ids ? { uid: ids.uid, gid: ids.gid, env: { ...process.env, HOME: root } } : {};

  const [initCmd, initArgs] = cmd('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8', cwd: root, ...as });
  if (init.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout}`);
  }
  if (opts.listen) appendFileSync(path.join(dataDir, 'pg_hba.conf'), `host all all ${opts.listen.cidr} trust\n`);

  let port = 0;
  let child: ChildProcess | null = null;
  let output: () => string = () => '';

  const serverArgs = (): string[] => [
    '-D', dataDir,
    '-p', String(port),
    '-k', sockDir,
    '-c', `listen_addresses=${['127.0.0.1', ...(opts.listen ? [opts.listen.addr] : [])].join(',')}`,
    '-c', `max_connections=${opts.maxConnections ?? 200}`,
    '-c', 'fsync=off',
    '-c', 'synchronous_commit=off',
    '-c', 'full_page_writes=off',
    '-c', 'shared_buffers=128MB',
    '-c', 'log_min_messages=warning',
  ];
  const adminUrl = () => `postgres://postgres@127.0.0.1:${port}/postgres`;
  const ping = async (): Promise<boolean> => {
    const c = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 1000 });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.query('SELECT 1');
      return true;
    } finally {
      await c.end().catch(() => {});
    }
  };

  const launch = async (): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      if (!port || attempt > 1) port = await freePort();
      const [c, args] = cmd('postgres', serverArgs());
      const p = spawn(c, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...as });
      output = captureOutput(p);
      const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
      let dead = false;
      void exited.then(() => (dead = true));
      try {
        await waitUntil(async () => {
          if (dead) throw new Error('postgres exited');
          return ping();
        }, 30_000, 'PostgreSQL to accept connections');
        child = p;
        return;
      } catch (err) {
        await stopChild(p, 'SIGKILL');
        if (attempt < 3 && /could not bind|Address already in use/.test(output())) continue;
        throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${output()}`);
      }
    }
  };

  const stop = async (): Promise<void> => {
    const c = child;
    child = null;
    // SIGINT = fast shutdown: roll back open transactions, disconnect clients, write a checkpoint.
    if (c) await stopChild(c, 'SIGINT', 15_000);
  };

  await launch();

  return {
    get port() {
      return port;
    },
    get adminUrl() {
      return adminUrl();
    },
    get running() {
      return child !== null;
    },
    urlFor: (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`,
    async createDatabase(name?: string) {
      const db = name ?? `t_${process.pid}_${++dbCounter}`;
      const c = new pg.Client({ connectionString: adminUrl() });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${db.replace(/"/g, '')}"`);
      } finally {
        await c.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${db}`;
    },
    stop,
    async start() {
      if (child) return;
      // Same port: clients configured with the old URL must find it again.
      const [c, args] = cmd('postgres', serverArgs());
      const p = spawn(c, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...as });
      output = captureOutput(p);
      let dead = false;
      p.once('exit', () => (dead = true));
      await waitUntil(async () => {
        if (dead) throw new Error(`postgres exited: ${output()}`);
        return ping();
      }, 30_000, 'PostgreSQL to accept connections again');
      child = p;
    },
    async cleanup() {
      await stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
