/**
 * Pure operations on a room's loaded history. Messages come from three sources that overlap at
 * their edges: history pages (older, or the newest page when a room is opened), live and replayed
 * msgs from the SDK (exactly once, in order, from the position the client tracks) and own acks.
 * Merging by seq keeps the list ascending and free of duplicates whatever the arrival order.
 *
 * Message changes (edits, removals, reactions: src/protocol/changes.ts) are room events with their
 * own seq but never messages to show: they are dropped from whatever is merged (a history page
 * carries them too). A message's state changes in place instead, newest state winning by `v` (the
 * seq of the last change in it): from the SDK's `updated` event (applyUpdated), from a change event
 * applied with the protocol's own applyChange (applyChangeEvent: for a message the SDK no longer
 * holds), or from a page that brings a newer state of a loaded message.
 * Administrator events change a loaded timeline too (`deleted`, `room_reset`: markDeleted, cleared).
 */
import { applyChange } from '../../../src/protocol/changes.js';
import type { MsgEvent } from '../../../src/protocol/types.js';
import type { Timeline } from './types.js';

export const emptyTimeline: Timeline = { messages: [], hasMore: true, loadedLatest: false, loading: false };

/**
 * Own messages built from their ack (text, seq, ts) before the server's copy arrives: the server's
 * copy (live or in a page) replaces one, as it carries what only the server knows (the mentions it resolved).
 */
const fromAck = new WeakSet<MsgEvent>();
export function markFromAck(m: MsgEvent): MsgEvent {
  fromAck.add(m);
  return m;
}

/** `b` is a newer state of the same message than `a` (a later change is applied in it, or `a` was built from an ack). */
const newer = (b: MsgEvent, a: MsgEvent) => (b.v ?? 0) > (a.v ?? 0) || ((b.v ?? 0) === (a.v ?? 0) && fromAck.has(a) && !fromAck.has(b));

/**
 * Merges `incoming` (any order, may overlap; change events are dropped) into ascending `existing`;
 * a message already there is replaced only by a newer state of it. Returns `existing` when nothing changed.
 */
export function mergeMessages(existing: readonly MsgEvent[], received: readonly MsgEvent[]): MsgEvent[] {
  const incoming = received.some((m) => m.change) ? received.filter((m) => !m.change) : received;
  if (incoming.length === 0) return existing as MsgEvent[];
  const first = existing[0]?.seq ?? Infinity;
  const last = existing[existing.length - 1]?.seq ?? -Infinity;
  // Fast paths: a run strictly after (live) or strictly before (older page) the loaded range.
  if (isAscending(incoming)) {
    if (incoming[0].seq > last) return existing.concat(incoming);
    if (incoming[incoming.length - 1].seq < first) return incoming.concat(existing);
  }
  const bySeq = new Map<number, MsgEvent>();
  for (const m of existing) bySeq.set(m.seq, m);
  let added = false;
  for (const m of incoming) {
    const held = bySeq.get(m.seq);
    if (!held || newer(m, held)) {
      bySeq.set(m.seq, m);
      added = true;
    }
  }
  if (!added) return existing as MsgEvent[];
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

function isAscending(list: readonly MsgEvent[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i].seq <= list[i - 1].seq) return false;
  return true;
}

/** Applies a history page. `older`: a page before messages[0] (its hasMore says if more are older). */
export function applyPage(t: Timeline, page: { messages: MsgEvent[]; hasMore: boolean }, older: boolean): Timeline {
  const messages = mergeMessages(t.messages, page.messages);
  if (older) return { ...t, messages, hasMore: page.hasMore, loading: false, error: undefined };
  // The newest page: if it overlaps what we had, older messages beyond it are still what we knew.
  const overlaps = t.messages.length > 0 && page.messages.length > 0 && page.messages[0].seq > t.messages[0].seq;
  return { ...t, messages, hasMore: overlaps ? t.hasMore || page.hasMore : page.hasMore, loadedLatest: true, loading: false, error: undefined };
}

/** Appends live msgs (from the SDK: already exactly once and in order per room). */
export function applyLive(t: Timeline, msgs: readonly MsgEvent[]): Timeline {
  const messages = mergeMessages(t.messages, msgs);
  return messages === t.messages ? t : { ...t, messages };
}

/** Index of the message `seq` in ascending `messages`, or -1. */
export function indexOfSeq(messages: readonly MsgEvent[], seq: number): number {
  let lo = 0;
  let hi = messages.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = messages[mid].seq;
    if (s === seq) return mid;
    if (s < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function replaceAt(t: Timeline, i: number, m: MsgEvent): Timeline {
  const messages = t.messages.slice();
  messages[i] = m;
  return { ...t, messages };
}

/** The SDK's `updated` event: a loaded message's new state replaces it (unless what is shown is as new). */
export function applyUpdated(t: Timeline, state: MsgEvent): Timeline {
  if (state.change) return t;
  const i = indexOfSeq(t.messages, state.seq);
  if (i < 0 || !newer(state, t.messages[i])) return t;
  return replaceAt(t, i, state);
}

/** A change event applied to its target, when loaded (idempotent: a change already in it changes nothing). */
export function applyChangeEvent(t: Timeline, ev: MsgEvent): Timeline {
  if (!ev.change) return t;
  const i = indexOfSeq(t.messages, ev.change.target);
  if (i < 0) return t;
  const next = applyChange(t.messages[i], ev.change, ev.seq, ev.ts, ev.uid);
  return next === t.messages[i] ? t : replaceAt(t, i, next);
}

/** The message becomes a tombstone in place (seqs stay contiguous); unknown seqs change nothing. */
export function markDeleted(t: Timeline, seq: number): Timeline {
  const i = indexOfSeq(t.messages, seq);
  if (i < 0 || t.messages[i].deleted) return t;
  const { reactions: _r, edited: _e, ...rest } = t.messages[i];
  return replaceAt(t, i, { ...rest, text: '', deleted: true });
}

/** A reset room has no history: nothing older to load either. */
export function cleared(t: Timeline): Timeline {
  return { ...t, messages: [], hasMore: false };
}
