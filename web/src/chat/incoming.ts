/**
 * Applies one microtask's worth of incoming msgs (per room, in the SDK's delivery order): they join
 * the room's timeline, own ones retire their pending entry, and their authors stop "typing".
 */
import type { MsgEvent } from '../../../src/protocol/index.js';
import { applyLive, emptyTimeline } from './timeline.js';
import type { ChatState } from './types.js';

export function applyIncoming(
  state: Pick<ChatState, 'timelines' | 'pending' | 'typing'>,
  inbox: ReadonlyMap<string, readonly MsgEvent[]>,
  meId: string | undefined,
): Pick<ChatState, 'timelines' | 'pending' | 'typing'> {
  const timelines = new Map(state.timelines);
  const pending = new Map(state.pending);
  const typing = new Map(state.typing);
  for (const [room, msgs] of inbox) {
    timelines.set(room, applyLive(timelines.get(room) ?? emptyTimeline, msgs));
    const acked = new Set(msgs.filter((m) => m.uid === meId).map((m) => m.id));
    const mine = pending.get(room);
    if (acked.size && mine) pending.set(room, mine.filter((p) => !acked.has(p.id)));
    const authors = new Set(msgs.map((m) => m.uid));
    const typists = typing.get(room);
    if (typists) typing.set(room, typists.filter((t) => !authors.has(t.uid)));
  }
  return { timelines, pending, typing };
}
