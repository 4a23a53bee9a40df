/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that
 * crosses 1,000 WAL pages: at ~1,000 messages/s that is several times a second, each copying the pages
 * into the database file and fsyncing it on the thread that serves every connection (stalls of 5-40 ms
 * measured here, the tail of delivery latency). With a checkpointer the writer's connection turns the
 * automatic checkpoint off and a worker thread with its own connection checkpoints every
 * `intervalMs` (250 ms; PASSIVE: it never blocks the writer), plus once more (TRUNCATE) when the store closes.
 * A WAL file only starts over from its beginning when a write begins with every frame copied, which
 * under steady writes a checkpoint on another thread never sees (frames keep arriving while it copies):
 * so the writer runs one itself, between two turns, right after one of the worker's: it has only the
 * frames of the last moments to copy, and its next commit rewinds the WAL. That catch-up still copies
 * and fsyncs on the event loop (5-13 ms measured at 1,000 messages/s, ~4,800 WAL frames/s), so it runs
 * only once the WAL holds `rewindFrames` frames or `rewindMaxMs` after the last one, not after every
 * worker checkpoint: the WAL stays bounded (about `rewindFrames` pages) and the event loop pays one
 * such stall every few seconds instead of four a second.
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
  /** The writer's own catch-up checkpoints (each rewinds the WAL). */
  catchUps: number;
  lastError?: string;
}

export interface CheckpointerOptions {
  /** Between the worker's checkpoints (ms). */
  intervalMs?: number;
  /** The writer's catch-up runs once the WAL holds this many frames (pages)... */
  rewindFrames?: number;
  /** ...or this long after its last one (ms), whichever comes first. */
  rewindMaxMs?: number;
}

/** 16,384 frames of 4 KiB: a WAL of 64 MiB at most before it rewinds, the size it is cut back to. */
export const CHECKPOINTER_DEFAULTS: Required<CheckpointerOptions> = { intervalMs: 250, rewindFrames: 16_384, rewindMaxMs: 5_000 };

export class Checkpointer {
  private readonly worker: Worker;
  readonly stats: CheckpointStats = { runs: 0, log: 0, checkpointed: 0, catchUps: 0 };
  private closed: Promise<void> | null = null;
  private lastCatchUp = performance.now();

  constructor(db: Database.Database, options: CheckpointerOptions = {}) {
    const { intervalMs, rewindFrames, rewindMaxMs } = { ...CHECKPOINTER_DEFAULTS, ...options };
    db.pragma('wal_autocheckpoint = 0');
    // The WAL file is reused from its start after each rewind; one that grew past this is cut back then.
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    this.worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { file: db.name, intervalMs } });
    this.worker.on('message', (m: { type: string; log?: number; checkpointed?: number; message?: string }) => {
      if (m.type === 'checkpointed') {
        this.stats.runs++;
        this.stats.log = m.log ?? 0;
        this.stats.checkpointed = m.checkpointed ?? 0;
        const log = this.stats.log;
        if (log > 0 && (log >= rewindFrames || performance.now() - this.lastCatchUp >= rewindMaxMs)) this.catchUp(db);
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
    this.lastCatchUp = performance.now();
    this.stats.catchUps++;
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
