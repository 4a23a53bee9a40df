/**
 * The presence coalescer with a fake bus: changes within an interval are one `presence` event per
 * changed room, a user who came and went within it is no change at all, and nothing else is published.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PresenceEvent, UserRef } from '../../protocol/types.js';
import type { Bus, BusMessage } from '../bus/bus.js';
import { PresenceCoalescer } from './presence.js';

class FakeBus {
  readonly published: { topic: string; msg: BusMessage }[] = [];
  publish(topic: string, msg: BusMessage): void {
    this.published.push({ topic, msg });
  }
  events(): { topic: string; ev: PresenceEvent; presence: boolean | undefined }[] {
    return this.published.map((p) => ({ topic: p.topic, ev: JSON.parse(p.msg.json), presence: p.msg.presence }));
  }
}

const user = (i: number): UserRef => ({ id: `u${i}`, name: `user${i}` });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** An interval the tests never reach: they flush by hand. */
const NEVER = 3_600_000;

test('presence: a burst of logins within the interval is one event, published when the interval ends', async () => {
  const bus = new FakeBus();
  const p = new PresenceCoalescer(bus as unknown as Bus, 40);
  try {
    const users = Array.from({ length: 100 }, (_, i) => user(i));
    for (const u of users) p.change(u, ['general'], true);
    assert.equal(bus.published.length, 0, 'nothing before the interval ends');
    await sleep(120);
    assert.equal(bus.published.length, 1, 'one event for 100 changes, and nothing for the quiet intervals after it');
    assert.deepEqual(bus.events(), [{ topic: 'room:general', ev: { type: 'presence', room: 'general', online: users, offline: [] }, presence: true }]);
  } finally {
    p.stop();
  }
});

test('presence: one event per changed room, each with that room\'s changes', () => {
  const bus = new FakeBus();
  const p = new PresenceCoalescer(bus as unknown as Bus, NEVER);
  p.change(user(1), ['a', 'b'], true);
  p.change(user(2), ['b'], true);
  p.change(user(3), ['c'], false);
  p.flush();
  const byRoom = new Map(bus.events().map((e) => [e.topic, e.ev]));
  assert.equal(bus.published.length, 3);
  assert.deepEqual(byRoom.get('room:a'), { type: 'presence', room: 'a', online: [user(1)], offline: [] });
  assert.deepEqual(byRoom.get('room:b'), { type: 'presence', room: 'b', online: [user(1), user(2)], offline: [] });
  assert.deepEqual(byRoom.get('room:c'), { type: 'presence', room: 'c', online: [], offline: [user(3)] });
  assert.ok(bus.events().every((e) => e.presence === true), 'only for connections that asked for presence');
  p.stop();
});

test('presence: came and went (or went and came back) within one interval is no change; a repeat counts once', () => {
  const bus = new FakeBus();
  const p = new PresenceCoalescer(bus as unknown as Bus, NEVER);
  p.change(user(1), ['r'], true);
  p.change(user(1), ['r'], false); // a reconnect blip
  p.change(user(2), ['r'], false);
  p.change(user(2), ['r'], true);
  p.change(user(3), ['r'], true);
  p.change(user(3), ['r'], true); // a second tab
  p.change(user(4), ['quiet'], true);
  p.change(user(4), ['quiet'], false);
  p.flush();
  assert.deepEqual(bus.events().map((e) => e.ev), [{ type: 'presence', room: 'r', online: [user(3)], offline: [] }], 'nothing for room "quiet"');
  p.stop();
});

test('presence: each interval carries only its own changes; stop() publishes what is pending, then nothing', async () => {
  const bus = new FakeBus();
  const p = new PresenceCoalescer(bus as unknown as Bus, 30);
  p.change(user(1), ['r'], true);
  p.flush();
  p.change(user(1), ['r'], false);
  p.stop();
  assert.deepEqual(
    bus.events().map((e) => e.ev),
    [
      { type: 'presence', room: 'r', online: [user(1)], offline: [] },
      { type: 'presence', room: 'r', online: [], offline: [user(1)] },
    ],
  );
  p.change(user(2), ['r'], true);
  await sleep(90);
  assert.equal(bus.published.length, 2, 'the timer is stopped');
});
