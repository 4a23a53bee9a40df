/**
 * Abuse limits: how much one user or one address may create, per time, with defaults no normal user
 * reaches. Counted in a LimiterStore (Redis when configured: the same counters on every node).
 * A limit set to 0 is off. Refusals are `limit_exceeded` with `retryAfterMs` (the end of the window).
 *
 * | limit                 | counted per       | default      | what it stops                                   |
 * |-----------------------|-------------------|--------------|-------------------------------------------------|
 * | roomsCreatedPerHour   | user              | 10 / hour    | room spam (every `create` attempt with a valid name counts) |
 * | invitesPerMinute      | user              | 30 / minute  | pushing victims into rooms (`invite`, and `dm` opening a new DM) |
 * | registrationsPerHour  | address (/64)     | 5 / hour     | mass account creation (and its argon2 cost)     |
 * | guestsPerMinute       | address (/64)     | 30 / minute  | a new user row per guest `hello`                |
 * | maxRoomsPerUser       | user (membership) | 200 rooms    | unbounded `welcome`/room lists (not time-based) |
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { addressKey, addressMatcher } from '../common/client-ip.js';
import { MemoryLimiterStore, type LimiterStore } from './store.js';
import { RedisLimiterStore } from './redis.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

export type LimitKind = 'roomCreate' | 'invite' | 'register' | 'guest';

export type LimitsConfig = Pick<Config, 'roomsCreatedPerHour' | 'invitesPerMinute' | 'registrationsPerHour' | 'guestsPerMinute' | 'maxRoomsPerUser'> &
  Partial<Pick<Config, 'addressLimitsExempt'>>;

export class Limits {
  private readonly rules: ReadonlyMap<LimitKind, { max: number; windowMs: number; byAddress: boolean }>;
  /** Addresses the per-address rules do not count (config addressLimitsExempt: loopback by default). */
  private readonly exempt: (addr: string) => boolean;

  constructor(
    readonly store: LimiterStore,
    private readonly config: LimitsConfig,
  ) {
    this.exempt = addressMatcher(config.addressLimitsExempt ?? []);
    this.rules = new Map([
      ['roomCreate', { max: config.roomsCreatedPerHour, windowMs: HOUR, byAddress: false }],
      ['invite', { max: config.invitesPerMinute, windowMs: MINUTE, byAddress: false }],
      ['register', { max: config.registrationsPerHour, windowMs: HOUR, byAddress: true }],
      ['guest', { max: config.guestsPerMinute, windowMs: MINUTE, byAddress: true }],
    ]);
  }

  /** Most rooms and DMs one user may be a member of (`general` not counted); 0: no limit. */
  get maxRoomsPerUser(): number {
    return this.config.maxRoomsPerUser;
  }

  /**
   * Counts one `kind` event for `subject` (a user id, or a client address for register/guest):
   * 0 when it is within the limit, else the milliseconds until the limit lifts.
   */
  async take(kind: LimitKind, subject: string): Promise<number> {
    const rule = this.rules.get(kind)!;
    if (rule.max <= 0 || (rule.byAddress && this.exempt(subject))) return 0;
    const key = `${kind}:${rule.byAddress ? addressKey(subject) : subject}`;
    const c = await this.store.hit(key, rule.windowMs);
    return c.count > rule.max ? Math.max(1, c.ttlMs) : 0;
  }
}

/** Counters from the config: Redis (shared by every node) when `redisUrl` is set, else this process's memory. */
export function createLimiterStore(config: Config, nodeId: string, log?: Logger): LimiterStore {
  if (!config.redisUrl) return new MemoryLimiterStore();
  return new RedisLimiterStore({ url: config.redisUrl, prefix: config.redisPrefix, nodeId, log });
}

/** "in 42 s", "in 3 min": for refusal messages. */
export function inTime(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s < 120 ? `in ${s} s` : `in ${Math.ceil(s / 60)} min`;
}
