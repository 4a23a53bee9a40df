import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_BACKOFF, backoffCap, backoffDelay } from './backoff.js';

const opts = { baseMs: 100, maxMs: 1000 };

test('backoff: cap grows exponentially from baseMs and stops at maxMs', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 10].map((n) => backoffCap(n, opts)), [100, 200, 400, 800, 1000, 1000, 1000]);
});

test('backoff: bounds: delay is within [0, cap) for any random in [0, 1)', () => {
  for (let attempt = 0; attempt < 12; attempt++) {
    assert.equal(backoffDelay(attempt, opts, () => 0), 0);
    const hi = backoffDelay(attempt, opts, () => 0.999999);
    assert.ok(hi < backoffCap(attempt, opts) && hi > backoffCap(attempt, opts) * 0.99, `attempt ${attempt}: ${hi}`);
  }
  for (let i = 0; i < 1000; i++) {
    const d = backoffDelay(i % 8, opts);
    assert.ok(d >= 0 && d < backoffCap(i % 8, opts));
  }
});

test('backoff: full jitter scales the cap by the injected random', () => {
  assert.equal(backoffDelay(0, opts, () => 0.5), 50);
  assert.equal(backoffDelay(2, opts, () => 0.25), 100);
  assert.equal(backoffDelay(9, opts, () => 0.5), 500);
  let calls = 0;
  backoffDelay(3, opts, () => (calls++, 0.1));
  assert.equal(calls, 1);
});

test('backoff: odd attempts (negative, fractional, huge) stay bounded', () => {
  assert.equal(backoffCap(-3, opts), 100);
  assert.equal(backoffCap(1.7, opts), 200);
  assert.equal(backoffCap(5000, opts), 1000);
  assert.equal(backoffCap(Number.NaN, opts), 100);
  assert.deepEqual(DEFAULT_BACKOFF, { baseMs: 250, maxMs: 10_000 });
});
