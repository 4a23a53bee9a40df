import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IsolationGuard, type Probe } from './isolation.js';

const hang = () => new Promise<never>(() => {});

function guard(probes: Probe[], clock: { t: number }) {
  const events: string[] = [];
  const g = new IsolationGuard({
    probes,
    everyMs: 1000,
    timeoutMs: 5,
    afterMs: 3000,
    now: () => clock.t,
    onIsolated: (names) => events.push(`isolated ${names.join('+')}`),
    onRecovered: () => events.push('recovered'),
  });
  return { g, events };
}

test('isolation: a node is isolated only when every probe failed (or hung) for the whole bound, and recovers when one answers', async () => {
  const clock = { t: 0 };
  let storeUp = false;
  let busUp = false;
  const { g, events } = guard(
    [
      { name: 'store', check: () => (storeUp ? Promise.resolve() : hang()) },
      { name: 'bus', check: () => (busUp ? Promise.resolve() : Promise.reject(new Error('down'))) },
    ],
    clock,
  );
  for (clock.t = 1000; clock.t <= 2000; clock.t += 1000) await g.tick();
  assert.deepEqual(events, [], 'not before the bound');
  clock.t = 3000;
  await g.tick();
  assert.deepEqual(events, ['isolated store+bus']);
  clock.t = 4000;
  await g.tick();
  assert.equal(events.length, 1, 'said once');
  busUp = true;
  clock.t = 5000;
  await g.tick();
  assert.deepEqual(events, ['isolated store+bus', 'recovered']);
});

test('isolation: one dependency down for every node (a Redis or PostgreSQL outage) is not isolation', async () => {
  const clock = { t: 0 };
  const { g, events } = guard(
    [
      { name: 'store', check: () => Promise.resolve() },
      { name: 'bus', check: hang },
    ],
    clock,
  );
  for (clock.t = 1000; clock.t <= 20_000; clock.t += 1000) await g.tick();
  assert.deepEqual(events, []);
  assert.equal(g.isolated, false);
});
