/**
 * Login throttling that slows a password guesser down without locking the account's owner out.
 *
 * Three counters, kept in a LimiterStore (Redis when configured: cluster-wide; else this process):
 *
 * - per (name, address) pair: the first `maxFailures` failures are free; from then on every attempt
 *   must wait `delayMs`, doubling with each failure (1 s, 2 s, 4 s, ... capped at `maxDelayMs`). A pair
 *   forgets its failures `windowMs` after its last one; a successful login clears it. This is what
 *   stops guessing one account's password from one address.
 * - per address (all names): at most `maxFailures x 10` failures per window of `windowMs`, then
 *   that address waits for the window to end (spraying many names from one address).
 * - per name (all addresses): at most `maxFailures x 20` per window, for guessing spread over many
 *   addresses. It is more than one address can ever reach (the pair and address bounds stop it first),
 *   so an attacker on one address cannot lock the owner out: the owner, from any other address, logs in.
 *
 * Addresses are counted by `addressKey` (src/server/common/client-ip.ts): an IPv6 client by its /64, as
 * one host usually has a whole /64.
 * Attempts are counted when they start (before the password is checked), so concurrent attempts cannot
 * all pass the check before the first failure is counted; a success takes its attempt back.
 */
import { addressKey } from '../common/client-ip.js';
import type { LimiterStore } from '../limits/store.js';

export interface LoginThrottleOptions {
  /** Free failures per (name, address) before the delays start. */
  maxFailures: number;
  /** How long failures are remembered (pair: after the last one; address and name: fixed windows). */
  windowMs: number;
  /** First delay; doubles with each further failure. */
  delayMs: number;
  /** Longest delay. */
  maxDelayMs: number;
}

/** Per address (all names), as a multiple of `maxFailures`. */
export const ADDRESS_FACTOR = 10;
/** Per name (all addresses), as a multiple of `maxFailures`: above ADDRESS_FACTOR on purpose. */
export const NAME_FACTOR = 20;

/** A started attempt: hand it back to `succeeded` when the password was right. */
export interface LoginTicket {
  name: string;
  addr: string;
}

export type LoginGate = { ok: true; ticket: LoginTicket } | { ok: false; retryAfterMs: number };

export class LoginThrottle {
  constructor(
    private readonly store: LimiterStore,
    private readonly o: LoginThrottleOptions,
  ) {}

  /** The delay the `n`-th failure of a pair imposes on the next attempt (0: none yet). */
  delayAfter(n: number): number {
    if (n < this.o.maxFailures) return 0;
    return Math.min(this.o.delayMs * 2 ** Math.min(n - this.o.maxFailures, 40), this.o.maxDelayMs);
  }

  private keys(name: string, addr: string) {
    const pair = `${addr}|${name}`;
    return { pair: `login:pair:${pair}`, wait: `login:wait:${pair}`, addr: `login:addr:${addr}`, name: `login:name:${name}` };
  }

  /**
   * Starts an attempt for `nameKey` from `ip`: refused (with the wait) or counted as a failure until
   * `succeeded` takes it back. Refused attempts are not counted against the name.
   */
  async begin(nameKey: string, ip: string): Promise<LoginGate> {
    const addr = addressKey(ip);
    const k = this.keys(nameKey, addr);
    const o = this.o;
    const waiting = await this.store.get(k.wait);
    if (waiting.count > 0) return { ok: false, retryAfterMs: waiting.ttlMs };
    const a = await this.store.hit(k.addr, o.windowMs);
    if (a.count > o.maxFailures * ADDRESS_FACTOR) return { ok: false, retryAfterMs: a.ttlMs };
    const n = await this.store.hit(k.name, o.windowMs);
    if (n.count > o.maxFailures * NAME_FACTOR) return { ok: false, retryAfterMs: n.ttlMs };
    const p = await this.store.hit(k.pair, o.windowMs, true);
    const delay = this.delayAfter(p.count);
    if (delay > 0) {
      // The wait this attempt imposes on the next one, set now: of concurrent attempts that all found no
      // wait, only the one that creates it goes on.
      const w = await this.store.hit(k.wait, delay);
      if (w.count > 1) return { ok: false, retryAfterMs: w.ttlMs };
    }
    return { ok: true, ticket: { name: nameKey, addr } };
  }

  /** The attempt was a successful login: it was not a failure, and its pair starts afresh. */
  async succeeded(t: LoginTicket): Promise<void> {
    const k = this.keys(t.name, t.addr);
    await Promise.all([this.store.delete(k.pair, k.wait), this.store.undo(k.addr), this.store.undo(k.name)]);
  }
}
