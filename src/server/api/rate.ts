/**
 * Rate limits of the HTTP API per credential (API key): a token bucket per key on each node
 * (src/protocol/token-bucket.ts: `apiRatePerSec` sustained, `apiRateBurst` at once), and, with Redis,
 * a cluster-wide bound as well: at most `burst` requests per window of burst/rate seconds counted in the
 * shared limiter store (src/server/limits/), so N nodes do not give a key N times the rate. Refused: the
 * milliseconds until a request may succeed (429 with Retry-After).
 */
import { TokenBucket } from '../../protocol/token-bucket.js';
import type { LimiterStore } from '../limits/store.js';

const MAX_BUCKETS = 10_000;

export class ApiRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly windowMs: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    /** The shared counters (only used when they are Redis: memory counters would repeat the bucket). */
    private readonly shared?: LimiterStore,
  ) {
    this.windowMs = Math.max(1000, Math.ceil((burst / ratePerSec) * 1000));
  }

  async take(subject: string, now = Date.now()): Promise<number> {
    let b = this.buckets.get(subject);
    if (b) this.buckets.delete(subject); // re-inserted: Map order = least recently used first
    else b = new TokenBucket(this.ratePerSec, this.burst, now);
    this.buckets.set(subject, b);
    if (this.buckets.size > MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
    const wait = b.take(now);
    if (wait > 0) return wait;
    if (this.shared?.kind === 'redis') {
      const c = await this.shared.hit(`api:${subject}`, this.windowMs);
      if (c.count > this.burst) return Math.max(1, c.ttlMs);
    }
    return 0;
  }
}
