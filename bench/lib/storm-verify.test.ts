/**
 * The storm's accounting (./storm-verify.ts, ./storm-stats.ts) on hand-made streams: loss, gaps,
 * duplicates and a message stored twice are each counted where they belong; the storm figures
 * split attempts and failures at the restart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClientTimes, SendRecord } from './storm-ipc.js';
import { roomTruth, stormStats } from './storm-stats.js';
import { emptyCounts, RoomIndex } from './storm-verify.js';

const KILL = 10_000;

function send(seq: number | null, id: string, preKill: boolean, ts: number | null = null): SendRecord {
  return { room: 'r0', id, seq, ts, preKill, burst: !preKill };
}

test('sends: acked before the kill, resent with the original ack, stored after the restart, failed', () => {
  const { rooms, stats } = roomTruth(
    [send(1, 'a', true, 9000), send(2, 'b', true, 9500), send(3, 'c', false, 9900), send(4, 'd', false, 12_000), send(null, 'e', false)],
    [{ r0: [[1, 'a'], [5, 'x']] }],
    KILL,
  );
  assert.equal(rooms.r0.finalSeq, 5);
  assert.deepEqual(rooms.r0.unackedIds, ['c', 'd', 'e']);
  assert.deepEqual(stats, { sent: 5, ackedBeforeKill: 2, unackedAtKill: 3, storedBeforeKill: 1, storedAfterRestart: 1, failed: { unknown: 1 }, storedTwice: 0 });
  // 'd' seen under a second seq: stored twice.
  assert.equal(roomTruth([send(4, 'd', false, 12_000)], [{ r0: [[6, 'd']] }], KILL).stats.storedTwice, 1);
});

test('members: loss, gaps after the kill, unknown gaps, duplicates, an unacked message under two seqs', () => {
  const { rooms } = roomTruth([send(1, 'a', true), send(2, 'b', true), send(3, 'c', false, 12_000)], [], KILL);
  rooms.r0.finalSeq = 4; // seq 4: stored, nobody reported its ack
  const room = new RoomIndex(rooms.r0);
  const observed = new Map([
    [1, 'a'],
    [2, 'b'],
    [3, 'c'],
    [4, 'c'],
  ]);
  const whole = emptyCounts();
  room.checkMember([1, 2, 3, 4], 0, 0, observed, whole);
  assert.deepEqual(whole, { ...emptyCounts(), clients: 1, unackedTwice: 1 });
  const holes = emptyCounts();
  room.checkMember([2, 2], 0, 3, observed, holes);
  assert.deepEqual(holes, { ...emptyCounts(), clients: 1, lostPreKill: 1, missedPostKill: 1, missedOther: 1, duplicates: 1, wireDuplicates: 3 });
  // Joined after seq 2: only 3 and 4 are owed.
  const late = emptyCounts();
  room.checkMember([3, 4], 2, 0, new Map([[3, 'c'], [4, 'z']]), late);
  assert.deepEqual(late, { ...emptyCounts(), clients: 1 });
  assert.equal(room.mismatches(new Map([[1, 'other']])), 1);
});

test('storm figures: times from listening, attempts and failures split at the restart', () => {
  const listen = 11_000;
  const c = (resumedAt: number, attempts: number[], failures: [number, string][]): ClientTimes => ({ lostAt: KILL + 5, welcomeAt: resumedAt, resumedAt, attempts, failures, closed: null, replays: 1 });
  const s = stormStats(
    [
      c(11_500, [10_100, 10_600, 11_200], [[10_100, 'ECONNREFUSED'], [10_600, 'ECONNREFUSED']]),
      c(13_000, [10_200, 11_100, 12_000], [[10_200, 'ECONNREFUSED'], [11_100, 'close 4503']]),
      { ...c(NaN, [10_300], []), welcomeAt: NaN, closed: 'close 4004' },
    ],
    KILL,
    listen,
  );
  assert.equal(s.resumed, 2);
  assert.equal(s.replayed, 3);
  assert.equal(s.closed, 1);
  assert.deepEqual(s.resumeMs, { p50: 500, p99: 2000, max: 2000 });
  assert.ok(Number.isNaN(s.allResumedMs));
  assert.deepEqual(s.attemptsAfterListen, { 1: 1, 2: 1 });
  assert.equal(s.severalAttempts, 1);
  assert.deepEqual(s.failuresAfterListen, { 'close 4503': 1 });
  assert.equal(s.failuresBeforeListen, 3);
  assert.deepEqual(s.timeline, [1, 2]);
  assert.equal(s.detectMaxMs, 5);
});
