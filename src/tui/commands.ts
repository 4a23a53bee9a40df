/**
 * The command language of the terminal client: parsing one input line into a message to send or a
 * command, with a clear usage error for bad input. No I/O here; ./session.ts carries commands out.
 *
 * A line that does not start with `/` is a message to the current room. `//text` sends `/text`.
 * Room arguments accept `lobby`, `#lobby`, and `@name` for a DM. A message is addressed by its seq in
 * the current room, shown before its time (`#12`): `12` and `#12` both work.
 */
import { isValidReaction } from '../protocol/changes.js';

export type Command =
  | { kind: 'say'; text: string }
  | { kind: 'join'; room: string }
  | { kind: 'switch'; room: string }
  | { kind: 'leave'; room?: string }
  | { kind: 'create'; room: string; visibility: 'public' | 'private' }
  | { kind: 'invite'; user: string; room?: string }
  | { kind: 'dm'; user: string; text?: string }
  | { kind: 'who'; room?: string }
  | { kind: 'rooms' }
  | { kind: 'history'; count?: number }
  /** No seq: your last message in the current room. */
  | { kind: 'edit'; seq?: number; text: string }
  | { kind: 'delete'; seq?: number }
  | { kind: 'react'; seq: number; emoji: string; on: boolean }
  | { kind: 'reply'; seq: number; text: string }
  /** Full-text search (docs/protocol.md 6.16): `room` from `in:#room` (`in:here`: the current one), `from` from `from:name`. */
  | { kind: 'search'; query: string; room?: string; here?: boolean; from?: string }
  | { kind: 'help'; topic?: string }
  | { kind: 'quit' }
  | { kind: 'none' };

export type ParseResult = Command | { kind: 'error'; message: string };

export interface CommandSpec {
  name: string;
  aliases: string[];
  usage: string;
  help: string;
}

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'join', aliases: ['j'], usage: '/join <room>', help: 'join a public room (or switch to a room you are in) and show its recent history' },
  { name: 'switch', aliases: ['s', 'w', 'window'], usage: '/switch <room|@name|number>', help: 'show another of your rooms (number = position in the room bar)' },
  { name: 'leave', aliases: ['part'], usage: '/leave [room]', help: 'leave a room (default: the current one)' },
  { name: 'create', aliases: [], usage: '/create <room> [public|private]', help: 'create a room (public by default) and switch to it' },
  { name: 'invite', aliases: [], usage: '/invite <name> [room]', help: 'add a user to a room (default: the current one)' },
  { name: 'dm', aliases: ['msg', 'query'], usage: '/dm <name> [message]', help: 'open a direct conversation (and send a message)' },
  { name: 'who', aliases: ['names', 'members'], usage: '/who [room]', help: 'list the members of a room and who is online' },
  { name: 'rooms', aliases: ['list'], usage: '/rooms', help: 'list your rooms and the public rooms you can join' },
  { name: 'history', aliases: ['more'], usage: '/history [count]', help: 'load older messages of the current room (default 20)' },
  { name: 'reply', aliases: ['re'], usage: '/reply <seq> <text>', help: 'answer message #seq of the current room' },
  { name: 'edit', aliases: [], usage: '/edit [seq] <text>', help: 'change the text of your message #seq (default: your last one here)' },
  { name: 'delete', aliases: ['del'], usage: '/delete [seq]', help: 'delete your message #seq (default: your last one here)' },
  { name: 'react', aliases: [], usage: '/react <seq> <emoji>', help: 'add your reaction to message #seq: one emoji, or a shortcode such as :+1: :tada:' },
  { name: 'unreact', aliases: [], usage: '/unreact <seq> <emoji>', help: 'take your reaction back from message #seq' },
  { name: 'search', aliases: ['find'], usage: '/search [in:#room|in:here] [from:name] <words>', help: 'find messages of your rooms containing every word (prefixes), newest first' },
  { name: 'help', aliases: ['h', '?'], usage: '/help [command]', help: 'this help' },
  { name: 'quit', aliases: ['exit', 'q'], usage: '/quit', help: 'leave the client' },
];

/** Largest /history count accepted (the server caps a page anyway). */
export const MAX_HISTORY_COUNT = 1000;

export function findCommand(name: string): CommandSpec | undefined {
  const n = name.toLowerCase();
  return COMMANDS.find((c) => c.name === n || c.aliases.includes(n));
}

const usage = (name: string) => ({ kind: 'error' as const, message: `usage: ${findCommand(name)!.usage}` });

/** Room reference as typed by the user: `#lobby` -> `lobby`; `@bob` kept as is. */
export function normalizeRoomRef(ref: string): string {
  return ref.startsWith('#') ? ref.slice(1) : ref;
}

/** A message's seq as typed: `12` or `#12`; undefined when it is not one. */
export function parseSeq(arg: string): number | undefined {
  const m = /^#?(\d{1,15})$/.exec(arg);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n >= 1 && Number.isSafeInteger(n) ? n : undefined;
}

const badSeq = (arg: string) => ({ kind: 'error' as const, message: `"${arg}" is not a message number: use the number shown before its time, like 12 or #12` });

/** The text after the first `words` words of `body`, spacing kept (one separating space dropped). */
function textAfter(body: string, words: number): string {
  return body.replace(new RegExp(`^(?:\\S+\\s+){${words - 1}}\\S+\\s?`), '');
}

/** Parses one line of input. */
export function parseLine(line: string): ParseResult {
  if (!line.startsWith('/')) return line.trim() === '' ? { kind: 'none' } : { kind: 'say', text: line };
  if (line.startsWith('//')) return { kind: 'say', text: line.slice(1) };
  const body = line.slice(1).trim();
  if (body === '') return { kind: 'error', message: 'empty command: type /help for the list' };
  const [word, ...args] = body.split(/\s+/);
  const spec = findCommand(word);
  if (!spec) return { kind: 'error', message: `unknown command /${word}: type /help for the list (start with // to send a message beginning with /)` };
  switch (spec.name) {
    case 'join':
      if (args.length !== 1) return usage('join');
      return { kind: 'join', room: normalizeRoomRef(args[0]) };
    case 'switch':
      if (args.length !== 1) return usage('switch');
      return { kind: 'switch', room: normalizeRoomRef(args[0]) };
    case 'leave':
      if (args.length > 1) return usage('leave');
      return args[0] ? { kind: 'leave', room: normalizeRoomRef(args[0]) } : { kind: 'leave' };
    case 'create': {
      if (args.length < 1 || args.length > 2) return usage('create');
      const vis = (args[1] ?? 'public').toLowerCase();
      if (vis !== 'public' && vis !== 'private') return { kind: 'error', message: `visibility must be public or private, not "${args[1]}"` };
      return { kind: 'create', room: normalizeRoomRef(args[0]), visibility: vis };
    }
    case 'invite':
      if (args.length < 1 || args.length > 2) return usage('invite');
      return args[1] ? { kind: 'invite', user: stripAt(args[0]), room: normalizeRoomRef(args[1]) } : { kind: 'invite', user: stripAt(args[0]) };
    case 'dm': {
      if (args.length < 1) return usage('dm');
      // Keep the message text as typed (spacing included): everything after the name.
      const text = body.replace(/^\S+\s+\S+\s?/, '');
      return args.length > 1 && text.trim() !== '' ? { kind: 'dm', user: stripAt(args[0]), text } : { kind: 'dm', user: stripAt(args[0]) };
    }
    case 'who':
      if (args.length > 1) return usage('who');
      return args[0] ? { kind: 'who', room: normalizeRoomRef(args[0]) } : { kind: 'who' };
    case 'rooms':
      if (args.length > 0) return usage('rooms');
      return { kind: 'rooms' };
    case 'history': {
      if (args.length > 1) return usage('history');
      if (args.length === 0) return { kind: 'history' };
      const n = Number(args[0]);
      if (!Number.isInteger(n) || n < 1 || n > MAX_HISTORY_COUNT) return { kind: 'error', message: `count must be a whole number from 1 to ${MAX_HISTORY_COUNT}, not "${args[0]}"` };
      return { kind: 'history', count: n };
    }
    case 'edit': {
      // `/edit 12 text` edits #12; `/edit text` your last message. A lone number is a seq without text.
      if (args.length === 0) return usage('edit');
      const seq = parseSeq(args[0]);
      if (seq === undefined) return { kind: 'edit', text: textAfter(body, 1) };
      if (args.length === 1) return usage('edit');
      return { kind: 'edit', seq, text: textAfter(body, 2) };
    }
    case 'delete': {
      if (args.length > 1) return usage('delete');
      if (args.length === 0) return { kind: 'delete' };
      const seq = parseSeq(args[0]);
      return seq === undefined ? badSeq(args[0]) : { kind: 'delete', seq };
    }
    case 'react':
    case 'unreact': {
      if (args.length !== 2) return usage(spec.name);
      const seq = parseSeq(args[0]);
      if (seq === undefined) return badSeq(args[0]);
      if (!isValidReaction(args[1])) return { kind: 'error', message: `"${args[1]}" is not a reaction: use one emoji (👍) or a shortcode such as :+1: :heart: :tada: :eyes:` };
      return { kind: 'react', seq, emoji: args[1], on: spec.name === 'react' };
    }
    case 'reply': {
      if (args.length === 0) return usage('reply');
      const seq = parseSeq(args[0]);
      if (seq === undefined) return badSeq(args[0]);
      const text = textAfter(body, 2);
      if (args.length < 2 || text.trim() === '') return usage('reply');
      return { kind: 'reply', seq, text };
    }
    case 'search': {
      const cmd: Extract<Command, { kind: 'search' }> = { kind: 'search', query: '' };
      const words: string[] = [];
      for (const a of args) {
        const low = a.toLowerCase();
        if (low === 'in:here') cmd.here = true;
        else if (low.startsWith('in:') && a.length > 3) cmd.room = normalizeRoomRef(a.slice(3));
        else if (low.startsWith('from:') && a.length > 5) cmd.from = stripAt(a.slice(5));
        else words.push(a);
      }
      if (!words.length) return usage('search');
      cmd.query = words.join(' ');
      return cmd;
    }
    case 'help':
      return args[0] ? { kind: 'help', topic: args[0].replace(/^\//, '') } : { kind: 'help' };
    case 'quit':
      return { kind: 'quit' };
  }
  return { kind: 'error', message: `unknown command /${word}` };
}

function stripAt(name: string): string {
  return name.startsWith('@') ? name.slice(1) : name;
}

/** Help lines: every command, or one command's usage. */
export function helpLines(topic?: string): string[] {
  if (topic) {
    const spec = findCommand(topic);
    if (!spec) return [`no command /${topic}: type /help for the list`];
    const aka = spec.aliases.length ? ` (also ${spec.aliases.map((a) => `/${a}`).join(', ')})` : '';
    return [`${spec.usage}: ${spec.help}${aka}`];
  }
  return [
    'commands:',
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(32)} ${c.help}`),
    'keys: Enter send · Tab complete · Ctrl-N/Ctrl-P or Alt-1..9 switch room · PgUp/PgDn scroll · Up/Down input history · Ctrl-L redraw · Ctrl-C quit',
    'a line starting with // sends a message that begins with /',
  ];
}
