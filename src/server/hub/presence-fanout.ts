/**
 * Presence delivery by room size (docs/protocol.md 7.6). The coalescer publishes one diff per room and
 * interval; on each node this module decides who gets it:
 * - a small room (at most `largeRoom` users online): every connection of the room with presence on, as
 *   always;
 * - a large room: only the connections that subscribed to its member list (`members {subscribe:true}`);
 *   every other connection with presence on gets a `presence_count` event instead, at most once per
 *   interval and only when the count changed. So per-client presence traffic in a large room does not grow
 *   with the room (Discord does the same for large guilds: counts, and member lists fetched lazily).
 *
 * The count of users online in a room is kept per node: a snapshot (`countOnline`: the cluster state and the
 * store) taken when the room's first diff arrives, moved by every diff (each is a cluster-level transition,
 * published once cluster-wide), and taken again when older than RECOUNT_MS while diffs flow, which repairs
 * any drift (a diff that crossed a snapshot). A room is large above `largeRoom` and small again below 90% of
 * it, so a count wandering around the threshold does not flip it (each flip to small makes clients refetch).
 * Entries exist only for rooms with local connections (swept with the hub's index); subscriptions live on
 * the connection (a WeakMap) and are bounded per connection.
 */
import { encodeEvent } from '../../protocol/encode.js';
import type { PresenceCountEvent, PresenceEvent } from '../../protocol/types.js';
import type { BusMessage } from '../bus/bus.js';
import type { HubConn } from './conn.js';

/** Rooms whose member list one connection may subscribe to at a time. */
export const MEMBER_SUBSCRIPTIONS_MAX = 8;
/** A room's count is taken again from the cluster state when older than this (while diffs flow). */
export const RECOUNT_MS = 30_000;
/** Once large, a room is small again only below this share of `largeRoom`. */
const SMALL_AGAIN = 0.9;

/** What the hub hands presence bus messages to (instead of delivering them itself). */
export interface PresenceDelivery {
  /** Delivers one presence diff of `room` to the right ones of its local connections; returns how many got something. */
  deliver(room: string, conns: ReadonlySet<HubConn>, msg: BusMessage, data: Buffer): number;
}

export interface PresenceFanoutOptions {
  /** Users online above which a room is large (Config.presenceLargeRoom). */
  largeRoom: number;
  /** At most one count event per room per this interval (Config.presenceIntervalMs). */
  intervalMs: number;
  /** Users online in `room` cluster-wide, read from the cluster state (a snapshot). */
  countOnline(room: string): Promise<number>;
  /** Told when a snapshot could not be read (the room stays as it was). */
  onError?(room: string, err: unknown): void;
}

interface RoomState {
  /** Users online; undefined until the first snapshot is read. */
  count: number | undefined;
  large: boolean;
  countedAt: number;
  counting: boolean;
  /** The last count event sent (and whether it said large), and when. */
  sent: { count: number; large: boolean } | undefined;
  sentAt: number;
  timer: NodeJS.Timeout | undefined;
  /** The hub's live set of this room's local connections (empty once the hub dropped the room). */
  conns: ReadonlySet<HubConn>;
}

export class PresenceFanout implements PresenceDelivery {
  private readonly rooms = new Map<string, RoomState>();
  private readonly subs = new WeakMap<HubConn, Set<string>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly o: PresenceFanoutOptions) {
    this.sweeper = setInterval(() => this.sweep(), RECOUNT_MS);
    this.sweeper.unref();
  }

  /** Is `room` large, as this node counts it now? (false while nothing is known: diffs go to everyone) */
  isLarge(room: string): boolean {
    return this.rooms.get(room)?.large ?? false;
  }

  /** Users online in `room` as this node counts it, if known. */
  count(room: string): number | undefined {
    return this.rooms.get(room)?.count;
  }

  /** The connection gets `room`'s diffs even while it is large. False when it is at MEMBER_SUBSCRIPTIONS_MAX rooms. */
  subscribe(conn: HubConn, room: string): boolean {
    let set = this.subs.get(conn);
    if (!set) {
      set = new Set();
      this.subs.set(conn, set);
    }
    if (set.has(room)) return true;
    for (const r of set) if (!conn.rooms.has(r)) set.delete(r); // rooms left meanwhile (another tab, an admin)
    if (set.size >= MEMBER_SUBSCRIPTIONS_MAX) return false;
    set.add(room);
    return true;
  }

  unsubscribe(conn: HubConn, room: string): void {
    this.subs.get(conn)?.delete(room);
  }

  isSubscribed(conn: HubConn, room: string): boolean {
    return this.subs.get(conn)?.has(room) ?? false;
  }

  deliver(room: string, conns: ReadonlySet<HubConn>, msg: BusMessage, data: Buffer): number {
    const r = this.state(room, conns);
    const ev = JSON.parse(msg.json) as PresenceEvent;
    if (r.count !== undefined) r.count = Math.max(0, r.count + ev.online.length - ev.offline.length);
    if (r.count === undefined || Date.now() - r.countedAt > RECOUNT_MS) this.recount(room, r);
    this.classify(room, r);
    let n = 0;
    for (const conn of conns) {
      const subscribed = this.isSubscribed(conn, room);
      if (!subscribed && (r.large || !conn.presence)) continue;
      conn.deliver(room, data, undefined);
      n++;
    }
    if (r.large) n += this.countSoon(room, r);
    return n;
  }

  stop(): void {
    clearInterval(this.sweeper);
    for (const r of this.rooms.values()) clearTimeout(r.timer);
    this.rooms.clear();
  }

  private state(room: string, conns: ReadonlySet<HubConn>): RoomState {
    let r = this.rooms.get(room);
    if (!r) {
      r = { count: undefined, large: false, countedAt: 0, counting: false, sent: undefined, sentAt: 0, timer: undefined, conns };
      this.rooms.set(room, r);
    }
    r.conns = conns;
    return r;
  }

  /** Takes the room's count from the cluster state; a new large room gets its first count event. */
  private recount(room: string, r: RoomState): void {
    if (r.counting) return;
    r.counting = true;
    this.o.countOnline(room).then(
      (count) => {
        r.counting = false;
        r.count = count;
        r.countedAt = Date.now();
        this.classify(room, r);
        if (r.large) this.countSoon(room, r);
      },
      (err) => {
        r.counting = false;
        r.countedAt = Date.now(); // try again after RECOUNT_MS, not on every diff
        this.o.onError?.(room, err);
      },
    );
  }

  /** Large above `largeRoom`, small again below 90% of it; becoming small is told at once (clients refetch). */
  private classify(room: string, r: RoomState): void {
    if (r.count === undefined) return;
    if (!r.large && r.count > this.o.largeRoom) r.large = true;
    else if (r.large && r.count < Math.floor(this.o.largeRoom * SMALL_AGAIN)) {
      r.large = false;
      clearTimeout(r.timer);
      r.timer = undefined;
      this.sendCount(room, r);
    }
  }

  /** Sends the count now if the last one is an interval old, else once the interval is over. Returns how many got it now. */
  private countSoon(room: string, r: RoomState): number {
    if (r.timer) return 0;
    const wait = r.sentAt + this.o.intervalMs - Date.now();
    if (wait <= 0) return this.sendCount(room, r);
    r.timer = setTimeout(() => this.sendCount(room, r), wait);
    r.timer.unref();
    return 0;
  }

  private sendCount(room: string, r: RoomState): number {
    r.timer = undefined;
    if (r.count === undefined || (r.sent && r.sent.count === r.count && r.sent.large === r.large)) return 0;
    const ev: PresenceCountEvent = { type: 'presence_count', room, count: r.count, large: r.large };
    const data = Buffer.from(encodeEvent(ev));
    let n = 0;
    for (const conn of r.conns) {
      if (!conn.presence && !this.isSubscribed(conn, room)) continue;
      conn.deliver(room, data, undefined);
      n++;
    }
    r.sent = { count: r.count, large: r.large };
    r.sentAt = Date.now();
    return n;
  }

  /** Forgets rooms without local connections (the hub dropped them). */
  private sweep(): void {
    for (const [room, r] of this.rooms) {
      if (r.conns.size > 0) continue;
      clearTimeout(r.timer);
      this.rooms.delete(room);
    }
  }
}
