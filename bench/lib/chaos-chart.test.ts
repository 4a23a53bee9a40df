/** The chaos timeline: acks and latency land in their seconds, connected clients follow each client's last transition; the chart renders. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChaosRecord, ClientHistory } from './chaos-history.js';
import { chaosChart, chaosSpec, timeline } from './chaos-chart.js';

const T = 1_700_000_000_000;
function client(n: number, conn: ClientHistory['conn'], sends: ClientHistory['sends']): ClientHistory {
  return { client: n, name: `c${n}`, joins: { r: 0 }, sends, received: { r: [] }, conn, connectedAtEnd: true };
}

const rec: ChaosRecord = {
  startAt: T,
  endAt: T + 4000,
  reconnectBoundMs: 30_000,
  store: [],
  faults: [{ n: 1, kind: 'kill9', at: T + 1200, end: T + 2500, recoveredAt: T + 3100, clients: [0, 1], detail: 'kill -9' }],
  clients: [
    client(0, [[T - 500, 'up'], [T + 1300, 'down', 'closed 1006'], [T + 2700, 'up']], [
      { id: 'a', room: 'r', at: T + 100, outcome: 'acked', seq: 1, ackAt: T + 110 },
      { id: 'b', room: 'r', at: T + 1250, outcome: 'acked', seq: 2, ackAt: T + 2800 },
      { id: 'c', room: 'r', at: T + 3000, outcome: 'failed', code: 'unavailable' },
    ]),
    client(1, [[T - 400, 'up'], [T + 1300, 'down', 'closed 1006']], [{ id: 'd', room: 'r', at: T + 200, outcome: 'acked', seq: 3, ackAt: T + 230 }]),
  ],
};

test('timeline: per-second acks, latency of the sends made in each second, connected clients', () => {
  const rows = timeline(rec);
  assert.equal(rows.length, 4);
  assert.deepEqual(rows.map((r) => r.acks), [2, 0, 1, 0], 'acks counted in the second they came');
  assert.equal(rows[0].p99Ms, 30);
  assert.equal(rows[1].p50Ms, 1550, 'the send made during the kill, acked after the restart');
  assert.equal(rows[3].p50Ms, null, 'a failed send has no ack latency');
  assert.deepEqual(rows.map((r) => r.connected), [2, 0, 1, 1], 'both up, both down, one back');
});

test('the chart renders to a PNG', async () => {
  const png = await chaosChart(rec, 'chaos test', ['synthetic record']);
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  assert.ok(png.length > 5000);
});

test('every panel and the fault bands share one time axis (a panel without data at the end keeps the full width)', () => {
  const spec = chaosSpec(rec, 't', []) as unknown as { vconcat: { layer: { encoding: { x: { scale?: { domain?: number[] } } } }[] }[] };
  const domains = spec.vconcat.flatMap((p) => p.layer.map((l) => JSON.stringify(l.encoding.x.scale?.domain)));
  assert.deepEqual(new Set(domains), new Set([JSON.stringify([0, 4])]));
});
