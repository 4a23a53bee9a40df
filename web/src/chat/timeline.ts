/**
 * Pure operations on a room's loaded history. Messages come from three sources that overlap at
 * their edges: history pages (older, or the newest page when a room is opened), live and replayed
 * msgs from the SDK (exactly once, in order, from the position the client tracks) and own acks.
 * Merging by seq keeps the list ascending and free of duplicates whatever the arrival order.
 * Administrator events change a loaded timeline too (`deleted`, `room_reset`: markDeleted, cleared).
 */
import type { MsgEvent } from '../../../src/protocol/index.js';
import type { Timeline } from './types.js';

export const emptyTimeline: Timeline = { messages: [], hasMore: true, loadedLatest: false, loading: false };

/** Merges `incoming` (any order, may overlap) into ascending `existing`; returns `existing` when nothing is new. */
export function mergeMessages(existing: readonly MsgEvent[], incoming: readonly MsgEvent[]): MsgEvent[] {
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
    if (!bySeq.has(m.seq)) {
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

/** The message becomes a tombstone in place (seqs stay contiguous); unknown seqs change nothing. */
export function markDeleted(t: Timeline, seq: number): Timeline {
  const i = t.messages.findIndex((m) => m.seq === seq);
  if (i < 0 || t.messages[i].deleted) return t;
  const messages = t.messages.slice();
  messages[i] = { ...messages[i], text: '', deleted: true };
  return { ...t, messages };
}

/** A reset room has no history: nothing older to load either. */
export function cleared(t: Timeline): Timeline {
  return { ...t, messages: [], hasMore: false };
}
