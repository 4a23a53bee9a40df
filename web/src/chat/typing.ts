/** Who is typing where: each signal shows its author for a few seconds (pure updates). */
import type { TypingEvent } from '../../../src/protocol/types.js';
import { withKey } from './keyed.js';
import type { ChatState, Typist } from './types.js';

export const TYPING_SHOW_MS = 4000;

type Typing = ChatState['typing'];

export function addTypist(typing: Typing, ev: TypingEvent, now: number): Typing {
  const list = (typing.get(ev.room) ?? []).filter((t) => t.uid !== ev.uid);
  const typist: Typist = { uid: ev.uid, user: ev.user, until: now + TYPING_SHOW_MS };
  return withKey(typing, ev.room, [...list, typist]);
}

/** Drops expired entries; `any` tells whether someone is still typing somewhere. */
export function expireTypists(typing: Typing, now: number): { typing: Typing; changed: boolean; any: boolean } {
  const next = new Map<string, readonly Typist[]>();
  let changed = false;
  let any = false;
  for (const [room, list] of typing) {
    const kept = list.filter((t) => t.until > now);
    if (kept.length !== list.length) changed = true;
    if (kept.length) {
      next.set(room, kept);
      any = true;
    }
  }
  return { typing: changed ? next : typing, changed, any };
}
