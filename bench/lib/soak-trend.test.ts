/** The soak's verdicts: a saw-tooth that stays level is flat, a steady climb is not, latency drift is caught, per node. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drift, nodeSeries, nodeVerdicts, trend, type ProcSample, type SoakSample } from './soak-trend.js';

const series = (n: number, f: (t: number) => number) => Array.from({ length: n }, (_, i) => ({ t: i * 5, v: f(i * 5) }));

test('a GC saw-tooth of 40 MB around a level is flat; warm-up growth is ignored', () => {
  const s = series(360, (t) => (t < 120 ? 50 + t : 170) + ((t / 5) % 12) * 3.5);
  const r = trend(s, 120, (x) => x.v, 10);
  assert.ok(r.ok, JSON.stringify(r));
  assert.ok(Math.abs(r.growth) < 10);
});

test('a climb of 30 MB over the warm window is not flat, with its slope per hour', () => {
  const s = series(360, (t) => 200 + t / 60 + ((t / 5) % 12) * 3.5);
  const r = trend(s, 120, (x) => x.v, 10);
  assert.equal(r.ok, false, JSON.stringify(r));
  assert.ok(r.perHour > 50 && r.perHour < 70, `slope ${r.perHour} MB/h`);
});

test('too few samples is no verdict (not ok), never a pass', () => {
  assert.equal(trend(series(3, () => 1), 0, (x) => x.v, 10).ok, false);
});

test('latency drift: level p99 passes, a p99 that triples fails', () => {
  const level = Array.from({ length: 300 }, (_, i) => ({ t: i, p99Ms: 10 + (i % 7) }));
  assert.ok(drift(level, 30).ok);
  const worse = Array.from({ length: 300 }, (_, i) => ({ t: i, p99Ms: 10 + i / 10 }));
  assert.equal(drift(worse, 30).ok, false);
});

test('per node: one leaking node of three fails alone; a node missing samples keeps its others', () => {
  const proc = (rssMb: number, openFds = 500): ProcSample => ({ rssMb, heapUsedMb: 30, lagP99Ms: 2, lagMaxMs: 3, openFds, connections: 100 });
  const samples: SoakSample[] = Array.from({ length: 360 }, (_, i) => {
    const t = i * 5;
    return { t, nodes: [proc(150), proc(150 + t / 30), i % 4 === 0 ? null : proc(140, 400)], dbMb: 10 + t / 100 };
  });
  assert.equal(nodeSeries(samples, 2).length, 270);
  assert.deepEqual(nodeSeries(samples, 2)[0], { t: 5, ...proc(140, 400) });
  const v = nodeVerdicts(samples, 3, 120, 16, 8);
  assert.deepEqual(v.map((n) => n.rss.ok), [true, false, true]);
  assert.ok(v.every((n) => n.heap.ok && n.fds.ok));
  assert.equal(v[2].fds.first, 400);
});
