/**
 * Formatting for the terminal: times, colors (SGR escape codes), and the rows of one scrollback
 * entry wrapped to the screen width.
 *
 * Everything that came from the network goes through ./sanitize.ts here, before any escape code of
 * ours is added, so the only escape sequences ever written are the ones built in this file and in
 * ./screen.ts. Colors follow NO_COLOR (https://no-color.org): with color off, bold/dim/reverse
 * (which are not colors) are still used.
 */
import { ChatError, shortId } from '../client/index.js';
import { mentions, type Entry } from './model.js';
import { sanitizeInline, sanitizeText } from './sanitize.js';
import { stringWidth, wrapText } from './width.js';

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
}

/** The screen rows of one scrollback entry. */
export function entryRows(entry: Entry, ctx: EntryContext): string[] {
  const { styles: st, cols } = ctx;
  const now = ctx.now ?? Date.now();
  switch (entry.kind) {
    case 'msg': {
      const m = entry.msg;
      const name = sanitizeInline(m.user);
      const mark = ctx.namesakes?.has(m.uid) ? `~${sanitizeInline(shortId(m.uid))}` : '';
      const time = formatTime(m.ts, now);
      const prefix = `${time} <${name}${mark}> `;
      const mine = m.uid === ctx.meId;
      const mentioned = !mine && ctx.meName !== undefined && mentions(m.text, ctx.meName);
      const styleName = (n: string) => (mine ? st.bold(n) : st.fg(nameColor(m.uid), n));
      return hangingRows(
        prefix,
        sanitizeText(m.text),
        cols,
        () => `${st.dim(time)} <${styleName(name)}${st.dim(mark)}> `,
        mentioned ? (s) => st.bold(st.fg(3, s)) : undefined,
      );
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

/** "no such room \"x\" [no_such_room]" */
export function describeError(err: unknown): string {
  if (err instanceof ChatError) return err.code === 'closed' || err.code === 'timeout' ? err.message : `${err.message} [${err.code}]`;
  return (err as Error)?.message ?? String(err);
}
