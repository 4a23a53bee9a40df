/**
 * Line mode, used when stdin or stdout is not a terminal (scripts, pipes, cron):
 *
 *   printf 'hello\n/join ops\ndeploy done\n' | scale-chat chat --name deploybot
 *
 * Each input line is sent to the current room, or run when it is a /command (same commands as the
 * full-screen client; /quit stops reading). Messages from others that arrive meanwhile are printed
 * to stdout, one per line, sanitized: `HH:MM #room <name> text`. Notices and errors go to stderr.
 * At the end of input it waits until every message is acknowledged (they are resent across
 * reconnects), then exits: 0 when all were delivered, 1 otherwise.
 */
import { createInterface } from 'node:readline';
import { parseLine } from './commands.js';
import { describeError, formatTime } from './format.js';
import { ChatModel, roomLabel, type Entry } from './model.js';
import { sanitizeInline, sanitizeText } from './sanitize.js';
import { ChatSession, type SessionOptions } from './session.js';

export interface PlainIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function formatPlain(room: string, entry: Entry): string {
  if (entry.kind === 'msg') {
    const m = entry.msg;
    const lines = sanitizeText(m.text).split('\n');
    const head = `${formatTime(m.ts)} ${room} <${sanitizeInline(m.user)}> `;
    return head + lines.join('\n' + ' '.repeat(head.length));
  }
  if (entry.kind === 'info') return `${entry.tone === 'error' ? 'error: ' : ''}${sanitizeText(entry.text)}`;
  return '';
}

export async function runPlain(opts: SessionOptions, io: PlainIO): Promise<number> {
  let session: ChatSession | undefined;
  const model: ChatModel = new ChatModel(
    () => {},
    Date.now,
    (roomId, entry) => {
      const room = model.rooms.get(roomId);
      const label = room ? roomLabel(room) : `#${roomId}`;
      if (entry.kind === 'msg' && entry.msg.uid !== model.me?.id) io.stdout.write(formatPlain(label, entry) + '\n');
      else if (entry.kind === 'info' && (entry.tone === 'error' || entry.tone === 'info')) io.stderr.write(formatPlain(label, entry) + '\n');
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
    if (cmd.kind === 'say') {
      const text = cmd.text;
      const bad = session.validate(model.current, text);
      if (bad) {
        io.stderr.write(`error: ${bad}\n`);
        sends.push(Promise.resolve(bad));
        continue;
      }
      sends.push(
        session.say(model.current, text).then((why) => {
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
