/**
 * Applies one microtask's worth of incoming events (per room, in the SDK's delivery order): new msgs
 * join the room's timeline, own ones retire their pending entry, and their authors stop "typing";
 * then message changes (src/protocol/changes.ts) update the messages they target: the SDK's `updated`
 * state replaces a loaded message, a `change` event is applied to a loaded message the SDK no longer
 * holds (both idempotent by `v`, so receiving both changes it once). Change events are never added as
 * messages. A quoted message (see ChatState.quotes) follows its changes the same way.
 * New messages that are DMs or mention you may show a browser notification (./notifications.ts).
 */
import type { MsgEvent } from '../../../src/protocol/types.js';
import { applyChange } from '../../../src/protocol/changes.js';
import { withKey } from './keyed.js';
import { notifyIncoming } from './notifications.js';
import { applyChangeEvent, applyLive, applyUpdated, emptyTimeline } from './timeline.js';
import type { ChatState } from './types.js';

/** What the SDK delivered: a new message (`message`), a change event (`change`), or a held message's new state (`updated`). */
export interface Incoming {
  kind: 'message' | 'change' | 'updated';
  msg: MsgEvent;
}

type Slice = Pick<ChatState, 'timelines' | 'pending' | 'typing' | 'quotes'>;

export function applyIncoming(state: Slice & Partial<Pick<ChatState, 'active'>>, inbox: ReadonlyMap<string, readonly Incoming[]>, meId: string | undefined): Slice {
  const timelines = new Map(state.timelines);
  const pending = new Map(state.pending);
  const typing = new Map(state.typing);
  let quotes = state.quotes;
  for (const [room, events] of inbox) {
    const msgs = events.filter((e) => e.kind === 'message' && !e.msg.change).map((e) => e.msg);
    if (state.active !== undefined) notifyIncoming(msgs, meId, state.active);
    let t = applyLive(timelines.get(room) ?? emptyTimeline, msgs);
    let quoted = quotes.get(room);
    const quotedBefore = quoted;
    for (const e of events) {
      if (e.kind === 'message') continue;
      const before = t;
      t = e.kind === 'updated' ? applyUpdated(t, e.msg) : applyChangeEvent(t, e.msg);
      if (t !== before || !quoted) continue;
      const seq = e.kind === 'updated' ? e.msg.seq : e.msg.change?.target;
      const q = seq === undefined ? undefined : quoted.get(seq);
      if (!q || seq === undefined) continue;
      const next = e.kind === 'updated' ? ((e.msg.v ?? 0) > (q.v ?? 0) ? e.msg : q) : applyChange(q, e.msg.change!, e.msg.seq, e.msg.ts, e.msg.uid);
      if (next !== q) quoted = withKey(quoted, seq, next);
    }
    if (quoted !== quotedBefore && quoted) quotes = withKey(quotes, room, quoted);
    timelines.set(room, t);
    const acked = new Set(msgs.filter((m) => m.uid === meId).map((m) => m.id));
    const mine = pending.get(room);
    if (acked.size && mine) pending.set(room, mine.filter((p) => !acked.has(p.id)));
    const authors = new Set(msgs.map((m) => m.uid));
    const typists = typing.get(room);
    if (typists && authors.size) typing.set(room, typists.filter((t) => !authors.has(t.uid)));
  }
  return { timelines, pending, typing, quotes };
}

