/**
 * Options of the load generator: precedence (flags > env > scenario file > defaults), validation
 * with messages naming the option, ramps, thresholds, source address ranges, the run plan.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { metricsUrlFor, resolveOptions } from './options.js';
import { nameKey } from '../server/common/name-key.js';
import { clientName, makePlan, partnerOf, workerOf } from './plan.js';
import { parseRamp, peak, targetAt, totalMs } from './ramp.js';
import { evaluate, parseThresholds } from './thresholds.js';
import { OptionError, parseDurationMs, parseSourceIps } from './units.js';

test('options: defaults, then scenario file, then env, then flags', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lt-opts-'));
  try {
    const yaml = path.join(dir, 's.yaml');
    writeFileSync(yaml, 'clients: 40\nrooms: 4\nmsg-size: 100\nthresholds: ["p99<50ms", "loss==0"]\nurl: [ws://a:1/ws, ws://b:2/ws]\n');
    const o = resolveOptions({ scenario: yaml, rate: '3' }, { SCALE_CHAT_LOADTEST_ROOMS: '2', SCALE_CHAT_LOADTEST_RATE: '9' }, () => 0.5);
    assert.equal(o.clients, 40, 'from the file');
    assert.equal(o.rooms, 2, 'env over the file');
    assert.equal(o.rate, 3, 'flag over env');
    assert.equal(o.msgSize, 100);
    assert.deepEqual(o.roomSize, { min: 20, max: 20 }, 'default room size: clients / rooms');
    assert.deepEqual(o.urls, ['ws://a:1/ws', 'ws://b:2/ws']);
    assert.deepEqual(o.metricsUrls, ['http://a:1/metrics', 'http://b:2/metrics'], 'derived from the URLs');
    assert.deepEqual(o.thresholds.map((t) => t.expr), ['p99<50ms', 'loss==0']);
    assert.equal(o.seed, 2 ** 30, 'a random seed when none is given');
    assert.equal(o.durationMs, 10_000);
    const json = path.join(dir, 's.json');
    writeFileSync(json, JSON.stringify({ clients: 5, roomSize: '2-4', seed: 9 }));
    const j = resolveOptions({ scenario: json }, {});
    assert.deepEqual([j.clients, j.roomSize.min, j.roomSize.max, j.seed], [5, 2, 4, 9]);
    writeFileSync(json, JSON.stringify({ clietns: 5 }));
    assert.throws(() => resolveOptions({ scenario: json }, {}), /unknown option "clietns"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('options: a ramp sets the clients and the duration; bad values name their option', () => {
  const o = resolveOptions({ ramp: '30s:1000,60s:1000,10s:0' }, {});
  assert.equal(o.clients, 1000);
  assert.equal(o.durationMs, 100_000);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ clients: '0' }, /--clients: must be between 1/],
    [{ rate: '-1' }, /--rate/],
    [{ dmRatio: '2' }, /--dm-ratio/],
    [{ msgSize: '8' }, /--msg-size: must be between 16/],
    [{ rooms: '0', dmRatio: '0' }, /nowhere to send/],
    [{ ramp: '10s:5', clients: '2' }, /below the ramp's highest target 5/],
    [{ roomSize: '9-3', clients: '20' }, /--room-size: "9-3" ends before it starts/],
    [{ duration: 'soon' }, /--duration: expected a duration/],
    [{ metricsUrl: ['ftp://x'] }, /--metrics-url/],
    [{ url: ['ws://a/ws', 'nope'] }, /--url: "nope" is not a URL/],
  ];
  for (const [flags, re] of bad) assert.throws(() => resolveOptions(flags, {}), (e: Error) => e instanceof OptionError && re.test(e.message), JSON.stringify(flags));
  assert.deepEqual(resolveOptions({ metricsUrl: ['none'] }, {}).metricsUrls, []);
  assert.equal(metricsUrlFor('wss://h:8443/ws?x=1'), 'https://h:8443/metrics');
});

test('ramp: linear interpolation between stage targets, from 0', () => {
  const r = parseRamp('30s:1000,60s:1000,10s:0');
  assert.equal(totalMs(r), 100_000);
  assert.equal(peak(r), 1000);
  assert.equal(targetAt(r, 0), 0);
  assert.equal(targetAt(r, 15_000), 500);
  assert.equal(targetAt(r, 30_000), 1000);
  assert.equal(targetAt(r, 95_000), 500);
  assert.equal(targetAt(r, 200_000), 0);
  assert.throws(() => parseRamp('10s:0'), /every stage targets 0/);
  assert.throws(() => parseRamp('x:5'), /--ramp/);
});

test('thresholds: parse units and operators, evaluate, unmeasured values fail', () => {
  const t = parseThresholds('p99<100ms,loss==0,p50<=2s,max<500us,loss_pct<0.1%,deliveries_per_s>=1000');
  assert.deepEqual(t.map((x) => [x.metric, x.op, x.value]), [
    ['p99', '<', 100],
    ['loss', '==', 0],
    ['p50', '<=', 2000],
    ['max', '<', 0.5],
    ['loss_pct', '<', 0.1],
    ['deliveries_per_s', '>=', 1000],
  ]);
  const values = { p99: 120, loss: 0, p50: null } as unknown as Parameters<typeof evaluate>[1];
  assert.deepEqual(
    evaluate(parseThresholds('p99<100ms,loss==0,p50<1s'), values).map((x) => [x.ok, x.actual]),
    [
      [false, 120],
      [true, 0],
      [false, null],
    ],
  );
  assert.throws(() => parseThresholds('loss<5ms'), /takes no time unit/);
  assert.throws(() => parseThresholds('p99<5%'), /not a percentage/);
});

test('units: durations and source address ranges', () => {
  assert.equal(parseDurationMs('1.5m', 'x'), 90_000);
  assert.equal(parseDurationMs('250ms', 'x'), 250);
  assert.equal(parseDurationMs('7', 'x'), 7000);
  assert.deepEqual(parseSourceIps('127.0.0.1-127.0.0.3'), ['127.0.0.1', '127.0.0.2', '127.0.0.3']);
  assert.deepEqual(parseSourceIps('127.0.0.1-3,127.0.0.9,127.0.0.2'), ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.9']);
  assert.deepEqual(parseSourceIps('10.0.0.250-10.0.1.2').length, 9, 'across an octet');
  assert.throws(() => parseSourceIps('127.0.0.300'), /not an IPv4 address/);
  assert.throws(() => parseSourceIps('10.0.0.0-10.0.2.0'), /more than 256/);
});

test('plan: deterministic names and rooms, sizes within range, DM pairs in one process', () => {
  const o = resolveOptions({ clients: '10', rooms: '3', roomSize: '2-5', seed: '42', dmRatio: '0.5' }, {});
  const a = makePlan(o, 'abcde');
  const b = makePlan(o, 'abcde');
  assert.deepEqual(a, b, 'same options + tag + seed = same plan');
  assert.deepEqual(a.roomIds, ['lt-abcde-0', 'lt-abcde-1', 'lt-abcde-2']);
  for (const m of a.roomMembers) {
    assert.ok(m.length >= 2 && m.length <= 5);
    assert.equal(new Set(m).size, m.length, 'no client twice in a room');
  }
  for (let i = 0; i < 10; i++) for (const r of a.clientRooms[i]) assert.ok(a.roomMembers[r].includes(i));
  assert.equal(clientName('abcde', 35), 'labcde-35');
  // No two client names of a run are lookalikes (the server's name key folds 1/i/l, 0/o, rn/m, ...).
  const keys = new Set(Array.from({ length: 5000 }, (_, i) => nameKey(clientName('abcde', i))));
  assert.equal(keys.size, 5000, 'every client name has its own name key on the server');
  assert.equal(partnerOf(4, o), 5);
  assert.equal(partnerOf(5, o), 4);
  for (let i = 0; i < 10; i++) assert.equal(workerOf(i, 3), workerOf(i ^ 1, 3), 'a DM pair shares a process');
  assert.equal(partnerOf(8, { dmRatio: 0.5, clients: 9 }), -1, 'the odd one out has no partner');
});
