/**
 * When a failed delivery is tried again: exponential backoff with jitter. The wait after attempt n is
 * base * 2^(n-1), capped at RETRY_CAP_MS, of which a random half is added to a fixed half ("equal
 * jitter": never sooner than half the nominal wait, so a failing receiver is not hammered, and endpoints
 * failing together spread out). With the defaults (base 30 s, 10 attempts) the last attempt comes
 * 1.5-3.1 hours after the first.
 */
export const RETRY_CAP_MS = 3600_000;

export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const nominal = Math.min(RETRY_CAP_MS, baseMs * 2 ** Math.max(0, Math.min(30, attempt - 1)));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/** The bounds of the whole schedule: [earliest, latest] time from the first attempt to the last. */
export function scheduleSpanMs(maxAttempts: number, baseMs: number): [number, number] {
  let lo = 0;
  let hi = 0;
  for (let n = 1; n < maxAttempts; n++) {
    lo += retryDelayMs(n, baseMs, () => 0);
    hi += retryDelayMs(n, baseMs, () => 1);
  }
  return [lo, hi];
}
