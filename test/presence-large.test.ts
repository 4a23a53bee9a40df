/**
 * Presence in a large room, as a user notices it (docs/protocol.md 7.6), with a real server (and with two
 * nodes sharing Redis, the watcher on one and the people coming and going on the other):
 * - a member without a subscription gets `presence_count` events, not diffs, once the room has more than
 *   `presenceLargeRoom` users online; and when it is small again a last count says so and diffs resume;
 * - a member that asked `members {subscribe:true}` gets the snapshot and then the diffs;
 * - `members_unsubscribe` stops the diffs (counts go on);
 * - subscriptions are bounded per connection (`limit_exceeded`).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MembersFrame, PresenceCountEvent, PresenceEvent, ServerEvent } from '../src/protocol/types.js';
import { RawClient } from './helpers/raw.js';
import { redisMissing, startRedis } from './helpers/redis.js';
import { startServer, type TestServer } from './helpers/server.js';

const LARGE = 4;
const INTERVAL = 40;
const servers: TestServer[] = [];
const clients: RawClient[] = [];
after(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.cleanup();
});

async function server(extra: Record<string, unknown> = {}): Promise<TestServer> {
  const s = await startServer({ presenceLargeRoom: LARGE, presenceIntervalMs: INTERVAL, roomsCreatedPerHour: 0, ...extra });
  servers.push(s);
  return s;
}
async function guest(url: string, name: string): Promise<RawClient> {
  const { c } = await RawClient.guest(url, name);
  clients.push(c);
  return c;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const diffs = (c: RawClient, from: number) => c.events.slice(from).filter((e): e is PresenceEvent => e.type === 'presence');
const counts = (c: RawClient, from: number) => c.events.slice(from).filter((e): e is PresenceCountEvent => e.type === 'presence_count');
const names = (evs: PresenceEvent[], k: 'online' | 'offline') => evs.flatMap((e) => e[k].map((u) => u.name)).sort();
/** Waits until `c` saw a count event of general matching `pred`. */
const countWhere = (c: RawClient, pred: (e: PresenceCountEvent) => boolean) =>
  c.next<PresenceCountEvent>((e: ServerEvent) => e.type === 'presence_count' && e.room === 'general' && pred(e), 5000);

/** Waits (up to 15 s: presence crosses Redis, and a busy machine delays it) until `c` got diffs naming every one of `who` online. */
async function seenOnline(c: RawClient, who: string[]): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const got = new Set(names(diffs(c, 0), 'online'));
    if (who.every((n) => got.has(n))) return;
    await sleep(50);
  }
  throw new Error(`never saw ${who.join(', ')} come online`);
}

/** The scenario: `watchUrl` is where the watcher and the subscriber are, `crowdUrl` where the crowd comes and goes. */
async function scenario(watchUrl: string, crowdUrl: string, tag: string): Promise<void> {
  const watcher = await guest(watchUrl, `${tag}watch`);
  const sub = await guest(watchUrl, `${tag}sub`);
  const snap = await sub.request<MembersFrame>({ type: 'members', id: 's1', room: 'general', subscribe: true });
  assert.equal(snap.subscribed, true);
  assert.equal(snap.large, false, 'two online: small');
  await sleep(INTERVAL * 3);

  // Two come: four online, still small: everyone sees them come.
  const crowd = await Promise.all([1, 2].map((i) => guest(crowdUrl, `${tag}crowd${i}`)));
  await seenOnline(watcher, [`${tag}crowd1`, `${tag}crowd2`]);
  // Two more: six online, more than LARGE.
  const w0 = watcher.events.length;
  const s0 = sub.events.length;
  crowd.push(...(await Promise.all([3, 4].map((i) => guest(crowdUrl, `${tag}crowd${i}`)))));
  await countWhere(watcher, (e) => e.count === 6 && e.large);
  await countWhere(sub, (e) => e.count === 6);
  await sleep(INTERVAL * 3);
  assert.deepEqual(diffs(watcher, w0), [], 'the watcher gets no diffs in the large room');
  assert.deepEqual(names(diffs(sub, s0), 'online'), [3, 4].map((i) => `${tag}crowd${i}`), 'the subscriber gets the diffs');
  const seen = counts(watcher, w0).map((e) => e.count);
  assert.ok(seen.length <= 2 && seen.at(-1) === 6, `a count at most per interval, only when changed: ${seen}`);

  // A late subscriber gets the snapshot of the large room, flagged large.
  const late = await sub.request<MembersFrame>({ type: 'members', id: 's2', room: 'general', subscribe: true });
  assert.equal(late.large, true);
  assert.equal(late.total, 6);

  // Unsubscribed, the subscriber gets counts only.
  const un = await sub.request({ type: 'members_unsubscribe', id: 'u1', room: 'general' });
  assert.equal(un.type, 'members_unsubscribed');
  const w1 = watcher.events.length;
  const s1 = sub.events.length;
  const fifth = await guest(crowdUrl, `${tag}crowd5`);
  await countWhere(watcher, (e) => e.count === 7);
  await countWhere(sub, (e) => e.count === 7);
  await sleep(INTERVAL * 3);
  assert.deepEqual(diffs(sub, s1), [], 'no diffs after unsubscribing');
  assert.deepEqual(diffs(watcher, w1), []);

  // The crowd leaves: two online, below 90% of LARGE: a last count says small, and diffs come again.
  for (const c of [...crowd, fifth]) c.close();
  await countWhere(watcher, (e) => !e.large && e.count === 2);
  const w2 = watcher.events.length;
  const back = await guest(crowdUrl, `${tag}back`);
  const d = await watcher.next<PresenceEvent>((e) => e.type === 'presence' && e.online.some((u) => u.name === `${tag}back`));
  assert.equal(d.room, 'general');
  assert.ok(watcher.events.slice(w2).every((e) => e.type !== 'presence_count'), 'a small room gets diffs, not counts');
  back.close();
  watcher.close();
  sub.close();
  await sleep(INTERVAL * 3);
}

test('large room, one server: counts for members, snapshot and diffs for subscribers, until they unsubscribe', async () => {
  const s = await server();
  await scenario(s.url, s.url, 'm');
});

test('large room across two nodes sharing Redis: the same, the crowd on the other node', { skip: redisMissing() ?? false }, async () => {
  const redis = await startRedis();
  try {
    const a = await server({ redisUrl: redis.url });
    const b = await server({ redisUrl: redis.url });
    await scenario(a.url, b.url, 'r');
  } finally {
    for (const s of servers.splice(0)) await s.cleanup();
    await redis.cleanup();
  }
});

test('member list subscriptions: at most 8 rooms per connection (limit_exceeded), leaving a room frees one', async () => {
  const s = await server();
  const c = await guest(s.url, 'many');
  for (let i = 0; i < 8; i++) {
    assert.equal((await c.request({ type: 'create', id: `c${i}`, room: `subs-${i}`, visibility: 'public' })).type, 'joined');
    assert.equal((await c.request<MembersFrame>({ type: 'members', id: `m${i}`, room: `subs-${i}`, subscribe: true })).subscribed, true);
  }
  const refused = await c.request({ type: 'members', id: 'm-general', room: 'general', subscribe: true });
  assert.equal(refused.type === 'error' && refused.code, 'limit_exceeded');
  const plain = await c.request<MembersFrame>({ type: 'members', id: 'm-plain', room: 'general' });
  assert.equal(plain.subscribed, false, 'a plain members request still works');
  assert.equal((await c.request({ type: 'leave', id: 'l0', room: 'subs-0' })).type, 'left');
  assert.equal((await c.request<MembersFrame>({ type: 'members', id: 'm-again', room: 'general', subscribe: true })).subscribed, true);
});
