/**
 * `scale-chat serve --workers N`: N processes serve one port on one machine, each a full node of the
 * cluster (own connections, own event loop, own file-descriptor budget), sharing the Redis bus and cluster
 * state like nodes on separate machines.
 *
 * Port sharing: the primary opens the listening socket once and hands the same socket to every worker
 * (node:cluster with SCHED_NONE); each worker accepts connections on it directly, so after start-up no
 * connection and no byte passes through the primary. The alternatives and why not:
 *  - node:cluster's default round-robin (SCHED_RR): the primary accepts EVERY connection and passes its
 *    handle to a worker over IPC: one process on the accept path of all connections.
 *  - SO_REUSEPORT (one socket per worker, balanced by the kernel): `listen({ reusePort })` only exists from
 *    Node 22.12 / 23.1; this project targets Node 20.
 *  - separate ports behind nginx: works (deploy/ does it across machines) but needs a proxy even on one box.
 * With a shared socket the kernel wakes whichever worker is waiting in accept; idle workers get a roughly
 * even share, and a busy worker (still processing its event loop) takes fewer new connections.
 *
 * The primary restarts a worker that dies (with a backoff; too many deaths in a row stop the whole server),
 * and on SIGTERM/SIGINT asks every worker to drain and waits for them.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Config } from './config.js';
import { createLogger } from './logger.js';
import { serveClusterMetrics } from './cluster-metrics.js';
import { runningLine } from './common/open-url.js';

/** Worker deaths within RESTART_WINDOW_MS that make the primary give up. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 30_000;

export function isWorkerProcess(): boolean {
  return cluster.isWorker;
}

/** Runs the primary: forks `config.workers` workers running this same command line. */
export function runPrimary(config: Config): Promise<void> {
  const log = createLogger(config.logLevel, { role: 'primary', pid: process.pid });
  // Must be set before the first fork. SCHED_NONE: workers accept on the shared socket themselves.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const live = new Set<Worker>();
  const deaths: number[] = [];
  let stopping = false;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => (resolveDone = r));

  const fork = (): void => {
    const w = cluster.fork({ SCALE_CHAT_WORKER: '1' });
    live.add(w);
    w.on('exit', (code, signal) => {
      live.delete(w);
      if (stopping) {
        if (live.size === 0) resolveDone();
        return;
      }
      const now = Date.now();
      deaths.push(now);
      while (deaths.length && deaths[0] < now - RESTART_WINDOW_MS) deaths.shift();
      if (deaths.length > MAX_RESTARTS) {
        log.fatal({ deaths: deaths.length, windowMs: RESTART_WINDOW_MS }, 'workers keep dying: stopping the server');
        stop('crash loop', 1);
        return;
      }
      const delay = Math.min(250 * 2 ** (deaths.length - 1), 5000);
      log.error({ pid: w.process.pid, code, signal, restartInMs: delay }, 'worker died: restarting it');
      setTimeout(() => {
        if (!stopping) fork();
      }, delay).unref();
    });
  };

  let exitCode = 0;
  const stop = (why: string, code = 0): void => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    log.info({ why, workers: live.size }, 'stopping: workers drain');
    for (const w of live) w.process.kill('SIGTERM');
    if (live.size === 0) resolveDone();
    // Workers bound their own drain; this is the bound of the bound.
    setTimeout(() => {
      for (const w of live) w.process.kill('SIGKILL');
      resolveDone();
    }, config.drainTimeoutMs + 3000).unref();
  };

  serveClusterMetrics();
  for (let i = 0; i < config.workers; i++) fork();
  let listening = 0;
  cluster.on('listening', (_worker, address) => {
    if (++listening === config.workers) {
      log.info({ workers: config.workers, port: config.port, policy: 'shared socket (SCHED_NONE)' }, 'scale-chat workers listening');
      process.stderr.write(runningLine(config.host, address.port, Boolean(config.tlsCert && config.tlsKey), Boolean(config.webDir)) + '\n');
    }
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return done.then(() => {
    log.info({ code: exitCode }, 'all workers exited');
    process.exit(exitCode);
  });
}
