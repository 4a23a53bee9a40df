/**
 * The arithmetic of bench:light / bench:cost / bench:acks / bench:broadcast: the sending window of
 * server samples, the Prometheus counter reader, the least-squares cost model and the median of runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitLine } from './perf-cost-chart.js';
import { medianOf } from './perf-report.js';
import { counterOf, sendWindow, type Sample } from './perf-sampler.js';

const s = (at: number, cpuS: number, accepted: number, frames = 0): Sample => ({ at, cpuS, accepted, frames });

test('the sending window spans the sample before the first message to the first sample after the last', () => {
  // connect phase (cpu moves, no messages), 2 s of sending, an idle tail
  const w = sendWindow([s(0, 1, 0), s(500, 1.5, 0), s(1000, 1.6, 0), s(1500, 1.7, 100, 40), s(3000, 2.0, 400, 160), s(3500, 2.05, 400, 160), s(5500, 2.06, 400, 160)]);
  assert.ok(w);
  assert.equal(w.messages, 400);
  // 1000 ms (the last sample before the count rose) -> 3000 ms (the first at the final count): the
  // connect phase before and the idle tail after are left out
  assert.ok(Math.abs(w.cpuS - 0.4) < 1e-9, `cpu ${w.cpuS}`);
  assert.equal(w.wallS, 2);
  assert.ok(Math.abs(w.usPerMessage - 1000) < 1e-6);
  assert.equal(w.frames, 160);
  assert.equal(sendWindow([s(0, 1, 5), s(500, 2, 5)]), null, 'no message accepted: no window');
});

test('counterOf sums a counter over its label sets and ignores longer names', () => {
  const body = '# HELP x\nscalechat_messages_accepted_total{node="a"} 12\nscalechat_messages_accepted_total{node="b"} 3\nscalechat_messages_accepted_total_extra 99\n';
  assert.equal(counterOf(body, 'scalechat_messages_accepted_total'), 15);
  assert.equal(counterOf('up 1\n', 'up'), 1);
  assert.ok(Number.isNaN(counterOf(body, 'scalechat_frames_sent_total')));
});

test('fitLine recovers a + b x and its R^2', () => {
  const exact = fitLine([1, 10, 100, 1000].map((x) => ({ x, y: 120 + 3 * x })));
  assert.ok(Math.abs(exact.a - 120) < 1e-9 && Math.abs(exact.b - 3) < 1e-12 && Math.abs(exact.r2 - 1) < 1e-12);
  const noisy = fitLine([{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 2 }]);
  assert.ok(noisy.r2 > 0 && noisy.r2 < 1);
});

test('medianOf: middle value, mean of the two middle ones, NaN left out', () => {
  assert.equal(medianOf([3, 1, 2], (v) => v), 2);
  assert.equal(medianOf([10, 20], (v) => v), 15);
  assert.equal(medianOf([NaN, 4], (v) => v), 4);
  assert.ok(Number.isNaN(medianOf([], (v: number) => v)));
});
