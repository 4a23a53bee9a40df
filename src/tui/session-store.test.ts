import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SessionStore, type SavedSession } from './session-store.js';

const session = (name: string, resume: Record<string, number> = {}): SavedSession => ({ name, userId: 'u1', account: false, token: 't', tokenExpiresAt: 1, resume });

test('session file: server URLs and room ids named like Object.prototype members are data', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'scale-chat-session-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'session.json');
  // Keys as JSON.parse makes them: "__proto__" is an own key, not the prototype.
  writeFileSync(file, '{"version":1,"sessions":{"__proto__":{"name":"ann","userId":"u1","account":false,"token":"t","tokenExpiresAt":1,"resume":{"__proto__":3,"constructor":2}},"ws://a/ws":{"name":"bob","userId":"u2","account":false,"token":"t2","tokenExpiresAt":1,"resume":{}}}}');
  const store = new SessionStore(file);
  assert.equal(store.problem, undefined);
  assert.equal(store.get('__proto__')?.name, 'ann');
  assert.equal(store.get('constructor'), undefined, 'not Object');
  assert.equal(store.get('toString'), undefined);
  assert.equal(store.get('ws://a/ws')?.name, 'bob');
  store.set('constructor', session('cy', JSON.parse('{"__proto__":1,"valueof":4}')));
  store.set('ws://a/ws', undefined);
  const written = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(Object.keys(written.sessions).sort(), ['__proto__', 'constructor']);
  assert.ok(Object.hasOwn(written.sessions.constructor.resume, '__proto__'));
  const again = new SessionStore(file);
  assert.equal(again.get('constructor')?.name, 'cy');
  assert.equal(again.get('__proto__')?.resume.constructor, 2);
});
