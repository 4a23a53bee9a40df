/**
 * Measurement plumbing: the fast latency recorder bins exactly like the HDR histogram, encoded
 * histograms merge, Prometheus text parses, and the tick merger merges workers' ticks into rows
 * (cumulative counts carried over for a worker that already finished).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addEncoded, cdf, encode, LatencyRecorder, newHistogram, percentiles } from './histograms.js';
import type { Tick } from './ipc.js';
import { parsePrometheus } from './scrape.js';
import { csvRow, TickMerger, type Row } from './tick-merger.js';

test('LatencyRecorder: same percentiles as recording into the HDR histogram directly', () => {
  const direct = newHistogram();
  const rec = new LatencyRecorder();
  let x = 12345;
  for (let i = 0; i < 200_000; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const v = 1 + Math.floor((x / 2 ** 31) ** 4 * 60_000_000); // 1 us .. 60 s, skewed low
    direct.recordValue(v);
    rec.record(v);
  }
  const via = newHistogram();
  rec.flushInto(via);
  assert.equal(via.totalCount, direct.totalCount);
  for (const p of [1, 10, 50, 90, 99, 99.9, 99.99, 100]) {
    assert.equal(via.getValueAtPercentile(p), direct.getValueAtPercentile(p), `p${p}`);
  }
  assert.equal(rec.count, 0, 'flushed');
  rec.record(0);
  rec.record(-5);
  rec.record(2 ** 40);
  const edge = newHistogram();
  rec.flushInto(edge);
  assert.equal(edge.totalCount, 3, 'out-of-range values are clamped, not dropped');
});

test('histograms: encode/decode merge, percentiles in ms, CDF of ~100 points', () => {
  const a = newHistogram();
  const b = newHistogram();
  for (let i = 1; i <= 1000; i++) (i % 2 ? a : b).recordValue(i * 1000); // 1..1000 ms
  const merged = newHistogram();
  addEncoded(merged, encode(a));
  addEncoded(merged, encode(b));
  addEncoded(merged, '');
  const p = percentiles(merged);
  assert.equal(p.count, 1000);
  assert.ok(Math.abs(p.p50! - 500) < 1 && Math.abs(p.p99! - 990) < 1.5 && Math.abs(p.max! - 1000) < 1.5, JSON.stringify(p));
  const c = cdf(merged);
  assert.ok(c.length >= 95 && c.length <= 102);
  for (let i = 1; i < c.length; i++) assert.ok(c[i].percentile > c[i - 1].percentile && c[i].ms >= c[i - 1].ms);
  assert.equal(c[c.length - 1].percentile, 100);
  assert.deepEqual(percentiles(newHistogram()), { count: 0, mean: null, p50: null, p90: null, p99: null, p999: null, max: null });
});

test('parsePrometheus: sums label sets, skips comments and junk', () => {
  const m = parsePrometheus(
    [
      '# HELP scalechat_errors_total x',
      '# TYPE scalechat_errors_total counter',
      'scalechat_errors_total{code="rate_limited"} 3',
      'scalechat_errors_total{code="a b,c}"} 4 1700000000000',
      'scalechat_connections 17',
      'scalechat_process_cpu_seconds_total 1.5e1',
      'garbage line',
      'x_bucket{le="+Inf"} +Inf',
      '',
    ].join('\n'),
  );
  assert.equal(m.get('scalechat_errors_total'), 7);
  assert.equal(m.get('scalechat_connections'), 17);
  assert.equal(m.get('scalechat_process_cpu_seconds_total'), 15);
  assert.equal(m.has('x_bucket'), false);
});

function tick(worker: number, sec: number, sent: number, extra: Partial<Tick> = {}): Tick {
  return { type: 'tick', worker, sec, connected: 10, connectedMax: 10, sent, acked: sent, sendFailed: 0, received: sent * 10, errors: 0, reconnects: 0, cpuPct: 50, cpuUs: 500_000, wallMs: 1000, loopP99Ms: 1, hist: '', final: false, ...extra };
}

test('TickMerger: a row once every worker reported; finished workers carry their counts', () => {
  const rows: Row[] = [];
  const tl = new TickMerger(2, 1_000_000, () => 12.5, (r) => rows.push(r));
  tl.add(tick(0, 0, 5));
  assert.equal(rows.length, 0, 'waits for worker 1');
  tl.add(tick(1, 0, 7));
  assert.equal(rows.length, 1);
  assert.deepEqual([rows[0].sent, rows[0].received, rows[0].sendPerSec, rows[0].connected, rows[0].genCpu], [12, 120, 12, 20, 100]);
  tl.add(tick(0, 1, 9, { final: true, connected: 0 })); // worker 0 is done after second 1
  tl.add(tick(1, 1, 10));
  tl.add(tick(1, 2, 14, { final: true }));
  assert.equal(rows.length, 3);
  assert.deepEqual(rows.map((r) => r.sent), [12, 19, 23], 'worker 0 keeps counting its 9 after it finished');
  assert.deepEqual(rows.map((r) => r.sendPerSec), [12, 7, 4]);
  assert.equal(rows[2].connected, 10, 'a finished worker has no connections');
  const line = csvRow(rows[0]);
  assert.equal(line.split(',').length, 16);
  assert.ok(line.startsWith('1001,1,20,12,12,120,12,120,,,,,0,0,100,12.5'), line);
});
