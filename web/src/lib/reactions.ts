/**
 * Display helpers for message changes: the reactions the picker offers, how a reaction and its
 * people are named, and the short quote of a message a reply shows. Pure (unit-tested).
 */
import type { MsgEvent, Reaction } from '../../../src/protocol/types.js';

/** The picker's fixed set (each one emoji, valid per isValidReaction), with names for screen readers. */
export const REACTION_PICKS: readonly { emoji: string; name: string }[] = [
  { emoji: '👍', name: 'thumbs up' },
  { emoji: '❤️', name: 'heart' },
  { emoji: '😂', name: 'tears of joy' },
  { emoji: '🎉', name: 'party popper' },
  { emoji: '😮', name: 'surprised' },
  { emoji: '😢', name: 'crying' },
  { emoji: '👀', name: 'eyes' },
  { emoji: '🚀', name: 'rocket' },
];

/** Shortcode reactions (REACTION_SHORTCODES, from other clients) shown as their emoji. */
const SHORTCODE_EMOJI = new Map<string, string>([
  [':+1:', '👍'],
  [':-1:', '👎'],
  [':heart:', '❤️'],
  [':tada:', '🎉'],
  [':smile:', '😄'],
  [':laughing:', '😆'],
  [':thinking:', '🤔'],
  [':eyes:', '👀'],
  [':fire:', '🔥'],
  [':rocket:', '🚀'],
  [':white_check_mark:', '✅'],
  [':x:', '❌'],
  [':pray:', '🙏'],
  [':clap:', '👏'],
  [':100:', '💯'],
  [':wave:', '👋'],
  [':ok_hand:', '👌'],
  [':cry:', '😢'],
  [':joy:', '😂'],
  [':warning:', '⚠️'],
]);

/** What a reaction looks like (a shortcode becomes its emoji; anything else is shown as it is, as text). */
export function reactionGlyph(emoji: string): string {
  return SHORTCODE_EMOJI.get(emoji) ?? emoji;
}

/** Whether `uid` is among the people of a reaction (as far as its listed uids tell). */
export function reactedBy(r: Reaction, uid: string | undefined): boolean {
  return uid !== undefined && r.uids.includes(uid);
}

/**
 * Who reacted, for a chip's tooltip: the names known (you as "you"), then how many others; "N people"
 * when no name is known.
 */
export function reactorsText(r: Reaction, names: ReadonlyMap<string, string>, meId: string | undefined): string {
  const known: string[] = [];
  for (const uid of r.uids) {
    const name = uid === meId ? 'you' : names.get(uid);
    if (name !== undefined) known.push(name);
  }
  if (known.length === 0) return r.count === 1 ? '1 person' : `${r.count} people`;
  const others = Math.max(0, r.count - known.length);
  if (others > 0) known.push(others === 1 ? '1 other' : `${others} others`);
  return known.length === 1 ? known[0] : `${known.slice(0, -1).join(', ')} and ${known[known.length - 1]}`;
}

/** QUOTE_CHARS characters of a message on one line (whitespace runs become one space), with … when cut. */
export const QUOTE_CHARS = 80;
export function snippet(text: string, max = QUOTE_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat); // code points: never cuts a surrogate pair in two
  return chars.length <= max ? flat : `${chars.slice(0, max).join('').trimEnd()}…`;
}

/** What a quote says about the message it quotes: its author and snippet, or why it cannot. */
export type QuoteView = { kind: 'message'; user: string; text: string } | { kind: 'deleted' } | { kind: 'unknown' };

/** `quoted`: the message (current state), null when the room has none with that seq, undefined while not known. */
export function quoteView(quoted: MsgEvent | null | undefined): QuoteView {
  if (quoted === undefined) return { kind: 'unknown' };
  if (quoted === null || quoted.deleted) return { kind: 'deleted' };
  return { kind: 'message', user: quoted.user, text: snippet(quoted.text) };
}
