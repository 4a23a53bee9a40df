/**
 * The flush scheduler and the per-connection outbox, with a fake socket: what a client receives (one
 * event as-is, a turn's events as one batch frame in order), one flush per event-loop turn for every
 * connection, and the slow-consumer bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlushPacer } from './flush-pacer.js';
import { FlushScheduler, Outbox, type OutboxSink } from './outbox.js';

const MAX = 1000;

/** Lets the scheduler's setImmediate (queued before this one) run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const ev = (n: number): Buffer => Buffer.from(JSON.stringify({ type: 'msg', room: 'r', seq: n, text: `m${n}` }));

class FakeSocket implements OutboxSink {
  buffered = 0;
  frames: { text: string; events: number }[] = [];
  slow = 0;
  bufferedAmount(): number {
    return this.buffered;
  }
  write(frame: Buffer, events: number): void {
    this.frames.push({ text: frame.toString(), events });
  }
  slowConsumer(): void {
    this.slow++;
  }
}

function setup(n = 1, maxBytes = MAX, pacer?: { delayMs: number }) {
  const scheduler = new FlushScheduler(maxBytes, pacer);
  const sockets = Array.from({ length: n }, () => new FakeSocket());
  const outboxes = sockets.map((s) => new Outbox(s, scheduler));
  return { scheduler, sockets, outboxes };
}

test('outbox: one event in a turn is written as it was queued, after the turn, not before', async () => {
  const { sockets, outboxes } = setup();
  const e = ev(1);
  outboxes[0].push(e);
  assert.equal(sockets[0].frames.length, 0, 'nothing is written synchronously');
  assert.equal(outboxes[0].queuedBytes, e.length);
  await turn();
  assert.deepEqual(sockets[0].frames, [{ text: e.toString(), events: 1 }]);
  assert.equal(outboxes[0].queuedBytes, 0);
});

test('outbox: several events in a turn are one batch frame whose events parse back in order', async () => {
  const { sockets, outboxes } = setup();
  const events = [1, 2, 3, 4, 5].map(ev);
  for (const e of events) outboxes[0].push(e);
  await turn();
  assert.equal(sockets[0].frames.length, 1, 'one frame for the turn');
  const f = sockets[0].frames[0];
  assert.equal(f.events, 5);
  assert.deepEqual(JSON.parse(f.text), { type: 'batch', events: events.map((e) => JSON.parse(e.toString())) });
  // The next turn's events are a frame of their own.
  outboxes[0].push(ev(6));
  await turn();
  assert.equal(sockets[0].frames.length, 2);
  assert.equal(JSON.parse(sockets[0].frames[1].text).seq, 6);
});

test('flush scheduler: one setImmediate per turn flushes every dirty outbox', async () => {
  const { sockets, outboxes } = setup(50);
  const real = globalThis.setImmediate;
  let scheduled = 0;
  globalThis.setImmediate = ((fn: (...args: unknown[]) => void, ...args: unknown[]) => {
    scheduled++;
    return real(fn, ...args);
  }) as typeof setImmediate;
  try {
    for (let round = 0; round < 3; round++) for (const o of outboxes) o.push(ev(round));
  } finally {
    globalThis.setImmediate = real;
  }
  assert.equal(scheduled, 1, '150 pushes on 50 connections in one turn: one scheduled flush');
  await turn();
  for (const s of sockets) {
    assert.equal(s.frames.length, 1);
    assert.equal(s.frames[0].events, 3);
  }
});

test('flush scheduler: afterFlush runs once the turn is written, even with nothing queued', async () => {
  const { scheduler, sockets, outboxes } = setup(2);
  const seen: string[] = [];
  outboxes[0].push(ev(1));
  scheduler.afterFlush(() => seen.push(`after: ${sockets[0].frames.length + sockets[1].frames.length} frames`));
  outboxes[1].push(ev(2));
  await turn();
  assert.deepEqual(seen, ['after: 2 frames']);
  scheduler.afterFlush(() => seen.push('idle'));
  await turn();
  assert.deepEqual(seen, ['after: 2 frames', 'idle'], 'runs once, on its own turn too');
});

test('outbox: a socket holding more than maxBytes unsent is closed as a slow consumer, and gets nothing more', async () => {
  const { sockets, outboxes } = setup(2);
  const [slow, fine] = sockets;
  slow.buffered = MAX + 1;
  fine.buffered = MAX; // at the bound, not over: still written
  for (const o of outboxes) {
    o.push(ev(1));
    o.push(ev(2));
  }
  await turn();
  assert.equal(slow.slow, 1);
  assert.deepEqual(slow.frames, [], 'nothing written to the slow consumer');
  assert.equal(fine.slow, 0);
  assert.equal(fine.frames.length, 1);
  // Drained or not, a closed outbox stays closed: nothing queued, nothing written, no second close.
  slow.buffered = 0;
  outboxes[0].push(ev(3));
  assert.equal(outboxes[0].queuedBytes, 0);
  await turn();
  assert.deepEqual(slow.frames, []);
  assert.equal(slow.slow, 1);
});

test('outbox: a burst larger than maxBytes in one turn is written when the socket has drained', async () => {
  const { sockets, outboxes } = setup(1, 100);
  for (let i = 0; i < 50; i++) outboxes[0].push(ev(i)); // far more than 100 bytes
  await turn();
  assert.equal(sockets[0].slow, 0);
  assert.equal(sockets[0].frames[0].events, 50);
});

test('outbox: nothing is written after close, queued or pushed later', async () => {
  const { sockets, outboxes } = setup();
  outboxes[0].push(ev(1));
  outboxes[0].close();
  assert.equal(outboxes[0].queuedBytes, 0, 'queued events are dropped');
  outboxes[0].push(ev(2));
  await turn();
  assert.deepEqual(sockets[0].frames, []);
  assert.equal(sockets[0].slow, 0);
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('pacing: with spare time (delay 0) every turn is its own frame', async () => {
  const { sockets, outboxes } = setup(1, MAX, { delayMs: 0 });
  for (let i = 0; i < 3; i++) {
    outboxes[0].push(ev(i));
    await turn();
  }
  assert.equal(sockets[0].frames.length, 3);
});

test('pacing: under load a connection written to moments ago gets its next turns in one frame, within the delay', async () => {
  const pacer = { delayMs: 40 };
  const { scheduler, sockets, outboxes } = setup(2, MAX, pacer);
  outboxes[0].push(ev(1));
  await turn();
  assert.equal(sockets[0].frames.length, 1, 'the first event goes out on its turn: nothing written recently');
  const t0 = performance.now();
  let timed = -1;
  for (let i = 2; i <= 4; i++) {
    outboxes[0].push(ev(i));
    if (i === 2) scheduler.afterFlush(() => (timed = performance.now() - t0));
    await turn();
  }
  outboxes[1].push(ev(9)); // another connection, not written recently: its turn, not the timer
  await turn();
  assert.equal(sockets[1].frames.length, 1);
  assert.equal(sockets[0].frames.length, 1, 'held back');
  assert.equal(timed, -1, 'afterFlush waits for what is held back');
  await sleep(60);
  assert.equal(sockets[0].frames.length, 2);
  assert.equal(sockets[0].frames[1].events, 3, 'three turns, one frame');
  assert.deepEqual(JSON.parse(sockets[0].frames[1].text).events.map((e: { seq: number }) => e.seq), [2, 3, 4]);
  assert.ok(timed >= 30, `afterFlush ran when the held frame was written (${timed.toFixed(1)} ms)`);
  // Load gone: the next event leaves on its turn again.
  pacer.delayMs = 0;
  outboxes[0].push(ev(5));
  await turn();
  assert.equal(sockets[0].frames.length, 3);
});

test('pacing: a held-back outbox that is closed writes nothing when the timer fires', async () => {
  const { sockets, outboxes } = setup(1, MAX, { delayMs: 20 });
  outboxes[0].push(ev(1));
  await turn();
  outboxes[0].push(ev(2));
  outboxes[0].close();
  await sleep(40);
  assert.equal(sockets[0].frames.length, 1);
});

test('pacer: no delay below 60% busy, the full delay at 95% and above, decays by half when load falls', () => {
  const p = new FlushPacer(10);
  try {
    p.observe(0.3);
    assert.equal(p.delayMs, 0);
    p.observe(0.775);
    assert.ok(Math.abs(p.delayMs - 5) < 1e-9, `halfway: ${p.delayMs}`);
    p.observe(1);
    assert.equal(p.delayMs, 10);
    p.observe(0.2);
    assert.equal(p.delayMs, 5, 'one quiet sample halves it');
    for (let i = 0; i < 6; i++) p.observe(0.2);
    assert.equal(p.delayMs, 0, 'and it reaches 0');
  } finally {
    p.stop();
  }
  const off = new FlushPacer(0);
  off.observe(1);
  assert.equal(off.delayMs, 0, 'maxMs 0: never waits');
});
