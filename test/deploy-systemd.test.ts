/**
 * deploy/scale-chat.service: systemd accepts it (`systemd-analyze verify`, which also flags a misspelled
 * key), its sandbox scores OK (`systemd-analyze security --offline`), its settings agree with the server
 * (a stop timeout longer than the drain, room for the connections, the data dir), and its ExecStart
 * really starts the server with the unit's environment and drains on the unit's KillSignal.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { defaults } from '../src/server/config.js';
import { startServeProcess, stopProcess } from './helpers/serve-process.js';

const unitPath = path.join(process.cwd(), 'deploy/scale-chat.service');
const unitText = readFileSync(unitPath, 'utf8');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** section -> key -> values (a key may repeat: SystemCallFilter=...). Comments and blank lines dropped. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = new Map();
      out.set(s[1], section);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(section && eq > 0, `a key=value line inside a section: ${line}`);
    const key = line.slice(0, eq).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return out;
}

const unit = parseUnit(unitText);
const service = unit.get('Service')!;
const one = (key: string): string => {
  const v = service.get(key);
  assert.ok(v && v.length > 0, `[Service] ${key}= is set`);
  return v[v.length - 1];
};
/** systemd time spans used here: "20s", "2s", "1min", or plain seconds. */
function seconds(span: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|sec|min|m)?$/.exec(span);
  assert.ok(m, `a time span: ${span}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'min' || m[2] === 'm' ? n * 60 : n;
}

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const noAnalyze = analyze.status === 0 ? false : 'SKIPPED LOUDLY: systemd-analyze is not installed (Debian package systemd): the unit was only parsed, not verified by systemd';
if (noAnalyze) console.log(`# ${noAnalyze}`);

describe('deploy/scale-chat.service', () => {
  it('systemd-analyze verify accepts it without a single warning, and flags a misspelled key', { skip: noAnalyze }, () => {
    const r = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((r.stdout + r.stderr).trim(), '', 'no warning at all');
    // The same check on a copy with one wrong key: it must speak (verify exits 0 on unknown keys).
    const dir = mkdtempSync(path.join(tmpdir(), 'scale-chat-unit-'));
    dirs.push(dir);
    const bad = path.join(dir, 'scale-chat.service');
    writeFileSync(bad, unitText.replace('LimitNOFILE=', 'LimitNOFILES='));
    const rb = spawnSync('systemd-analyze', ['verify', bad], { encoding: 'utf8' });
    assert.match(rb.stdout + rb.stderr, /Unknown key 'LimitNOFILES' in section \[Service\]/);
  });

  it('its sandbox scores OK in systemd-analyze security (exposure at most 2.0 of 10)', { skip: noAnalyze }, () => {
    const out = execFileSync('systemd-analyze', ['security', '--offline=yes', unitPath], { encoding: 'utf8' });
    const m = /Overall exposure level for scale-chat\.service: ([\d.]+)/.exec(out);
    assert.ok(m, out.slice(-500));
    assert.ok(Number(m[1]) <= 2.0, `exposure ${m[1]}`);
  });

  it('runs as its own user with its state dir, restarts on failure, and stops after the drain, not during it', () => {
    assert.equal(one('User'), 'scale-chat');
    assert.equal(one('StateDirectory'), 'scale-chat');
    assert.match(one('ExecStart'), / serve --data-dir \/var\/lib\/scale-chat$/);
    assert.equal(one('EnvironmentFile'), '-/etc/scale-chat/env');
    assert.equal(one('Restart'), 'on-failure');
    assert.ok(seconds(one('RestartSec')) >= 1, 'RestartSec: no busy restart loop');
    assert.equal(one('KillSignal'), 'SIGTERM');
    assert.equal(one('KillMode'), 'mixed', 'SIGTERM to the main process only: the --workers primary stops its workers itself');
    // main.ts exits within drainTimeoutMs + 1 s; the --workers primary within drainTimeoutMs + 3 s.
    const stopS = seconds(one('TimeoutStopSec'));
    assert.ok(stopS >= defaults.drainTimeoutMs / 1000 + 3 + 2, `TimeoutStopSec ${stopS}s covers the drain bound with a margin`);
    // One open file per connection, plus the store, the logs and the listening socket.
    assert.ok(Number(one('LimitNOFILE')) >= defaults.maxConnections + 1000, 'LimitNOFILE above --max-connections');
    for (const [key, value] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['CapabilityBoundingSet', ''],
    ]) assert.equal(one(key), value, `${key}=${value}`);
    assert.equal(service.has('MemoryDenyWriteExecute'), false, "V8's JIT needs writable code pages");
    assert.deepEqual(unit.get('Install')?.get('WantedBy'), ['multi-user.target']);
  });

  it('its ExecStart, with the unit environment, starts the server in the state dir and drains on KillSignal', async () => {
    // The unit's paths mapped onto this checkout (/opt/scale-chat) and a scratch state dir (/var/lib/scale-chat).
    const state = mkdtempSync(path.join(tmpdir(), 'scale-chat-state-'));
    dirs.push(state);
    const argv = one('ExecStart')
      .split(/\s+/)
      .map((a) => a.replace('/opt/scale-chat', process.cwd()).replace('/var/lib/scale-chat', state));
    assert.equal(argv[0], '/usr/bin/node');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: state };
    for (const e of service.get('Environment') ?? []) {
      const [k, ...v] = e.split('=');
      env[k] = v.join('=');
    }
    // What /etc/scale-chat/env would say on a test box: a free loopback port.
    Object.assign(env, { SCALE_CHAT_PORT: '0', SCALE_CHAT_HOST: '127.0.0.1', SCALE_CHAT_LOG_LEVEL: 'warn' });
    const cmd = existsSync(argv[0]) ? argv[0] : process.execPath;
    const p = await startServeProcess(cmd, argv.slice(1), env);
    assert.equal((await fetch(`http://127.0.0.1:${p.port}/readyz`)).status, 200);
    assert.ok(existsSync(path.join(state, 'scale-chat.db')), 'the SQLite database is in the state dir');
    const { code, ms } = await stopProcess(p.child, one('KillSignal') as NodeJS.Signals, seconds(one('TimeoutStopSec')) * 1000);
    assert.equal(code, 0, 'a clean exit: systemd records no failure, Restart=on-failure does not fire');
    assert.ok(ms < seconds(one('TimeoutStopSec')) * 1000, `stopped in ${ms} ms, before TimeoutStopSec`);
  });
});
