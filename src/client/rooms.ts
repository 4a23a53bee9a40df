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
 *
 * Unread and mention counts (`unread`, `mentions`: always set in the book): the server's counts of a
 * snapshot (welcome, joined, room_added: they cover the room up to that RoomInfo's lastSeq), plus the
 * messages delivered after it that count (new messages of others after the read marker; never change
 * events or tombstones; replayed ones inside the snapshot are not counted twice). A read marker at or past
 * the snapshot clears the server's part; the seqs counted here are kept (the newest UNREAD_CAP) so a read
 * marker in their middle leaves the exact rest. Both stop at UNREAD_CAP, like the server's.
 */
import { UNREAD_CAP, type MemberEvent, type MsgEvent, type RoomInfo } from '../protocol/types.js';
import type { Emitter } from './emitter.js';
import type { RoomSync } from './sync.js';
import type { ChatClientEvents } from './types.js';

/** The counts of one room (see the top of this file). */
interface Counts {
  /** The server's snapshot: its lastSeq and its counts. */
  baseTo: number;
  baseUnread: number;
  baseMentions: number;
  /** Highest seq looked at (counted or not). */
  to: number;
  /** Seqs counted since the snapshot, ascending, the newest UNREAD_CAP. */
  unread: number[];
  mentions: number[];
}

/** What `count` found a delivered message to be. */
export type Counted = 'none' | 'unread' | 'mention';

export class RoomBook {
  private readonly rooms = new Map<string, RoomInfo>();
  /** Highest delivered seq per room not yet folded into `rooms`. */
  private readonly delivering = new Map<string, number>();
  private readonly counts = new Map<string, Counts>();
  /** Rooms whose counts changed since the last fold. */
  private readonly recount = new Set<string>();

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
      this.counts.delete(id);
      this.sync.remove(id);
    }
    const added: RoomInfo[] = [];
    for (const given of rooms) {
      const r = this.base(given);
      if (!this.map.has(r.id)) added.push(r);
      this.map.set(r.id, r);
      const from = resume.get(r.id); // a Map: a room named "constructor" must not find Object
      this.sync.track(r.id, from === undefined ? r.lastSeq : Math.min(from, r.lastSeq));
    }
    return { added, removed };
  }

  /** joined / room_added: a new room is tracked from its lastSeq; a known one keeps its position. */
  add(given: RoomInfo): void {
    const known = this.map.has(given.id);
    const room = this.base(given);
    this.map.set(room.id, room);
    if (known && this.sync.has(room.id)) return;
    this.sync.track(room.id, room.lastSeq);
    this.events.emit('roomAdded', room);
  }

  /** left / room_removed. */
  remove(room: string): void {
    this.sync.remove(room);
    this.counts.delete(room);
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
    for (const room of this.recount) {
      const r = this.rooms.get(room);
      if (r) this.rooms.set(room, this.withCounts(r));
    }
    this.recount.clear();
  }

  /** A server RoomInfo as the book keeps it: its counts become the room's snapshot. */
  private base(r: RoomInfo): RoomInfo {
    const c: Counts = { baseTo: r.lastSeq, baseUnread: r.unread ?? 0, baseMentions: r.mentions ?? 0, to: r.lastSeq, unread: [], mentions: [] };
    this.counts.set(r.id, c);
    this.recount.delete(r.id);
    return this.withCounts(r);
  }

  private withCounts(r: RoomInfo): RoomInfo {
    const c = this.counts.get(r.id);
    if (!c) return r;
    const inBase = r.lastRead < c.baseTo;
    const after = (seqs: number[]): number => {
      let n = 0;
      for (let i = seqs.length - 1; i >= 0 && seqs[i] > r.lastRead; i--) n++;
      return n;
    };
    const unread = Math.min(UNREAD_CAP, (inBase ? c.baseUnread : 0) + after(c.unread));
    const mentions = Math.min(UNREAD_CAP, (inBase ? c.baseMentions : 0) + after(c.mentions));
    return r.unread === unread && r.mentions === mentions ? r : { ...r, unread, mentions };
  }

  /**
   * A delivered msg (in seq order per room): whether it counts as unread for `me`, and as a mention.
   * Only messages after the room's snapshot count (a replay inside it was counted by the server); a
   * removal of a message counted here uncounts it.
   */
  count(msg: MsgEvent, me: string | undefined): Counted {
    const c = this.counts.get(msg.room);
    if (!c || msg.seq <= c.to) return 'none';
    c.to = msg.seq;
    if (msg.change) {
      if (msg.change.kind === 'remove') {
        const t = msg.change.target;
        const drop = (seqs: number[]): boolean => {
          const i = seqs.indexOf(t);
          if (i >= 0) seqs.splice(i, 1);
          return i >= 0;
        };
        const a = drop(c.unread);
        const b = drop(c.mentions);
        if (a || b) this.recount.add(msg.room);
      }
      return 'none';
    }
    if (msg.deleted || msg.uid === me) return 'none';
    const r = this.rooms.get(msg.room);
    if (!r || msg.seq <= r.lastRead) return 'none';
    const mentioned = Boolean(msg.mentionAll || (me !== undefined && msg.mentions?.some((u) => u.id === me)));
    push(c.unread, msg.seq);
    if (mentioned) push(c.mentions, msg.seq);
    this.recount.add(msg.room);
    return mentioned ? 'mention' : 'unread';
  }

  read(room: string, seq: number): void {
    const c = this.counts.get(room);
    if (c) {
      // What is read is forgotten (the counts derive from lastRead, this only bounds the lists).
      c.unread = c.unread.filter((s) => s > seq);
      c.mentions = c.mentions.filter((s) => s > seq);
    }
    this.patch(room, (r) => (seq > r.lastRead ? this.withCounts({ ...r, lastRead: seq }) : r));
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

/** Appends a seq, keeping the newest UNREAD_CAP. */
function push(seqs: number[], seq: number): void {
  seqs.push(seq);
  if (seqs.length > UNREAD_CAP) seqs.shift();
}
