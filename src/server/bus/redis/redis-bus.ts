/**
 * The Redis Bus: nodes of a cluster exchange events through Redis pub/sub, one channel per topic
 * (`<prefix>:room:<id>`, `<prefix>:user:<id>`), so a node receives only the rooms and users it has local
 * connections for (the hub subscribes exactly those).
 *
 * - Sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7+) by default: each channel lives on the shard owning its
 *   hash slot, so a Redis Cluster spreads rooms over its shards instead of broadcasting every event to every
 *   shard. Redis 6 and older get classic PUBLISH/SUBSCRIBE (detected at start).
 * - `publish` delivers to this node synchronously (when it subscribes the topic) and sends ONE copy to Redis;
 *   the node's own copy coming back from Redis is recognised by the origin id in the envelope and skipped.
 * - Redis pub/sub is at-most-once. Room `msg` events go through a RoomSequencer: in seq order, exactly once,
 *   and gaps (a lost publication, a link drop) are filled from the store (`roomLog`). After the subscriber link
 *   comes back, every room is resubscribed and then resynced against the store head.
 * - While the link is down the node does not wait for it: every `outagePollMs` it reads the head of each
 *   room it serves from the store and delivers what other nodes committed meanwhile (the same fill as a
 *   gap), so members on every node keep getting every message, only later (up to that interval), and a
 *   long Redis outage loses nothing silently. Events on user topics (invitations, a DM opened, kicks)
 *   have no seq to read back: they wait for the link, then `onRecovered` resyncs memberships.
 * - `ready(topic)` resolves once publications from every node on the topic reach this node (SSUBSCRIBE
 *   acknowledged, and for rooms the store head read): the hub awaits it before reading a room's state from
 *   the store, so nothing committed after that read can be missed.
 *
 * Wire format of a publication: `<origin node id>\n<meta JSON>\n<event JSON>`: the event JSON, serialized
 * once by the publishing node, is passed through untouched.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import type { Bus, BusHandler, BusMessage, ControlEvent } from '../bus.js';
import { RoomSequencer, type RoomLog } from './sequencer.js';
import { connectRedis, parseRedisUrl, type RedisClient } from './redis-connect.js';

export interface RedisBusOptions {
  url: string;
  /** Channel prefix: several deployments can share one Redis. */
  prefix?: string;
  /** This node's id (unique in the cluster). Default: random. */
  nodeId?: string;
  /** Where gaps are filled from (the Store). Without it, room events are ordered but gaps are only skipped. */
  roomLog?: RoomLog | null;
  log?: Logger;
  /** 'auto' (default): sharded on Redis 7+, classic before. */
  mode?: 'auto' | 'sharded' | 'classic';
  /** Longest wait for a subscription to become effective before `ready` rejects. */
  subscribeTimeoutMs?: number;
  /** Most publications waiting for a Redis reconnect; beyond it they are dropped (receivers fill gaps from the store). */
  maxQueued?: number;
  /** Time a missing seq gets to arrive by Redis before it is read from the store. */
  gapWaitMs?: number;
  /** While the link is down: how often every served room is caught up from the store (ms; 0: never). */
  outagePollMs?: number;
  /** Counters for metrics. */
  stats?: Partial<RedisBusStats>;
}

export interface RedisBusStats {
  onReconnect(): void;
  onFilled(count: number): void;
  onSkipped(count: number): void;
  onDropped(): void;
}

interface Meta {
  s?: number;
  u?: string;
  c?: string;
  p?: 1;
  k?: ControlEvent;
}

function encode(origin: string, msg: BusMessage): string {
  const meta: Meta = {};
  if (msg.seq !== undefined) meta.s = msg.seq;
  if (msg.excludeUid !== undefined) meta.u = msg.excludeUid;
  if (msg.excludeConn !== undefined) meta.c = msg.excludeConn;
  if (msg.presence) meta.p = 1;
  if (msg.control !== undefined) meta.k = msg.control;
  return `${origin}\n${JSON.stringify(meta)}\n${msg.json}`;
}

function decode(payload: string): { origin: string; msg: BusMessage } | null {
  const a = payload.indexOf('\n');
  const b = a < 0 ? -1 : payload.indexOf('\n', a + 1);
  if (b < 0) return null;
  let meta: Meta;
  try {
    meta = JSON.parse(payload.slice(a + 1, b)) as Meta;
  } catch {
    return null;
  }
  const msg: BusMessage = { json: payload.slice(b + 1) };
  if (meta.s !== undefined) msg.seq = meta.s;
  if (meta.u !== undefined) msg.excludeUid = meta.u;
  if (meta.c !== undefined) msg.excludeConn = meta.c;
  if (meta.p) msg.presence = true;
  if (meta.k !== undefined) msg.control = meta.k;
  return { origin: payload.slice(0, a), msg };
}

const ROOM = 'room:';

/** How often a node whose Redis link is down reads its rooms' heads from the store. */
export const DEFAULT_OUTAGE_POLL_MS = 500;
/** A "still unreachable" warning every this many polls (10 s at the default). */
const OUTAGE_LOG_EVERY = 20;

export class RedisBus implements Bus {
  readonly kind = 'redis' as const;
  readonly nodeId: string;
  private readonly prefix: string;
  private readonly cluster: boolean;
  private handler: BusHandler | null = null;
  /** Called after a lost link was re-established and every room resynced (the hub resyncs memberships). */
  private onRecovered?: () => void;
  private readonly topics = new Set<string>();
  private readonly readiness = new Map<string, Promise<void>>();
  private readonly sequencer: RoomSequencer;
  private pub: RedisClient | null = null;
  private sub: RedisClient | null = null;
  private sharded = true;
  private started = false;
  private closed = false;
  private linkLost = false;
  private recovering: Promise<void> | null = null;
  private queued = 0;
  /** While the link is down: the store poll (outagePollMs) and when the outage began. */
  private outage: { timer: NodeJS.Timeout; since: number; polling: boolean; polls: number } | null = null;

  constructor(private readonly opts: RedisBusOptions) {
    parseRedisUrl(opts.url); // a bad URL fails at construction, with a clear message
    this.nodeId = opts.nodeId ?? randomBytes(6).toString('hex');
    this.prefix = `${opts.prefix ?? 'scale-chat'}:`;
    this.cluster = parseRedisUrl(opts.url).cluster;
    this.sequencer = new RoomSequencer((room, m) => this.handler?.(ROOM + room, m as BusMessage), opts.roomLog ?? null, {
      gapWaitMs: opts.gapWaitMs,
      onFilled: (room, n) => {
        opts.stats?.onFilled?.(n);
        opts.log?.info({ room, filled: n }, 'bus: gap filled from the store');
      },
      onSkipped: (room, from, to, err) => {
        opts.stats?.onSkipped?.(to - from + 1);
        opts.log?.warn({ room, from, to, err: String(err) }, 'bus: gap not filled (clients fill it from history)');
      },
    });
  }

  async start(handler: BusHandler, onRecovered?: () => void): Promise<void> {
    if (this.closed) throw new Error('RedisBus is closed');
    this.handler = handler;
    this.onRecovered = onRecovered;
    const log = this.opts.log;
    const onMessage = (channel: string, payload: string) => this.onMessage(channel, payload);
    if (this.cluster) {
      // One Cluster object: commands go to the slot's master, SSUBSCRIBEs to one subscriber per shard.
      const c = connectRedis(this.opts.url, `scale-chat-bus-${this.nodeId}`);
      this.pub = this.sub = c;
      c.on('smessage', onMessage);
      c.on('error', (err: Error) => log?.warn({ err: err.message }, 'bus: redis cluster error'));
      for (const ev of ['-node', '-subscriber', 'close']) c.on(ev, () => this.lost());
      for (const ev of ['+subscriber', 'subscribersReady', 'ready']) c.on(ev, () => this.back());
    } else {
      this.pub = connectRedis(this.opts.url, `scale-chat-pub-${this.nodeId}`);
      // The subscriber resubscribes itself after a reconnect (then resyncs rooms from the store).
      this.sub = connectRedis(this.opts.url, `scale-chat-sub-${this.nodeId}`, { autoResubscribe: false });
      this.sub.on('smessage', onMessage);
      this.sub.on('message', onMessage);
      this.pub.on('error', (err: Error) => log?.warn({ err: err.message }, 'bus: redis publisher error'));
      this.sub.on('error', (err: Error) => log?.warn({ err: err.message }, 'bus: redis subscriber error'));
      this.sub.on('close', () => this.lost());
      this.sub.on('ready', () => this.back());
    }
    try {
      await (this.cluster ? this.pub.connect() : Promise.all([this.pub.connect(), this.sub.connect()]));
      const info = (await (this.pub as Redis).info('server')) as string;
      const major = Number(/redis_version:(\d+)/.exec(info)?.[1] ?? '7');
      const mode = this.opts.mode ?? 'auto';
      this.sharded = mode === 'sharded' || (mode === 'auto' && major >= 7);
      if (this.cluster && !this.sharded) throw new Error('a Redis Cluster needs Redis 7+ (sharded pub/sub)');
    } catch (err) {
      this.pub.disconnect();
      this.sub.disconnect();
      throw new Error(`cannot use Redis at ${this.opts.url}: ${(err as Error).message}`);
    }
    this.started = true;
    log?.info({ sharded: this.sharded, cluster: this.cluster }, 'bus: connected to redis');
  }

  private channel(topic: string): string {
    return this.prefix + topic;
  }

  subscribe(topic: string): void {
    if (this.topics.has(topic) || this.closed) return;
    this.topics.add(topic);
    const room = topic.startsWith(ROOM) ? topic.slice(ROOM.length) : null;
    if (room !== null) this.sequencer.open(room);
    const p = this.confirm(topic, room);
    p.catch(() => {}); // callers that care await ready(); a failure here is retried on reconnect
    this.readiness.set(topic, p);
  }

  /** SSUBSCRIBE (acknowledged), then the room's baseline from the store. */
  private async confirm(topic: string, room: string | null): Promise<void> {
    const sub = this.sub;
    if (!sub) throw new Error('RedisBus not started');
    const ch = this.channel(topic);
    await this.withTimeout(this.sharded ? (sub as Redis).ssubscribe(ch) : (sub as Redis).subscribe(ch), `subscribe ${topic}`);
    if (room !== null && this.opts.roomLog && this.topics.has(topic)) {
      const head = await this.opts.roomLog.head(room);
      if (this.topics.has(topic)) this.sequencer.baseline(room, head);
    }
  }

  private withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    const ms = this.opts.subscribeTimeoutMs ?? 5000;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`bus: ${what} not acknowledged by Redis within ${ms} ms`)), ms);
      p.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e) => {
          clearTimeout(t);
          reject(e);
        },
      );
    });
  }

  /** Resolves once the topic's subscription is effective (rejects when Redis does not answer in time). */
  ready(topic: string): Promise<void> {
    const p = this.readiness.get(topic);
    if (!p) return this.topics.has(topic) ? Promise.resolve() : Promise.reject(new Error(`bus: not subscribed to ${topic}`));
    return p.catch(async (err) => {
      // A failed attempt may have been retried by a reconnect meanwhile.
      const again = this.readiness.get(topic);
      if (again && again !== p) return again;
      throw err;
    });
  }

  unsubscribe(topic: string): void {
    if (!this.topics.delete(topic)) return;
    this.readiness.delete(topic);
    if (topic.startsWith(ROOM)) this.sequencer.close(topic.slice(ROOM.length));
    const sub = this.sub as Redis | null;
    if (!sub || this.closed) return;
    const ch = this.channel(topic);
    (this.sharded ? sub.sunsubscribe(ch) : sub.unsubscribe(ch)).catch(() => {});
  }

  async ping(): Promise<void> {
    if (!this.pub || this.closed) throw new Error('bus: not connected');
    await this.pub.ping();
  }

  publish(topic: string, msg: BusMessage): void {
    if (this.closed) return;
    if (this.topics.has(topic)) this.dispatch(topic, msg);
    const pub = this.pub as Redis | null;
    if (!pub) return;
    if (pub.status !== 'ready') {
      // Waiting for a reconnect: keep a bounded number; the rest is filled from the store by the receivers.
      if (this.queued >= (this.opts.maxQueued ?? 100_000)) {
        this.opts.stats?.onDropped?.();
        return;
      }
    }
    this.queued++;
    const payload = encode(this.nodeId, msg);
    const ch = this.channel(topic);
    (this.sharded ? pub.spublish(ch, payload) : pub.publish(ch, payload))
      .catch((err: Error) => {
        this.opts.stats?.onDropped?.();
        this.opts.log?.warn({ topic, err: err.message }, 'bus: publish failed (receivers fill the gap from the store)');
      })
      .finally(() => this.queued--);
  }

  private onMessage(channel: string, payload: string): void {
    if (!channel.startsWith(this.prefix)) return;
    const topic = channel.slice(this.prefix.length);
    if (!this.topics.has(topic)) return;
    const d = decode(payload);
    if (!d) {
      this.opts.log?.warn({ channel }, 'bus: undecodable publication ignored');
      return;
    }
    if (d.origin === this.nodeId) return; // delivered locally when it was published
    this.dispatch(topic, d.msg);
  }

  private dispatch(topic: string, msg: BusMessage): void {
    if (msg.seq !== undefined && topic.startsWith(ROOM)) this.sequencer.push(topic.slice(ROOM.length), msg);
    else this.handler?.(topic, msg);
  }

  private lost(): void {
    if (!this.started || this.closed) return;
    if (!this.linkLost) this.opts.log?.warn('bus: redis link lost: delivering from the store until it is back, then resubscribing');
    this.linkLost = true;
    const every = this.opts.outagePollMs ?? DEFAULT_OUTAGE_POLL_MS;
    if (this.outage || !this.opts.roomLog || every <= 0) return;
    const outage = { timer: setInterval(() => void this.pollStore(), every), since: Date.now(), polling: false, polls: 0 };
    outage.timer.unref();
    this.outage = outage;
  }

  /** The link is down: catch every served room up from the store (what other nodes committed meanwhile). */
  private async pollStore(): Promise<void> {
    const o = this.outage;
    if (!o || o.polling || this.closed) return;
    o.polling = true;
    let r = { rooms: 0, failed: 0 };
    try {
      r = await this.resyncRooms(true);
    } finally {
      o.polling = false;
    }
    if (++o.polls % OUTAGE_LOG_EVERY === 0 && this.outage === o) {
      this.opts.log?.warn({ downForMs: Date.now() - o.since, rooms: r.rooms, storeReadsFailed: r.failed }, 'bus: redis still unreachable (reconnecting): delivering from the store');
    }
  }

  private endOutage(): void {
    if (!this.outage) return;
    clearInterval(this.outage.timer);
    this.opts.log?.info({ downForMs: Date.now() - this.outage.since }, 'bus: redis link back');
    this.outage = null;
  }

  /** The link is back: resubscribe everything (single server), then catch every room up from the store. */
  private back(): void {
    if (!this.started || this.closed || !this.linkLost || this.recovering) return;
    this.linkLost = false;
    this.endOutage();
    this.opts.stats?.onReconnect?.();
    this.recovering = this.recover()
      .catch((err) => this.opts.log?.error({ err }, 'bus: recovery after reconnect failed'))
      .finally(() => {
        this.recovering = null;
        if (this.linkLost) this.back();
      });
  }

  private async recover(): Promise<void> {
    const topics = [...this.topics];
    if (!this.cluster) {
      // Resubscribe with fresh readiness promises (a join waiting on ready() gets the new one).
      const subs = topics.map((topic) => {
        const p = this.withTimeout(
          this.sharded ? (this.sub as Redis).ssubscribe(this.channel(topic)) : (this.sub as Redis).subscribe(this.channel(topic)),
          `resubscribe ${topic}`,
        ).then(() => undefined);
        p.catch(() => {});
        this.readiness.set(topic, p);
        return p;
      });
      await Promise.all(subs);
    }
    // Every room: read the store head and fill what was published while the link was down.
    const { rooms } = await this.resyncRooms();
    this.opts.log?.info({ topics: topics.length, rooms }, 'bus: resubscribed and resynced after a redis reconnect');
    this.onRecovered?.();
  }

  /** Reads every served room's head from the store and fills up to it; resolves with the rooms and those that failed. */
  private async resyncRooms(quiet = false): Promise<{ rooms: number; failed: number }> {
    let failed = 0;
    const rooms = [...this.topics].filter((t) => t.startsWith(ROOM)).map((t) => t.slice(ROOM.length));
    let i = 0;
    const worker = async () => {
      while (i < rooms.length && !this.closed) {
        const room = rooms[i++];
        try {
          if (this.sequencer.lastSeq(room) === null && this.opts.roomLog && this.sequencer.has(room)) {
            // Subscribed while the link was down: set its baseline now.
            this.sequencer.baseline(room, await this.opts.roomLog.head(room));
          } else {
            await this.sequencer.resync(room);
          }
        } catch (err) {
          failed++;
          if (!quiet) this.opts.log?.warn({ room, err: String(err) }, 'bus: resync of a room failed (clients fill the gap from history)');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, rooms.length) }, worker));
    return { rooms: rooms.length, failed };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handler = null;
    if (this.outage) clearInterval(this.outage.timer);
    this.outage = null;
    for (const t of this.topics) if (t.startsWith(ROOM)) this.sequencer.close(t.slice(ROOM.length));
    this.topics.clear();
    this.readiness.clear();
    const clients = new Set([this.pub, this.sub].filter((c): c is RedisClient => c !== null));
    await Promise.all(
      [...clients].map(async (c) => {
        try {
          if (c.status === 'ready') await c.quit();
          else c.disconnect();
        } catch {
          c.disconnect();
        }
      }),
    );
  }
}
