/**
 * Searches off the event loop. A full-text query over a million messages takes from milliseconds (a rare
 * word) to a second (a common word, newest first: every match is sorted); on the thread that serves every
 * connection, ten concurrent searchers stalled all deliveries for seconds. The searcher runs them in a
 * child process (./search-process.ts) with its own read-only connection (WAL: it reads the last committed state, never blocking
 * or blocked by the writer), one at a time, bounded:
 * - at most `maxQueued` searches wait; beyond that one is refused at once (StoreBusyError);
 * - a search running longer than `timeoutMs` is stopped (the process is killed and started again) and
 *   refused the same way, so one pathological query cannot hold it.
 * An in-memory database (tests) has no file to share: its searches run on the store's own connection.
 */
import type Database from 'better-sqlite3';
import { fork, type ChildProcess } from 'node:child_process';
import { StoreBusyError } from '../search.js';

export interface SearcherOptions {
  /** Searches waiting for the thread (beyond: refused). */
  maxQueued?: number;
  /** A search running longer is stopped and refused (ms). */
  timeoutMs?: number;
}

export const SEARCHER_DEFAULTS: Required<SearcherOptions> = { maxQueued: 32, timeoutMs: 10_000 };

type Rows = Record<string, unknown>[];
interface Job {
  n: number;
  sql: string;
  params: Record<string, unknown>;
  resolve: (rows: Rows) => void;
  reject: (err: Error) => void;
}

export class Searcher {
  private worker: ChildProcess | null = null;
  private readonly queue: Job[] = [];
  private running: Job | null = null;
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  private closed = false;
  private readonly opts: Required<SearcherOptions>;
  /** Searches stopped by the time limit (for tests and metrics). */
  timeouts = 0;

  constructor(
    private readonly file: string,
    options: SearcherOptions = {},
  ) {
    this.opts = { ...SEARCHER_DEFAULTS, ...options };
  }

  /** The rows of a read-only statement, run on the search thread. */
  all(sql: string, params: Record<string, unknown>): Promise<Rows> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (this.queue.length >= this.opts.maxQueued) return Promise.reject(new StoreBusyError('too many searches waiting: retry later'));
    return new Promise<Rows>((resolve, reject) => {
      this.queue.push({ n: ++this.seq, sql, params, resolve, reject });
      this.next();
    });
  }

  private start(): ChildProcess {
    const w = fork(new URL('./search-process.js', import.meta.url), [this.file], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    w.on('message', (m: { n: number; rows?: Rows; error?: string }) => {
      const job = this.running;
      if (!job || job.n !== m.n) return;
      this.finish();
      if (m.error !== undefined) job.reject(new Error(m.error));
      else job.resolve(m.rows ?? []);
    });
    // A process that dies (cannot open the file, out of memory) fails its search; the next one starts another.
    w.on('error', (err) => this.fail(w, err));
    w.on('exit', () => this.fail(w, new Error('search process exited')));
    this.unref(w);
    return w;
  }

  private next(): void {
    if (this.running || this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    this.running = job;
    this.worker ??= this.start();
    // Referenced only while a search runs: an idle search process never keeps the server's alive.
    this.worker.ref();
    this.worker.channel?.ref();
    this.timer = setTimeout(() => {
      this.timeouts++;
      const w = this.worker;
      this.worker = null;
      this.finish();
      job.reject(new StoreBusyError(`search stopped after ${this.opts.timeoutMs} ms: narrow it (a room, an author, more words)`));
      w?.kill('SIGKILL');
    }, this.opts.timeoutMs);
    this.worker.send({ n: job.n, sql: job.sql, params: job.params });
  }

  private unref(w: ChildProcess): void {
    w.unref();
    w.channel?.unref();
  }

  private finish(): void {
    if (this.worker) this.unref(this.worker);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = null;
    queueMicrotask(() => this.next());
  }

  private fail(w: ChildProcess, err: Error): void {
    if (this.worker !== w) return;
    this.worker = null;
    const job = this.running;
    if (!job) return;
    this.finish();
    job.reject(err);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('store is closed'));
    const w = this.worker;
    this.worker = null;
    if (!w || w.exitCode !== null || w.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
      w.ref(); // until it has exited
      w.kill('SIGKILL');
    });
  }
}

/** Runs a search's statement on the searcher, or on the store's own connection when there is none. */
export function runSearch(searcher: Searcher | null, db: Database.Database, sql: string, params: Record<string, unknown>): Promise<Rows> {
  if (searcher) return searcher.all(sql, params);
  return Promise.resolve(db.prepare<[Record<string, unknown>], Record<string, unknown>>(sql).all(params));
}
