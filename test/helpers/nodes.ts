/**
 * Real scale-chat server processes (`node dist/src/cli/main.js serve ...`) for the multi-node tests:
 * separate processes so a node can be killed with SIGKILL like a crash. Each node gets a free port and its
 * own data dir; configuration goes through the same flags an operator uses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureOutput, freePort, stopChild, waitUntil } from './binaries.js';

/** dist/src/cli/main.js of this build. */
export function cliPath(): string {
  return fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
}

export interface NodeProcess {
  port: number;
  url: string;
  http: string;
  readonly running: boolean;
  readonly pid: number | undefined;
  /** Last output (stdout+stderr) for error messages. */
  output(): string;
  /** kill -9. */
  kill(): Promise<void>;
  /** SIGTERM: graceful drain; resolves with the exit code (null: killed by a signal). */
  stop(): Promise<number | null>;
  /** Starts the process again on the same port. */
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

async function ready(http: string): Promise<boolean> {
  const res = await fetch(`${http}/readyz`, { signal: AbortSignal.timeout(1000) });
  return res.status === 200;
}

/**
 * Starts one node with `flags` (e.g. {redisUrl, postgresUrl}) as CLI flags; waits for /readyz.
 * `netns` + `host`: runs it inside that network namespace (`ip netns exec`, which keeps the pid: signals
 * reach the node itself), listening on `host` there (the chaos lab's test hosts, bench/lib/chaos-net.ts).
 */
export async function startNode(flags: Record<string, string | number>, opts: { port?: number; env?: NodeJS.ProcessEnv; netns?: string; host?: string } = {}): Promise<NodeProcess> {
  const host = opts.host ?? '127.0.0.1';
  const dataDir = mkdtempSync(path.join(tmpdir(), 'scale-chat-node-'));
  let port = opts.port ?? (await freePort());
  let child: ChildProcess | null = null;
  let output: () => string = () => '';

  const launch = async (): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await launchOnce();
      } catch (err) {
        // A port that was free a moment ago may be taken by someone else: pick another (first start only).
        if (attempt < 3 && !child && opts.port === undefined && !started && /EADDRINUSE/.test(String(err))) {
          port = await freePort();
          continue;
        }
        throw err;
      }
    }
  };
  let started = false;
  const launchOnce = async (): Promise<void> => {
    const args = [cliPath(), 'serve', '--port', String(port), '--host', host, '--data-dir', dataDir];
    // Every test client comes from 127.0.0.1: the per-address limits on new identities are off unless set.
    for (const [k, v] of Object.entries({ logLevel: process.env.SCALE_CHAT_TEST_LOG ?? 'warn', guestsPerMinute: 0, registrationsPerHour: 0, ...flags })) {
      args.push(`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`, String(v));
    }
    const [bin, argv] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, process.execPath, ...args]] : [process.execPath, args];
    const p = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    output = captureOutput(p, 200_000);
    let dead = false;
    p.once('exit', () => (dead = true));
    try {
      await waitUntil(async () => {
        if (dead) throw new Error(`node exited (${p.exitCode ?? p.signalCode})`);
        return ready(`http://${host}:${port}`);
      }, 30_000, `scale-chat node on port ${port}`, 100);
    } catch (err) {
      await stopChild(p, 'SIGKILL');
      throw new Error(`${(err as Error).message}\n${output()}`);
    }
    child = p;
  };
  await launch();
  started = true;

  return {
    get port() {
      return port;
    },
    get url() {
      return `ws://${host}:${port}/ws`;
    },
    get http() {
      return `http://${host}:${port}`;
    },
    get running() {
      return child !== null && child.exitCode === null && child.signalCode === null;
    },
    get pid() {
      return child?.pid;
    },
    output: () => output(),
    async kill() {
      const c = child;
      child = null;
      if (c) await stopChild(c, 'SIGKILL');
    },
    async stop() {
      const c = child;
      child = null;
      if (!c) return null;
      await stopChild(c, 'SIGTERM', 15_000);
      return c.exitCode;
    },
    async start() {
      if (child) return;
      await launch();
    },
    async cleanup() {
      const c = child;
      child = null;
      if (c) await stopChild(c, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      port = 0;
    },
  };
}
