/**
 * Formatting for the terminal: times, colors (SGR escape codes), and the rows of one scrollback
 * entry wrapped to the screen width. A message reads `#12 HH:MM <name> text` (seq and time dim), in
 * its current state: a reply's first row quotes its original (`↪ bob: first 40 chars…`), an edited
 * one ends with ` (edited)`, reactions follow as ` [👍 2 🎉 1]`, a deleted one is `(message deleted)`.
 *
 * Everything that came from the network goes through ./sanitize.ts here, before any escape code of
 * ours is added, so the only escape sequences ever written are the ones built in this file and in
 * ./screen.ts. Colors follow NO_COLOR (https://no-color.org): with color off, bold/dim/reverse
 * (which are not colors) are still used.
 */
import { ChatError, shortId } from '../client/index.js';
import type { MsgEvent } from '../protocol/index.js';
import { mentionsMe, type Entry } from './model.js';
import { sanitizeInline, sanitizeText } from './sanitize.js';
import { graphemes, stringWidth, truncate, wrapText } from './width.js';

const ESC = '\x1b[';

export interface Styles {
  bold(s: string): string;
  dim(s: string): string;
  reverse(s: string): string;
  /** ANSI color 1-7 (red, green, yellow, blue, magenta, cyan, white); plain when colors are off. */
  fg(color: number, s: string): string;
  readonly color: boolean;
}

export function makeStyles(color: boolean): Styles {
  const wrap = (open: string, close: string) => (s: string) => (s === '' ? s : `${ESC}${open}m${s}${ESC}${close}m`);
  return {
    bold: wrap('1', '22'),
    dim: wrap('2', '22'),
    reverse: wrap('7', '27'),
    fg: (c, s) => (color && s !== '' ? `${ESC}3${c}m${s}${ESC}39m` : s),
    color,
  };
}

/** Colors on unless NO_COLOR is set (to anything non-empty) or TERM is dumb. */
export function colorWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.NO_COLOR && env.TERM !== 'dumb';
}

const NAME_COLORS = [2, 3, 4, 5, 6, 1];

/**
 * A stable color per key. Messages pass the user id, not the name: a guest's name is freed when
 * they leave, and the next guest with it is another user who should not look the same.
 */
export function nameColor(key: string): number {
  let h = 0;
  for (const ch of key.toLowerCase()) h = (h * 31 + ch.codePointAt(0)!) >>> 0;
  return NAME_COLORS[h % NAME_COLORS.length];
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `HH:MM` for today, `YYYY-MM-DD HH:MM` for older times (local time). */
export function formatTime(ts: number, now: number = Date.now()): string {
  const d = new Date(ts);
  const n = new Date(now);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  if (d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate()) return hm;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${hm}`;
}

/**
 * Rows of a prefix followed by a body, wrapped to `cols` with a hanging indent under the body
 * (when the prefix takes at most half the width; otherwise wrapped from the left edge).
 * `prefix` is plain text; `stylePrefix`/`styleBody` add escape codes after the layout is decided.
 */
export function hangingRows(
  prefix: string,
  body: string,
  cols: number,
  stylePrefix: (s: string) => string = (s) => s,
  styleBody: (s: string) => string = (s) => s,
): string[] {
  const pw = stringWidth(prefix);
  if (pw * 2 <= cols) {
    const lines = wrapText(body, cols - pw);
    const indent = ' '.repeat(pw);
    return lines.map((line, i) => (i === 0 ? stylePrefix(prefix) : indent) + styleBody(line));
  }
  return wrapText(prefix + body, cols).map(styleBody);
}

export interface EntryContext {
  cols: number;
  styles: Styles;
  /** Our user id and name (own messages are bold). */
  meId?: string;
  meName?: string;
  now?: number;
  /** Authors who do not hold their name now (namesakes() of the SDK): shown as `<ann~3f9a>`. */
  namesakes?: ReadonlySet<string>;
  /** The current state of a message of a room, when known (to quote the original of a reply). */
  lookup?: (room: string, seq: number) => MsgEvent | undefined;
}

/** Characters of the original a reply quotes. */
export const QUOTE_CHARS = 40;
export const DELETED_TEXT = '(message deleted)';

/** The first `n` characters (grapheme clusters) of a text on one line, with `…` when cut. */
export function snippet(text: string, n = QUOTE_CHARS): string {
  const g = graphemes(sanitizeInline(text).trim());
  return g.length > n ? `${g.slice(0, n).join('').trimEnd()}…` : g.join('');
}

/**
 * How a message reads, sanitized, in three parts: the quote of the message it answers
 * (`↪ bob: first 40 chars` when its original is known, else `↪ #12`), its text (or `(message
 * deleted)`), and what follows the text: ` (edited)`, reactions ` [👍 2 🎉 1]`.
 */
export function messageParts(m: MsgEvent, lookup?: EntryContext['lookup']): { quote?: string; text: string; suffix: string; deleted: boolean } {
  if (m.deleted) return { text: DELETED_TEXT, suffix: '', deleted: true };
  let quote: string | undefined;
  if (m.replyTo !== undefined) {
    const orig = lookup?.(m.room, m.replyTo);
    quote = orig ? `↪ ${sanitizeInline(orig.user)}: ${orig.deleted ? DELETED_TEXT : snippet(orig.text)}` : `↪ #${m.replyTo}`;
  }
  let suffix = m.edited !== undefined ? ' (edited)' : '';
  const reactions = (m.reactions ?? []).filter((r) => r.count > 0);
  if (reactions.length) suffix += ` [${reactions.map((r) => `${sanitizeInline(r.emoji)} ${r.count}`).join(' ')}]`;
  const out: { quote?: string; text: string; suffix: string; deleted: boolean } = { text: sanitizeText(m.text), suffix, deleted: false };
  if (quote !== undefined) out.quote = quote;
  return out;
}

/** The screen rows of one scrollback entry. */
export function entryRows(entry: Entry, ctx: EntryContext): string[] {
  const { styles: st, cols } = ctx;
  const now = ctx.now ?? Date.now();
  switch (entry.kind) {
    case 'msg': {
      const m = entry.msg;
      const name = sanitizeInline(m.user);
      // A namesake's short id, then a bot's mark (an API key's user): `<ann~3f9a>`, `<deploybot [bot]>`.
      const mark = (ctx.namesakes?.has(m.uid) ? `~${sanitizeInline(shortId(m.uid))}` : '') + (m.bot ? ' [bot]' : '');
      const head = `#${m.seq} ${formatTime(m.ts, now)}`;
      const prefix = `${head} <${name}${mark}> `;
      const mine = m.uid === ctx.meId;
      const mentioned = !mine && !m.deleted && ctx.meId !== undefined && mentionsMe(m, ctx.meId);
      const styleName = (n: string) => (mine ? st.bold(n) : st.fg(nameColor(m.uid), n));
      const styledPrefix = `${st.dim(head)} <${styleName(name)}${st.dim(mark)}> `;
      const parts = messageParts(m, ctx.lookup);
      const styleText = parts.deleted ? st.dim : mentioned ? (s: string) => st.bold(st.fg(3, s)) : (s: string) => s;
      const pw = stringWidth(prefix);
      if (pw * 2 > cols) {
        // Too narrow for a hanging indent: everything wrapped from the left edge, as one text.
        const body = (parts.quote !== undefined ? `${parts.quote}\n` : '') + parts.text + parts.suffix;
        return wrapText(prefix + body, cols).map((r) => styleText(r));
      }
      const width = cols - pw;
      // The quote takes one row, dim; the text wraps under the prefix; the suffix is dim when it ends the last row.
      const rows = parts.quote !== undefined ? [st.dim(truncate(parts.quote, width, '…'))] : [];
      const lines = wrapText(parts.text + parts.suffix, width);
      const tail = parts.suffix.trimStart();
      lines.forEach((line, i) => {
        if (i === lines.length - 1 && tail !== '' && line.endsWith(tail)) rows.push(styleText(line.slice(0, line.length - tail.length)) + st.dim(tail));
        else rows.push(styleText(line));
      });
      const indent = ' '.repeat(pw);
      return rows.map((r, i) => (i === 0 ? styledPrefix : indent) + r);
    }
    case 'pending': {
      const time = formatTime(entry.ts, now);
      const name = sanitizeInline(ctx.meName ?? 'me');
      const status = entry.error ? ` [not sent: ${sanitizeInline(entry.error)}]` : ' [sending…]';
      const rows = hangingRows(`${time} <${name}> `, sanitizeText(entry.text) + status, cols, (s) => st.dim(s), (s) => st.dim(s));
      return entry.error ? rows.map((r) => st.fg(1, r)) : rows;
    }
    case 'info': {
      const time = formatTime(entry.ts, now);
      const mark = entry.tone === 'error' ? '!!! ' : entry.tone === 'presence' ? '--> ' : '-!- ';
      const body = sanitizeText(entry.text);
      if (entry.tone === 'error') return hangingRows(`${time} ${mark}`, body, cols, (s) => st.fg(1, s), (s) => st.fg(1, s));
      return hangingRows(`${time} ${mark}`, body, cols, (s) => st.dim(s), entry.tone === 'presence' ? (s) => st.dim(s) : undefined);
    }
  }
}

/** "bob is typing…", "bob and carol are typing…", "4 people are typing…". */
export function typingNotice(names: string[]): string {
  const n = names.map(sanitizeInline);
  if (n.length === 0) return '';
  if (n.length === 1) return `${n[0]} is typing…`;
  if (n.length === 2) return `${n[0]} and ${n[1]} are typing…`;
  if (n.length === 3) return `${n[0]}, ${n[1]} and ${n[2]} are typing…`;
  return `${n.length} people are typing…`;
}

/** The server's refusals of a reply or a change to message #seq, in words. */
const REFUSALS = new Map<string, (seq: number) => string>(Object.entries({
  not_author: (seq: number) => `#${seq} is not your message: you can only change your own`,
  no_such_message: (seq: number) => `there is no message #${seq} in this room (or it was deleted)`,
  edit_window_passed: (seq: number) => `#${seq} can no longer be edited: the server's edit window is over`,
  reaction_invalid: () => 'the server does not accept that reaction: use one emoji or a shortcode such as :+1:',
  too_many_reactions: (seq: number) => `#${seq} has as many different reactions as a message can have (20): add one of those`,
}));

/**
 * "no such room \"x\" [no_such_room]". With `seq` (the message a reply or a change was about), the
 * refusals of docs/protocol.md 6.14/6.15 are said in words: "#12 is not your message: ... [not_author]".
 */
export function describeError(err: unknown, seq?: number): string {
  if (err instanceof ChatError) {
    if (err.code === 'closed' || err.code === 'timeout') return err.message;
    const words = seq !== undefined ? REFUSALS.get(err.code) : undefined;
    return `${words ? words(seq!) : err.message} [${err.code}]`;
  }
  return (err as Error)?.message ?? String(err);
}
