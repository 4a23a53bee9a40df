/**
 * Limiter counters in Redis: every node of a cluster counts in the same place (a login attempt on
 * node A and one on node B are two attempts of one counter). One key per counter,
 * `<prefix>:lim:<key>`, an integer with a PEXPIRE: `hit` is one Lua script (INCR, then PEXPIRE on the
 * first hit or on every hit when sliding), atomic, single-key (works on a Redis Cluster: no
 * cross-slot access). Time is Redis's own (PEXPIRE/PTTL), so the nodes' clocks do not matter.
 *
 * Redis unreachable (or slower than `commandTimeoutMs`): the counters fall back to this process's
 * memory (same limits, counted per node) until Redis answers again, logged once per outage; a limit
 * never fails a request because Redis is down.
 */
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import { connectRedis, type RedisClient } from '../bus/redis/redis-connect.js';
import { MemoryLimiterStore, NO_COUNT, type Count, type LimiterStore } from './store.js';

/** KEYS[1] counter; ARGV[1] ttl ms; ARGV[2] '1' = sliding. Returns {count, pttl}. */
const HIT = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 or ARGV[2] == '1' then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`;

/** KEYS[1] counter. Returns {count, pttl} or {0, 0}. */
const GET = `
local v = redis.call('GET', KEYS[1])
if not v then return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return {0, 0} end
return {tonumber(v), ttl}
`;

/** KEYS[1] counter: one less, TTL kept; an absent or zero counter stays as it is. */
const UNDO = `
local v = redis.call('GET', KEYS[1])
if v and tonumber(v) > 0 then return redis.call('DECR', KEYS[1]) end
return 0
`;

type Scripted = Redis & {
  scLimHit(key: string, ttlMs: number, slide: string): Promise<[number, number]>;
  scLimGet(key: string): Promise<[number, number]>;
  scLimUndo(key: string): Promise<number>;
};

export interface RedisLimiterStoreOptions {
  url: string;
  prefix?: string;
  nodeId?: string;
  log?: Logger;
  /** A command slower than this counts as Redis unreachable (memory fallback for it). Default 1000. */
  commandTimeoutMs?: number;
}

export class RedisLimiterStore implements LimiterStore {
  readonly kind = 'redis' as const;
  private readonly redis: Scripted;
  private readonly prefix: string;
  private readonly log?: Logger;
  /** Used while Redis cannot be reached. */
  private readonly fallback = new MemoryLimiterStore();
  private degraded = false;
  private stopped = false;

  constructor(opts: RedisLimiterStoreOptions) {
    this.prefix = `${opts.prefix ?? 'scale-chat'}:lim:`;
    this.log = opts.log;
    // No offline queue: while Redis is unreachable a call fails at once and the memory fallback answers.
    this.redis = connectRedis(opts.url, `scale-chat-limits-${opts.nodeId ?? process.pid}`, {
      enableOfflineQueue: false,
      commandTimeout: opts.commandTimeoutMs ?? 1000,
    }) as Scripted;
    const r = this.redis as RedisClient;
    r.defineCommand('scLimHit', { numberOfKeys: 1, lua: HIT });
    r.defineCommand('scLimGet', { numberOfKeys: 1, lua: GET });
    r.defineCommand('scLimUndo', { numberOfKeys: 1, lua: UNDO });
    r.on('error', (err: Error) => this.log?.debug({ err: err.message }, 'limits: redis error'));
  }

  async start(): Promise<void> {
    try {
      await this.redis.connect();
    } catch (err) {
      this.redis.disconnect();
      throw new Error(`cannot use Redis for the limits: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      if (this.redis.status === 'ready') await this.redis.quit();
      else this.redis.disconnect();
    } catch {
      this.redis.disconnect();
    }
  }

  async hit(key: string, ttlMs: number, slide = false): Promise<Count> {
    const ttl = Math.max(1, Math.ceil(ttlMs));
    try {
      const [count, left] = await this.redis.scLimHit(this.prefix + key, ttl, slide ? '1' : '0');
      if (this.degraded) this.recovered();
      return { count: Number(count), ttlMs: Math.max(0, Number(left)) };
    } catch (err) {
      this.outage(err);
      return this.fallback.hitSync(key, ttl, slide);
    }
  }

  async get(key: string): Promise<Count> {
    try {
      const [count, left] = await this.redis.scLimGet(this.prefix + key);
      if (this.degraded) this.recovered();
      return Number(count) > 0 ? { count: Number(count), ttlMs: Math.max(0, Number(left)) } : NO_COUNT;
    } catch (err) {
      this.outage(err);
      return this.fallback.getSync(key);
    }
  }

  async undo(key: string): Promise<void> {
    await this.fallback.undo(key);
    try {
      await this.redis.scLimUndo(this.prefix + key);
    } catch (err) {
      this.outage(err);
    }
  }

  async delete(...keys: string[]): Promise<void> {
    if (!keys.length) return;
    await this.fallback.delete(...keys);
    try {
      // One DEL per key: keys of one call may live in different slots of a Redis Cluster.
      await Promise.all(keys.map((k) => this.redis.del(this.prefix + k)));
    } catch (err) {
      this.outage(err);
    }
  }

  private recovered(): void {
    this.degraded = false;
    this.log?.info('limits: redis reachable again: counting cluster-wide');
  }

  private outage(err: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.log?.warn({ err: String(err) }, 'limits: redis unreachable: counting in this process until it is back');
  }
}
