/**
 * The terminal itself: raw-mode keyboard input, the alternate screen, drawing frames, resize, and
 * putting everything back on exit.
 *
 * - enter(): alternate screen (the shell's screen is untouched and comes back on exit), raw mode
 *   (keys arrive one by one; Ctrl-C is a key, not a signal), keypress decoding by node:readline.
 * - draw(frame): one write per frame. Each row is addressed explicitly (CUP) and cleared before it
 *   is written, so a shorter new row never leaves old characters behind and a full-width row
 *   cannot trigger a scroll. Cursor hidden while drawing, then placed on the input line.
 * - bell(): BEL, for a message that calls you by `@name`.
 * - resize: the stream's 'resize' event (SIGWINCH) clears the screen and redraws at the new size.
 * - restore(): leaves the alternate screen, shows the cursor, resets attributes, cooked mode.
 *   Idempotent; also run on process exit so a crash cannot leave the terminal in raw mode.
 */
import { emitKeypressEvents } from 'node:readline';
import type { Key } from './editor.js';
import type { Frame } from './layout.js';

const CSI = '\x1b[';

export interface TerminalIO {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}

export class Screen {
  private active = false;
  private readonly onExit = () => this.restore();
  private readonly onResize = () => {
    this.clearNext = true;
    this.resized();
  };
  private clearNext = true;
  private keyHandler: ((str: string | undefined, key: Key | undefined) => void) | undefined;

  constructor(
    private readonly io: TerminalIO,
    private readonly resized: () => void,
  ) {}

  get cols(): number {
    return this.io.stdout.columns || 80;
  }

  get rows(): number {
    return this.io.stdout.rows || 24;
  }

  /** Takes over the terminal; `onKey` receives every keypress. */
  enter(onKey: (str: string | undefined, key: Key | undefined) => void): void {
    if (this.active) return;
    this.active = true;
    const { stdin, stdout } = this.io;
    emitKeypressEvents(stdin);
    if (stdin.isTTY) stdin.setRawMode(true);
    this.keyHandler = onKey;
    stdin.on('keypress', onKey);
    stdin.resume();
    stdout.on('resize', this.onResize);
    process.on('exit', this.onExit);
    stdout.write(`${CSI}?1049h${CSI}H${CSI}2J`);
    this.clearNext = false;
  }

  /** Draws a frame (clearing the whole screen first after a resize). */
  draw(frame: Frame): void {
    if (!this.active) return;
    let out = `${CSI}?25l`;
    if (this.clearNext) {
      out += `${CSI}H${CSI}2J`;
      this.clearNext = false;
    }
    frame.rows.forEach((row, i) => {
      out += `${CSI}${i + 1};1H${CSI}2K${row}${CSI}0m`;
    });
    for (let i = frame.rows.length; i < this.rows; i++) out += `${CSI}${i + 1};1H${CSI}2K`;
    out += `${CSI}${frame.cursor.row + 1};${frame.cursor.col + 1}H${CSI}?25h`;
    this.io.stdout.write(out);
  }

  /** Rings the terminal bell (BEL: the terminal beeps, flashes or marks the window, as set up). */
  bell(): void {
    if (this.active) this.io.stdout.write('\x07');
  }

  /** Forces a full clear on the next draw (Ctrl-L). */
  invalidate(): void {
    this.clearNext = true;
  }

  /** Gives the terminal back as it was. Safe to call more than once. */
  restore(): void {
    if (!this.active) return;
    this.active = false;
    const { stdin, stdout } = this.io;
    stdout.off('resize', this.onResize);
    process.off('exit', this.onExit);
    if (this.keyHandler) stdin.off('keypress', this.keyHandler);
    try {
      if (stdin.isTTY) stdin.setRawMode(false);
    } catch {
      /* the terminal is already gone */
    }
    stdin.pause();
    stdout.write(`${CSI}0m${CSI}?25h${CSI}?1049l`);
  }
}
