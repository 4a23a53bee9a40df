/**
 * Limiter counters (src/server/limits): the LimiterStore contract run against the memory store and
 * against a real redis-server; what only each one does (memory: bounded keys; Redis: counters shared by
 * every node, a Redis outage falling back to memory); the login throttle's policy on a fake clock
 * (growing waits, the owner never locked out from another address); address keys.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLimiterStore } from '../src/server/limits/store.js';
import { RedisLimiterStore } from '../src/server/limits/redis.js';
import { Limits } from '../src/server/limits/limits.js';
import { LoginThrottle, type LoginGate } from '../src/server/auth/throttle.js';
import { addressKey } from '../src/server/common/client-ip.js';
import { limiterContract } from './limiter.contract.js';
import { redisClusterMissing, redisMissing, sharedRedisFixtures, startRedis } from './helpers/redis.js';

const missing = redisMissing();
const { redis, redisCluster } = sharedRedisFixtures();
let prefixes = 0;
const prefix = () => `t${process.pid}-${++prefixes}`;

limiterContract('memory', async () => {
  const store = new MemoryLimiterStore();
  return { store, cleanup: () => store.close() };
});

function redisContract(name: string, url: () => Promise<string>, skip: string | null): void {
  if (skip) {
    describe(`LimiterStore contract: ${name}`, () => {
      it('runs against a real Redis', { skip }, () => {});
    });
    return;
  }
  limiterContract(name, async () => {
    // A fresh prefix per test: counters of earlier tests never interfere.
    const store = new RedisLimiterStore({ url: await url(), prefix: prefix() });
    await store.start();
    return { store, cleanup: () => store.close() };
  });
}
redisContract('redis', async () => (await redis()).url, missing);
redisContract('redis cluster (3 masters)', async () => (await redisCluster()).url, redisClusterMissing());

describe('MemoryLimiterStore', () => {
  it('keeps at most maxKeys counters, dropping the least recently hit', async () => {
    const s = new MemoryLimiterStore(100);
    await s.hit('keep', 60_000);
    for (let i = 0; i < 10_000; i++) {
      await s.hit(`k${i}`, 60_000);
      if (i % 50 === 0) await s.hit('keep', 60_000); // recently hit: survives
    }
    assert.ok(s.size <= 100, `size ${s.size}`);
    assert.ok((await s.get('keep')).count > 100);
    assert.equal((await s.get('k0')).count, 0);
    assert.equal((await s.get('k9999')).count, 1);
  });
});

describe('RedisLimiterStore', { skip: missing ?? false, timeout: 60_000 }, () => {
  it('two nodes on one Redis share every counter (one prefix), other prefixes are separate', async () => {
    const url = (await redis()).url;
    const p = prefix();
    const a = new RedisLimiterStore({ url, prefix: p, nodeId: 'a' });
    const b = new RedisLimiterStore({ url, prefix: p, nodeId: 'b' });
    const other = new RedisLimiterStore({ url, prefix: prefix(), nodeId: 'c' });
    await Promise.all([a.start(), b.start(), other.start()]);
    try {
      await a.hit('k', 10_000);
      await b.hit('k', 10_000);
      assert.equal((await a.hit('k', 10_000)).count, 3);
      assert.equal((await b.get('k')).count, 3);
      assert.equal((await other.get('k')).count, 0);
      await b.delete('k');
      assert.equal((await a.get('k')).count, 0);
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  it('Redis down: counts in memory (no request fails), and back in Redis once it returns', async () => {
    const r = await startRedis(); // its own server: this test kills it
    const logged: string[] = [];
    const record = (a: unknown, b?: unknown) => void logged.push(String(typeof a === 'string' ? a : b));
    const log = { warn: record, info: record, debug: () => {} };
    const s = new RedisLimiterStore({ url: r.url, prefix: prefix(), log: log as never, commandTimeoutMs: 500 });
    await s.start();
    try {
      assert.equal((await s.hit('k', 60_000)).count, 1);
      await r.kill();
      const during = [];
      for (let i = 0; i < 5; i++) during.push((await s.hit('k', 60_000)).count);
      assert.deepEqual(during, [1, 2, 3, 4, 5], 'counted in this process meanwhile');
      assert.equal((await s.get('k')).count, 5);
      assert.equal(logged.filter((m) => /unreachable/.test(m)).length, 1, 'logged once per outage');
      await r.start();
      const deadline = Date.now() + 15_000;
      let c = 0;
      while (Date.now() < deadline) {
        c = (await s.hit('fresh', 60_000)).count;
        if (logged.some((m) => /reachable again/.test(m))) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.ok(logged.some((m) => /reachable again/.test(m)), 'back on Redis');
      assert.equal((await s.get('fresh')).count, 1, 'counted in the (restarted, empty) Redis');
      assert.ok(c >= 1);
    } finally {
      await s.close();
      await r.cleanup();
    }
  });
});

/** A memory store on a clock the test moves. */
function clocked() {
  let now = 1_000_000;
  const store = new MemoryLimiterStore(100_000, () => now);
  return { store, advance: (ms: number) => (now += ms) };
}

const O = { maxFailures: 5, windowMs: 15 * 60_000, delayMs: 1000, maxDelayMs: 300_000 };
const wait = (g: LoginGate): number => (g.ok ? 0 : g.retryAfterMs);

describe('LoginThrottle (fake clock)', () => {
  it('after 5 free failures each attempt waits 1 s, 2 s, 4 s ... up to the cap; nothing is counted while waiting', async () => {
    const { store, advance } = clocked();
    const t = new LoginThrottle(store, O);
    for (let i = 0; i < 4; i++) assert.ok((await t.begin('bob', '198.51.100.1')).ok, `free attempt ${i + 1}`);
    assert.ok((await t.begin('bob', '198.51.100.1')).ok, 'attempt 5');
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) {
      const refused = await t.begin('bob', '198.51.100.1');
      assert.equal(refused.ok, false);
      seen.push(wait(refused));
      for (let j = 0; j < 20; j++) await t.begin('bob', '198.51.100.1'); // hammering while refused changes nothing
      advance(wait(refused));
      assert.ok((await t.begin('bob', '198.51.100.1')).ok, `allowed once the wait is over (${i})`);
    }
    assert.deepEqual(seen, [1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000, 300_000]);
  });

  it('a success clears its pair; failures are forgotten windowMs after the last one', async () => {
    const { store, advance } = clocked();
    const t = new LoginThrottle(store, O);
    for (let i = 0; i < 5; i++) await t.begin('carol', '198.51.100.2');
    assert.equal((await t.begin('carol', '198.51.100.2')).ok, false);
    advance(1000);
    const g = await t.begin('carol', '198.51.100.2');
    assert.ok(g.ok);
    await t.succeeded(g.ticket);
    for (let i = 0; i < 5; i++) assert.ok((await t.begin('carol', '198.51.100.2')).ok, 'fresh after the success');
    advance(O.windowMs + 1);
    for (let i = 0; i < 5; i++) assert.ok((await t.begin('carol', '198.51.100.2')).ok, 'forgotten after the window');
  });

  it('one address guessing for a whole day never locks the owner out; the owner on another address logs in at once', async () => {
    const { store, advance } = clocked();
    const t = new LoginThrottle(store, O);
    let failures = 0;
    for (let elapsed = 0; elapsed < 24 * 3600_000; ) {
      const g = await t.begin('dave', '198.51.100.3');
      const w = g.ok ? 10 : wait(g);
      if (g.ok) failures++;
      advance(w);
      elapsed += w;
    }
    assert.ok(failures < 24 * 15, `${failures} guesses in a day`);
    const owner = await t.begin('dave', '203.0.113.7');
    assert.ok(owner.ok, 'owner from another address');
  });

  it('one address spraying many names is stopped after 10 x maxFailures; the name-wide bound (20 x) needs several addresses', async () => {
    const { store, advance } = clocked();
    const t = new LoginThrottle(store, O);
    let ok = 0;
    for (let i = 0; i < 80; i++) if ((await t.begin(`name${i}`, '198.51.100.4')).ok) ok++;
    assert.equal(ok, 50);
    const w = wait(await t.begin('someone', '198.51.100.4'));
    assert.ok(w > 0 && w <= O.windowMs);
    // 25 addresses x 4 attempts (below their pair's free failures) = 100 on one name: then it waits, everywhere.
    for (let a = 0; a < 25; a++) for (let i = 0; i < 4; i++) assert.ok((await t.begin('erin', `192.0.2.${a}`)).ok);
    assert.equal((await t.begin('erin', '203.0.113.8')).ok, false, 'name-wide bound reached');
    assert.ok((await t.begin('frank', '203.0.113.8')).ok, 'other names unaffected');
    advance(O.windowMs + 1);
    assert.ok((await t.begin('erin', '203.0.113.8')).ok, 'lifted after the window');
  });

  it('a success takes its attempt back from the address and name counters', async () => {
    const { store } = clocked();
    const t = new LoginThrottle(store, O);
    // 60 successful logins from one address (a reconnecting script that logs in instead of using its token).
    for (let i = 0; i < 60; i++) {
      const g = await t.begin(`user${i % 3}`, '198.51.100.5');
      assert.ok(g.ok, `login ${i}`);
      await t.succeeded(g.ticket);
    }
  });
});

describe('Limits', () => {
  it('counts per user or per address, refuses past the limit with the time left, and 0 turns a limit off', async () => {
    const { store, advance } = clocked();
    const l = new Limits(store, { roomsCreatedPerHour: 2, invitesPerMinute: 0, registrationsPerHour: 1, guestsPerMinute: 3, maxRoomsPerUser: 200 });
    assert.equal(await l.take('roomCreate', 'u1'), 0);
    assert.equal(await l.take('roomCreate', 'u1'), 0);
    const w = await l.take('roomCreate', 'u1');
    assert.ok(w > 3_500_000 && w <= 3_600_000, `retry after ${w}`);
    assert.equal(await l.take('roomCreate', 'u2'), 0, 'per user');
    for (let i = 0; i < 100; i++) assert.equal(await l.take('invite', 'u1'), 0, 'off');
    assert.equal(await l.take('register', '2001:db8:1:2:3:4:5:6'), 0);
    assert.ok((await l.take('register', '2001:db8:1:2:ffff::1')) > 0, 'same /64');
    assert.equal(await l.take('register', '2001:db8:1:3::1'), 0, 'another /64');
    advance(3_600_001);
    assert.equal(await l.take('roomCreate', 'u1'), 0, 'a new hour');
  });
});

describe('addressKey', () => {
  it('IPv4 as is; IPv6 by its /64 in one spelling', () => {
    assert.equal(addressKey('198.51.100.7'), '198.51.100.7');
    assert.equal(addressKey('2001:db8:0:1::5'), '2001:db8:0:1::/64');
    assert.equal(addressKey('2001:0DB8:0000:0001:aaaa:bbbb:cccc:dddd'), '2001:db8:0:1::/64');
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressKey('?'), '?');
  });
});
