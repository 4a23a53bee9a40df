/**
 * `scale-chat chat`, the terminal client, driven like a user would: the real command runs in a tmux
 * pane (a real pseudo-terminal) against a real server on port 0; keys go in with `tmux send-keys`,
 * the screen is read with `tmux capture-pane`. The other participant is an SDK client in this
 * process. Every wait polls the screen with a bound; nothing is timed.
 *
 * Line mode (stdin not a terminal) is tested by piping into the command, without tmux.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../src/client/index.js';
import type { MsgEvent, TypingEvent } from '../src/protocol/types.js';
import { stringWidth } from '../src/tui/width.js';
import { startServer, tempDir, type TestServer } from './helpers/server.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const SKIP_TMUX = hasTmux ? false : 'SKIPPED: tmux not installed (Debian package tmux; CI installs it)';

const tmuxEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
  delete env.TMUX;
  delete env.NO_COLOR;
  return env;
};

/**
 * One tmux server with one pane running `scale-chat chat ARGS`. The server has its own socket
 * (`tmux -S`, the path form of `-L`) inside the pane's temp dir, so removing the dir leaves nothing.
 */
class Pane {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'scale-chat-tui-'));
  readonly socket = path.join(this.dir, 'tmux.sock');
  readonly sessionFile = path.join(this.dir, 'session.json');
  private started = false;

  private tmux(...args: string[]): Promise<{ stdout: string }> {
    const conf = args[0] === '-f' ? [] : ['-f', '/dev/null'];
    return run('tmux', ['-S', this.socket, ...conf, ...args], { env: tmuxEnv(), encoding: 'utf8' });
  }

  /**
   * Runs the client in a `cols` x `rows` pane. When it exits, the wrapper prints its exit code and
   * whether the terminal is back in cooked mode with echo, then waits (so the pane stays readable).
   */
  async start(args: string[], cols = 100, rows = 30): Promise<void> {
    const script = path.join(this.dir, 'run.sh');
    const conf = path.join(this.dir, 'tmux.conf');
    writeFileSync(conf, 'set -g status off\n'); // the pane gets the whole window: cols x rows
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        `"${process.execPath}" "${MAIN}" chat "$@"`,
        'code=$?',
        "modes=$(stty -a 2>/dev/null | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' ')",
        'echo "EXIT=$code MODES=$modes"',
        'sleep 600',
        '',
      ].join('\n'),
    );
    await this.tmux('-f', conf, 'new-session', '-d', '-x', String(cols), '-y', String(rows), '-s', 'chat', 'sh', script, ...args);
    this.started = true;
  }

  async screen(escapes = false): Promise<string> {
    return (await this.tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', 'chat')).stdout;
  }

  async lines(): Promise<string[]> {
    return (await this.screen()).replace(/\n$/, '').split('\n');
  }

  /** Polls the screen until `pred` holds; fails with the last screen after `timeoutMs`. */
  async waitFor(pred: (screen: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = await this.screen();
      if (pred(last)) return last;
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}; the screen was:\n${last}`);
      await sleep(100);
    }
  }

  waitText(text: string, timeoutMs?: number): Promise<string> {
    return this.waitFor((s) => s.includes(text), JSON.stringify(text), timeoutMs);
  }

  /** Types text literally (no Enter). */
  async type(text: string): Promise<void> {
    await this.tmux('send-keys', '-t', 'chat', '-l', text);
  }

  /** Types a line and presses Enter. */
  async enter(text: string): Promise<void> {
    if (text !== '') await this.type(text);
    await this.tmux('send-keys', '-t', 'chat', 'Enter');
  }

  async keys(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', '-t', 'chat', ...keys);
  }

  async resize(cols: number, rows: number): Promise<void> {
    await this.tmux('resize-window', '-t', 'chat', '-x', String(cols), '-y', String(rows));
  }

  /** Whether the pane's window got a bell (BEL) since it started (tmux keeps the flag until the window is viewed). */
  async bell(): Promise<boolean> {
    return (await this.tmux('display-message', '-p', '-t', 'chat', '#{window_bell_flag}')).stdout.trim() === '1';
  }

  async title(): Promise<string> {
    return (await this.tmux('display-message', '-p', '-t', 'chat', '#{pane_title}')).stdout.trim();
  }

  /** Kills the tmux server of this pane (and the client with it); removes the temp dir. */
  async close(): Promise<void> {
    if (this.started) await this.tmux('kill-server').catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function sdkUser(url: string, name: string): { c: ChatClient; got: MsgEvent[]; typing: TypingEvent[] } {
  const c = new ChatClient({
    url,
    WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'],
    auth: { kind: 'guest', name },
    backoff: { baseMs: 50, maxMs: 500 },
  });
  const got: MsgEvent[] = [];
  const typing: TypingEvent[] = [];
  c.on('message', (m) => got.push(m));
  c.on('typing', (t) => typing.push(t));
  return { c, got, typing };
}

async function until(pred: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(20);
  }
}

const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;
const lastRow = (screen: string) => screen.replace(/\n+$/, '').split('\n').at(-1) ?? '';

describe('scale-chat chat in a terminal (tmux)', { skip: SKIP_TMUX }, () => {
  it('chats both ways, shows history on /join, unread counts, /who, /dm, typing; /quit exits 0 and restores the terminal', async () => {
    const srv = await startServer({ presenceIntervalMs: 50 });
    const pane = new Pane();
    const bob = sdkUser(srv.url, 'bob');
    try {
      await bob.c.connect();
      await bob.c.create('lobby', 'public');
      for (let i = 1; i <= 3; i++) await bob.c.send('lobby', `lobby history ${i}`);

      await pane.start(['--url', srv.url, '--name', 'alice', '--session-file', pane.sessionFile]);
      await pane.waitText('signed in as alice (guest)');
      let s = await pane.screen();
      assert.match(s.split('\n')[0], /#general.*alice · online/, 'status line: room, name, connection');
      assert.match(lastRow(s), /^#general>/, 'input line shows the current room');

      // Terminal -> SDK.
      await pane.enter('hello from the terminal');
      await until(() => bob.got.some((m) => m.user === 'alice' && m.text === 'hello from the terminal'), 'bob receives alice');
      await pane.waitFor((x) => x.includes('<alice> hello from the terminal') && !x.includes('[sending…]'), 'own message confirmed');

      // SDK -> terminal.
      await bob.c.send('general', 'hello from the SDK');
      await pane.waitText('<bob> hello from the SDK');

      // /join shows the room's history and switches to it.
      await pane.enter('/join lobby');
      s = await pane.waitText('lobby history 3');
      assert.ok(s.includes('<bob> lobby history 1') && s.includes('<bob> lobby history 2'), 'the last messages of the room');
      assert.match(lastRow(s), /^#lobby>/);

      // A message in another room: unread count in the room bar.
      await bob.c.send('general', 'are you there?');
      s = await pane.waitText('1:#general(1)');
      assert.ok(!s.includes('are you there?'), 'not shown in #lobby');

      // /who: members with presence.
      await pane.enter('/who');
      s = await pane.waitText('members in #lobby');
      assert.match(s, /2 members in #lobby, 2 online: ● alice {2}● bob/);

      // /dm opens a DM, both ways.
      await pane.enter('/dm bob psst, a secret');
      await until(() => bob.got.some((m) => m.room.startsWith('dm:') && m.text === 'psst, a secret'), 'bob gets the DM');
      s = await pane.waitText('<alice> psst, a secret');
      assert.match(lastRow(s), /^@bob>/);
      const dm = bob.got.find((m) => m.text === 'psst, a secret')!.room;

      // Typing notices: bob's shown until his message arrives; alice's reach bob.
      bob.c.typing(dm);
      await pane.waitText('bob is typing…');
      await bob.c.send(dm, 'got it');
      await pane.waitFor((x) => x.includes('<bob> got it') && !x.includes('is typing'), 'typing notice cleared by the message');
      await pane.type('still typ');
      await until(() => bob.typing.some((t) => t.user === 'alice' && t.room === dm), 'bob sees alice typing');
      await pane.keys('C-u');

      // Back to general: the unread message is there and the count is gone.
      await pane.enter('/switch 1');
      s = await pane.waitFor((x) => lastRow(x).startsWith('#general>'), 'back in #general');
      assert.ok(s.includes('<bob> are you there?'));
      assert.ok(!s.includes('#general(1)'));

      await pane.enter('/quit');
      s = await pane.waitText('EXIT=');
      assert.match(s, /EXIT=0 MODES=icanon echo/, 'exit code 0, cooked mode and echo restored');
      assert.ok(!s.includes('#general>'), 'the alternate screen is gone');
    } finally {
      bob.c.close();
      await pane.close();
      await srv.cleanup();
    }
  });

  it('replies, edits, reactions and deletions between two terminals; refusals in words; @name rings the bell', async () => {
    const srv = await startServer();
    const a = new Pane();
    const b = new Pane();
    try {
      await a.start(['--url', srv.url, '--name', 'alice', '--no-session']);
      await b.start(['--url', srv.url, '--name', 'bob', '--no-session']);
      await a.waitText('signed in as alice');
      await b.waitText('signed in as bob');

      // A sends; both screens show its seq before the time.
      await a.enter('first draft of the plan');
      let s = await a.waitFor((x) => /#\d+ \d\d:\d\d <alice> first draft of the plan\n/.test(x), 'own message with its seq');
      const seq = Number(/#(\d+) \d\d:\d\d <alice> first draft of the plan/.exec(s)![1]);
      await b.waitText(`#${seq} `);
      assert.match(await b.screen(), new RegExp(`#${seq} \\d\\d:\\d\\d <alice> first draft of the plan\\n`));

      // /edit (no seq: the last message) and /react: B sees the new text in place, with (edited) and the reaction.
      await a.enter('/edit final plan: ship on friday');
      await a.enter(`/react ${seq} 👍`);
      s = await b.waitText('final plan: ship on friday (edited) [👍 1]');
      assert.match(s, new RegExp(`#${seq} \\d\\d:\\d\\d <alice> final plan: ship on friday \\(edited\\) \\[👍 1\\]\\n`));
      assert.ok(!s.includes('first draft'), 'changed in place, not added');
      await b.enter(`/react #${seq} 👍`);
      await b.enter(`/react ${seq} :tada:`);
      await a.waitText('(edited) [👍 2 :tada: 1]');
      await b.enter(`/unreact ${seq} :tada:`);
      await a.waitFor((x) => x.includes('(edited) [👍 2]\n'), 'the reaction taken back');

      // Refusals and bad input, in words.
      await b.enter(`/edit ${seq} not mine to change`);
      await b.waitText(`#${seq} is not your message: you can only change your own [not_author]`);
      await b.enter('/delete');
      await b.waitText('you have no message in #general to delete');
      await b.enter(`/react ${seq} thumbsup`);
      await b.waitText('"thumbsup" is not a reaction');
      await b.enter('/react 99999 👍');
      await b.waitText('there is no message #99999 in this room (or it was deleted) [no_such_message]');

      // B asks; A replies: the reply quotes the original on both screens.
      await b.enter('question from bob: which friday @ALICE?');
      s = await a.waitFor((x) => /#\d+ \d\d:\d\d <bob> question from bob/.test(x), 'bob\'s question');
      const q = Number(/#(\d+) \d\d:\d\d <bob> question from bob/.exec(s)![1]);
      await until(async () => a.bell(), 'the bell rang for @ALICE');
      assert.equal(await b.bell(), false, 'no bell for your own message');
      await a.enter(`/reply ${q} the next one`);
      s = await b.waitFor((x) => /<alice> ↪ bob: question from bob: which friday @ALICE\?\n +the next one\n/.test(x), 'the reply with its quote');

      // /search finds messages by their current text (the edit, not the draft), with room, seq and author.
      await a.enter('/search fri');
      s = await a.waitText('found, newest first:');
      assert.match(s, new RegExp(`#general #${seq} \\d\\d:\\d\\d <alice> final plan: ship on friday\\n`));
      assert.match(s, /#general #\d+ \d\d:\d\d <bob> question from bob: which friday @ALICE\?\n/);
      await a.enter('/search from:alice draft');
      await a.waitText('no message contains "draft"');
      await a.enter('/search in:#nowhere plan');
      await a.waitText('you are not in #nowhere');

      // /delete (no seq: A's last message is the reply) and with a seq: B shows both deleted.
      await a.enter('/delete');
      await a.enter(`/del ${seq}`);
      s = await b.waitFor((x) => count(x, '<alice> (message deleted)') === 2, 'both deleted');
      assert.ok(!s.includes('final plan') && !s.includes('the next one'));
      assert.match(s, new RegExp(`#${seq} \\d\\d:\\d\\d <alice> \\(message deleted\\)\\n`));
      // A reply to a deleted message is refused; the pending line says why.
      await a.enter(`/reply ${seq} too late`);
      s = await a.waitText(`too late [not sent: there is no message #${seq} in this room`);
      assert.match(s, /\[no_such_message\]\]/);
      await a.enter('/edit nothing left');
      await a.waitText('you have no message in #general to edit');

      // A client started later gets the current state from history: deleted, edited, reactions.
      await b.enter('/quit');
      await b.waitText('EXIT=0');
      const c = new Pane();
      try {
        await c.start(['--url', srv.url, '--name', 'carol', '--no-session']);
        s = await c.waitFor((x) => x.includes('<bob> question from bob') && count(x, '<alice> (message deleted)') === 2, 'history in current state');
        assert.ok(!s.includes('first draft') && !s.includes('final plan'));
        assert.match(s, new RegExp(`#${seq} \\d\\d:\\d\\d <alice> \\(message deleted\\)`));
      } finally {
        await c.close();
      }
      await a.enter('/quit');
      await a.waitText('EXIT=0');
    } finally {
      await a.close();
      await b.close();
      await srv.cleanup();
    }
  });

  it('shows hostile text inert: escape sequences and control characters are stripped; errors are readable lines', async () => {
    const srv = await startServer();
    const pane = new Pane();
    const mallory = sdkUser(srv.url, 'mallory');
    try {
      await mallory.c.connect();
      await pane.start(['--url', srv.url, '--name', 'alice', '--no-session']);
      await pane.waitText('signed in as alice');
      const titleBefore = await pane.title();
      await mallory.c.send(
        'general',
        '\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b]52;c;aGVsbG8=\x07\x1b[31mred alert\x1b[0m\x07\x08\x08 \u202eevil\u202c \x9b31mc1',
      );
      const s = await pane.waitText('red alert');
      assert.ok(s.includes('signed in as alice'), 'the screen was not cleared');
      assert.match(s, /<mallory> red alert evil c1\n/, 'only the printable text is left');
      assert.equal(await pane.title(), titleBefore, 'the window title was not changed');
      const colored = (await pane.screen(true)).split('\n').find((l) => l.includes('red alert'))!;
      assert.ok(colored.includes('> red alert'), `no color or cursor code inside the text: ${JSON.stringify(colored)}`);

      // Readable errors: from the server, and for bad input.
      await pane.enter('/join nosuchroom');
      await pane.waitFor((x) => /!!! .*nosuchroom.*\[no_such_room\]/.test(x), 'no_such_room error line');
      await pane.enter('/create Bad!Name');
      await pane.waitText('[room_invalid]');
      await pane.enter('/frobnicate now');
      await pane.waitText('unknown command /frobnicate');
      await pane.enter('/history many');
      await pane.waitText('count must be a whole number');
      await pane.enter('/help');
      await pane.waitText('/dm <name> [message]');
      assert.match(lastRow(await pane.screen()), /^#general>$/);
    } finally {
      mallory.c.close();
      await pane.close();
      await srv.cleanup();
    }
  });

  it('wraps long lines (CJK included) to the width and re-renders cleanly after a resize', async () => {
    const srv = await startServer();
    const pane = new Pane();
    const bob = sdkUser(srv.url, 'bob');
    const words = Array.from({ length: 45 }, (_, i) => `w${i}`).join(' ');
    const cjk = '漢字テスト'.repeat(10);
    const text = `${words} ${cjk} END`;
    try {
      await bob.c.connect();
      await pane.start(['--url', srv.url, '--name', 'alice', '--no-session'], 100, 30);
      await pane.waitText('signed in as alice');
      await bob.c.send('general', text);

      const check = async (cols: number, rows: number) => {
        // The frame drawn for the new size: as many rows as the pane, status line first, input last.
        const s = await pane.waitFor((x) => {
          const l = x.replace(/\n$/, '').split('\n');
          return l.length === rows && x.includes('END') && l[0].startsWith(' #general') && stringWidth(l[0]) >= cols - 1 && l[rows - 1].startsWith('#general>');
        }, `layout at ${cols}x${rows}`);
        const lines = s.replace(/\n$/, '').split('\n');
        assert.equal(lines.length, rows, 'one line per terminal row');
        for (const l of lines) assert.ok(stringWidth(l) <= cols, `row fits in ${cols} columns: ${JSON.stringify(l)}`);
        assert.match(lines[0], /^ #general/, 'status line on top');
        assert.match(lines[rows - 2], /^ 1:#general/, `room bar above the input: ${JSON.stringify(lines)}`);
        assert.equal(count(s, '<bob> w0 '), 1, 'the message is drawn once');
        assert.equal(count(s, '#general · '), 1, 'the status line is drawn once');
        // The wrapped rows put back together give the whole message.
        const first = lines.findIndex((l) => l.includes('<bob> w0 '));
        const indent = lines[first].indexOf('w0');
        const parts = [lines[first].slice(indent)];
        for (let i = first + 1; i < lines.length && lines[i].startsWith(' '.repeat(indent)); i++) parts.push(lines[i].slice(indent));
        assert.ok(parts.length > 1, 'wrapped on several rows');
        assert.equal(parts.join('').replace(/ /g, ''), text.replace(/ /g, ''), 'nothing lost or repeated');
        const wordSet = new Set(words.split(' '));
        for (const p of parts) for (const w of p.match(/w\d+/g) ?? []) assert.ok(wordSet.has(w), `word ${w} not cut in two`);
        for (const p of parts) assert.ok(stringWidth(p) <= cols - indent, 'no row overflows the hanging indent');
      };
      await check(100, 30);
      await pane.resize(50, 16);
      await check(50, 16);
      await pane.resize(120, 20);
      await check(120, 20);
    } finally {
      bob.c.close();
      await pane.close();
      await srv.cleanup();
    }
  });

  it('through a server restart: shows reconnecting, then the messages sent meanwhile appear exactly once; a restarted client resumes as the same user', async () => {
    const dir = tempDir();
    let srv: TestServer = await startServer({}, dir);
    const port = srv.port;
    const pane = new Pane();
    const bob = sdkUser(srv.url, 'bob');
    try {
      await bob.c.connect();
      await pane.start(['--url', srv.url, '--name', 'alice', '--session-file', pane.sessionFile]);
      await pane.waitText('signed in as alice');
      await bob.c.send('general', 'before the restart');
      await pane.waitText('<bob> before the restart');

      await srv.stop();
      await pane.waitFor((x) => /alice · reconnecting/.test(x.split('\n')[0]), 'reconnecting in the status line');
      await pane.enter('typed while offline');
      await pane.waitText('typed while offline [sending…]');
      const bobAck = bob.c.send('general', 'sent during the outage');

      srv = await startServer({ port }, dir);
      await bobAck;
      await until(() => bob.got.some((m) => m.text === 'typed while offline'), 'alice\'s queued message delivered');
      let s = await pane.waitFor(
        (x) => x.includes('<bob> sent during the outage') && x.includes('<alice> typed while offline') && !x.includes('[sending…]') && /alice · online/.test(x.split('\n')[0]),
        'both messages after the reconnect',
      );
      assert.equal(count(s, 'sent during the outage'), 1);
      assert.equal(count(s, 'typed while offline'), 1);
      assert.equal(count(s, 'before the restart'), 1);
      assert.equal(bob.got.filter((m) => m.text === 'typed while offline').length, 1);

      // Quit; a message arrives while the client is not running; restart with the saved session only.
      await pane.enter('/quit');
      await pane.waitText('EXIT=0');
      const saved = JSON.parse(readFileSync(pane.sessionFile, 'utf8')).sessions[srv.url];
      assert.equal(saved.name, 'alice');
      await bob.c.send('general', 'while your client was closed');
      const again = new Pane();
      try {
        await again.start(['--url', srv.url, '--session-file', pane.sessionFile]);
        s = await again.waitText('<bob> while your client was closed');
        assert.ok(s.includes('signed in as alice'), 'same name without --name');
        assert.equal(count(s, 'while your client was closed'), 1);
        const members = await bob.c.members('general');
        assert.deepEqual(members.members.filter((m) => m.name === 'alice').map((m) => m.id), [saved.userId], 'same user id');
        await again.enter('/quit');
        await again.waitText('EXIT=0');
      } finally {
        await again.close();
      }
    } finally {
      bob.c.close();
      await pane.close();
      await srv.cleanup();
    }
  });

  it('accounts: --register, then --login asks for the password without echoing it; a wrong password exits 1 with the reason', async () => {
    const srv = await startServer();
    const pane = new Pane();
    const login = new Pane();
    const wrong = new Pane();
    try {
      await pane.start(['--url', srv.url, '--name', 'dora', '--register', '--password', 'correct horse', '--no-session']);
      await pane.waitText('signed in as dora (account)');
      await pane.enter('/quit');
      await pane.waitText('EXIT=0');

      await login.start(['--url', srv.url, '--name', 'dora', '--login', '--no-session']);
      await login.waitText('Password for dora:');
      await login.type('correct horse');
      const typed = await login.screen();
      assert.ok(!typed.includes('correct') && !typed.includes('*'), 'nothing echoed');
      await login.keys('Enter');
      await login.waitText('signed in as dora (account)');
      await login.enter('/quit');
      await login.waitText('EXIT=0');

      await wrong.start(['--url', srv.url, '--name', 'dora', '--login', '--no-session']);
      await wrong.waitText('Password for dora:');
      await wrong.enter('not the password');
      const s = await wrong.waitText('EXIT=');
      assert.match(s, /auth_failed/);
      assert.match(s, /EXIT=1 MODES=icanon echo/);
    } finally {
      await pane.close();
      await login.close();
      await wrong.close();
      await srv.cleanup();
    }
  });
});

describe('scale-chat chat in line mode (stdin not a terminal)', () => {
  function chat(args: string[], input: string | undefined): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [MAIN, 'chat', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      if (input !== undefined) child.stdin.end(input);
    });
  }

  it('sends each line to the current room, runs commands, waits for the acks, exits 0', async () => {
    const srv = await startServer();
    const bob = sdkUser(srv.url, 'bob');
    try {
      await bob.c.connect();
      await bob.c.create('ops', 'public');
      const r = await chat(['--url', srv.url, '--name', 'deploybot', '--no-session'], 'build started\n/join ops\ndeploy \x1b[31mdone\n//etc/hosts updated\n');
      assert.equal(r.code, 0, r.stderr);
      await until(() => bob.got.filter((m) => m.user === 'deploybot').length === 3, 'three messages');
      assert.deepEqual(
        bob.got.filter((m) => m.user === 'deploybot').map((m) => [m.room, m.text]),
        [
          ['general', 'build started'],
          ['ops', 'deploy \x1b[31mdone'],
          ['ops', '/etc/hosts updated'],
        ],
      );
      const direct = await chat(['--url', srv.url, '--name', 'deploybot', '--no-session', '--room', 'ops'], 'straight to ops\n');
      assert.equal(direct.code, 0, direct.stderr);
      await until(() => bob.got.some((m) => m.room === 'ops' && m.text === 'straight to ops'), '--room');
      const missing = await chat(['--url', srv.url, '--name', 'deploybot', '--no-session', '--room', 'nosuch'], 'lost?\n');
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /nosuch.*\[no_such_room\]/);
      assert.ok(!bob.got.some((m) => m.text === 'lost?'), 'nothing sent to the wrong room');
    } finally {
      bob.c.close();
      await srv.cleanup();
    }
  });

  it('prints messages from others, sanitized, while it runs', async () => {
    const srv = await startServer();
    const bob = sdkUser(srv.url, 'bob');
    try {
      await bob.c.connect();
      const child = spawn(process.execPath, [MAIN, 'chat', '--url', srv.url, '--name', 'listener', '--no-session'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      await until(() => stderr.includes('signed in as listener'), () => `signed in; stderr: ${stderr}`);
      await bob.c.send('general', 'status \x1b]0;x\x07\x1b[1mbold\x1b[0m?');
      await until(() => stdout.includes('status'), () => `printed; stdout: ${stdout}; stderr: ${stderr}`);
      child.stdin.end('/quit\n');
      assert.equal(await exited, 0);
      assert.match(stdout, /^\d\d:\d\d #general <bob> status bold\?\n$/);
    } finally {
      bob.c.close();
      await srv.cleanup();
    }
  });

  it('refuses bad usage with a clear message and a non-zero exit', async () => {
    const noName = await chat(['--url', 'ws://127.0.0.1:9/ws', '--no-session'], '');
    assert.equal(noName.code, 2);
    assert.match(noName.stderr, /--name is needed/);
    const badUrl = await chat(['--url', 'http://localhost:8080', '--name', 'x1'], '');
    assert.notEqual(badUrl.code, 0);
    assert.match(badUrl.stderr, /must start with ws:\/\/ or wss:\/\//);
    const badName = await chat(['--name', 'bad name', '--no-session'], '');
    assert.equal(badName.code, 2);
    assert.match(badName.stderr, /invalid name "bad name"/);
    const noPassword = await chat(['--name', 'dora', '--login', '--no-session'], '');
    assert.equal(noPassword.code, 2);
    assert.match(noPassword.stderr, /needs a password/);
  });
});
