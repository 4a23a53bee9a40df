/**
 * Guest expiry. Every guest `hello` stores a new user row; without a policy they pile up forever (thousands
 * per second from one script). A guest that never wrote a message is forgotten once it is older than
 * `ttlMs` and offline (anywhere in the cluster): its row, memberships and read markers are deleted, its
 * session token then answers `token_invalid`. Guests that wrote keep their row (history names them).
 *
 * Each node sweeps on its own timer; concurrent sweeps of several nodes are harmless (a delete re-checks
 * and deleting twice deletes nothing). The sweep pages through the candidates oldest first, so guests
 * kept because they are online never hide older or newer ones.
 */
import type { Logger } from 'pino';
import type { ChatStore, StaleGuest } from './store.js';

export interface GuestSweepOptions {
  store: Pick<ChatStore, 'listStaleGuests' | 'deleteGuests'>;
  /** Which of these users are online (cluster-wide): they are kept. */
  online: (uids: string[]) => Promise<Set<string>>;
  /** Age after which an offline guest that never wrote is deleted; 0 = never. */
  ttlMs: number;
  log: Pick<Logger, 'info' | 'warn'>;
  /** Time between sweeps (default: ttlMs / 4, between 1 s and 1 h). */
  intervalMs?: number;
  /** Candidates read (and checked for presence) per page. */
  page?: number;
  now?: () => number;
}

export interface GuestSweep {
  /** One sweep now; resolves with the number of guests deleted (joins a sweep already running). */
  run(): Promise<number>;
  /** Stops the timer; resolves when a running sweep has finished. */
  stop(): Promise<void>;
}

export function startGuestSweep(o: GuestSweepOptions): GuestSweep {
  const page = o.page ?? 500;
  const now = o.now ?? Date.now;
  let running: Promise<number> | null = null;
  let stopped = false;

  const sweep = async (): Promise<number> => {
    const cutoff = now() - o.ttlMs;
    let deleted = 0;
    let after: StaleGuest | undefined;
    while (!stopped) {
      const batch = await o.store.listStaleGuests(cutoff, page, after);
      if (batch.length === 0) break;
      after = batch[batch.length - 1];
      const online = await o.online(batch.map((g) => g.id));
      const gone = batch.filter((g) => !online.has(g.id)).map((g) => g.id);
      if (gone.length) deleted += await o.store.deleteGuests(gone);
      if (batch.length < page) break;
    }
    if (deleted > 0) o.log.info({ deleted, olderThanMs: o.ttlMs }, 'guest sweep: guests that never wrote deleted');
    return deleted;
  };

  const run = (): Promise<number> => {
    running ??= sweep().finally(() => (running = null));
    return running;
  };

  let timer: NodeJS.Timeout | null = null;
  if (o.ttlMs > 0) {
    const every = o.intervalMs ?? Math.min(3_600_000, Math.max(1000, Math.floor(o.ttlMs / 4)));
    timer = setInterval(() => {
      run().catch((err) => o.log.warn({ err: String(err) }, 'guest sweep failed (retried at the next interval)'));
    }, every);
    timer.unref();
  }

  return {
    run,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      await running?.catch(() => {});
    },
  };
}
