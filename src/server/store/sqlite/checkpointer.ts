/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that
 * crosses 1,000 WAL pages: at ~1,000 messages/s that is several times a second, each copying the pages
 * into the database file and fsyncing it on the thread that serves every connection (stalls of 5-40 ms
 * measured here, the tail of delivery latency). With a checkpointer the writer's connection turns the
 * automatic checkpoint off and a worker thread with its own connection checkpoints every
 * `intervalMs` (250 ms; PASSIVE: it never blocks the writer), plus once more (TRUNCATE) when the store closes.
 * A WAL file only starts over from its beginning when a write begins with every frame copied, which
 * under steady writes a checkpoint on another thread never sees (frames keep arriving while it copies):
 * so after each of the worker's checkpoints the writer runs one itself, between two turns, which has
 * only the frames of the last moments to copy, and its next commit rewinds the WAL (it stays small).
 * Several processes sharing one file (`serve --workers`) each run one; SQLite serializes them.
 */
import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';

export interface CheckpointStats {
  /** Checkpoints run. */
  runs: number;
  /** WAL frames in the log at the last checkpoint, and how many of them it copied. */
  log: number;
  checkpointed: number;
  lastError?: string;
}

export class Checkpointer {
  private readonly worker: Worker;
  readonly stats: CheckpointStats = { runs: 0, log: 0, checkpointed: 0 };
  private closed: Promise<void> | null = null;

  constructor(db: Database.Database, intervalMs = 250) {
    db.pragma('wal_autocheckpoint = 0');
    // The WAL file is reused from its start after each rewind; one that grew past this is cut back then.
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    this.worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { file: db.name, intervalMs } });
    this.worker.on('message', (m: { type: string; log?: number; checkpointed?: number; message?: string }) => {
      if (m.type === 'checkpointed') {
        this.stats.runs++;
        this.stats.log = m.log ?? 0;
        this.stats.checkpointed = m.checkpointed ?? 0;
        if (m.log !== undefined && m.log > 0) this.catchUp(db);
      } else if (m.type === 'error') this.stats.lastError = m.message;
    });
    // After the listeners (adding one refs the worker again): the checkpointer never keeps a process alive.
    this.worker.unref();
    // A worker that cannot start (or dies) must not take the server down: the writer then
    // checkpoints by itself again, on the event loop, as SQLite does by default.
    this.worker.on('error', (err) => {
      this.stats.lastError = err.message;
      try {
        db.pragma('wal_autocheckpoint = 1000');
      } catch {
        /* the store is closing */
      }
    });
  }

  /** The writer's own checkpoint of what the worker's left (a few frames), so the WAL rewinds. */
  private catchUp(db: Database.Database): void {
    if (!db.open || this.closed) return;
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch (err) {
      this.stats.lastError = (err as Error).message;
    }
  }

  /** A last checkpoint, then the worker's connection is closed (before the writer's own close). */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      const t = setTimeout(() => void this.worker.terminate().then(() => resolve()), 5000);
      this.worker.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      this.worker.postMessage({ type: 'close' });
    });
    return this.closed;
  }
}
