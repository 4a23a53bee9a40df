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
  const timelines = { ...state.timelines };
  const pending = { ...state.pending };
  const typing = { ...state.typing };
  for (const [room, msgs] of inbox) {
    timelines[room] = applyLive(timelines[room] ?? emptyTimeline, msgs);
    const acked = new Set(msgs.filter((m) => m.uid === meId).map((m) => m.id));
    if (acked.size && pending[room]) pending[room] = pending[room].filter((p) => !acked.has(p.id));
    const authors = new Set(msgs.map((m) => m.uid));
    if (typing[room]) typing[room] = typing[room].filter((t) => !authors.has(t.uid));
  }
  return { timelines, pending, typing };
}
