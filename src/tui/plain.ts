/**
 * Line mode, used when stdin or stdout is not a terminal (scripts, pipes, cron):
 *
 *   printf 'hello\n/join ops\ndeploy done\n' | scale-chat chat --name deploybot
 *
 * Each input line is sent to the current room, or run when it is a /command (same commands as the
 * full-screen client; /quit stops reading). Messages from others that arrive meanwhile are printed
 * to stdout, one per line, sanitized: `HH:MM #room <name> text` (a reply starts with a `↪ name: ...`
 * line quoting the original; a deleted one reads `(message deleted)`; ` (edited)` and reactions
 * `[👍 2]` follow the text). Their edits, deletions and reactions of messages print one short line each:
 * `HH:MM #room * bob edited #12: new text`. Notices and errors go to stderr.
 * At the end of input it waits until every message is acknowledged (they are resent across
 * reconnects), then exits: 0 when all were delivered, 1 otherwise.
 */
import { createInterface } from 'node:readline';
import { parseLine } from './commands.js';
import type { MsgEvent } from '../protocol/index.js';
import { describeError, formatTime, messageParts } from './format.js';
import { ChatModel, roomLabel, type Entry } from './model.js';
import { sanitizeInline, sanitizeText } from './sanitize.js';
import { ChatSession, type SessionOptions } from './session.js';

export interface PlainIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function formatPlain(room: string, entry: Entry, lookup?: (room: string, seq: number) => MsgEvent | undefined): string {
  if (entry.kind === 'msg') {
    const m = entry.msg;
    const parts = messageParts(m, lookup);
    const lines = (parts.quote !== undefined ? `${parts.quote}\n` : '') + parts.text + parts.suffix;
    const head = `${formatTime(m.ts)} ${room} <${sanitizeInline(m.user)}${m.bot ? ' [bot]' : ''}> `;
    return head + lines.split('\n').join('\n' + ' '.repeat(head.length));
  }
  if (entry.kind === 'info') return `${entry.tone === 'error' ? 'error: ' : ''}${sanitizeText(entry.text)}`;
  return '';
}

/** A change event as one line: `HH:MM #room * bob edited #12: new text`, `... * bob reacted 👍 to #12`. */
export function formatPlainChange(room: string, ev: MsgEvent): string {
  const c = ev.change;
  if (!c) return '';
  const who = `${formatTime(ev.ts)} ${room} * ${sanitizeInline(ev.user)}`;
  switch (c.kind) {
    case 'edit':
      return `${who} edited #${c.target}: ${sanitizeInline(c.text)}`;
    case 'remove':
      return `${who} deleted #${c.target}`;
    case 'react':
      return c.on ? `${who} reacted ${sanitizeInline(c.emoji)} to #${c.target}` : `${who} took back ${sanitizeInline(c.emoji)} from #${c.target}`;
  }
}

export async function runPlain(opts: SessionOptions, io: PlainIO): Promise<number> {
  let session: ChatSession | undefined;
  const model: ChatModel = new ChatModel(
    () => {},
    Date.now,
    (roomId, entry) => {
      const room = model.rooms.get(roomId);
      const label = room ? roomLabel(room) : `#${roomId}`;
      if (entry.kind === 'msg' && entry.msg.uid !== model.me?.id) io.stdout.write(formatPlain(label, entry, (r, seq) => model.message(r, seq)) + '\n');
      else if (entry.kind === 'info' && (entry.tone === 'error' || entry.tone === 'info')) io.stderr.write(formatPlain(label, entry) + '\n');
    },
    (roomId, ev) => {
      const room = model.rooms.get(roomId);
      if (ev.uid !== model.me?.id) io.stdout.write(formatPlainChange(room ? roomLabel(room) : `#${roomId}`, ev) + '\n');
    },
  );
  session = new ChatSession({ ...opts, presence: false }, model);
  const rl = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
  const lines = rl[Symbol.asyncIterator](); // buffers the lines that arrive while connecting
  try {
    await session.start();
    await session.initialRoom; // lines go to the --room room, once it is joined
    if (opts.room && opts.room !== 'general' && model.current === 'general') throw new Error(`cannot send to ${opts.room}: see the error above`);
  } catch (err) {
    rl.close();
    io.stderr.write(`scale-chat chat: ${describeError(err)}\n`);
    session.close();
    return 1;
  }
  const sends: Promise<string | undefined>[] = [];
  for await (const line of lines) {
    const cmd = parseLine(line);
    if (cmd.kind === 'error') {
      io.stderr.write(`error: ${cmd.message}\n`);
      continue;
    }
    if (cmd.kind === 'quit') break;
    if (cmd.kind === 'say' || cmd.kind === 'reply') {
      const text = cmd.text;
      const bad = session.validate(model.current, text);
      if (bad) {
        io.stderr.write(`error: ${bad}\n`);
        sends.push(Promise.resolve(bad));
        continue;
      }
      sends.push(
        session.say(model.current, text, cmd.kind === 'reply' ? cmd.seq : undefined).then((why) => {
          if (why !== undefined) io.stderr.write(`error: not sent: ${sanitizeInline(text).slice(0, 60)}: ${why}\n`);
          return why;
        }),
      );
    }
    else await session.run(cmd);
  }
  rl.close();
  const results = await Promise.all(sends);
  session.close();
  const failed = results.filter((why) => why !== undefined).length;
  if (failed > 0) io.stderr.write(`scale-chat chat: ${failed} message${failed === 1 ? '' : 's'} not delivered\n`);
  return failed > 0 ? 1 : 0;
}
