/**
 * The input line editor: a text buffer with a cursor that moves by grapheme clusters, emacs-style
 * editing keys, input history (Up/Down) and word completion (Tab). Keys arrive as node:readline
 * keypress objects; keys the editor does not use are returned to the caller (./app.ts).
 *
 * Keys: printable text inserts; Left/Right, Ctrl-B/Ctrl-F move; Home/End, Ctrl-A/Ctrl-E jump;
 * Backspace/Ctrl-H and Delete erase; Ctrl-W erases the word before the cursor; Ctrl-U erases to the
 * start, Ctrl-K to the end; Up/Down walk the input history; Enter submits.
 */
import { sanitizeInline } from './sanitize.js';
import { graphemes, graphemeWidth, stringWidth } from './width.js';

export interface Key {
  name?: string;
  ctrl?: boolean;
  meta?: boolean;
  shift?: boolean;
  sequence?: string;
}

export type EditResult =
  | { kind: 'submit'; line: string }
  /** The text changed (the caller may send a typing notice). */
  | { kind: 'edited' }
  /** Only the cursor or the history position moved. */
  | { kind: 'moved' }
  /** Not an editing key: for the caller. */
  | { kind: 'unhandled' };

const HISTORY_MAX = 200;

export class LineEditor {
  private buf: string[] = []; // graphemes
  private pos = 0; // cursor, in graphemes
  private readonly history: string[] = [];
  private histIndex = 0; // == history.length when editing a new line
  private draft = '';

  get text(): string {
    return this.buf.join('');
  }

  get cursor(): number {
    return this.pos;
  }

  set(text: string, cursorAtEnd = true): void {
    this.buf = graphemes(text);
    this.pos = cursorAtEnd ? this.buf.length : Math.min(this.pos, this.buf.length);
  }

  /** Inserts text at the cursor (control characters removed: a paste cannot inject escapes). */
  insert(text: string): void {
    const g = graphemes(sanitizeInline(text));
    this.buf.splice(this.pos, 0, ...g);
    this.pos += g.length;
  }

  handle(str: string | undefined, key: Key | undefined): EditResult {
    const name = key?.name;
    if (key?.ctrl && !key.meta) {
      switch (name) {
        case 'a':
          return this.move(0);
        case 'e':
          return this.move(this.buf.length);
        case 'b':
          return this.move(this.pos - 1);
        case 'f':
          return this.move(this.pos + 1);
        case 'h':
          return this.backspace();
        case 'u':
          return this.erase(0, this.pos);
        case 'k':
          return this.erase(this.pos, this.buf.length);
        case 'w':
          return this.erase(this.wordStart(), this.pos);
        default:
          return { kind: 'unhandled' };
      }
    }
    if (key?.meta) return { kind: 'unhandled' };
    switch (name) {
      case 'return':
      case 'enter':
        return this.submit();
      case 'backspace':
        return this.backspace();
      case 'delete':
        return this.erase(this.pos, this.pos + 1);
      case 'left':
        return this.move(this.pos - 1);
      case 'right':
        return this.move(this.pos + 1);
      case 'home':
        return this.move(0);
      case 'end':
        return this.move(this.buf.length);
      case 'up':
        return this.recall(-1);
      case 'down':
        return this.recall(1);
    }
    // Printable input: anything without control characters (escape sequences of unknown keys are dropped).
    if (str !== undefined && str !== '' && !/[\x00-\x1f\x7f]/.test(str)) {
      this.insert(str);
      return { kind: 'edited' };
    }
    return { kind: 'unhandled' };
  }

  /**
   * Tab completion of the word before the cursor among `candidates` (case-insensitive prefix).
   * One match: completed (plus a space). Several: extended to their common prefix, and returned.
   */
  complete(candidates: string[]): string[] {
    const start = this.wordStart(false);
    const word = this.buf.slice(start, this.pos).join('');
    if (word === '') return [];
    const lower = word.toLowerCase();
    const matches = [...new Set(candidates)].filter((c) => c.toLowerCase().startsWith(lower) && c.length >= word.length);
    if (matches.length === 0) return [];
    let completion = matches[0];
    if (matches.length > 1) {
      for (const m of matches.slice(1)) {
        let i = 0;
        while (i < completion.length && i < m.length && completion[i].toLowerCase() === m[i].toLowerCase()) i++;
        completion = completion.slice(0, i);
      }
      if (completion.length < word.length) return matches;
    } else {
      completion += ' ';
    }
    const g = graphemes(completion);
    this.buf.splice(start, this.pos - start, ...g);
    this.pos = start + g.length;
    return matches;
  }

  /**
   * What to show in `cols` columns: the part of the text around the cursor (scrolled horizontally
   * when the line is longer than the space) and the cursor's column in it.
   */
  view(cols: number): { text: string; cursorCol: number } {
    const width = Math.max(1, cols);
    const widths = this.buf.map(graphemeWidth);
    // Start far enough right that the cursor (plus one cell for it) fits.
    let start = 0;
    let before = 0;
    for (let i = 0; i < this.pos; i++) before += widths[i];
    while (before > width - 1 && start < this.pos) before -= widths[start++];
    let shown = '';
    let w = 0;
    for (let i = start; i < this.buf.length; i++) {
      if (w + widths[i] > width) break;
      shown += this.buf[i];
      w += widths[i];
    }
    return { text: shown, cursorCol: before };
  }

  /** Display width of the whole text (for tests and layout decisions). */
  get width(): number {
    return stringWidth(this.text);
  }

  private submit(): EditResult {
    const line = this.text;
    if (line.trim() !== '' && this.history.at(-1) !== line) {
      this.history.push(line);
      if (this.history.length > HISTORY_MAX) this.history.shift();
    }
    this.histIndex = this.history.length;
    this.draft = '';
    this.buf = [];
    this.pos = 0;
    return { kind: 'submit', line };
  }

  private recall(step: number): EditResult {
    const next = this.histIndex + step;
    if (next < 0 || next > this.history.length) return { kind: 'moved' };
    if (this.histIndex === this.history.length) this.draft = this.text;
    this.histIndex = next;
    this.set(next === this.history.length ? this.draft : this.history[next]);
    return { kind: 'moved' };
  }

  private move(to: number): EditResult {
    this.pos = Math.max(0, Math.min(this.buf.length, to));
    return { kind: 'moved' };
  }

  private backspace(): EditResult {
    return this.erase(this.pos - 1, this.pos);
  }

  private erase(from: number, to: number): EditResult {
    const a = Math.max(0, from);
    const b = Math.min(this.buf.length, to);
    if (b <= a) return { kind: 'moved' };
    this.buf.splice(a, b - a);
    this.pos = a;
    return { kind: 'edited' };
  }

  /** Start of the word before the cursor (for Ctrl-W, after skipping the spaces just before it). */
  private wordStart(skipSpaces = true): number {
    let i = this.pos;
    if (skipSpaces) while (i > 0 && this.buf[i - 1] === ' ') i--;
    while (i > 0 && this.buf[i - 1] !== ' ') i--;
    return i;
  }
}
