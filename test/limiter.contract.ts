/**
 * The LimiterStore contract: every implementation (memory, Redis) must pass this suite unchanged.
 *
 * Usage, in a `*.test.ts` file:
 *   limiterContract('memory', async () => ({ store, cleanup }));
 *
 * `make()` is called once per test and returns a fresh, started store (its own key space). Times are real
 * (short TTLs, generous margins): the Redis store keeps time with PEXPIRE/PTTL on the server.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { LimiterStore } from '../src/server/limits/store.js';
import { LoginThrottle } from '../src/server/auth/throttle.js';

export interface LimiterUnderTest {
  store: LimiterStore;
  cleanup: () => Promise<void>;
}

export type LimiterFactory = () => Promise<LimiterUnderTest>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function limiterContract(name: string, make: LimiterFactory): void {
  describe(`LimiterStore contract: ${name}`, { timeout: 60_000 }, () => {
    let current: LimiterUnderTest | null = null;
    const fresh = async (): Promise<LimiterStore> => {
      current = await make();
      return current.store;
    };
    afterEach(async () => {
      await current?.cleanup();
      current = null;
    });

    it('counts hits per key; get reads without counting; an unknown key has no counter', async () => {
      const s = await fresh();
      assert.deepEqual(await s.get('a'), { count: 0, ttlMs: 0 });
      assert.equal((await s.hit('a', 10_000)).count, 1);
      assert.equal((await s.hit('a', 10_000)).count, 2);
      assert.equal((await s.hit('b', 10_000)).count, 1);
      const a = await s.get('a');
      assert.equal(a.count, 2);
      assert.ok(a.ttlMs > 9000 && a.ttlMs <= 10_000, `ttl ${a.ttlMs}`);
      assert.equal((await s.get('a')).count, 2, 'get does not count');
    });

    it('keys from input are just strings: prototype names, braces, separators, non-ASCII', async () => {
      const s = await fresh();
      const keys = ['constructor', '__proto__', 'toString', '{tag}x', 'a|b:c', 'zoë用户', ' ', ''];
      for (const k of keys) assert.equal((await s.hit(k, 10_000)).count, 1, JSON.stringify(k));
      for (const k of keys) assert.equal((await s.get(k)).count, 1, JSON.stringify(k));
    });

    it('fixed window: later hits do not extend it, and the counter is gone once it ends', async () => {
      const s = await fresh();
      await s.hit('w', 400);
      await sleep(150);
      const second = await s.hit('w', 400);
      assert.equal(second.count, 2);
      assert.ok(second.ttlMs <= 300, `not extended: ${second.ttlMs}`);
      await sleep(400);
      assert.deepEqual(await s.get('w'), { count: 0, ttlMs: 0 });
      assert.equal((await s.hit('w', 400)).count, 1, 'a new window starts from 1');
    });

    it('sliding: every hit sets the time to live again', async () => {
      const s = await fresh();
      await s.hit('s', 400, true);
      for (let i = 0; i < 4; i++) {
        await sleep(150);
        const c = await s.hit('s', 400, true);
        assert.ok(c.ttlMs > 300, `extended: ${c.ttlMs}`);
      }
      assert.equal((await s.get('s')).count, 5, 'alive 600 ms after its first hit');
      await sleep(500);
      assert.equal((await s.get('s')).count, 0);
    });

    it('undo takes one back, keeps the window, never goes below 0 and never creates a counter', async () => {
      const s = await fresh();
      await s.undo('none');
      assert.deepEqual(await s.get('none'), { count: 0, ttlMs: 0 });
      await s.hit('u', 5000);
      await s.hit('u', 5000);
      await s.undo('u');
      const c = await s.get('u');
      assert.equal(c.count, 1);
      assert.ok(c.ttlMs > 4000, 'same window');
      await s.undo('u');
      await s.undo('u');
      assert.equal((await s.get('u')).count, 0);
      assert.equal((await s.hit('u', 5000)).count, 1);
    });

    it('delete forgets the given counters only', async () => {
      const s = await fresh();
      for (const k of ['x', 'y', 'z']) await s.hit(k, 10_000);
      await s.delete('x', 'y');
      await s.delete();
      assert.equal((await s.get('x')).count, 0);
      assert.equal((await s.get('y')).count, 0);
      assert.equal((await s.get('z')).count, 1);
    });

    it('hits are atomic: 200 concurrent hits on one key give each count once', async () => {
      const s = await fresh();
      const counts = await Promise.all(Array.from({ length: 200 }, () => s.hit('c', 10_000)));
      assert.deepEqual(
        counts.map((c) => c.count).sort((a, b) => a - b),
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
    });

    it('login throttle on this store: of 50 concurrent wrong attempts on one (name, address), only loginMaxFailures get through', async () => {
      const s = await fresh();
      const t = new LoginThrottle(s, { maxFailures: 5, windowMs: 60_000, delayMs: 5000, maxDelayMs: 60_000 });
      const gates = await Promise.all(Array.from({ length: 50 }, () => t.begin('alice', '198.51.100.9')));
      const passed = gates.filter((g) => g.ok).length;
      assert.equal(passed, 5, `${passed} attempts got through`);
      const refused = gates.filter((g) => !g.ok);
      for (const g of refused) assert.ok(!g.ok && g.retryAfterMs > 0 && g.retryAfterMs <= 5000);
      // Another address is not affected; the owner's success clears only the owner's pair.
      const owner = await t.begin('alice', '203.0.113.5');
      assert.ok(owner.ok);
      await t.succeeded(owner.ticket);
      assert.equal((await t.begin('alice', '198.51.100.9')).ok, false);
    });
  });
}
