/**
 * The hub: who is where. Indexes room -> connections and user -> connections (fan-out never scans all
 * connections), keeps bus subscriptions for exactly the rooms and users that have local connections,
 * delivers bus events (serialized once per event, then one queue push per recipient), and lets a
 * connection enter rooms without gap or duplicate (`enter`: sign-in with resume, join, create, DM, invite).
 */
import { encodeEvent, encodeMsg } from '../../protocol/encode.js';
import { GLOBAL_ROOM } from '../../protocol/rules.js';
import type { RoomAddedEvent, RoomInfo, RoomRemovedEvent, UserRef } from '../../protocol/types.js';
import { roomTopic, userTopic, type Bus, type BusMessage, type ControlEvent } from '../bus/bus.js';
import type { Metrics } from '../metrics.js';
import type { ChatStore, UserRoom } from '../store/store.js';
import type { HubConn } from './conn.js';
import type { PresenceDelivery } from './presence-fanout.js';

/** Node-level presence transitions: a user's first connection here attached, or its last one detached. */
export interface PresenceHooks {
  online(user: UserRef, rooms: readonly string[]): void;
  offline(user: UserRef, rooms: readonly string[]): void;
}

/** Per-room flags kept by the admin module (read-only rooms), and the control events that change them. */
export interface RoomFlags {
  isReadOnly(room: string): boolean;
  onControl(room: string, control: ControlEvent): void;
}

export interface HubDeps {
  store: ChatStore;
  bus: Bus;
  metrics: Metrics;
  /** Most messages replayed to a connection entering a room (beyond: `resume {complete:false}`, the client pages). */
  replayMax: number;
  presence?: PresenceHooks;
  /** Users online (cluster-wide when a cluster state is wired in): the member count of `general`. */
  countOnline?: () => number;
  roomFlags?: RoomFlags;
  /** Delivers presence diffs by room size (large rooms: counts, diffs to subscribers); default: to every connection with presence on. */
  presenceDelivery?: PresenceDelivery;
}

/** A room as `enter` read it (the store's record with the user's read marker and member count). */
export type EnteredRoom = UserRoom;

export interface EnterOptions {
  /** The client's last seq per room: what was committed after it is sent before the room's live events. */
  resume?: ReadonlyMap<string, number>;
  /** The position of rooms not in `resume` (a catch-up after `room_added`: the lastSeq that event told). */
  from?: number;
  /** Called once the rooms are read and before anything is replayed: the caller's reply (welcome, joined). */
  announce?: (rooms: UserRoom[]) => void;
  /** A `resume` event after every replayed room (sign-in), or only after a replay cut short (catch-up). */
  resumeEvents: 'always' | 'when-cut';
  /** If entering fails: keep the rooms registered with live events flowing (catch-up: the client fills the
   *  hole), or unregister them (sign-in, join). */
  keepOnFailure: boolean;
}

const NO_FLAGS: RoomFlags = { isReadOnly: () => false, onControl: () => {} };

export class Hub {
  readonly store: ChatStore;
  readonly bus: Bus;
  private readonly metrics: Metrics;
  private readonly replayMax: number;
  private readonly presence?: PresenceHooks;
  private readonly countOnline: () => number;
  private readonly roomFlags: RoomFlags;
  private readonly presenceDelivery?: PresenceDelivery;
  private readonly roomConns = new Map<string, Set<HubConn>>();
  private readonly userConns = new Map<string, Set<HubConn>>();

  constructor(d: HubDeps) {
    this.store = d.store;
    this.bus = d.bus;
    this.metrics = d.metrics;
    this.replayMax = d.replayMax;
    this.presence = d.presence;
    this.countOnline = d.countOnline ?? (() => this.userConns.size);
    this.roomFlags = d.roomFlags ?? NO_FLAGS;
    this.presenceDelivery = d.presenceDelivery;
  }

  /** Sends are refused in this room (an administrator made it read-only). */
  isReadOnly(room: string): boolean {
    return this.roomFlags.isReadOnly(room);
  }

  /** Is this user connected to this node? */
  isOnline(uid: string): boolean {
    return this.userConns.has(uid);
  }

  /**
   * Enters `rooms` ('all': every room of the user, which also registers the user: sign-in) without gap or
   * duplicate: the rooms' live events are held, the connection is registered, the bus confirms it delivers
   * every node's events of those rooms, the rooms are read from the store, `announce` replies, what was
   * committed after the client's position is replayed (while the connection is not backlogged: else
   * `resume {complete:false}` and the client pages), then the held live events after it are released.
   * Resolves with the rooms entered (a room the user is no longer in is left out and unregistered).
   */
  async enter(conn: HubConn, rooms: readonly string[] | 'all', opts: EnterOptions): Promise<UserRoom[]> {
    const uid = conn.user!.id;
    const ids = rooms === 'all' ? await this.store.listUserRoomIds(uid) : rooms;
    for (const id of ids) conn.hold(id);
    if (rooms === 'all') this.attach(conn, ids);
    else for (const id of ids) this.addToRoom(conn, id);
    const reached = new Map<string, number>();
    try {
      await this.roomsReady(ids);
      const wanted = new Set(ids);
      const entered = (await this.store.listUserRooms(uid, { counts: true })).filter((r) => wanted.has(r.id));
      const found = new Set(entered.map((r) => r.id));
      for (const id of ids) if (!found.has(id)) this.unregister(conn, id);
      opts.announce?.(entered);
      for (const r of entered) await this.replay(conn, r, opts, reached);
      return entered;
    } catch (err) {
      for (const id of ids) {
        if (opts.keepOnFailure) conn.release(id, reached.get(id) ?? opts.resume?.get(id) ?? opts.from ?? 0);
        else this.unregister(conn, id);
      }
      throw err;
    }
  }

  private async replay(conn: HubConn, r: UserRoom, opts: EnterOptions, reached: Map<string, number>): Promise<void> {
    const from = opts.resume?.get(r.id) ?? opts.from;
    if (from === undefined || from >= r.lastSeq) {
      conn.release(r.id, Math.max(from ?? r.lastSeq, r.lastSeq));
      return;
    }
    reached.set(r.id, from);
    const skipped = conn.backlogged();
    const missed = skipped ? [] : await this.store.history(r.id, { after: from, limit: this.replayMax + 1 });
    let complete = !skipped && missed.length <= this.replayMax;
    let toSeq = from;
    for (let i = 0; i < missed.length && i < this.replayMax; i++) {
      if (conn.backlogged()) {
        complete = false;
        break;
      }
      conn.push(Buffer.from(encodeMsg(missed[i])));
      toSeq = missed[i].seq;
      reached.set(r.id, toSeq);
    }
    if (opts.resumeEvents === 'always' || !complete) conn.send({ type: 'resume', room: r.id, fromSeq: from, toSeq, complete });
    conn.release(r.id, complete ? Math.max(toSeq, r.lastSeq) : toSeq);
  }

  /** Stops holding and unregisters a room the connection could not enter (held events are dropped). */
  private unregister(conn: HubConn, room: string): void {
    conn.release(room, Number.MAX_SAFE_INTEGER);
    this.removeFromRoom(conn, room);
  }

  /** Registers an authenticated connection for its user and rooms. */
  private attach(conn: HubConn, rooms: Iterable<string>): void {
    const user = conn.user!;
    let set = this.userConns.get(user.id);
    const first = !set;
    if (!set) {
      set = new Set();
      this.userConns.set(user.id, set);
      this.bus.subscribe(userTopic(user.id));
    }
    set.add(conn);
    for (const room of rooms) this.addToRoom(conn, room);
    if (first) this.presence?.online({ id: user.id, name: user.name }, [...conn.rooms]);
  }

  detach(conn: HubConn): void {
    const user = conn.user;
    if (!user) return;
    const rooms = [...conn.rooms];
    for (const room of rooms) this.removeFromRoom(conn, room);
    const set = this.userConns.get(user.id);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) {
      this.userConns.delete(user.id);
      this.bus.unsubscribe(userTopic(user.id));
      this.presence?.offline({ id: user.id, name: user.name }, rooms);
    }
  }

  private addToRoom(conn: HubConn, room: string): void {
    if (conn.rooms.has(room)) return;
    conn.rooms.add(room);
    let set = this.roomConns.get(room);
    if (!set) {
      set = new Set();
      this.roomConns.set(room, set);
      this.bus.subscribe(roomTopic(room));
    }
    set.add(conn);
  }

  removeFromRoom(conn: HubConn, room: string): void {
    if (!conn.rooms.delete(room)) return;
    const set = this.roomConns.get(room);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) {
      this.roomConns.delete(room);
      this.bus.unsubscribe(roomTopic(room));
    }
  }

  /**
   * Resolves once the bus delivers every node's events of these rooms to this node (subscriptions effective):
   * awaited after registering a connection and before reading the rooms from the store.
   */
  private async roomsReady(rooms: Iterable<string>): Promise<void> {
    if (!this.bus.ready) return;
    await Promise.all([...rooms].map((room) => this.bus.ready!(roomTopic(room))));
  }

  /** Bus handler: deliver an event published on a topic to this node's connections. */
  readonly deliver = (topic: string, msg: BusMessage): void => {
    const data = Buffer.from(msg.json); // serialized once; every recipient shares this buffer
    if (topic.startsWith('room:')) {
      const room = topic.slice(5);
      if (msg.control) this.roomFlags.onControl(room, msg.control);
      const set = this.roomConns.get(room);
      if (!set) return;
      if (msg.presence && this.presenceDelivery) {
        this.metrics.deliveries.inc(this.presenceDelivery.deliver(room, set, msg, data));
        return;
      }
      let n = 0;
      for (const conn of set) {
        if (msg.excludeConn === conn.id) continue;
        if (msg.excludeUid !== undefined && conn.user!.id === msg.excludeUid) continue;
        if (msg.presence && !conn.presence) continue;
        conn.deliver(room, data, msg.seq);
        n++;
      }
      this.metrics.deliveries.inc(n);
      return;
    }
    if (topic.startsWith('user:')) {
      const set = this.userConns.get(topic.slice(5));
      if (!set) return;
      for (const conn of [...set]) {
        if (msg.excludeConn === conn.id) continue;
        const c = msg.control;
        if (c?.kind === 'room_added') this.catchUp(conn, c.room, msg.json);
        else if (c?.kind === 'room_removed') this.removeFromRoom(conn, c.room);
        conn.push(data);
        if (c?.kind === 'close') conn.close(c.code, c.reason);
      }
      this.metrics.deliveries.inc(set.size);
    }
  };

  /**
   * A connection added to a room by an event (invited, a DM opened by the peer, joined in another tab) enters
   * it from the `lastSeq` its `room_added` event told: no gap (even when this node's subscription to the room
   * is new and not yet effective when the event arrives), no duplicate. The room is registered (and its live
   * events held) before the event itself is queued; if the store is unavailable, live events still flow and
   * the client fills the hole from history.
   */
  private catchUp(conn: HubConn, room: string, json: string): void {
    if (conn.rooms.has(room)) return;
    let from = 0;
    try {
      from = (JSON.parse(json) as RoomAddedEvent).room?.lastSeq ?? 0;
    } catch {
      // not a room_added event body: from 0
    }
    this.enter(conn, [room], { from, resumeEvents: 'when-cut', keepOnFailure: true }).catch(() => {});
  }

  /**
   * After the bus link to other nodes was lost (Redis restarted): membership events published meanwhile on
   * user channels (invited, a DM opened, left elsewhere) carry no seq and cannot be replayed, so every
   * local user's rooms are compared with the store: missing rooms are added (room_added, then catch-up),
   * rooms the user is no longer in are removed (room_removed).
   */
  async resyncMemberships(): Promise<void> {
    const users = [...this.userConns.keys()];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < users.length) {
        const uid = users[next++];
        if (!this.userConns.has(uid)) continue;
        let rooms: UserRoom[];
        try {
          rooms = await this.store.listUserRooms(uid);
        } catch {
          continue; // the store is unavailable: the user's next reconnect gets the rooms from welcome
        }
        const ids = new Set(rooms.map((r) => r.id));
        for (const conn of [...(this.userConns.get(uid) ?? [])]) {
          for (const r of rooms) {
            if (conn.rooms.has(r.id)) continue;
            const json = encodeEvent({ type: 'room_added', room: this.roomInfo(r) } satisfies RoomAddedEvent);
            this.catchUp(conn, r.id, json);
            conn.push(Buffer.from(json));
          }
          for (const room of [...conn.rooms]) {
            if (ids.has(room)) continue;
            this.removeFromRoom(conn, room);
            conn.send({ type: 'room_removed', room } satisfies RoomRemovedEvent);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, users.length) }, worker));
  }

  /** Room info as a client sees it. */
  roomInfo(r: UserRoom): RoomInfo {
    const info: RoomInfo = {
      id: r.id,
      kind: r.kind,
      lastSeq: r.lastSeq,
      lastRead: r.lastRead,
      members: r.id === GLOBAL_ROOM ? this.countOnline() : r.members,
    };
    if (r.peer) info.peer = r.peer;
    if (r.readOnly) info.readOnly = true;
    if (r.unread !== undefined) info.unread = r.unread;
    if (r.mentions !== undefined) info.mentions = r.mentions;
    return info;
  }
}
