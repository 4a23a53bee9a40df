/**
 * Exact loss accounting: receive tracks (next seq, holes, duplicates, out of order), the merged
 * acked seqs, and the loss computation against them; plus the send schedule heap and the events
 * sample (whole messages, deterministic).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckedSet, RecvTrack, computeLoss, reportOf } from './accounting.js';
import { sampled } from './events.js';
import { connectPacer, SendHeap } from './schedule.js';

test('RecvTrack: in-order seqs, a hole, its late fill (out of order) and duplicates', () => {
  const t = new RecvTrack(10);
  for (const s of [11, 12, 13]) t.add(s);
  assert.equal(t.last, 13);
  assert.equal(t.count, 3);
  assert.equal(t.holes, null);
  t.add(17); // 14-16 missing
  assert.deepEqual(t.holes, [14, 16]);
  t.add(15); // fills the middle of the hole
  assert.deepEqual(t.holes, [14, 14, 16, 16]);
  assert.equal(t.outOfOrder, 1);
  t.add(15); // again: a duplicate
  t.add(12); // old: a duplicate
  t.add(9); // before the start: a duplicate (it was history)
  assert.equal(t.duplicates, 3);
  t.add(14);
  t.add(16);
  assert.equal(t.holes, null);
  assert.equal(t.count, 7);
  assert.equal(t.outOfOrder, 3);
});

test('AckedSet: merges lists from several senders, sorted, unique, counts by range', () => {
  const a = new AckedSet([[5, 1, 3], [2, 4], [3]]);
  assert.equal(a.size, 5);
  assert.equal(a.max, 5);
  assert.equal(a.repeated, 1, 'seq 3 acked twice');
  assert.equal(a.countIn(0, 5), 5);
  assert.equal(a.countIn(2, 4), 2); // 3, 4
  assert.equal(a.countIn(4, 2), 0);
  assert.equal(new AckedSet([]).countIn(0, 100), 0);
});

test('computeLoss: tail loss of a live client, holes, closed (ramped-down) clients, unacked receipts', () => {
  // Room r: seqs 1..10 acked except 7 (its sender gave up, yet it was delivered).
  const acked = new Map([['r', new AckedSet([[1, 2, 3, 4, 5, 6, 8, 9, 10]])]]);
  const full = new RecvTrack(0);
  for (let s = 1; s <= 10; s++) full.add(s);
  const tail = new RecvTrack(0); // stopped receiving after 6: 8, 9, 10 lost
  for (let s = 1; s <= 6; s++) tail.add(s);
  const holed = new RecvTrack(2); // joined at 2; 5 never arrived
  for (const s of [3, 4, 6, 7, 8, 9, 10]) holed.add(s);
  const left = new RecvTrack(0); // left on purpose after 4: nothing after is expected
  for (let s = 1; s <= 4; s++) left.add(s);
  left.closed = true;
  const loss = computeLoss(
    [reportOf('r', full), reportOf('r', tail), reportOf('r', holed), reportOf('r', left)],
    acked,
  );
  assert.equal(loss.expected, 9 + 9 + 7 + 4);
  assert.equal(loss.lost, 3 + 1);
  assert.equal(loss.delivered, loss.expected - loss.lost);
  assert.equal(loss.receivedUnacked, 1 + 0 + 1 + 0, 'seq 7 reached full and holed but was never acked');
  assert.equal(loss.tracksWithLoss, 2);
});

test('computeLoss: a room nobody acked anything in expects nothing', () => {
  const t = new RecvTrack(0);
  t.add(1);
  const loss = computeLoss([reportOf('x', t)], new Map());
  assert.deepEqual([loss.expected, loss.delivered, loss.lost, loss.receivedUnacked], [0, 0, 0, 1]);
});

test('SendHeap: pops in time order, grows, keeps slot and epoch', () => {
  const h = new SendHeap();
  const times = Array.from({ length: 5000 }, (_, i) => ((i * 7919) % 5000) + 0.5);
  times.forEach((t, i) => h.push(t, i, i % 3));
  const out = { slot: 0, epoch: 0, at: 0 };
  let prev = -Infinity;
  let n = 0;
  while (h.pop(out)) {
    assert.ok(out.at >= prev);
    assert.equal(times[out.slot], out.at);
    assert.equal(out.epoch, out.slot % 3);
    prev = out.at;
    n++;
  }
  assert.equal(n, 5000);
  assert.equal(h.peek(), Infinity);
});

test('connectPacer: paces connects at the rate, with a small burst', () => {
  const b = connectPacer(100, 0);
  let started = 0;
  for (let t = 0; t <= 1000; t += 50) {
    const n = b.available(t);
    for (let i = 0; i < n; i++) b.take(t);
    started += n;
  }
  assert.ok(started >= 95 && started <= 111, `about 100 in one second: ${started}`);
});

test('sampled: deterministic per message, about the fraction asked, all or nothing at 1 and 0', () => {
  let hits = 0;
  for (let i = 0; i < 200; i++) for (let n = 1; n <= 100; n++) if (sampled(i, n, 0.1)) hits++;
  assert.ok(hits > 1700 && hits < 2300, `~10% of 20000: ${hits}`);
  assert.equal(sampled(3, 4, 0.1), sampled(3, 4, 0.1));
  assert.equal(sampled(3, 4, 1), true);
  assert.equal(sampled(3, 4, 0), false);
});
