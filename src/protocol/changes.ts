/**
 * Message changes (docs/protocol.md section 6.15): an edit, a removal or a reaction is itself a room
 * event with its own seq, carried by a `msg` event whose `change` says what it does to an earlier
 * message of the room (its `target` seq). So resume, gap filling and history carry changes like any
 * message, and a client that was away ends with the final state. To a client that predates changes
 * such an event is a tombstone (`text: ""`, `deleted: true`): hidden or shown as deleted, nothing more.
 *
 * A message in its current state (history, replay, and what `applyChange` keeps) carries `edited`
 * (time of its last edit), `v` (the seq of the last change applied to it: a change with seq <= v is
 * already in it, which makes applying idempotent and order-proof) and `reactions`.
 * Browser-safe, shared by the server (authoritative) and the SDK (the same state on both sides).
 */
import type { MessageChange, MsgEvent, Reaction } from './types.js';

/** Reactions: at most this many distinct emoji on one message (documented limit). */
export const MAX_REACTIONS_PER_MESSAGE = 20;
/** Reactions: the user ids a reaction lists (its count is exact beyond). */
export const MAX_REACTION_UIDS = 100;
/** The shortcodes a reaction may be instead of an emoji (a fixed set: no custom emoji). */
export const REACTION_SHORTCODES: readonly string[] = [
  ':+1:', ':-1:', ':heart:', ':tada:', ':smile:', ':laughing:', ':thinking:', ':eyes:', ':fire:', ':rocket:',
  ':white_check_mark:', ':x:', ':pray:', ':clap:', ':100:', ':wave:', ':ok_hand:', ':cry:', ':joy:', ':warning:',
];
const SHORTCODES = new Set(REACTION_SHORTCODES);
const PICTOGRAPHIC = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u;
const segmenter = typeof Intl !== 'undefined' && 'Segmenter' in Intl ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }) : null;

/** A valid reaction: one of REACTION_SHORTCODES, or one grapheme cluster (at most 32 UTF-16 units) that is an emoji. */
export function isValidReaction(emoji: string): boolean {
  if (SHORTCODES.has(emoji)) return true;
  if (emoji.length === 0 || emoji.length > 32 || !PICTOGRAPHIC.test(emoji)) return false;
  if (!segmenter) return true;
  let n = 0;
  for (const _ of segmenter.segment(emoji)) if (++n > 1) return false;
  return n === 1;
}

/**
 * Applies `change` (the event at `seq`) to `target`, a message in its current state; returns the new
 * state, or `target` itself when the change is already in it (seq <= target.v). Pure: the SDK keeps
 * messages this way, and the stores compute the same fields.
 */
export function applyChange(target: MsgEvent, change: MessageChange, seq: number, ts: number, uid: string): MsgEvent {
  if ((target.v ?? 0) >= seq) return target;
  const next: MsgEvent = { ...target, v: seq };
  switch (change.kind) {
    case 'edit':
      if (target.deleted) return next;
      next.text = change.text;
      next.edited = ts;
      return next;
    case 'remove':
      next.text = '';
      next.deleted = true;
      delete next.reactions;
      delete next.edited;
      return next;
    case 'react': {
      if (target.deleted) return next;
      const reactions = toggleReaction(target.reactions ?? [], change.emoji, uid, change.on);
      if (reactions.length) next.reactions = reactions;
      else delete next.reactions;
      return next;
    }
  }
}

/** The reaction list after `uid` turned `emoji` on or off (a repeat changes nothing). */
export function toggleReaction(list: readonly Reaction[], emoji: string, uid: string, on: boolean): Reaction[] {
  const out = list.map((r) => ({ ...r, uids: [...r.uids] }));
  const i = out.findIndex((r) => r.emoji === emoji);
  const r = i >= 0 ? out[i] : null;
  const has = r ? r.uids.includes(uid) : false;
  if (on) {
    if (has) return out;
    if (r) {
      r.count++;
      if (r.uids.length < MAX_REACTION_UIDS) r.uids.push(uid);
    } else out.push({ emoji, count: 1, uids: [uid] });
    return out;
  }
  if (!r) return out;
  // Off: the count drops only when the uid was on (listed, or beyond the listed ones: then it is unknown here, and the next history page is exact).
  if (has) {
    r.uids = r.uids.filter((u) => u !== uid);
    r.count--;
  }
  return r.count > 0 ? out : out.filter((x) => x !== r);
}
