/**
 * Login throttling and abuse limits against real servers, as a client sees them: an attacker cannot lock
 * an account's owner out, waits grow, a login takes as long for an unknown name as for a real account,
 * nodes sharing Redis count attempts once for the whole cluster, and creating rooms, inviting, new guests
 * and registrations stop at their limits with `limit_exceeded` (close 4014 during the handshake).
 *
 * The test client plays a trusted proxy (127.0.0.1, `trustProxy`) so X-Forwarded-For gives each
 * simulated client its own address.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ErrorFrame, JoinedFrame, RoomsFrame, ServerEvent, WelcomeFrame } from '../src/protocol/types.js';
import { RawClient } from './helpers/raw.js';
import { startServer, tempDir, type TestServer } from './helpers/server.js';
import type { AppOptions } from '../src/server/app.js';
import { MemoryLimiterStore } from '../src/server/limits/store.js';
import { redisMissing, startRedis } from './helpers/redis.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let n = 0;
const uniq = (p: string) => `${p}${++n}`;
const PROXY = { trustProxy: ['127.0.0.1'], ratePerSec: 1000, rateBurst: 1000 };

interface HelloResult {
  c: RawClient;
  /** 'welcome' or the error code. */
  code: string;
  frame: WelcomeFrame | ErrorFrame;
  /** Close code when refused. */
  close?: number;
  /** hello sent -> answer received. */
  ms: number;
}

async function hello(srv: TestServer, auth: Record<string, unknown>, from: string): Promise<HelloResult> {
  const c = await RawClient.open(srv.url, { headers: { 'X-Forwarded-For': from } });
  const t0 = performance.now();
  c.send({ type: 'hello', v: 1, auth });
  const frame = (await c.next((e) => e.type === 'welcome' || e.type === 'error', 10_000)) as WelcomeFrame | ErrorFrame;
  const ms = performance.now() - t0;
  if (frame.type === 'welcome') return { c, code: 'welcome', frame, ms };
  const close = (await c.waitClose()).code;
  return { c, code: frame.code, frame, close, ms };
}

const login = (srv: TestServer, name: string, password: string, from: string) => hello(srv, { kind: 'login', name, password }, from);

async function register(srv: TestServer, name: string, password: string, from: string): Promise<WelcomeFrame> {
  const r = await hello(srv, { kind: 'register', name, password }, from);
  assert.equal(r.code, 'welcome', JSON.stringify(r.frame));
  r.c.close();
  return r.frame as WelcomeFrame;
}

async function guest(srv: TestServer, name: string, from = '198.51.100.250'): Promise<RawClient> {
  const r = await hello(srv, { kind: 'guest', name }, from);
  assert.equal(r.code, 'welcome', JSON.stringify(r.frame));
  return r.c;
}

let reqs = 0;
const req = <T extends ServerEvent = ServerEvent>(c: RawClient, frame: Record<string, unknown>) => c.request<T>({ ...frame, id: `r${++reqs}` } as { type: string; id: string });

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const servers: TestServer[] = [];
async function server(overrides: Parameters<typeof startServer>[0], opts: AppOptions = {}): Promise<TestServer> {
  const s = await startServer(overrides, tempDir(), opts);
  servers.push(s);
  return s;
}
after(async () => {
  for (const s of servers) await s.cleanup();
});

describe('login throttling', { timeout: 120_000 }, () => {
  it('an attacker failing 50 times from one address never locks the owner out (the owner logs in from another address, during and after)', async () => {
    const srv = await server({ ...PROXY, loginDelayMs: 20, loginMaxDelayMs: 80 });
    const name = uniq('owner');
    const me = await register(srv, name, 'owner password 1', '203.0.113.10');
    let failures = 0;
    let attempts = 0;
    const deadline = Date.now() + 60_000;
    while (failures < 50 && Date.now() < deadline) {
      attempts++;
      const r = await login(srv, name, `guess ${attempts}`, '198.51.100.66');
      if (r.code === 'auth_failed') failures++;
      else {
        assert.equal(r.code, 'login_throttled');
        assert.equal(r.close, 4008);
        const wait = (r.frame as ErrorFrame).retryAfterMs!;
        assert.ok(wait > 0 && wait <= 80, `wait ${wait} within the configured cap`);
        await sleep(wait + 5);
      }
      if (failures === 25 && r.code === 'auth_failed') {
        const owner = await login(srv, name, 'owner password 1', '203.0.113.10');
        assert.equal(owner.code, 'welcome', 'owner, mid-attack');
        owner.c.close();
      }
    }
    assert.equal(failures, 50, `${failures} failures in ${attempts} attempts`);
    // Hammering without waiting: all refused before any password check, and none counted against the name.
    for (let i = 0; i < 30; i++) assert.equal((await login(srv, name, 'owner password 1', '198.51.100.66')).code, 'login_throttled');
    const owner = await login(srv, name, 'owner password 1', '203.0.113.10');
    assert.equal(owner.code, 'welcome', JSON.stringify(owner.frame));
    assert.equal((owner.frame as WelcomeFrame).user.id, me.user.id);
    owner.c.close();
    const fromElsewhere = await login(srv, name, 'owner password 1', '192.0.2.77');
    assert.equal(fromElsewhere.code, 'welcome', 'and from a third address');
    fromElsewhere.c.close();
  });

  it('the attacker gets growing waits (200, 400, 800, 1600 ms, capped), each honoured wait allows one more try', async () => {
    // The throttle's counters run on a clock this test moves, so a slow machine cannot let a wait run out
    // between two attempts: the waits it reports are exact, and "honouring" one means moving the clock past it.
    let now = Date.now();
    const clock = new MemoryLimiterStore(100_000, () => now);
    const srv = await server({ ...PROXY, loginDelayMs: 200, loginMaxDelayMs: 1600 }, { limiterStore: clock });
    const name = uniq('target');
    await register(srv, name, 'target password', '203.0.113.11');
    for (let i = 0; i < 5; i++) assert.equal((await login(srv, name, 'nope nope', '198.51.100.67')).code, 'auth_failed', `free failure ${i + 1}`);
    const waits: number[] = [];
    for (const expected of [200, 400, 800, 1600, 1600]) {
      const r = await login(srv, name, 'nope nope', '198.51.100.67');
      assert.equal(r.code, 'login_throttled');
      assert.equal(r.close, 4008);
      const wait = (r.frame as ErrorFrame).retryAfterMs!;
      waits.push(wait);
      assert.equal(wait, expected, 'the wait set by the previous failure, none of it passed yet');
      now += wait - 1;
      assert.equal((await login(srv, name, 'nope nope', '198.51.100.67')).code, 'login_throttled', '1 ms early: still refused');
      now += 1;
      assert.equal((await login(srv, name, 'nope nope', '198.51.100.67')).code, 'auth_failed', 'allowed after the wait');
    }
    // The right password during a wait is refused like any other attempt; after it, accepted, and the pair starts afresh.
    const r = await login(srv, name, 'target password', '198.51.100.67');
    assert.equal(r.code, 'login_throttled');
    now += (r.frame as ErrorFrame).retryAfterMs!;
    const ok = await login(srv, name, 'target password', '198.51.100.67');
    assert.equal(ok.code, 'welcome');
    ok.c.close();
    for (let i = 0; i < 5; i++) assert.equal((await login(srv, name, 'nope nope', '198.51.100.67')).code, 'auth_failed', 'fresh after the success');
    assert.equal((await login(srv, name, 'nope nope', '198.51.100.67')).code, 'login_throttled', 'and the 6th waits again');
    console.log(`waits seen: ${waits.join(', ')} ms`);
  });

  it('a login for an unknown name takes as long as for a real account (medians within a factor of 3)', async () => {
    const srv = await server(PROXY);
    const name = uniq('timed');
    await register(srv, name, 'timed password', '203.0.113.12');
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 12; i++) {
      // A fresh address each time: no throttle in the way.
      const k = await login(srv, name, 'wrong password', `198.51.101.${i}`);
      const u = await login(srv, uniq('nobody'), 'wrong password', `198.51.102.${i}`);
      assert.equal(k.code, 'auth_failed');
      assert.equal(u.code, 'auth_failed');
      assert.equal((k.frame as ErrorFrame).message, (u.frame as ErrorFrame).message);
      if (i >= 2) {
        known.push(k.ms);
        unknown.push(u.ms);
      }
    }
    const mk = median(known);
    const mu = median(unknown);
    console.log(`# login medians: real account ${mk.toFixed(1)} ms, unknown name ${mu.toFixed(1)} ms`);
    assert.ok(Math.max(mk, mu) / Math.min(mk, mu) < 3, `real ${mk.toFixed(1)} ms vs unknown ${mu.toFixed(1)} ms`);
  });
});

describe('two nodes sharing Redis', { skip: redisMissing() ?? false, timeout: 120_000 }, () => {
  it('count login attempts and new guests once for the whole cluster', async () => {
    const redis = await startRedis();
    try {
      // A 5 s wait after the 5th failure: the next attempts come well within it, even on a busy machine.
      const a = await server({ ...PROXY, redisUrl: redis.url, guestsPerMinute: 2, loginDelayMs: 5000 });
      const b = await server({ ...PROXY, redisUrl: redis.url, guestsPerMinute: 2, loginDelayMs: 5000 });
      const name = uniq('shared');
      const codes: string[] = [];
      for (let i = 0; i < 5; i++) codes.push((await login(i % 2 ? b : a, name, 'nope nope', '198.51.100.70')).code);
      assert.deepEqual(codes, Array(5).fill('auth_failed'));
      // The 6th attempt, on either node: the 5 failures were counted once, cluster-wide.
      assert.equal((await login(b, name, 'nope nope', '198.51.100.70')).code, 'login_throttled');
      assert.equal((await login(a, name, 'nope nope', '198.51.100.70')).code, 'login_throttled');
      // New guests from one address: one on each node, the third (on either) is refused.
      (await hello(a, { kind: 'guest', name: uniq('ga') }, '198.51.100.71')).c.close();
      (await hello(b, { kind: 'guest', name: uniq('gb') }, '198.51.100.71')).c.close();
      const third = await hello(a, { kind: 'guest', name: uniq('gc') }, '198.51.100.71');
      assert.equal(third.code, 'limit_exceeded');
      assert.equal(third.close, 4014);
      await a.stop();
      await b.stop();
    } finally {
      await redis.cleanup();
    }
  });
});

describe('abuse limits', { timeout: 120_000 }, () => {
  it('a guest creating rooms past the limit (10 per hour) gets limit_exceeded with retryAfterMs; others are unaffected', async () => {
    const srv = await server(PROXY);
    const c = await guest(srv, uniq('maker'));
    for (let i = 0; i < 10; i++) {
      const r = await req<JoinedFrame>(c, { type: 'create', room: uniq('spam-'), visibility: 'public' });
      assert.equal(r.type, 'joined', JSON.stringify(r));
    }
    const refused = await req<ErrorFrame>(c, { type: 'create', room: uniq('spam-'), visibility: 'private' });
    assert.equal(refused.code, 'limit_exceeded');
    assert.ok(refused.retryAfterMs! > 3_500_000 && refused.retryAfterMs! <= 3_600_000, `retryAfterMs ${refused.retryAfterMs}`);
    assert.equal((await req(c, { type: 'ping' })).type, 'pong', 'the connection stays open');
    const other = await guest(srv, uniq('maker'));
    assert.equal((await req(other, { type: 'create', room: uniq('fine-'), visibility: 'public' })).type, 'joined');
    c.close();
    other.close();
  });

  it('create of a taken name answers the same for a private room as for a public one; join of a private room the same as of none', async () => {
    const srv = await server(PROXY);
    const owner = await guest(srv, uniq('owner'));
    const secret = uniq('secret-');
    const open = uniq('open-');
    assert.equal((await req(owner, { type: 'create', room: secret, visibility: 'private' })).type, 'joined');
    assert.equal((await req(owner, { type: 'create', room: open, visibility: 'public' })).type, 'joined');
    const prober = await guest(srv, uniq('prober'));
    const strip = (e: ErrorFrame, room: string) => ({ code: e.code, message: e.message.replace(room, '<room>'), retry: e.retryAfterMs });
    const onSecret = await req<ErrorFrame>(prober, { type: 'create', room: secret, visibility: 'public' });
    const onOpen = await req<ErrorFrame>(prober, { type: 'create', room: open, visibility: 'private' });
    assert.equal(onSecret.code, 'room_exists');
    assert.deepEqual(strip(onSecret, secret), strip(onOpen, open));
    const none = uniq('never-');
    const joinSecret = await req<ErrorFrame>(prober, { type: 'join', room: secret });
    const joinNone = await req<ErrorFrame>(prober, { type: 'join', room: none });
    assert.equal(joinSecret.code, 'no_such_room');
    assert.deepEqual(strip(joinSecret, secret), strip(joinNone, none));
    owner.close();
    prober.close();
  });

  it('invites past the limit are refused; nobody is pushed past the rooms-per-user limit (invite, dm), nor creates or joins past it', async () => {
    const srv = await server({ ...PROXY, invitesPerMinute: 3, maxRoomsPerUser: 3 });
    // Invites per minute.
    const a = await guest(srv, uniq('inviter'));
    const room = uniq('inv-');
    assert.equal((await req(a, { type: 'create', room, visibility: 'private' })).type, 'joined');
    const targets = await Promise.all([0, 1, 2, 3].map(async () => {
      const name = uniq('invitee');
      return { name, c: await guest(srv, name) };
    }));
    for (const t of targets.slice(0, 3)) assert.equal((await req(a, { type: 'invite', room, user: t.name })).type, 'invited');
    const refused = await req<ErrorFrame>(a, { type: 'invite', room, user: targets[3].name });
    assert.equal(refused.code, 'limit_exceeded');
    assert.ok(refused.retryAfterMs! > 0 && refused.retryAfterMs! <= 60_000, `retryAfterMs ${refused.retryAfterMs}`);
    const rooms4 = await req<RoomsFrame>(targets[3].c, { type: 'rooms' });
    assert.ok(!rooms4.rooms.some((r) => r.id === room), 'the refused invitee was not added');

    // Rooms per user: three others each put the victim in a room; the fourth cannot.
    const victimName = uniq('victim');
    const victim = await guest(srv, victimName);
    for (let i = 0; i < 3; i++) {
      const b = await guest(srv, uniq('pusher'));
      const r = uniq('push-');
      assert.equal((await req(b, { type: 'create', room: r, visibility: 'private' })).type, 'joined');
      assert.equal((await req(b, { type: 'invite', room: r, user: victimName })).type, 'invited');
    }
    const b4 = await guest(srv, uniq('pusher'));
    const r4 = uniq('push-');
    assert.equal((await req(b4, { type: 'create', room: r4, visibility: 'public' })).type, 'joined');
    const full = await req<ErrorFrame>(b4, { type: 'invite', room: r4, user: victimName });
    assert.equal(full.code, 'limit_exceeded');
    assert.equal(full.retryAfterMs, undefined, 'not time-based');
    assert.equal((await req<ErrorFrame>(b4, { type: 'dm', user: victimName })).code, 'limit_exceeded', 'a new DM is a room too');
    const mine = await req<RoomsFrame>(victim, { type: 'rooms' });
    assert.equal(mine.rooms.filter((r) => r.id !== 'general').length, 3, 'the victim is in 3 rooms, no more');
    assert.equal((await req<ErrorFrame>(victim, { type: 'create', room: uniq('own-'), visibility: 'public' })).code, 'limit_exceeded');
    assert.equal((await req<ErrorFrame>(victim, { type: 'join', room: r4 })).code, 'limit_exceeded');
    // Leaving one makes room again.
    const leaveOne = mine.rooms.find((r) => r.id !== 'general')!.id;
    assert.equal((await req(victim, { type: 'leave', room: leaveOne })).type, 'left');
    assert.equal((await req(victim, { type: 'join', room: r4 })).type, 'joined');
    for (const x of [a, victim, b4, ...targets.map((t) => t.c)]) x.close();
  });

  it('registrations per address (IPv6: per /64): past the limit limit_exceeded and close 4014; other addresses unaffected', async () => {
    const srv = await server({ ...PROXY, registrationsPerHour: 2 });
    for (const from of ['198.51.100.80', '2001:db8:7:8::1']) {
      const other = from.includes(':') ? '2001:db8:7:8::2' : from;
      await register(srv, uniq('reg'), 'a fine password', from);
      await register(srv, uniq('reg'), 'a fine password', other);
      const third = await hello(srv, { kind: 'register', name: uniq('reg'), password: 'a fine password' }, from.includes(':') ? '2001:db8:7:8:ffff::3' : from);
      assert.equal(third.code, 'limit_exceeded');
      assert.equal(third.close, 4014);
      const wait = (third.frame as ErrorFrame).retryAfterMs!;
      assert.ok(wait > 3_500_000 && wait <= 3_600_000, `retryAfterMs ${wait}`);
    }
    await register(srv, uniq('reg'), 'a fine password', '198.51.100.81');
    await register(srv, uniq('reg'), 'a fine password', '2001:db8:7:9::1');
  });

  it('new guests per address: past the limit limit_exceeded and close 4014; the guests already made come back with their tokens', async () => {
    const srv = await server({ ...PROXY, guestsPerMinute: 3 });
    const made: WelcomeFrame[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await hello(srv, { kind: 'guest', name: uniq('g') }, '198.51.100.90');
      assert.equal(r.code, 'welcome');
      made.push(r.frame as WelcomeFrame);
      r.c.close();
      await r.c.waitClose();
    }
    const fourth = await hello(srv, { kind: 'guest', name: uniq('g') }, '198.51.100.90');
    assert.equal(fourth.code, 'limit_exceeded');
    assert.equal(fourth.close, 4014);
    assert.ok((fourth.frame as ErrorFrame).retryAfterMs! > 0 && (fourth.frame as ErrorFrame).retryAfterMs! <= 60_000);
    const back = await hello(srv, { kind: 'token', token: made[0].token }, '198.51.100.90');
    assert.equal(back.code, 'welcome');
    assert.equal((back.frame as WelcomeFrame).user.id, made[0].user.id);
    back.c.close();
    const elsewhere = await hello(srv, { kind: 'guest', name: uniq('g') }, '198.51.100.91');
    assert.equal(elsewhere.code, 'welcome');
    elsewhere.c.close();
  });
});
