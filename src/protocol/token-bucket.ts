/**
 * A token bucket: `ratePerSec` tokens a second, at most `burst` saved up. The one implementation, used
 * by the server (a connection's frame rate limit, which answers `rate_limited` with `retryAfterMs`) and
 * by the load generator (connect pacing). The caller passes the time, from any one clock.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /** Starts with `tokens` (default: a full bucket). */
  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    now = Date.now(),
    tokens = burst,
  ) {
    this.tokens = tokens;
    this.last = now;
  }

  /** Refills up to `now`; returns the whole tokens available. */
  available(now = Date.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSec);
    this.last = now;
    return Math.floor(this.tokens);
  }

  /** Takes one token; returns 0 on success, else the ms until one is available. */
  take(now = Date.now()): number {
    if (this.available(now) >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.ratePerSec) * 1000);
  }
}
