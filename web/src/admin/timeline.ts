/** How admin events change a loaded timeline (the chat store applies these to `deleted` and `roomReset`). */
import type { Timeline } from '../chat/types.js';

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
