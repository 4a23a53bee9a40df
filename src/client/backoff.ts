/**
 * Reconnect backoff: "full jitter" exponential backoff (AWS architecture blog, also what
 * centrifuge-js does). The delay for attempt n (0-based) is uniform in [0, min(maxMs, baseMs * 2^n)).
 * Full jitter spreads a thundering herd of clients reconnecting after a server restart over the
 * whole window instead of synchronizing them. Pure and browser-safe; `random` is injectable.
 */

export interface BackoffOptions {
  /** Window of the first retry (attempt 0). */
  baseMs: number;
  /** Upper bound of the window. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = { baseMs: 250, maxMs: 10_000 };

/** The upper bound of the delay window for `attempt`: min(maxMs, baseMs * 2^attempt). */
export function backoffCap(attempt: number, opts: BackoffOptions): number {
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  // 2 ** n overflows to Infinity for large n, which Math.min turns into maxMs.
  return Math.max(0, Math.min(opts.maxMs, opts.baseMs * 2 ** n));
}

/** Full-jitter delay in ms for `attempt` (0-based): random() * min(maxMs, baseMs * 2^attempt). */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  return random() * backoffCap(attempt, opts);
}
