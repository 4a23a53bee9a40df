/**
 * The hub: who is where. Indexes room -> connections and user -> connections (fan-out never scans all
 * connections), keeps bus subscriptions for exactly the rooms and users that have local connections,
 * and delivers bus events: serialized once per event, then one queue push per recipient.
 */
import { GLOBAL_ROOM } from '../../protocol/rules.js';
import type { ResumeEvent, RoomAddedEvent, RoomInfo, RoomRemovedEvent, UserRef } from '../../protocol/types.js';
import { roomTopic, userTopic, type Bus, type BusMessage, type ControlEvent } from '../bus/bus.js';
import type { Metrics } from '../metrics.js';
import { msgEvent, type Store, type UserRoom } from '../store/store.js';
import type { Conn } from '../transport/connection.js';

/** Most messages sent to a connection catching up on a room it was added to (beyond: the client pages history). */
const CATCH_UP_MAX = 1000;

export class Hub {
  private readonly roomConns = new Map<string, Set<Conn>>();
  private readonly userConns = new Map<string, Set<Conn>>();
  /** Called when a user's first connection attaches / last one detaches. */
  onUserOnline: (user: UserRef, rooms: Iterable<string>) => void = () => {};
  onUserOffline: (user: UserRef, rooms: Iterable<string>) => void = () => {};
  /** Users online (cluster-wide when a cluster state is wired in): the member count of `general`. */
  countOnline: () => number = () => this.userConns.size;
  /** Rooms where sends are refused (set by the admin module's read-only cache). */
  isReadOnly: (room: string) => boolean = () => false;
  /** A catch-up stops once a connection has this many bytes unsent; the client pages the rest (set from config). */
  backlogBytes = 2 * 1024 * 1024;
  /** Control events published on room topics (admin: read-only flag changes). */
  onRoomControl: (room: string, control: ControlEvent) => void = () => {};

  constructor(
    readonly store: Store,
    readonly bus: Bus,
    private readonly metrics: Metrics,
  ) {}

  /** Registers an authenticated connection for its user and rooms. */
  attach(conn: Conn, rooms: Iterable<string>): void {
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
    if (first) this.onUserOnline({ id: user.id, name: user.name }, conn.rooms);
  }

  detach(conn: Conn): void {
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
      this.onUserOffline({ id: user.id, name: user.name }, rooms);
    }
  }

  addToRoom(conn: Conn, room: string): void {
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

  removeFromRoom(conn: Conn, room: string): void {
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
   * await it after registering a connection and before reading the rooms from the store.
   */
  async roomsReady(rooms: Iterable<string>): Promise<void> {
    if (!this.bus.ready) return;
    await Promise.all([...rooms].map((room) => this.bus.ready!(roomTopic(room))));
  }

  isOnline(uid: string): boolean {
    return this.userConns.has(uid);
  }

  connsOf(uid: string): ReadonlySet<Conn> | undefined {
    return this.userConns.get(uid);
  }

  /** Users online on this node. */
  onlineUsers(limit: number): UserRef[] {
    const out: UserRef[] = [];
    for (const set of this.userConns.values()) {
      if (out.length >= limit) break;
      const u = set.values().next().value!.user!;
      out.push({ id: u.id, name: u.name });
    }
    return out;
  }

  get onlineCount(): number {
    return this.userConns.size;
  }

  /** Bus handler: deliver an event published on a topic to this node's connections. */
  readonly deliver = (topic: string, msg: BusMessage): void => {
    const data = Buffer.from(msg.json); // serialized once; every recipient shares this buffer
    if (topic.startsWith('room:')) {
      const room = topic.slice(5);
      if (msg.control) this.onRoomControl(room, msg.control);
      const set = this.roomConns.get(room);
      if (!set) return;
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
   * A connection added to a room by an event (invited, a DM opened by the peer, joined in another tab): it is
   * registered with live events held, then sent what was committed after the `lastSeq` its `room_added` event
   * told it, then the held live events past that: no gap (even when this node's subscription to the room is
   * new and not yet effective when the event arrives), no duplicate.
   */
  private catchUp(conn: Conn, room: string, json: string): void {
    if (conn.rooms.has(room)) return;
    let from = 0;
    try {
      from = (JSON.parse(json) as RoomAddedEvent).room?.lastSeq ?? 0;
    } catch {
      // not a room_added event body: from 0
    }
    conn.hold(room);
    this.addToRoom(conn, room);
    void (async () => {
      let upTo = from;
      try {
        await this.roomsReady([room]);
        const missed = await this.store.history(room, { after: from, limit: CATCH_UP_MAX });
        let cut = missed.length === CATCH_UP_MAX;
        for (const m of missed) {
          if (conn.pendingBytes() > this.backlogBytes) {
            cut = true;
            break;
          }
          conn.send(msgEvent(m));
          upTo = m.seq;
        }
        // Cut short (too many, or the connection is backlogged): the client fills the rest from history.
        if (cut) conn.send({ type: 'resume', room, fromSeq: from, toSeq: upTo, complete: false } satisfies ResumeEvent);
      } catch {
        // Store or bus unavailable: live events still flow; the client fills the hole from history.
      }
      conn.release(room, upTo);
    })();
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
            const json = JSON.stringify({ type: 'room_added', room: this.roomInfo(r) } satisfies RoomAddedEvent);
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
    return info;
  }
}
