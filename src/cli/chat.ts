/**
 * `scale-chat chat`: the terminal client. Full screen on a terminal (src/tui/app.ts), line mode
 * when stdin or stdout is not one, or with --plain (src/tui/plain.ts). Usage: docs/terminal-client.md.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { PASSWORD_MAX, PASSWORD_MIN, isValidName } from '../protocol/rules.js';
import { PromptAborted, promptPassword } from '../tui/password.js';
import { SessionStore, defaultSessionFile } from '../tui/session-store.js';
import type { AuthMode, SessionOptions } from '../tui/session.js';

interface ChatFlags {
  url: string;
  name?: string;
  password?: string;
  login?: boolean;
  register?: boolean;
  room?: string;
  history: number;
  sessionFile?: string;
  session: boolean;
  color: boolean;
  plain?: boolean;
}

const DEFAULT_URL = 'ws://localhost:8080/ws';

function parseHistory(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 200) throw new InvalidArgumentError('a whole number from 0 to 200');
  return n;
}

function parseUrl(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidArgumentError('not a URL (example: ws://localhost:8080/ws)');
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new InvalidArgumentError('must start with ws:// or wss:// (example: ws://localhost:8080/ws)');
  return v;
}

function fail(message: string, code = 2): never {
  process.stderr.write(`scale-chat chat: ${message}\n`);
  process.exit(code);
}

export function registerChat(program: Command): void {
  program
    .command('chat')
    .description('interactive terminal chat client (line mode when stdin/stdout is not a terminal)')
    .option('--url <url>', `server WebSocket URL [env SCALE_CHAT_URL]`, parseUrl, process.env.SCALE_CHAT_URL ?? DEFAULT_URL)
    .option('--name <name>', 'your name (a guest name, or the account name with --login/--register)')
    .option('--password <password>', 'account password (prefer SCALE_CHAT_PASSWORD or the prompt: flags are visible in ps)')
    .option('--login', 'sign in to an account (asks for the password when not given)')
    .option('--register', 'create an account with --name and the password, and sign in')
    .option('--room <room>', 'room to show first (joined if needed)')
    .option('--history <n>', 'messages of history shown when a room is opened', parseHistory, 20)
    .option('--session-file <path>', `where the session is remembered (default ${defaultSessionFile()})`)
    .option('--no-session', 'do not read or write a session file')
    .option('--no-color', 'no colors (also when NO_COLOR is set)')
    .option('--plain', 'line mode even on a terminal')
    .action(async (flags: ChatFlags) => {
      const code = await chat(flags).catch((err: Error) => fail(err.message, 1));
      // Let the last writes (terminal restore, final lines) reach the terminal before exiting.
      process.stdout.write('', () => process.exit(code));
    });
}

async function chat(flags: ChatFlags): Promise<number> {
  if (flags.login && flags.register) fail('--login and --register cannot be used together');
  if (flags.name !== undefined && !isValidName(flags.name)) {
    fail(`invalid name "${flags.name}": 2-24 letters, digits, "_", "-" or ".", starting with a letter or digit`);
  }
  const mode: AuthMode = flags.register ? 'register' : flags.login || flags.password !== undefined ? 'login' : 'guest';
  if (mode !== 'guest' && flags.name === undefined) fail(`--${mode} needs --name`);
  const store = flags.session ? new SessionStore(flags.sessionFile ?? defaultSessionFile()) : undefined;
  const interactive = !flags.plain && process.stdin.isTTY === true && process.stdout.isTTY === true;

  let password = flags.password ?? process.env.SCALE_CHAT_PASSWORD;
  const saved = store?.get(flags.url);
  const canResume = mode === 'login' && saved?.account === true && saved.name.toLowerCase() === flags.name?.toLowerCase() && saved.tokenExpiresAt > Date.now();
  if (mode !== 'guest' && password === undefined && !canResume) {
    if (!process.stdin.isTTY) fail(`--${mode} needs a password: use --password or SCALE_CHAT_PASSWORD (standard input is not a terminal)`);
    try {
      password = await promptPassword(`Password for ${flags.name}: `, process.stdin, process.stderr);
      if (mode === 'register') {
        const again = await promptPassword('Password (again): ', process.stdin, process.stderr);
        if (again !== password) fail('the passwords do not match');
      }
    } catch (err) {
      if (err instanceof PromptAborted) fail('cancelled', 130);
      throw err;
    }
  }
  if (mode === 'register' && password !== undefined && (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX)) {
    fail(`the password must have ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
  }

  const opts: SessionOptions = { url: flags.url, mode, historyCount: flags.history };
  if (flags.name !== undefined) opts.name = flags.name;
  if (password !== undefined) opts.password = password;
  if (store) opts.store = store;
  if (flags.room !== undefined) opts.room = flags.room.replace(/^#/, '');
  if (!flags.name && !saved) fail(`--name is needed (no saved session for ${flags.url}${store ? ` in ${store.file}` : ''})`);

  if (interactive) {
    const [{ runTui }, { colorWanted }] = await Promise.all([import('../tui/app.js'), import('../tui/format.js')]);
    return runTui(opts, { stdin: process.stdin, stdout: process.stdout }, { color: flags.color && colorWanted() });
  }
  const { runPlain } = await import('../tui/plain.js');
  return runPlain(opts, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
}
