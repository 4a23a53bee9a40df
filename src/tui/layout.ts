/**
 * The screen layout, as a pure function of the model, the input line and the terminal size:
 *
 *   row 1        status line: current room, who is online there | our name, connection state
 *   rows 2..R-3  the current room's scrollback, newest at the bottom, wrapped to the width (messages in
 *                their current state: edited, deleted, reactions, drawn anew each frame)
 *   row R-2      typing notice ("bob is typing…"), or a hint when scrolled up
 *   row R-1      room bar: every room with its number and unread count, the current one highlighted
 *   row R        input line: "#room> text"
 *
 * Rows never exceed the width; ./screen.ts writes them and places the cursor.
 */
import { entryRows, typingNotice, type Styles } from './format.js';
import type { LineEditor } from './editor.js';
import { roomLabel, type ChatModel, type ConnStatus } from './model.js';
import { sanitizeInline } from './sanitize.js';
import { padEnd, stringWidth, truncate } from './width.js';

export const MIN_COLS = 20;
export const MIN_ROWS = 6;
/** Rows that are not scrollback. */
const CHROME_ROWS = 4;

export interface Frame {
  rows: string[];
  cursor: { row: number; col: number };
  /** The scrollback is scrolled to its oldest loaded entry (time to load older history). */
  atTop: boolean;
  /** Rows of scrollback shown (page size for PgUp/PgDn). */
  pageRows: number;
  /** The scroll offset actually used (model.scroll clamped to the loaded scrollback). */
  scroll: number;
}

export function connText(c: ConnStatus, now: number): string {
  switch (c.state) {
    case 'connecting':
      return 'connecting…';
    case 'open':
      return 'online';
    case 'reconnecting': {
      if (c.retryAt === undefined || c.retryAt <= now) return 'reconnecting…';
      return `reconnecting in ${Math.ceil((c.retryAt - now) / 1000)}s`;
    }
    case 'offline':
      return c.detail ? `offline: ${sanitizeInline(c.detail)}` : 'offline';
    case 'closed':
      return 'closed';
  }
}

export function renderFrame(model: ChatModel, editor: LineEditor, cols: number, rows: number, st: Styles, now = Date.now()): Frame {
  if (cols < MIN_COLS || rows < MIN_ROWS) {
    const msg = truncate(`terminal too small (${cols}x${rows}, need ${MIN_COLS}x${MIN_ROWS})`, cols);
    return { rows: [msg], cursor: { row: 0, col: 0 }, atTop: false, pageRows: 1, scroll: model.scroll };
  }
  const room = model.currentRoom;
  const out: string[] = [];

  // Status line.
  const label = room ? roomLabel(room) : `#${model.current}`;
  let where = label;
  if (room?.kind === 'private') where += ' (private)';
  if (room?.kind === 'dm') {
    const peerOnline = room.peer ? room.online.has(room.peer.id) : false;
    where += peerOnline ? ' · online' : '';
  } else if (room && room.online.size > 0) {
    where += ` · ${room.online.size} online`;
  }
  const conn = connText(model.conn, now);
  const me = model.me ? sanitizeInline(model.me.name) : '';
  const left = ` ${sanitizeInline(where)}`;
  // Our name goes first when space is short: the room and the connection state matter more.
  let right = `${me ? `${me} · ` : ''}${conn} `;
  if (stringWidth(left) + stringWidth(right) + 1 > cols) right = `${conn} `;
  const leftW = Math.max(0, cols - stringWidth(right) - 1);
  const statusPlain = padEnd(left, leftW) + ' ' + truncate(right, cols - leftW - 1);
  const connColor = model.conn.state === 'open' ? 2 : model.conn.state === 'offline' || model.conn.state === 'closed' ? 1 : 3;
  const statusRow = padEnd(statusPlain, cols);
  const connAt = statusRow.lastIndexOf(conn);
  out.push(
    connAt > 0 && st.color
      ? st.reverse(statusRow.slice(0, connAt)) + st.reverse(st.fg(connColor, conn)) + st.reverse(statusRow.slice(connAt + conn.length))
      : st.reverse(statusRow),
  );

  // Scrollback.
  const height = rows - CHROME_ROWS;
  const lines: string[] = [];
  const entries = room?.entries ?? [];
  const need = height + model.scroll;
  const lookup = (r: string, seq: number) => model.message(r, seq);
  const ctx = { cols, styles: st, meId: model.me?.id, meName: model.me?.name, now, namesakes: model.namesakes(room), lookup };
  let i = entries.length - 1;
  for (; i >= 0 && lines.length < need; i--) lines.unshift(...entryRows(entries[i], ctx));
  const exhausted = i < 0;
  const maxScroll = Math.max(0, lines.length - height);
  const scroll = Math.min(model.scroll, maxScroll);
  const visible = lines.slice(Math.max(0, lines.length - height - scroll), lines.length - scroll);
  for (let k = visible.length; k < height; k++) out.push('');
  out.push(...visible);
  const atTop = exhausted && model.scroll > 0 && scroll >= maxScroll;

  // Typing notice / scroll hint.
  if (model.scroll > 0) {
    out.push(st.reverse(truncate(` scrolled up ${scroll} rows · PgDn for newer${atTop && room?.historyComplete ? ' · start of history' : ''} `, cols)));
  } else {
    out.push(st.dim(truncate(typingNotice(model.typingNames(model.current)), cols, '…')));
  }

  // Room bar.
  const parts: string[] = [];
  let n = 0;
  let used = 0;
  for (const r of model.rooms.values()) {
    n++;
    const unread = r.unread > 0 ? `(${r.unread})` : '';
    const plain = `${n}:${sanitizeInline(roomLabel(r))}${unread}`;
    const w = stringWidth(plain) + 1;
    if (used + w > cols - 2) {
      parts.push(st.dim('…'));
      break;
    }
    used += w;
    const styled = r.id === model.current ? st.reverse(plain) : r.mentioned ? st.bold(st.fg(1, plain)) : r.unread > 0 ? st.bold(st.fg(3, plain)) : plain;
    parts.push(styled);
  }
  out.push(' ' + parts.join(' '));

  // Input line.
  const prompt = `${truncate(sanitizeInline(label), Math.floor(cols / 3), '…')}> `;
  const pw = stringWidth(prompt);
  const view = editor.view(cols - pw - 1);
  out.push(st.bold(prompt) + view.text);

  return { rows: out, cursor: { row: rows - 1, col: pw + view.cursorCol }, atTop, pageRows: Math.max(1, height - 1), scroll };
}
