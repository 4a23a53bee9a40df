/**
 * Mentions (docs/protocol.md 6.1): the `@name` and `@room` tokens of a sent text, as the store resolves
 * them in the append transaction (to users who can read the room, by name key: look-alikes fold
 * together, src/server/common/name-key.ts). Pure: no state, no I/O.
 *
 * A token is `@` not preceded by a letter, digit or `_` (so `a@b.example` mentions nobody), then up to
 * 24 name characters (docs/protocol.md 4.1); a longer run is no name. A token ending in `.`, `_` or `-`
 * (`@bob.` at the end of a sentence) also tries the name without them, the longer name first.
 * `@room` (any case) is the room, never a user: kept only when `allowAll` (the server's `roomMentions`).
 */
import { MAX_MENTIONS } from '../../protocol/types.js';
import { nameKey } from '../common/name-key.js';

/** Distinct tokens considered per message (unknown names included): bounds the store's look-up. */
export const MAX_MENTION_TOKENS = 2 * MAX_MENTIONS;

const TOKEN = /(?<![\p{L}\p{N}_])@([\p{L}\p{N}][\p{L}\p{N}_.-]*)/gu;
const NAME_MAX = 24;

export interface MentionTokens {
  /** Per token, in the order of the text: its candidate name keys, preferred first. */
  tokens: string[][];
  /** `@room` was used and is allowed. */
  all: boolean;
}

/** The mention tokens of `text`; null when there are none (the common case: no `@` at all costs one indexOf). */
export function mentionTokens(text: string, allowAll: boolean): MentionTokens | null {
  if (!text.includes('@')) return null;
  const tokens: string[][] = [];
  const seen = new Set<string>();
  let all = false;
  for (const m of text.matchAll(TOKEN)) {
    const raw = m[1];
    if ([...raw].length > NAME_MAX) continue;
    if (raw.toLowerCase() === 'room') {
      if (allowAll) all = true;
      continue;
    }
    const candidates: string[] = [];
    for (const name of [raw, raw.replace(/[._-]+$/u, '')]) {
      if ([...name].length < 2) continue;
      const key = nameKey(name);
      if (!candidates.includes(key)) candidates.push(key);
    }
    const id = candidates.join('\u0000');
    if (!candidates.length || seen.has(id)) continue;
    seen.add(id);
    tokens.push(candidates);
    if (tokens.length >= MAX_MENTION_TOKENS) break;
  }
  return tokens.length || all ? { tokens, all } : null;
}

/** Whether `@room` may mention everyone in `room` under the server's `roomMentions` setting. */
export function roomMentionAllowed(setting: 'off' | 'rooms' | 'all', isGeneral: boolean): boolean {
  return setting === 'all' || (setting === 'rooms' && !isGeneral);
}
