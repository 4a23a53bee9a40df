/**
 * The full-screen terminal client: the screen (./screen.ts), the input line (./editor.ts) and the
 * session (./session.ts) put together, with the keys that are not line editing:
 *
 *   Enter            send the line (or run the /command)
 *   Tab              complete a /command, a name or a room
 *   Ctrl-N / Ctrl-P  next / previous room       Alt-1..Alt-9  room by number
 *   PgUp / PgDn      scroll (older history is loaded when the top is reached)
 *   Ctrl-L           redraw                     Ctrl-C, or Ctrl-D on an empty line: quit
 *
 * Rendering is coalesced: any number of model changes in one event-loop turn draw one frame, and
 * frames are at least 16 ms apart (a frame of a full 100x30 screen costs well under a millisecond).
 * Resolves with the process exit code: 0 after /quit, 1 when signing in failed for good.
 */
import { COMMANDS, parseLine } from './commands.js';
import { LineEditor, type Key } from './editor.js';
import { describeError, makeStyles } from './format.js';
import { renderFrame, type Frame } from './layout.js';
import { ChatModel, roomLabel } from './model.js';
import { Screen, type TerminalIO } from './screen.js';
import { ChatSession, type SessionOptions } from './session.js';

const MIN_FRAME_MS = 16;

export interface TuiOptions {
  color: boolean;
}

export function runTui(opts: SessionOptions, io: TerminalIO, tui: TuiOptions): Promise<number> {
  return new Promise<number>((resolveExit) => {
    const styles = makeStyles(tui.color);
    const editor = new LineEditor();
    let scheduled = false;
    let lastRender = 0;
    let done = false;
    let lastFrame: Frame | undefined;
    let loadingOlder = false;

    const render = () => {
      scheduled = false;
      if (done) return;
      lastRender = Date.now();
      const frame = renderFrame(model, editor, screen.cols, screen.rows, styles);
      lastFrame = frame;
      if (model.scroll > frame.scroll) model.scroll = frame.scroll;
      screen.draw(frame);
      if (model.takeBell()) screen.bell();
      const room = model.currentRoom;
      if (frame.atTop && room && !room.historyComplete && !loadingOlder && session.client) {
        loadingOlder = true;
        void session.loadOlder(room.id, frame.pageRows, true).finally(() => (loadingOlder = false));
      }
    };
    // At most one frame per event-loop turn, and at most ~60 per second under a flood of events.
    const schedule = () => {
      if (scheduled || done) return;
      scheduled = true;
      const wait = lastRender + MIN_FRAME_MS - Date.now();
      if (wait > 0) setTimeout(render, wait);
      else setImmediate(render);
    };

    const model = new ChatModel(schedule);
    const session = new ChatSession(opts, model);
    const screen = new Screen(io, render);
    // Countdown of "reconnecting in Ns" and expiry of typing notices.
    const ticker = setInterval(() => {
      if (model.conn.state === 'reconnecting' || model.nextTypingExpiry() !== undefined) schedule();
    }, 250);

    const finish = (code: number, message?: string) => {
      if (done) return;
      done = true;
      clearInterval(ticker);
      session.close();
      screen.restore();
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
      process.off('uncaughtException', onCrash);
      if (message) io.stdout.write(`${message}\n`);
      resolveExit(code);
    };
    const onSignal = (sig: NodeJS.Signals) => finish(sig === 'SIGHUP' ? 129 : 0);
    const onCrash = (err: Error) => finish(1, `scale-chat chat crashed: ${err.stack ?? err.message}`);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
    process.on('uncaughtException', onCrash);

    const submit = (line: string) => {
      const cmd = parseLine(line);
      if (cmd.kind === 'error') return model.note(cmd.message, 'error');
      if (cmd.kind === 'quit') return finish(0);
      void session.run(cmd);
    };

    const complete = () => {
      const text = editor.text;
      const firstWord = !/\s/.test(text.trimStart()) && text.startsWith('/');
      const names = new Set<string>();
      if (firstWord) for (const c of COMMANDS) names.add(`/${c.name}`);
      else {
        for (const r of model.rooms.values()) {
          names.add(roomLabel(r));
          if (r.kind !== 'dm') names.add(r.id);
          if (r.peer) names.add(r.peer.name);
          for (const n of r.online.values()) names.add(n);
        }
      }
      const matches = editor.complete([...names]);
      if (matches.length > 1) model.note(`completions: ${matches.slice(0, 30).join('  ')}${matches.length > 30 ? '  …' : ''}`);
      schedule();
    };

    const onKey = (str: string | undefined, key: Key | undefined) => {
      if (done) return;
      const name = key?.name;
      if (key?.ctrl && name === 'c') return finish(0);
      if (key?.ctrl && name === 'd' && editor.text === '') return finish(0);
      if (key?.ctrl && name === 'l') {
        screen.invalidate();
        return schedule();
      }
      if (key?.ctrl && (name === 'n' || name === 'p')) return void session.open(model.neighbour(name === 'n' ? 1 : -1));
      if (key?.meta && name && /^[1-9]$/.test(name)) return void session.run({ kind: 'switch', room: name });
      if (name === 'pageup' || name === 'pagedown') {
        const page = lastFrame?.pageRows ?? 10;
        model.setScroll(model.scroll + (name === 'pageup' ? page : -page));
        return;
      }
      if (name === 'tab') return complete();
      const res = editor.handle(str, key);
      if (res.kind === 'submit') submit(res.line);
      else if (res.kind === 'edited' && editor.text !== '' && !editor.text.startsWith('/')) session.typing();
      schedule();
    };

    screen.enter(onKey);
    if (opts.store?.problem) model.note(opts.store.problem, 'error');
    render();
    session.start().catch((err) => finish(1, `scale-chat chat: ${describeError(err)}`));
  });
}
