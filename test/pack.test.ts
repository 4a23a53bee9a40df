/**
 * The two packages as a user gets them: `npm pack` the server (this repository's root) and the SDK
 * (packages/client), install the tarballs into fresh projects in a temp dir, and use them.
 *
 *  - the SDK alone installs into an empty project, fast, without any of the server's native
 *    dependencies; `import` and `require` of it work;
 *  - the Node bot of the SDK's README (taken from packages/client/README.md, so the README's example is
 *    the one tested) type-checks with this repository's tsc (moduleResolution nodenext, importing
 *    `@scale-chat/client` by name) and runs against a server started from the installed package's
 *    `scale-chat` bin on port 0: a second client sends "ping", the bot answers "echo: ping";
 *  - the installed server serves its web UI;
 *  - Chromium loads the SDK's browser bundle from the installed package in a page this test serves,
 *    connects to that server, sends a message and sees the bot's echo of it come back.
 *
 * Needs the build (`npm run build`: dist/, web/dist, packages/client/dist) and the npm registry (the
 * server's dependencies come from npm's cache when they are there: --prefer-offline). better-sqlite3's
 * native binding comes from a local binary host serving the one this checkout built
 * (./helpers/prebuilt-host.ts: else it compiles from source, 93 s here); SCALE_CHAT_PACK_FROM_SOURCE=1
 * compiles it. Chromium missing: the browser part skips loudly.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { ChatClient } from '../src/client/index.js';
import type { MsgEvent } from '../src/protocol/types.js';
import { CHROMIUM, launchBrowser } from './e2e/browser.js';
import { startPrebuiltHost, type PrebuiltHost } from './helpers/prebuilt-host.js';
import { tempDir } from './helpers/server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = path.join(ROOT, 'node_modules', '.bin', 'tsc');
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
/** What installing the server brings and the SDK must not. */
const NATIVE = ['better-sqlite3', '@node-rs/argon2', 'pg', 'ioredis', 'bufferutil'];

/** The environment of a user's shell: no npm_* variables of the `npm test` running this. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}, timeout = 120_000): { out: string; ms: number } {
  const started = performance.now();
  const r = spawnSync(cmd, args, { cwd, env: userEnv(extra), encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${r.error ?? `exit ${r.status}`}\n${r.stdout}\n${r.stderr}`);
  return { out: r.stdout, ms };
}

/** run(), without blocking this process (which serves the binary host the command downloads from). */
function runAsync(cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}, timeout = 120_000): Promise<{ out: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: userEnv(extra), stdio: ['ignore', 'pipe', 'pipe'], timeout });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out = (out + c.toString('utf8')).slice(-1_000_000)));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-1_000_000)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ out, ms: performance.now() - started });
      else reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${signal ?? `exit ${code}`}\n${out}\n${err}`));
    });
  });
}

interface Packed {
  file: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: string[];
}

function pack(args: string[], dest: string): Packed {
  const { out } = run('npm', ['pack', ...args, '--pack-destination', dest, '--json', '--loglevel=error'], ROOT);
  const [info] = JSON.parse(out) as { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] }[];
  return { file: path.join(dest, info.filename), size: info.size, unpackedSize: info.unpackedSize, entryCount: info.entryCount, files: info.files.map((f) => f.path) };
}

function project(dir: string, extra: Record<string, unknown> = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: path.basename(dir), version: '1.0.0', private: true, type: 'module', ...extra }, null, 2));
  return dir;
}

/** Package names installed at the top of node_modules (scoped ones as @scope/name). */
function installed(dir: string): string[] {
  const nm = path.join(dir, 'node_modules');
  const out: string[] = [];
  for (const name of readdirSync(nm)) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) for (const sub of readdirSync(path.join(nm, name))) out.push(`${name}/${sub}`);
    else out.push(name);
  }
  return out.sort();
}

/** The first ```ts block after the heading `## A Node bot` of the SDK's README. */
function readmeBot(): string {
  const readme = readFileSync(path.join(ROOT, 'packages', 'client', 'README.md'), 'utf8');
  const m = /## A Node bot[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, 'packages/client/README.md has a ```ts block under "## A Node bot"');
  return m[1];
}

/** Resolves with the first stdout line `match` accepts (parsed), rejects after `ms` or when the process exits. */
function waitLine<T>(child: ChildProcess, match: (line: string) => T | undefined, what: string, ms = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let seen = '';
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${what}; output:\n${seen}`)), ms);
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (seen.length < 20_000) seen += `${line}\n`;
        const hit = match(line);
        if (hit !== undefined) return done(undefined, hit);
      }
    };
    const onExit = (code: number | null) => done(new Error(`exited (${code}) before ${what}; output:\n${seen}`));
    const done = (err: Error | undefined, value?: T) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(value as T);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => {
      if (seen.length < 20_000) seen += c.toString('utf8');
    });
    child.once('exit', onExit);
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

describe('packages: pack, install into fresh projects, run', { timeout: 240_000 }, () => {
  let work: string;
  let server: Packed;
  let sdk: Packed;
  let prebuilt: PrebuiltHost | string;
  let srv: ChildProcess | undefined;
  let bot: ChildProcess | undefined;
  let wsUrl = '';
  let httpUrl = '';
  let botDir = '';

  before(async () => {
    for (const built of ['dist/src/cli/main.js', 'web/dist/index.html', 'packages/client/dist/client/index.js', 'packages/client/dist/browser/scale-chat-client.min.js']) {
      assert.ok(existsSync(path.join(ROOT, built)), `${built} is built (npm run build)`);
    }
    work = tempDir('scale-chat-pack-');
    server = pack([], work);
    sdk = pack(['--workspace', '@scale-chat/client'], work);
    console.log(`server tarball: ${path.basename(server.file)} ${kb(server.size)} (unpacked ${kb(server.unpackedSize)}), ${server.entryCount} files`);
    console.log(`SDK tarball: ${path.basename(sdk.file)} ${kb(sdk.size)} (unpacked ${kb(sdk.unpackedSize)}), ${sdk.entryCount} files`);
    prebuilt = await startPrebuiltHost(ROOT);
  });

  after(async () => {
    await stop(bot);
    await stop(srv);
    if (typeof prebuilt === 'object') await prebuilt.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the server tarball holds what it runs (built server, web UI) and no tests, benchmarks or sources', () => {
    const files = server.files;
    for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/src/cli/main.js', 'dist/src/server/app.js', 'web/dist/index.html']) {
      assert.ok(files.includes(f), `server tarball has ${f}`);
    }
    const stray = files.filter((f) => /(^|\/)(test|bench)\//.test(f) || /\.test\.js$/.test(f) || /\.map$/.test(f) || /^(src|web\/src|packages)\//.test(f) || f.endsWith('.ts'));
    assert.deepEqual(stray, [], 'no tests, benchmarks, source maps or TypeScript sources');
  });

  it('the SDK tarball holds ESM, declarations and the browser bundle, nothing else', () => {
    const files = sdk.files;
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/client/index.js', 'dist/client/index.d.ts', 'dist/browser/scale-chat-client.min.js']) {
      assert.ok(files.includes(f), `SDK tarball has ${f}`);
    }
    const stray = files.filter((f) => !/^dist\/(client|protocol)\/[\w-]+\.(js|d\.ts)$/.test(f) && !['package.json', 'README.md', 'LICENSE', 'dist/browser/scale-chat-client.min.js'].includes(f));
    assert.deepEqual(stray, []);
    assert.ok(!files.some((f) => /test/.test(f)), 'no tests');
    assert.ok(!files.includes('dist/protocol/schema.js'), 'the schemas (zod at run time) are not shipped, only their types');
  });

  it('the SDK alone installs into an empty project without native dependencies, and imports and requires', () => {
    const dir = project(path.join(work, 'sdk-only'));
    const { ms } = run('npm', ['install', sdk.file, ...NPM_FLAGS], dir);
    const names = installed(dir);
    console.log(`SDK install into an empty project: ${(ms / 1000).toFixed(1)} s, ${names.length} packages (${names.join(', ')})`);
    for (const n of NATIVE) assert.ok(!names.includes(n), `${n} is not installed with the SDK`);
    assert.deepEqual(names, ['@scale-chat/client', 'zod']);
    const esm = run(process.execPath, ['--input-type=module', '-e', "import { ChatClient, PROTOCOL_VERSION } from '@scale-chat/client'; console.log(typeof ChatClient, PROTOCOL_VERSION)"], dir).out;
    assert.equal(esm.trim(), 'function 1');
    // Node 20.19+ / 22.12+ load an ES module from require(): the package's documented CommonJS stance.
    const cjs = run(process.execPath, ['-e', "const { ChatClient } = require('@scale-chat/client'); console.log(typeof ChatClient)"], dir).out;
    assert.equal(cjs.trim(), 'function');
    if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'undefined') {
      // Node 20 without `ws`: constructing a client says what to do, instead of failing later.
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', "import { ChatClient } from '@scale-chat/client'; new ChatClient({ url: 'ws://127.0.0.1:1/ws', auth: { kind: 'guest', name: 'x1' } })"], { cwd: dir, encoding: 'utf8' });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /no global WebSocket .*install the ws package and pass it/);
    }
  });

  it('installs both tarballs into a fresh project; the bot type-checks and echoes through the installed server', async () => {
    botDir = project(path.join(work, 'bot'), { allowScripts: { 'better-sqlite3': true, bufferutil: true } });
    const hostEnv = typeof prebuilt === 'object' ? prebuilt.env : {};
    const { ms } = await runAsync('npm', ['install', server.file, sdk.file, 'ws@^8', '@types/ws@^8', ...NPM_FLAGS], botDir, hostEnv, 200_000);
    const how = typeof prebuilt === 'object' ? (prebuilt.hits() > 0 ? 'better-sqlite3 binding from the local binary host' : 'better-sqlite3 compiled from source (the host was not asked)') : `better-sqlite3 compiled from source (${prebuilt})`;
    console.log(`server + SDK install into a fresh project: ${(ms / 1000).toFixed(1)} s (${how})`);

    // The README's bot, and a file proving the types are real: each @ts-expect-error must find an error.
    writeFileSync(path.join(botDir, 'bot.ts'), readmeBot());
    writeFileSync(
      path.join(botDir, 'types-check.ts'),
      [
        "import { ChatClient, ChatError, type Auth, type ChatClientEvents } from '@scale-chat/client';",
        "const auth: Auth = { kind: 'guest', name: 'ann' };",
        "const client = new ChatClient({ url: 'ws://localhost:8080/ws', auth });",
        '// @ts-expect-error a room id is a string',
        "void client.send(1, 'hi');",
        "// @ts-expect-error 'sms' is no auth kind",
        "const bad: Auth = { kind: 'sms', name: 'ann' };",
        "// @ts-expect-error no such event",
        "client.on('nope', () => {});",
        "const onMessage = (m: ChatClientEvents['message']): string => `${m.room} ${m.seq} ${m.text}`;",
        "client.on('message', (m) => console.log(onMessage(m), new ChatError('timeout', 'x').code, bad));",
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(botDir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: false, outDir: 'out', types: ['node'] }, files: ['bot.ts', 'types-check.ts'] }, null, 2),
    );
    run(TSC, ['-p', 'tsconfig.json'], botDir);
    assert.ok(existsSync(path.join(botDir, 'out', 'bot.js')));

    // The installed server, from its bin, on port 0.
    const bin = path.join(botDir, 'node_modules', '.bin', 'scale-chat');
    const version = run(bin, ['--version'], botDir).out.trim();
    const pkgVersion = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.match(version, new RegExp(`^${pkgVersion.replace(/\./g, '\\.')} \\(protocol v\\d+\\)$`));
    assert.equal(run('npx', ['--no-install', 'scale-chat', '--version'], botDir).out.trim(), version, 'npx finds the installed bin');
    // The installed SDK and the installed server speak the same protocol version (docs/integration.md 1.5).
    const sdkProtocol = run(process.execPath, ['--input-type=module', '-e', "import { PROTOCOL_VERSION } from '@scale-chat/client'; console.log(PROTOCOL_VERSION)"], botDir).out.trim();
    assert.equal(version.endsWith(`(protocol v${sdkProtocol})`), true, `${version} vs SDK protocol v${sdkProtocol}`);
    srv = spawn(bin, ['serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', path.join(work, 'data')], { cwd: botDir, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const port = await waitLine(srv, (line) => {
      try {
        const j = JSON.parse(line) as { msg?: string; port?: number };
        return j.msg === 'scale-chat listening' ? j.port : undefined;
      } catch {
        return undefined;
      }
    }, 'the server to listen');
    wsUrl = `ws://127.0.0.1:${port}/ws`;
    httpUrl = `http://127.0.0.1:${port}`;
    const page = await fetch(`${httpUrl}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /<script type="module"/, 'the installed server serves its built web UI');

    // The bot signs in with an API key made by the installed server's admin command (README: shown as a bot).
    const apiKey = run(bin, ['admin', 'key', 'create', 'echo-bot', '--scopes', 'publish', '--data-dir', path.join(work, 'data')], botDir).out.split('\n')[0].trim();
    assert.match(apiKey, /^sck_[0-9a-f]{16}_/);
    bot = spawn(process.execPath, ['out/bot.js'], { cwd: botDir, env: userEnv({ CHAT_URL: wsUrl, CHAT_API_KEY: apiKey }), stdio: ['ignore', 'pipe', 'pipe'] });
    await waitLine(bot, (line) => (line.startsWith('ready as echo-bot') ? true : undefined), 'the bot to be ready');

    const ann = new ChatClient({ url: wsUrl, WebSocket, auth: { kind: 'guest', name: 'ann' } });
    try {
      await ann.connect();
      const echoed = new Promise<MsgEvent>((resolve) => ann.on('message', (m) => m.user === 'echo-bot' && resolve(m)));
      const ack = await ann.send('general', 'ping');
      const echo = await Promise.race([echoed, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no echo within 10 s')), 10_000))]);
      assert.equal(echo.text, 'echo: ping');
      assert.equal(echo.bot, true, 'from a bot user: every client shows it as a bot');
      assert.equal(echo.room, 'general');
      assert.ok(echo.seq > ack.seq, 'the echo comes after the message it answers');
    } finally {
      ann.close();
    }
  });

  it('Chromium loads the installed browser bundle, connects, and sees its message echoed', { skip: existsSync(CHROMIUM) ? false : `SKIPPED: ${CHROMIUM} not installed` }, async () => {
    assert.ok(wsUrl && botDir, 'the server and the bot run (previous test)');
    // The bundle as the package exports it: "./browser".
    const sdkDir = path.join(botDir, 'node_modules', '@scale-chat', 'client');
    const manifest = JSON.parse(readFileSync(path.join(sdkDir, 'package.json'), 'utf8')) as { exports: Record<string, { import: string }> };
    const bundle = readFileSync(path.join(sdkDir, manifest.exports['./browser'].import));
    const html = `<!doctype html><meta charset="utf-8"><title>sdk</title><ul id="log"></ul>
<script type="module">
  import { ChatClient } from './scale-chat-client.min.js';
  const log = (text) => { const li = document.createElement('li'); li.textContent = text; document.getElementById('log').append(li); };
  const client = new ChatClient({ url: ${JSON.stringify(wsUrl)}, auth: { kind: 'guest', name: 'browser-bea' } });
  client.on('message', (m) => log(m.user + ': ' + m.text));
  client.connect().then(() => client.send('general', 'hello from the browser')).then((ack) => log('acked ' + ack.seq), (err) => log('error ' + err.code));
</script>`;
    const pages: Server = createServer((req, res) => {
      if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      else if (req.url === '/scale-chat-client.min.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${(pages.address() as AddressInfo).port}/`);
      await page.locator('#log li', { hasText: 'echo-bot: echo: hello from the browser' }).waitFor({ timeout: 15_000 });
      const lines = await page.locator('#log li').allTextContents();
      assert.ok(lines.includes('browser-bea: hello from the browser'), lines.join(' | '));
      assert.ok(lines.some((l) => /^acked \d+$/.test(l)), lines.join(' | '));
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await new Promise<void>((resolve) => pages.close(() => resolve()));
    }
  });
});
