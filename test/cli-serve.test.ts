/**
 * First contact with `scale-chat serve`, as a person runs it: once it listens it prints the address to
 * open (a wildcard host shown as localhost, https with TLS), that address answers, SIGTERM drains and
 * exits 0; `serve --help` shows each option's default once.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openUrls, runningLine } from '../src/server/common/open-url.js';
import { configHelp, defaults, flagName, type Config } from '../src/server/config.js';
import { redisMissing, startRedis } from './helpers/redis.js';
import { cliMain, startServeProcess, stopProcess } from './helpers/serve-process.js';

const dirs: string[] = [];
function scratch(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function serve(args: string[]) {
  return startServeProcess(process.execPath, [cliMain, 'serve', '--port', '0', '--log-level', 'warn', '--data-dir', scratch('scale-chat-serve-'), ...args]);
}
const stop = async (child: ChildProcess) => (await stopProcess(child)).code;

function webDir(): string {
  const d = scratch('scale-chat-web-');
  writeFileSync(path.join(d, 'index.html'), '<!doctype html><title>scale-chat</title><p>the web UI</p>');
  return d;
}

describe('scale-chat serve: first contact', () => {
  it('prints the URL to open once it listens; the URL serves the web UI; SIGTERM exits 0', async () => {
    const { child, line, port } = await serve(['--host', '127.0.0.1', '--web-dir', webDir()]);
    try {
      assert.ok(port > 0, line);
      assert.equal(line, `scale-chat is running: open http://127.0.0.1:${port}/ (WebSocket clients: ws://127.0.0.1:${port}/ws)`);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /the web UI/);
    } finally {
      assert.equal(await stop(child), 0, 'drained and exited 0 on SIGTERM');
    }
  });

  it('listening on every address (0.0.0.0, the default host), it says localhost, which answers', async () => {
    const { child, line, port } = await serve(['--host', '0.0.0.0', '--web-dir', webDir()]);
    try {
      assert.equal(line, `scale-chat is running: open http://localhost:${port}/ (WebSocket clients: ws://localhost:${port}/ws)`);
      assert.equal((await fetch(`http://localhost:${port}/readyz`)).status, 200);
    } finally {
      assert.equal(await stop(child), 0);
    }
  });

  it('with a certificate it says https, and that address speaks TLS', { skip: haveOpenssl() ? false : 'SKIPPED LOUDLY: openssl not installed' }, async () => {
    const dir = scratch('scale-chat-serve-tls-');
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const { child, line, port } = await serve(['--host', '127.0.0.1', '--tls-cert', cert, '--tls-key', key, '--web-dir', webDir()]);
    try {
      assert.equal(line, `scale-chat is running: open https://127.0.0.1:${port}/ (WebSocket clients: wss://127.0.0.1:${port}/ws)`);
      const status = await new Promise<number>((resolve, reject) => {
        httpsGet(`https://127.0.0.1:${port}/`, { ca: readFileSync(cert) }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      assert.equal(status, 200);
    } finally {
      assert.equal(await stop(child), 0);
    }
  });

  it('with --workers 2 the primary says it once, when every worker listens', { skip: redisMissing() ?? false }, async () => {
    const redis = await startRedis();
    try {
      const p = await serve(['--host', '127.0.0.1', '--workers', '2', '--redis-url', redis.url, '--web-dir', webDir()]);
      try {
        assert.equal(p.line, `scale-chat is running: open http://127.0.0.1:${p.port}/ (WebSocket clients: ws://127.0.0.1:${p.port}/ws)`);
        assert.equal((await fetch(`http://127.0.0.1:${p.port}/readyz`)).status, 200);
        await new Promise((r) => setTimeout(r, 1000)); // a worker that would say it too has had the time
        assert.equal(p.stderr().split('\n').filter((l) => l.startsWith('scale-chat is running')).length, 1, p.stderr());
      } finally {
        assert.equal(await stop(p.child), 0);
      }
    } finally {
      await redis.cleanup();
    }
  });

  it('the address for any host: IPv6 bracketed, the scheme port left out, no web UI said so', () => {
    assert.deepEqual(openUrls('::', 8080, false), { http: 'http://localhost:8080/', ws: 'ws://localhost:8080/ws' });
    assert.deepEqual(openUrls('::1', 8080, false), { http: 'http://[::1]:8080/', ws: 'ws://[::1]:8080/ws' });
    assert.deepEqual(openUrls('chat.example.org', 443, true), { http: 'https://chat.example.org/', ws: 'wss://chat.example.org/ws' });
    assert.deepEqual(openUrls('0.0.0.0', 80, false), { http: 'http://localhost/', ws: 'ws://localhost/ws' });
    assert.equal(
      runningLine('0.0.0.0', 8080, false, false),
      'scale-chat is running: WebSocket clients connect to ws://localhost:8080/ws; no web UI is built here (npm run build:web), http://localhost:8080/ says so',
    );
  });
});

describe('scale-chat serve --help', () => {
  const help = execFileSync(process.execPath, [cliMain, 'serve', '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '200' } });
  /** Each option's help text, continuation lines joined. */
  const options = new Map<string, string>();
  let current = '';
  for (const l of help.split('\n')) {
    const m = /^\s+(--[a-z0-9-]+)\b/.exec(l);
    if (m) options.set((current = m[1]), l);
    else if (current && /^\s{8,}\S/.test(l)) options.set(current, options.get(current)! + ' ' + l.trim());
    else current = '';
  }

  it('lists every option, each with its default said exactly once', () => {
    for (const key of Object.keys(defaults) as (keyof Config)[]) {
      const text = options.get(`--${flagName(key)}`);
      assert.ok(text, `--${flagName(key)} is listed`);
      assert.equal(text.match(/default/gi)?.length, 1, `--${flagName(key)} says its default once: ${text}`);
    }
  });

  it('says what an empty default means (--origins: any; --web-dir: web/dist when built), and configHelp never repeats a default', () => {
    assert.match(options.get('--origins')!, /\(default: any\)$/);
    assert.match(options.get('--web-dir')!, /\(default: web\/dist when built\)$/);
    assert.match(options.get('--port')!, /\(default: 8080\)$/);
    assert.match(options.get('--token-secret')!, /\(default: generated and kept in the store\)$/);
    for (const [key, text] of Object.entries(configHelp)) assert.doesNotMatch(text, /\(default/i, `configHelp.${key} leaves the default to defaultText`);
  });
});

function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
