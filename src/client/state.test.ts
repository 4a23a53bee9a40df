import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from './emitter.js';
import { ChatError } from './errors.js';
import { StateMachine, TRANSITIONS, canTransition, type StateChange } from './state.js';

test('state: happy path idle -> connecting -> open -> reconnecting -> open -> closed', () => {
  const seen: StateChange[] = [];
  const m = new StateMachine((c) => seen.push(c));
  assert.equal(m.state, 'idle');
  m.set('connecting', 'connect()');
  m.set('open', 'welcome');
  m.set('reconnecting', 'closed 1012');
  assert.equal(m.set('reconnecting', 'again'), false, 'same state is a silent no-op');
  m.set('open', 'resumed');
  m.set('closed', 'close()');
  assert.deepEqual(
    seen.map((c) => `${c.from}>${c.to}:${c.reason}`),
    ['idle>connecting:connect()', 'connecting>open:welcome', 'open>reconnecting:closed 1012', 'reconnecting>open:resumed', 'open>closed:close()'],
  );
  assert.equal(m.error, undefined);
  assert.equal(seen.at(-1)!.error, undefined);
});

test('state: invalid transitions throw and closed is terminal', () => {
  const m = new StateMachine(() => {});
  assert.throws(() => m.set('open', 'x'), /idle -> open/);
  m.set('closed', 'close()');
  for (const to of ['idle', 'connecting', 'open', 'reconnecting'] as const) assert.throws(() => m.set(to, 'x'));
  assert.equal(canTransition('open', 'connecting'), false);
  assert.equal(canTransition('connecting', 'reconnecting'), true);
  assert.deepEqual(TRANSITIONS.closed, []);
});

test('state: closed carries the terminal error', () => {
  const seen: StateChange[] = [];
  const m = new StateMachine((c) => seen.push(c));
  m.set('connecting', 'connect()');
  const err = new ChatError('auth_failed', 'bad password', { closeCode: 4003 });
  m.set('closed', 'closed 4003', err);
  assert.equal(m.error, err);
  assert.equal(seen[1].error?.code, 'auth_failed');
  assert.equal(seen[1].error?.closeCode, 4003);
});

test('emitter: on/once/off, snapshot iteration, listener errors isolated', () => {
  const errors: unknown[] = [];
  const e = new Emitter<{ a: number; b: string }>((err) => errors.push(err));
  const got: string[] = [];
  const off = e.on('a', (n) => got.push(`a${n}`));
  e.once('a', (n) => got.push(`once${n}`));
  e.on('a', () => {
    throw new Error('boom');
  });
  e.on('b', (s) => got.push(s));
  e.emit('a', 1);
  e.emit('a', 2);
  off();
  e.emit('a', 3);
  e.emit('b', 'x');
  assert.deepEqual(got, ['a1', 'once1', 'a2', 'x']);
  assert.equal(errors.length, 3);
  assert.equal(e.listenerCount('a'), 1);
});
