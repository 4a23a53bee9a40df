/**
 * The membership book: the RoomInfo of every room the user is a member of, kept in step with the
 * per-room seq tracking of ./sync.ts (a room is tracked exactly when it is in the book).
 *
 * Sources of truth: `welcome.rooms` (replaces the book on every handshake), `joined` replies and
 * `room_added` events (add; the room is tracked from its lastSeq, older msgs being history),
 * `left` replies and `room_removed` events (remove). RoomInfo objects are replaced, never mutated,
 * so UIs can compare by reference; lastSeq/lastRead/members follow msgs, read markers and member
 * events.
 *
 * Delivered seqs are recorded in a small pending map and folded into the RoomInfo objects when the
 * book is next read (`map`, or any other update): a client receiving a million msgs/s (the load
 * generator) would otherwise allocate a new RoomInfo per msg. Readers see exactly the same values.
 */
import type { MemberEvent, RoomInfo } from '../protocol/index.js';
import type { Emitter } from './emitter.js';
import type { RoomSync } from './sync.js';
import type { ChatClientEvents } from './types.js';

export class RoomBook {
  private readonly rooms = new Map<string, RoomInfo>();
  /** Highest delivered seq per room not yet folded into `rooms`. */
  private readonly delivering = new Map<string, number>();

  constructor(
    private readonly sync: RoomSync,
    private readonly events: Emitter<ChatClientEvents>,
  ) {}

  /**
   * Replaces the book with a welcome's rooms. Rooms in `resume` (what hello sent) start from that
   * position (clamped to lastSeq), the others from lastSeq. Returns what changed; the caller emits.
   */
  reconcile(rooms: RoomInfo[], resume: ReadonlyMap<string, number>): { added: RoomInfo[]; removed: string[] } {
    const incoming = new Set(rooms.map((r) => r.id));
    const removed = [...this.map.keys()].filter((id) => !incoming.has(id));
    for (const id of removed) {
      this.map.delete(id);
      this.sync.remove(id);
    }
    const added: RoomInfo[] = [];
    for (const r of rooms) {
      if (!this.map.has(r.id)) added.push(r);
      this.map.set(r.id, r);
      const from = resume.get(r.id); // a Map: a room named "constructor" must not find Object
      this.sync.track(r.id, from === undefined ? r.lastSeq : Math.min(from, r.lastSeq));
    }
    return { added, removed };
  }

  /** joined / room_added: a new room is tracked from its lastSeq; a known one keeps its position. */
  add(room: RoomInfo): void {
    const known = this.map.has(room.id);
    this.map.set(room.id, room);
    if (known && this.sync.has(room.id)) return;
    this.sync.track(room.id, room.lastSeq);
    this.events.emit('roomAdded', room);
  }

  /** left / room_removed. */
  remove(room: string): void {
    this.sync.remove(room);
    if (this.map.delete(room)) this.events.emit('roomRemoved', { room });
  }

  /** The rooms, with every delivered seq applied. */
  get map(): Map<string, RoomInfo> {
    if (this.delivering.size > 0) this.fold();
    return this.rooms;
  }

  delivered(room: string, seq: number): void {
    const pending = this.delivering.get(room);
    if (pending === undefined ? this.rooms.has(room) : seq > pending) this.delivering.set(room, seq);
  }

  private fold(): void {
    for (const [room, seq] of this.delivering) {
      const r = this.rooms.get(room);
      if (r && seq > r.lastSeq) this.rooms.set(room, { ...r, lastSeq: seq });
    }
    this.delivering.clear();
  }

  read(room: string, seq: number): void {
    this.patch(room, (r) => (seq > r.lastRead ? { ...r, lastRead: seq } : r));
  }

  member(ev: MemberEvent): void {
    this.patch(ev.room, (r) =>
      r.kind === 'global' ? r : { ...r, members: Math.max(0, r.members + (ev.action === 'joined' ? 1 : -1)) },
    );
  }

  /** room_updated (admin): the read-only flag. */
  flags(room: string, readOnly: boolean): void {
    this.patch(room, (r) => {
      const { readOnly: _was, ...rest } = r;
      return readOnly ? { ...rest, readOnly: true } : rest;
    });
  }

  private patch(id: string, f: (r: RoomInfo) => RoomInfo): void {
    const r = this.map.get(id);
    if (r) this.map.set(id, f(r));
  }
}
