/**
 * Where abuse limits and login throttles keep their counters: a tiny key -> (count, time to live) store.
 *
 * Two implementations pass one contract (test/limiter.contract.ts): in memory (one process; bounded
 * number of keys) and Redis (src/server/limits/redis.ts: every node of a cluster counts in the same
 * place, so N nodes do not give an attacker N times the attempts). The policies on top of it
 * (src/server/limits/limits.ts, src/server/auth/throttle.ts) only use `hit`, `get`, `undo` and `delete`.
 *
 * A counter is created by its first `hit` and disappears when its time to live runs out:
 * - fixed window (`slide` false): the TTL is set by the first hit and not extended by later ones,
 *   so "at most N per window" holds and a refused attempt does not push the window further;
 * - sliding (`slide` true): every hit sets the TTL again ("forgotten `ttlMs` after the last event").
 */

export interface Count {
  /** Events counted (0: no counter). */
  count: number;
  /** Milliseconds until the counter disappears (0 when there is none). */
  ttlMs: number;
}

export interface LimiterStore {
  readonly kind: 'memory' | 'redis';
  /** Counts one event on `key` and returns the new count and its remaining time to live. */
  hit(key: string, ttlMs: number, slide?: boolean): Promise<Count>;
  /** The counter of `key` without counting. */
  get(key: string): Promise<Count>;
  /** Takes one event back (an attempt counted up front that turned out fine): count - 1, same TTL; never below 0 nor creating a counter. */
  undo(key: string): Promise<void>;
  /** Forgets these counters. */
  delete(...keys: string[]): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export const NO_COUNT: Count = Object.freeze({ count: 0, ttlMs: 0 });

interface Entry {
  count: number;
  expiresAt: number;
}

/**
 * One process's counters. Bounded: at most `maxKeys` counters (an attacker cycling through names or
 * addresses cannot grow it); past that the least recently hit counter is dropped. Expired counters
 * are dropped when read and, a few per hit, from the least recently hit end.
 */
export class MemoryLimiterStore implements LimiterStore {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  async hit(key: string, ttlMs: number, slide = false): Promise<Count> {
    return this.hitSync(key, ttlMs, slide);
  }

  hitSync(key: string, ttlMs: number, slide = false): Count {
    const now = this.now();
    let e = this.live(key, now);
    if (e) {
      e.count++;
      if (slide) e.expiresAt = now + ttlMs;
      this.entries.delete(key); // re-insert: Map order = least recently hit first
    } else {
      e = { count: 1, expiresAt: now + ttlMs };
    }
    this.entries.set(key, e);
    this.evict(now);
    return { count: e.count, ttlMs: Math.max(0, e.expiresAt - now) };
  }

  async get(key: string): Promise<Count> {
    return this.getSync(key);
  }

  getSync(key: string): Count {
    const now = this.now();
    const e = this.live(key, now);
    return e ? { count: e.count, ttlMs: e.expiresAt - now } : NO_COUNT;
  }

  async undo(key: string): Promise<void> {
    const e = this.live(key, this.now());
    if (e && e.count > 0) e.count--;
  }

  async delete(...keys: string[]): Promise<void> {
    for (const k of keys) this.entries.delete(k);
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.entries.clear();
  }

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && e.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private evict(now: number): void {
    while (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    // Amortized sweep: a few expired counters from the least recently hit end.
    let n = 0;
    for (const [k, e] of this.entries) {
      if (++n > 4) break;
      if (e.expiresAt <= now) this.entries.delete(k);
    }
  }
}
