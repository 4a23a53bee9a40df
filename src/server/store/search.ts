/**
 * Full-text search as both stores do it (docs/protocol.md 6.16): the words of a query, how each store's
 * index is asked for them, and where they are in a hit's text. A word matches the words of a text that
 * start with it (prefix), case-insensitively; every word of the query must match (AND). Only the words
 * (letters and digits of any script) of a query count: its punctuation and any index syntax are never
 * passed to an index, so a query cannot inject a query language.
 */

/** At most this many words of a query are used. */
export const MAX_SEARCH_WORDS = 8;
const WORD = /[\p{L}\p{N}]+/gu;

/** Case and accent folding, as SQLite's unicode61 tokenizer with remove_diacritics does. */
export function fold(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** The words of a query, folded, distinct, at most MAX_SEARCH_WORDS of at most 64 characters. */
export function searchWords(query: string): string[] {
  const out: string[] = [];
  for (const m of query.matchAll(WORD)) {
    const w = fold(m[0]).slice(0, 64);
    if (w && !out.includes(w)) out.push(w);
    if (out.length === MAX_SEARCH_WORDS) break;
  }
  return out;
}

/** SQLite FTS5 MATCH expression: each word a quoted prefix term, all required. */
export function ftsMatch(words: readonly string[]): string {
  return words.map((w) => `"${w.replace(/"/g, '""')}"*`).join(' AND ');
}

/** PostgreSQL tsquery text for to_tsquery('simple', ...): each word a prefix, all required (words hold only letters and digits). */
export function tsQuery(words: readonly string[]): string {
  return words.map((w) => `${w}:*`).join(' & ');
}

/** [start, end) offsets in `text` of its words that start with one of `words`. */
export function highlights(text: string, words: readonly string[]): [number, number][] {
  const out: [number, number][] = [];
  for (const m of text.matchAll(WORD)) {
    const f = fold(m[0]);
    if (words.some((w) => f.startsWith(w))) out.push([m.index!, m.index! + m[0].length]);
  }
  return out;
}

/** Where a page of results ends, for the next one: newest first by (ts, room, seq), or best first by rank offset. */
export type SearchCursor = { order: 'newest'; ts: number; room: string; seq: number } | { order: 'best'; offset: number };

export function encodeCursor(c: SearchCursor): string {
  return Buffer.from(JSON.stringify(c.order === 'newest' ? ['n', c.ts, c.room, c.seq] : ['b', c.offset])).toString('base64url');
}

/** The cursor, or null when `s` is not one encodeCursor made. */
export function decodeCursor(s: string): SearchCursor | null {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(v)) return null;
  if (v[0] === 'n' && v.length === 4 && Number.isSafeInteger(v[1]) && typeof v[2] === 'string' && Number.isSafeInteger(v[3])) return { order: 'newest', ts: v[1], room: v[2], seq: v[3] };
  if (v[0] === 'b' && v.length === 2 && Number.isSafeInteger(v[1]) && v[1] >= 0 && v[1] <= 10_000) return { order: 'best', offset: v[1] };
  return null;
}

/**
 * A search the store could not take now (too many waiting, or one that ran past its time limit): refused
 * with `unavailable`; trying again later (or a narrower search) can succeed.
 */
export class StoreBusyError extends Error {
  override readonly name = 'StoreBusyError';
}
