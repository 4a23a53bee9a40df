/**
 * The data and the queries of the search benchmark (bench/search.ts), shared by its stores
 * (./search-stores.ts), its client (./search-client.ts) and its report (./search-doc.ts):
 *
 * - ROOMS public rooms `s00`..`s99` (not `general`, which stays empty), message n (1-based) in room
 *   (n - 1) % ROOMS at seq (n - 1) / ROOMS + 1, TS_STEP_MS apart (1,000,000 messages span ~a year), by
 *   one of AUTHORS authors (`user0`..`user999`) picked by a hash of n;
 * - a text of 6-20 words from a vocabulary of VOCABULARY made-up words (lowercase a-z, 4-10 letters,
 *   seeded), each word drawn with a Zipf-like law (the word of rank r with probability ~1/(r+1): the most
 *   common one is ~8% of all words, the rarest ~1 in 43,000);
 * - every pick is a pure function of n: `hashSql` is the same 32-bit integer mix in both SQL dialects
 *   (SQLite has no XOR operator: `(a | b) - (a & b)`), the author and the word count come from it, and
 *   word k is the word of Zipf bucket ((h * mul_k + inc_k) mod 2^32) >> 16 (a lookup table of
 *   ZIPF_BUCKETS buckets, so both stores hold byte-identical texts without floating point in SQL);
 * - the searcher (an account) is a member of every other room (`s00`, `s02`, ...): the other half of
 *   the matches is what permission filtering must hide.
 *
 * The query list is fixed by a seed: QUERY_VARIANTS queries of each kind in SEARCH_KINDS. `checkReply`
 * is what every reply must satisfy.
 */

export const SEARCH_KINDS = ['rare', 'common', 'and', 'prefix', 'room', 'from', 'best'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

/** What each kind asks, for the report. */
export const KIND_TEXT: Record<SearchKind, string> = {
  rare: 'one rare word (rank in the last 40% of the vocabulary, no other word starts with it), newest first',
  common: 'one of the 8 most common words, newest first',
  and: 'two words (rank 20-200 and one of the 10 most common), newest first',
  prefix: 'the first 3-4 letters of a word of rank < 300 (a prefix of several words), newest first',
  room: 'a word of rank < 20 with `room` (one of the searcher\'s rooms), newest first',
  from: 'a word of rank < 100 with `from` (one author of 1,000), newest first',
  best: 'two words as in `and`, order `best`',
};

export const ROOMS = 100;
export const AUTHORS = 1000;
export const VOCABULARY = 5000;
export const ZIPF_BUCKETS = 65536;
export const WORDS_MIN = 6;
export const WORDS_SPREAD = 15;
export const TS_STEP_MS = 30_000;
export const QUERY_VARIANTS = 6;
export const SEED = 20_261_201;

export const SEARCHER = { name: 'searcher', password: 'search-bench-password' };

export function roomName(i: number): string {
  return `s${String(i).padStart(2, '0')}`;
}
export const ALL_ROOMS = Array.from({ length: ROOMS }, (_, i) => roomName(i));
export const MEMBER_ROOMS = ALL_ROOMS.filter((_, i) => i % 2 === 0);

/** The `ts` of message 1 so that the newest message is about now. */
export function firstTs(messages: number, now = Date.now()): number {
  return now - messages * TS_STEP_MS;
}

/** The load lab's seeded PRNG (one mulberry32 for every seeded workload). */
export { rng } from '../../src/loadtest/plan.js';
import { rng } from '../../src/loadtest/plan.js';

const CONSONANTS = 'bdfgklmnprstvz';
const VOWELS = 'aeiou';

/** The vocabulary, index = rank (0 the most common): distinct made-up words, shorter ones more common. */
export function vocabulary(): string[] {
  const r = rng(SEED);
  const pick = (s: string) => s[Math.floor(r() * s.length)];
  const seen = new Set<string>();
  while (seen.size < VOCABULARY) {
    const syllables = 2 + Math.floor(r() * r() * 3); // 2-4, mostly 2
    let w = '';
    for (let i = 0; i < syllables; i++) w += pick(CONSONANTS) + pick(VOWELS);
    if (r() < 0.3) w += pick(CONSONANTS);
    seen.add(w);
  }
  // Stable by length: the short words get the low (common) ranks, as in a language.
  return [...seen].map((w, i) => ({ w, i })).sort((x, y) => x.w.length - y.w.length || x.i - y.i).map((x) => x.w);
}

/** The rank of each ZIPF_BUCKETS bucket: floor((V + 1)^u) - 1 at the bucket's middle u (density ~1/(rank + 1)). */
export function zipfRanks(): number[] {
  return Array.from({ length: ZIPF_BUCKETS }, (_, b) => Math.min(VOCABULARY - 1, Math.floor(Math.pow(VOCABULARY + 1, (b + 0.5) / ZIPF_BUCKETS)) - 1));
}

/** Share of all words that are the word of each rank. */
export function rankShares(): number[] {
  const out = new Array<number>(VOCABULARY).fill(0);
  for (const r of zipfRanks()) out[r] += 1 / ZIPF_BUCKETS;
  return out;
}

/**
 * SQL of a 32-bit hash of an integer `n` (< 1e8): every intermediate stays below 2^63 (no SQLite overflow
 * to REAL), so both dialects compute the same integer. `xor(a, b)` is the dialect's XOR. Computed once
 * per message (the expression repeats its operands: it is not written where it would be evaluated per word).
 */
export function hashSql(n: string, xor: (a: string, b: string) => string): string {
  const h0 = `((${n}) * 2654435761 + 12345) % 4294967296`;
  const h1 = xor(`(${h0})`, `((${h0}) >> 15)`);
  const h2 = `((${h1}) * 1597334677) % 4294967296`;
  return xor(`(${h2})`, `((${h2}) >> 13)`);
}
export const sqliteXor = (a: string, b: string): string => `((${a}) | (${b})) - ((${a}) & (${b}))`;
export const postgresXor = (a: string, b: string): string => `((${a}) # (${b}))`;

/** From a message's hash `h` (SQL): its author and its word count. */
export const authorSql = (h: string): string => `(${h}) % ${AUTHORS}`;
export const wordCountSql = (h: string): string => `${WORDS_MIN} + ((${h}) >> 20) % ${WORDS_SPREAD}`;

/**
 * Word positions 1..20, each with its own multiplier (odd, < 2^31) and increment: word k of a message whose
 * hash is h is the word of Zipf bucket ((h * mul + inc) mod 2^32) >> 16 (multiplicative hashing of h).
 */
export function wordPositions(): { k: number; mul: number; inc: number }[] {
  const r = rng(SEED + 2);
  return Array.from({ length: WORDS_MIN + WORDS_SPREAD - 1 }, (_, i) => ({ k: i + 1, mul: (2 ** 30 + Math.floor(r() * 2 ** 30)) | 1, inc: Math.floor(r() * 2 ** 32) }));
}
/** SQL of the bucket of word position `p` (a row of wordPositions) for hash `h`. */
export const bucketSql = (h: string, p: string): string => `((((${h}) * ${p}.mul + ${p}.inc) % 4294967296) >> 16)`;

/** One search as the client sends it, with what the checks need. */
export interface SearchSpec {
  kind: SearchKind;
  query: string;
  /** The query's words as the server folds them (lowercase here: the vocabulary is a-z). */
  words: string[];
  room?: string;
  from?: string;
  order: 'newest' | 'best';
}

/** QUERY_VARIANTS searches of every kind, interleaved (rare, common, and, ..., rare, common, ...). */
export function searchList(vocab: readonly string[]): SearchSpec[] {
  const r = rng(SEED + 1);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo)); // [lo, hi)
  const extended = (w: string) => vocab.some((x) => x !== w && x.startsWith(w));
  const related = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);
  const cap = (w: string) => (r() < 0.5 ? w[0].toUpperCase() + w.slice(1) : w); // the search is case-insensitive
  const rare = vocab.map((w, i) => ({ w, i })).filter((x) => x.i >= VOCABULARY * 0.6 && !extended(x.w)).map((x) => x.w);
  const twoWords = (): string[] => {
    for (;;) {
      const a = vocab[int(20, 200)];
      const b = vocab[int(0, 10)];
      if (!related(a, b)) return [a, b];
    }
  };
  const out: SearchSpec[] = [];
  for (let v = 0; v < QUERY_VARIANTS; v++) {
    const w1 = rare[int(0, rare.length)];
    out.push({ kind: 'rare', query: cap(w1), words: [w1], order: 'newest' });
    const w2 = vocab[int(0, 8)];
    out.push({ kind: 'common', query: cap(w2), words: [w2], order: 'newest' });
    const [a, b] = twoWords();
    out.push({ kind: 'and', query: `${cap(a)} ${b}`, words: [a, b], order: 'newest' });
    const base = vocab[int(0, 300)];
    const p = base.slice(0, r() < 0.5 ? 3 : 4);
    out.push({ kind: 'prefix', query: cap(p), words: [p], order: 'newest' });
    const w5 = vocab[int(0, 20)];
    out.push({ kind: 'room', query: cap(w5), words: [w5], room: MEMBER_ROOMS[int(0, MEMBER_ROOMS.length)], order: 'newest' });
    const w6 = vocab[int(0, 100)];
    const author = int(0, AUTHORS);
    out.push({ kind: 'from', query: cap(w6), words: [w6], from: r() < 0.5 ? `User${author}` : `user${author}`, order: 'newest' });
    const [c, d] = twoWords();
    out.push({ kind: 'best', query: `${c} ${cap(d)}`, words: [c, d], order: 'best' });
  }
  return out;
}

/**
 * The matches of every search counted straight from the texts (a scan of messages with LIKE, not the
 * search index): per search, in the searcher's rooms (`member`, what the server may return) and in all
 * rooms. The same SQL in both dialects (texts are lowercase a-z words separated by one space).
 */
export function countSql(list: readonly SearchSpec[]): string {
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const member = `room IN (${MEMBER_ROOMS.map(q).join(', ')})`;
  const cols = list.flatMap((s, i) => {
    const conds = s.words.map((w) => `(' ' || text) LIKE ${q(`% ${w}%`)}`);
    if (s.room !== undefined) conds.push(`room = ${q(s.room)}`);
    if (s.from !== undefined) conds.push(`lower("user") = ${q(s.from.toLowerCase())}`);
    const all = conds.join(' AND ');
    return [`count(*) FILTER (WHERE ${all} AND ${member}) AS m${i}`, `count(*) FILTER (WHERE ${all}) AS a${i}`];
  });
  return `SELECT ${cols.join(',\n       ')} FROM messages WHERE NOT deleted AND change IS NULL`;
}

/** Matches of one search, from countSql's row. */
export interface MatchCount {
  member: number;
  all: number;
}
export function readCounts(row: Record<string, unknown>, n: number): MatchCount[] {
  return Array.from({ length: n }, (_, i) => ({ member: Number(row[`m${i}`]), all: Number(row[`a${i}`]) }));
}

/** A hit as the client gets it (the fields the checks read). */
export interface Hit {
  room: string;
  seq: number;
  id: string;
  user: string;
  text: string;
  ts: number;
  deleted?: boolean;
  highlights: [number, number][];
}

/**
 * What is wrong with one reply to `s` (null: nothing): at most `limit` hits, exactly min(limit, matches)
 * of them and `next` only when there are more; every hit from one of the searcher's rooms (and the asked
 * room, and the asked author) at the room and seq its id was filled at, every query word the prefix of a
 * word of its text, `highlights` exactly
 * the words of the text that start with a query word; newest first in ts order.
 */
export function checkReply(s: SearchSpec, limit: number, matches: number, member: ReadonlySet<string>, reply: { results: Hit[]; next?: string }): string | null {
  const hits = reply.results;
  const what = `"${s.query}"${s.room ? ` room ${s.room}` : ''}${s.from ? ` from ${s.from}` : ''} (${s.order})`;
  if (hits.length > limit) return `${what}: ${hits.length} hits, limit ${limit}`;
  const want = Math.min(limit, matches);
  if (hits.length !== want) return `${what}: ${hits.length} hits, the texts hold ${matches} matches in the searcher's rooms (want ${want})`;
  if ((reply.next !== undefined) !== matches > limit) return `${what}: next ${reply.next === undefined ? 'absent' : 'present'} with ${matches} matches and limit ${limit}`;
  for (let i = 0; i < hits.length; i++) {
    const h = hits[i];
    const at = `${what}: hit ${h.room}:${h.seq}`;
    if (!member.has(h.room)) return `${at} is from a room the searcher is not in`;
    if (s.room !== undefined && h.room !== s.room) return `${at} is not from room ${s.room}`;
    if (s.from !== undefined && h.user.toLowerCase() !== s.from.toLowerCase()) return `${at} is by ${h.user}, not ${s.from}`;
    if (h.deleted) return `${at} is a tombstone`;
    // The fill's ids say where each message is: m<n> is in room (n - 1) % ROOMS at seq (n - 1) / ROOMS + 1.
    const n = /^m(\d{10})$/.test(h.id) ? Number(h.id.slice(1)) : NaN;
    if (!(n >= 1) || h.room !== roomName((n - 1) % ROOMS) || h.seq !== Math.floor((n - 1) / ROOMS) + 1) return `${at} has id ${h.id}: not the message the fill put at ${h.room}:${h.seq}`;
    const words = [...h.text.matchAll(/[\p{L}\p{N}]+/gu)].map((m) => ({ start: m.index!, end: m.index! + m[0].length, w: m[0].toLowerCase() }));
    for (const q of s.words) if (!words.some((x) => x.w.startsWith(q))) return `${at} has no word starting with "${q}": "${h.text}"`;
    const marks = words.filter((x) => s.words.some((q) => x.w.startsWith(q))).map((x) => `${x.start}-${x.end}`).join(',');
    const got = (h.highlights ?? []).map(([a, b]) => `${a}-${b}`).join(',');
    if (got !== marks) return `${at}: highlights [${got}], the matching words are at [${marks}] in "${h.text}"`;
    if (s.order === 'newest' && i > 0 && h.ts > hits[i - 1].ts) return `${at}: ts ${h.ts} after ${hits[i - 1].ts}, not newest first`;
  }
  return null;
}
