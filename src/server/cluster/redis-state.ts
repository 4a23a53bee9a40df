/**
 * Cluster state shared through Redis (see scripts.ts for the keys and the atomic scripts).
 *
 * - Names: a guest name taken on node A cannot be claimed on node B; it is free again when the holder's last
 *   connection anywhere has closed.
 * - Presence: a user is online while any node has a connection of theirs; the hub's node-level transitions
 *   become cluster-level ones here, so `presence` events are published once per real change.
 * - Heartbeats: every node beats every `ttlMs / 3` and sweeps nodes silent for `ttlMs`: a crashed node's users
 *   go offline (and their names free up) within ttlMs + ttlMs/3 (20 s by default).
 * - Outages: commands fail fast while Redis is unreachable (no queue: a handshake then fails with
 *   `unavailable` and the client retries). This node keeps its own view (names held, users online) in memory
 *   and, when Redis is back (or when it finds it was swept while alive), replaces its part of the shared state
 *   with that view in one atomic script, reporting users whose presence changed meanwhile.
 */
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import type { UserRef } from '../../protocol/types.js';
import { connectRedis, type RedisClient } from '../bus/redis/redis-connect.js';
import { CLAIM, HEARTBEAT, LEAVE, OFFLINE, ONLINE, RESYNC, SWEEP, UNCLAIM } from './scripts.js';
import type { ClusterNames, ClusterState, PresenceListener } from './state.js';

export interface RedisClusterStateOptions {
  url: string;
  nodeId: string;
  /** Key prefix (several deployments can share one Redis). */
  prefix?: string;
  /** A node silent for this long is dead: its users go offline. */
  ttlMs?: number;
  log?: Logger;
}

type Scripted = Redis & {
  scClaim(name: string, nodeNames: string, uid: string, node: string): Promise<number>;
  scUnclaim(name: string, nodeNames: string, uid: string, node: string): Promise<number>;
  scOnline(on: string, online: string, nodeUsers: string, uid: string, name: string, node: string): Promise<number>;
  scOffline(on: string, online: string, nodeUsers: string, uid: string, node: string): Promise<number>;
  scHeartbeat(nodes: string, node: string): Promise<number>;
  scSweep(nodes: string, ttlMs: number, tag: string): Promise<string[]>;
  scResync(nodes: string, node: string, tag: string, want: string): Promise<string[]>;
  scLeave(nodes: string, node: string, tag: string): Promise<string[]>;
};

function pairs(flat: string[]): UserRef[] {
  const out: UserRef[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i], name: flat[i + 1] });
  return out;
}

export class RedisClusterState implements ClusterState {
  readonly kind = 'redis' as const;
  readonly nodeId: string;
  readonly names: ClusterNames;
  /** Presence changes the hub did not see (users of a dead node went offline, ...): set by `start`. */
  onPresence: PresenceListener = () => {};
  private readonly redis: Scripted;
  private readonly tag: string;
  private readonly ttlMs: number;
  private readonly log?: Logger;
  /** This node's own view: what it holds. The source of truth for its part of the shared state. */
  private readonly heldNames = new Map<string, { uid: string; count: number; claim: Promise<boolean> }>();
  private readonly localUsers = new Map<string, string>();
  private count = 0;
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private stopped = false;
  private resyncing: Promise<void> | null = null;
  private resyncAgain = false;

  constructor(opts: RedisClusterStateOptions) {
    this.nodeId = opts.nodeId;
    this.tag = `{${opts.prefix ?? 'scale-chat'}}`;
    this.ttlMs = opts.ttlMs ?? 15_000;
    this.log = opts.log;
    // No offline queue: while Redis is unreachable, calls fail at once instead of piling up.
    this.redis = connectRedis(opts.url, `scale-chat-state-${opts.nodeId}`, { enableOfflineQueue: false }) as Scripted;
    const r = this.redis as RedisClient;
    r.defineCommand('scClaim', { numberOfKeys: 2, lua: CLAIM });
    r.defineCommand('scUnclaim', { numberOfKeys: 2, lua: UNCLAIM });
    r.defineCommand('scOnline', { numberOfKeys: 3, lua: ONLINE });
    r.defineCommand('scOffline', { numberOfKeys: 3, lua: OFFLINE });
    r.defineCommand('scHeartbeat', { numberOfKeys: 1, lua: HEARTBEAT });
    r.defineCommand('scSweep', { numberOfKeys: 1, lua: SWEEP });
    r.defineCommand('scResync', { numberOfKeys: 1, lua: RESYNC });
    r.defineCommand('scLeave', { numberOfKeys: 1, lua: LEAVE });
    r.on('error', (err: Error) => this.log?.warn({ err: err.message }, 'cluster state: redis error'));
    r.on('ready', () => {
      if (this.started && !this.stopped) this.resync('redis reconnected');
    });
    const self = this;
    this.names = {
      acquire: (key, uid) => self.acquire(key, uid),
      release: (key, uid) => self.release(key, uid),
      holder: async (key) => {
        const local = self.heldNames.get(key);
        if (local) return local.uid;
        try {
          return (await self.redis.hget(self.k.name(key), 'uid')) ?? undefined;
        } catch {
          return undefined; // Redis unreachable: unknown (callers fall back to the store's user of that name)
        }
      },
    };
  }

  private readonly k = {
    name: (key: string) => `${this.tag}:name:${key}`,
    nodeNames: () => `${this.tag}:node:${this.nodeId}:names`,
    on: (uid: string) => `${this.tag}:on:${uid}`,
    online: () => `${this.tag}:online`,
    nodeUsers: () => `${this.tag}:node:${this.nodeId}:users`,
    nodes: () => `${this.tag}:nodes`,
    agree: (key: string) => `${this.tag}:agree:${key}`,
  };

  async start(onPresence?: PresenceListener): Promise<void> {
    if (onPresence) this.onPresence = onPresence;
    try {
      await this.redis.connect();
    } catch (err) {
      this.redis.disconnect();
      throw new Error(`cannot use Redis for the cluster state: ${(err as Error).message}`);
    }
    this.started = true;
    await this.syncNow();
    this.count = await this.redis.hlen(this.k.online());
    const every = Math.max(100, Math.floor(this.ttlMs / 3));
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
  }

  /** Heartbeat, sweep of dead nodes, and a refresh of the online count. */
  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const missing = await this.redis.scHeartbeat(this.k.nodes(), this.nodeId);
      if (missing === 1) this.resync('this node was missing from the node list (swept, or Redis lost its data)');
      const res = await this.redis.scSweep(this.k.nodes(), this.ttlMs, this.tag);
      const sep = res.indexOf('');
      const dead = res.slice(0, sep);
      const gone = pairs(res.slice(sep + 1));
      if (dead.length) this.log?.warn({ dead, usersOffline: gone.length }, 'cluster: swept dead nodes');
      if (gone.length) this.onPresence(gone, false);
      this.count = await this.redis.hlen(this.k.online());
    } catch (err) {
      this.log?.debug({ err: String(err) }, 'cluster state: heartbeat failed (redis unreachable?)');
    }
  }

  private resync(why: string): void {
    if (this.resyncing) {
      this.resyncAgain = true;
      return;
    }
    this.log?.info({ why }, 'cluster state: resyncing this node with redis');
    this.resyncing = this.syncNow()
      .catch((err) => this.log?.warn({ err: String(err) }, 'cluster state: resync failed (retried on the next heartbeat)'))
      .finally(() => {
        this.resyncing = null;
        if (this.resyncAgain) {
          this.resyncAgain = false;
          this.resync('again');
        }
      });
  }

  /** Replaces this node's part of the shared state with its own view (atomic). */
  private async syncNow(): Promise<void> {
    const want = {
      names: [...this.heldNames].map(([key, h]) => [key, h.uid]),
      users: [...this.localUsers],
    };
    const res = await this.redis.scResync(this.k.nodes(), this.nodeId, this.tag, JSON.stringify(want));
    const iCame = res.indexOf('came');
    const iConf = res.indexOf('conflicts');
    const gone = pairs(res.slice(1, iCame));
    const came = pairs(res.slice(iCame + 1, iConf));
    const conflicts = res.slice(iConf + 1);
    if (conflicts.length) this.log?.warn({ names: conflicts }, 'cluster state: names taken elsewhere while this node was cut off');
    if (gone.length) this.onPresence(gone, false);
    if (came.length) this.onPresence(came, true);
    this.count = await this.redis.hlen(this.k.online());
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.resyncing;
    try {
      if (this.started && this.redis.status === 'ready') {
        const gone = pairs(await this.redis.scLeave(this.k.nodes(), this.nodeId, this.tag));
        if (gone.length) this.onPresence(gone, false);
        await this.redis.quit();
      } else this.redis.disconnect();
    } catch {
      this.redis.disconnect();
    }
  }

  // ---- names ----

  private async acquire(key: string, uid: string): Promise<boolean> {
    const h = this.heldNames.get(key);
    if (h && h.uid !== uid) return false;
    if (h) {
      h.count++;
      if (await h.claim) return true;
      return false;
    }
    const entry = {
      uid,
      count: 1,
      claim: this.redis.scClaim(this.k.name(key), this.k.nodeNames(), uid, this.nodeId).then(
        (r) => r === 1,
        (err: Error) => {
          throw new Error(`cluster state unavailable (Redis: ${err.message})`);
        },
      ),
    };
    this.heldNames.set(key, entry);
    let ok = false;
    try {
      ok = await entry.claim;
    } finally {
      if (!ok && this.heldNames.get(key) === entry) this.heldNames.delete(key);
    }
    return ok;
  }

  private release(key: string, uid: string): void {
    const h = this.heldNames.get(key);
    if (!h || h.uid !== uid) return;
    if (--h.count > 0) return;
    this.heldNames.delete(key);
    // Issued now, so it reaches Redis after the claim and before any later re-claim (one connection keeps
    // command order); UNCLAIM checks the holder, so releasing a claim that failed is harmless.
    this.redis.scUnclaim(this.k.name(key), this.k.nodeNames(), uid, this.nodeId).catch((err) => {
      this.log?.warn({ err: String(err), name: key }, 'cluster state: name release failed (repaired at the next resync)');
      this.resyncSoon();
    });
  }

  private resyncSoon(): void {
    if (this.started && !this.stopped && this.redis.status === 'ready') this.resync('a write failed');
  }

  // ---- presence ----

  async userOnline(user: UserRef): Promise<boolean> {
    this.localUsers.set(user.id, user.name);
    try {
      const first = (await this.redis.scOnline(this.k.on(user.id), this.k.online(), this.k.nodeUsers(), user.id, user.name, this.nodeId)) === 1;
      if (first) this.count++;
      return first;
    } catch (err) {
      this.log?.debug({ err: String(err) }, 'cluster state: online update failed (repaired at the next resync)');
      return false;
    }
  }

  async userOffline(user: UserRef): Promise<boolean> {
    this.localUsers.delete(user.id);
    try {
      const last = (await this.redis.scOffline(this.k.on(user.id), this.k.online(), this.k.nodeUsers(), user.id, this.nodeId)) === 1;
      if (last) this.count = Math.max(0, this.count - 1);
      return last;
    } catch (err) {
      this.log?.debug({ err: String(err) }, 'cluster state: offline update failed (repaired at the next resync)');
      return false;
    }
  }

  async onlineAmong(uids: string[]): Promise<Set<string>> {
    if (uids.length === 0) return new Set();
    const names = await this.redis.hmget(this.k.online(), ...uids);
    return new Set(uids.filter((_, i) => names[i] !== null));
  }

  async onlineUsers(limit: number): Promise<{ users: UserRef[]; total: number }> {
    const users: UserRef[] = [];
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.k.online(), cursor, 'COUNT', Math.max(10, Math.min(limit, 1000)));
      cursor = next;
      for (const u of pairs(flat)) if (users.length < limit) users.push(u);
    } while (cursor !== '0' && users.length < limit);
    const total = await this.redis.hlen(this.k.online());
    this.count = total;
    return { users, total };
  }

  async nodes(): Promise<string[]> {
    return this.redis.zrange(this.k.nodes(), '0', '-1');
  }

  onlineCount(): number {
    return this.count;
  }

  async agree(key: string, candidate: string): Promise<string> {
    await this.redis.set(this.k.agree(key), candidate, 'PX', 60_000, 'NX');
    return (await this.redis.get(this.k.agree(key))) ?? candidate;
  }
}
