/**
 * What the history benchmark (bench/history.ts) needs from a store backend, and what both backends share:
 * the page kinds a client asks for, the shape of the generated messages (so SQLite and PostgreSQL hold
 * the same room), and the SQL of one page as the server runs it (src/server/store/{sqlite,postgres}/chat.ts
 * `history()`, which the hub calls with limit + 1 to learn `hasMore`), used only to show its query plan.
 */
import { MSG_COLS } from '../../src/server/store/rows.js';

export const PAGE_KINDS = ['newest', 'before', 'after'] as const;
export type PageKind = (typeof PAGE_KINDS)[number];

export type BackendName = 'sqlite' | 'postgres';

export interface FillStats {
  /** Wall time of the bulk insert and its bookkeeping (room row, statistics). */
  seconds: number;
  /** On-disk size of the messages with their indexes (SQLite: the whole database file). */
  bytes: number;
}

export interface HistoryBackend {
  readonly name: BackendName;
  /** `serve` flags selecting this store (none for SQLite in the data dir). */
  readonly serverArgs: string[];
  /**
   * Appends `messages` generated messages (seq 1..messages) to `room`, which the server created and which
   * holds none yet, and moves the room's last_seq/last_active to match. The server must be stopped.
   */
  fill(room: string, messages: number, log: (line: string) => void): Promise<FillStats>;
  /** The query plan of each page kind, `seq` as the cursor of `before`/`after`. */
  plans(room: string, seq: number, limit: number): Promise<Record<PageKind, string[]>>;
  close(): Promise<void>;
}

/** Generated messages: AUTHORS distinct authors in turn, texts of 20-120 characters, 10 ms apart. */
export const AUTHORS = 997;
export const TEXT = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam.';
export const TEXT_MIN = 20;
export const TEXT_SPREAD = 101;
export const TS_STEP_MS = 10;
/** Rows per INSERT statement: bounds each statement's memory and gives progress lines. */
export const FILL_CHUNK = 1_000_000;

/** The `ts` of seq 1 so that the newest message is about now. */
export function firstTs(messages: number, now = Date.now()): number {
  return now - messages * TS_STEP_MS;
}

/** One page's SQL, as the server's store runs it; `ph(i)` is the dialect's i-th placeholder. */
export function pageSql(kind: PageKind, ph: (i: number) => string): string {
  const base = `SELECT ${MSG_COLS} FROM messages WHERE room = ${ph(1)}`;
  if (kind === 'newest') return `${base} ORDER BY seq DESC LIMIT ${ph(2)}`;
  if (kind === 'before') return `${base} AND seq < ${ph(2)} ORDER BY seq DESC LIMIT ${ph(3)}`;
  return `${base} AND seq > ${ph(2)} ORDER BY seq ASC LIMIT ${ph(3)}`;
}

export function pageParams(kind: PageKind, room: string, seq: number, limit: number): (string | number)[] {
  return kind === 'newest' ? [room, limit + 1] : [room, seq, limit + 1];
}
