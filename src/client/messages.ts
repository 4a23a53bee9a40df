/**
 * The SDK's view of each room's messages in their current state (docs/protocol.md 6.15): every message
 * the client saw (live, replayed or in a history page) is kept, at most `perRoom` per room (the newest
 * seqs), and every change event that reaches it (in seq order, through the same sync as messages, or
 * inside a history page) is applied with the protocol's own `applyChange`, so the final state is the
 * server's whatever the mix of live events, resumes, gap fills and history.
 */
import { applyChange } from '../protocol/changes.js';
import { msgEvent } from '../protocol/encode.js';
import type { MsgEvent } from '../protocol/types.js';

export class MessageStates {
  private readonly rooms = new Map<string, Map<number, MsgEvent>>();

  constructor(private readonly perRoom: number) {}

  /** The current state of a message, when this client has it. */
  get(room: string, seq: number): MsgEvent | undefined {
    return this.rooms.get(room)?.get(seq);
  }

  /**
   * Takes a message or a change event; returns the message a change updated (its new state), or null.
   * A message already held keeps whichever state is newer (a history page can be older than live changes).
   */
  take(ev: MsgEvent): MsgEvent | null {
    if (this.perRoom <= 0) return null;
    let room = this.rooms.get(ev.room);
    if (!room) this.rooms.set(ev.room, (room = new Map()));
    if (ev.change) {
      const target = room.get(ev.change.target);
      if (!target) return null; // not held: its current state comes with the page that loads it
      const next = applyChange(target, ev.change, ev.seq, ev.ts, ev.uid);
      if (next === target) return null;
      room.set(target.seq, next);
      return next;
    }
    const held = room.get(ev.seq);
    // A plain copy (a decoder may hand lazy objects whose fields are getters: a spread would lose them).
    if (!held || (ev.v ?? 0) > (held.v ?? 0)) room.set(ev.seq, msgEvent(ev));
    if (room.size > this.perRoom) this.trim(room);
    return null;
  }

  /** The messages held for `room`, ascending by seq. */
  list(room: string): MsgEvent[] {
    const r = this.rooms.get(room);
    return r ? [...r.values()].sort((a, b) => a.seq - b.seq) : [];
  }

  forget(room: string): void {
    this.rooms.delete(room);
  }

  private trim(room: Map<number, MsgEvent>): void {
    const drop = [...room.keys()].sort((a, b) => a - b).slice(0, room.size - this.perRoom);
    for (const seq of drop) room.delete(seq);
  }
}
