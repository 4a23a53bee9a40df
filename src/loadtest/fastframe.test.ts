/**
 * The load generator's lazy frame decoder must yield exactly what the reference decoder
 * (decodeServerFrame = JSON.parse) yields: on frames laid out like the server's, on random and
 * hostile strings, and on frames that are not laid out like that at all (fallback).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeServerFrame } from '../protocol/codec.js';
import { ackFrame, encodeEvent, encodeMsg, joinBatch, msgEvent, pingEvent, type MessageRecord } from '../protocol/encode.js';
import type { AckFrame, MsgEvent, ServerEvent } from '../protocol/types.js';
import { FastDecoder, LazyMsg, fallbacks } from './fastframe.js';

/** Plain objects of what a decoder returned (LazyMsg -> its toJSON). */
function plain(evs: ServerEvent[]): unknown[] {
  return evs.map((e) => (e instanceof LazyMsg ? e.toJSON() : e));
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE = ['"', '\\', '\\"', '",', ',{"type":"', ',"text":"', '}', ']}', '\n', '\u0000', '\ud800', 'é', '😀', '{"type":"msg","room":"x"}'];

function randomString(r: () => number, max = 30): string {
  let s = '';
  const n = Math.floor(r() * max);
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.15) s += HOSTILE[Math.floor(r() * HOSTILE.length)];
    else if (k < 0.2) s += String.fromCharCode(Math.floor(r() * 0x2000));
    else s += String.fromCharCode(97 + Math.floor(r() * 26));
  }
  return s;
}

function msg(r: () => number, seq: number, hostile: boolean): MsgEvent {
  const s = (plainText: string) => (hostile ? randomString(r) : plainText);
  return { type: 'msg', room: hostile && r() < 0.3 ? randomString(r, 10) : 'lt-abc-0', seq, id: s(`l1-${seq}`), uid: s('u_1'), user: s('lx-1'), text: s(`t${seq} xxxx`), ts: 1_700_000_000_000 + seq };
}

/** What the server writes: the one encoder's events, several joined in one batch (as the outbox does). */
function serverFrame(events: object[]): string {
  const parts = events.map((e) => encodeEvent(e as ServerEvent));
  return parts.length === 1 ? parts[0] : joinBatch(parts);
}

test('fastframe: server-shaped msg and ack frames decode like JSON.parse, lazily', () => {
  const dec = new FastDecoder();
  const ack: AckFrame = { type: 'ack', id: 'l1-9', room: 'lt-abc-0', seq: 9, ts: 1_700_000_000_009 };
  const r = rng(1);
  const frame = serverFrame([msg(r, 1, false), ack, msg(r, 2, false)]);
  const evs = dec.decode(frame);
  assert.deepEqual(plain(evs), decodeServerFrame(frame));
  const m = evs[0] as LazyMsg;
  assert.ok(m instanceof LazyMsg, 'msg events are lazy');
  assert.equal(m.room, 'lt-abc-0');
  assert.equal(m.seq, 1);
  assert.equal(m.textHead(3), 't1 ', 'textHead reads the text without parsing the other fields');
  assert.equal(m.user, 'lx-1');
  assert.equal(JSON.stringify(m), JSON.stringify(decodeServerFrame(frame)[0]), 'JSON.stringify gives the plain event');
  assert.deepEqual(evs[1], ack);
  // A single msg (not batched) too.
  const single = serverFrame([msg(r, 3, false)]);
  assert.deepEqual(plain(dec.decode(single)), decodeServerFrame(single));
});

test('fastframe: random and hostile strings in every field decode exactly like JSON.parse', () => {
  const dec = new FastDecoder();
  const r = rng(42);
  for (let i = 0; i < 3000; i++) {
    const n = 1 + Math.floor(r() * 5);
    const events: object[] = [];
    for (let k = 0; k < n; k++) {
      const x = r();
      if (x < 0.7) events.push(msg(r, i * 10 + k, r() < 0.5));
      else if (x < 0.85) events.push({ type: 'ack', id: randomString(r), room: randomString(r, 8), seq: k, ts: 5 });
      else events.push({ type: 'ping', ts: 123 });
    }
    const frame = serverFrame(events);
    const got = dec.decode(frame);
    assert.deepEqual(plain(got), decodeServerFrame(frame), frame);
    for (const e of got) if (e instanceof LazyMsg) assert.equal(e.textHead(4), e.text.slice(0, 4));
  }
});

test('fastframe: frames not laid out like the server\'s fall back to JSON.parse', () => {
  const dec = new FastDecoder();
  const frames = [
    '{"type":"welcome","v":1,"user":{"id":"u","name":"n","account":false},"token":"t","tokenExpiresAt":0,"rooms":[],"heartbeatMs":1,"limits":{},"serverTime":0}',
    '{"type":"batch","events":[{"type":"msg","room":"r","seq":1,"id":"a","uid":"u","user":"n","text":"x","ts":1},{"type":"history","re":"1","room":"r","messages":[{"type":"msg","room":"r","seq":1,"id":"a","uid":"u","user":"n","text":"x","ts":1}],"hasMore":false}]}',
    '{"type":"msg","seq":1,"room":"r","id":"a","uid":"u","user":"n","text":"x","ts":1}',
    '{ "type":"msg","room":"r","seq":1,"id":"a","uid":"u","user":"n","text":"x","ts":1}',
    '{"type":"msg","room":"r","seq":1.5,"id":"a","uid":"u","user":"n","text":"x","ts":1}',
    '{"type":"msg","room":"r","seq":01,"id":"a","uid":"u","user":"n","text":"x","ts":1}'.replace('01', '1e0'),
    '{"type":"batch","events":[]}',
    '{"type":"ack","id":"a","room":"r","seq":1,"ts":1,"extra":true}',
  ];
  for (const f of frames) assert.deepEqual(plain(dec.decode(f)), decodeServerFrame(f), f);
  // A msg whose tail deviates (extra key) is still right: the lazy fields come from JSON.parse of the event.
  const odd = '{"type":"batch","events":[{"type":"msg","room":"r","seq":1,"id":"a","uid":"u","user":"n","text":"x","ts":1,"edited":true},{"type":"msg","room":"r","seq":2,"id":"b","uid":"u","user":"n","text":"y","ts":2}]}';
  const got = dec.decode(odd);
  assert.equal((got[0] as MsgEvent).text, 'x');
  assert.equal((got[1] as MsgEvent).id, 'b');
  assert.throws(() => dec.decode('{"type":"msg",'), SyntaxError, 'not JSON: throws like JSON.parse');
  assert.throws(() => dec.decode('nope'), SyntaxError);
});

/** A message record as a store returns it, with random (often hostile) strings. */
function record(r: () => number, seq: number, hostile: boolean, deleted: boolean): MessageRecord {
  const s = (plainText: string) => (hostile ? randomString(r) : plainText);
  const m: MessageRecord = { room: hostile && r() < 0.3 ? randomString(r, 10) : 'lt-abc-0', seq, id: s(`l1-${seq}`), uid: s('u_1'), user: s('lx-1'), text: deleted ? '' : s(`t${seq} xxxx`), ts: 1_700_000_000_000 + seq };
  if (deleted) m.deleted = true;
  return m;
}

/** Reads every field of every event (a LazyMsg parses its tail). */
function touch(evs: ServerEvent[]): void {
  for (const e of evs) if (e instanceof LazyMsg) void (e.id + e.uid + e.user + e.text + e.ts + e.textHead(4));
}

// The drift test: the fast decoder reads by position what src/protocol/encode.ts writes. When the encoder's
// key order or batch framing changes, the decoder still returns right results (it falls back to JSON.parse),
// so this test checks it did NOT fall back: it fails when the two drift.
test('fastframe: what the one encoder writes (msg, ack, ping, batches, unicode, escapes) is read by position', () => {
  const dec = new FastDecoder();
  const r = rng(7);
  const fixed: MessageRecord[] = [
    { room: 'general', seq: 1, id: 'a', uid: 'u_1', user: 'ann', text: 'plain', ts: 1 },
    { room: 'général', seq: 2, id: 'é', uid: 'u_2', user: 'Zoë', text: 'é 😀 \u2028 \u2028 日本', ts: 2 },
    { room: 'dm:u_1:u_2', seq: 3, id: 'q"1', uid: 'u_"', user: 'a\\b', text: '"quoted" \\ \n \t \u0000 \ud800 ,{"type":"msg","room":"x"} ,"text":" ]}', ts: 3 },
    { room: 'r', seq: 0, id: '', uid: '', user: '', text: '', ts: 0 },
  ];
  const frames: string[] = [];
  for (const m of fixed) frames.push(encodeMsg(m), encodeEvent(ackFrame(m)));
  frames.push(joinBatch(fixed.map(encodeMsg)), joinBatch([encodeEvent(pingEvent(1_700_000_000_000)), encodeMsg(fixed[2]), encodeEvent(ackFrame(fixed[1]))]));
  for (let i = 0; i < 2000; i++) {
    const n = 1 + Math.floor(r() * 6);
    const parts: string[] = [];
    for (let k = 0; k < n; k++) {
      const x = r();
      const m = record(r, i * 10 + k, r() < 0.6, false);
      if (x < 0.7 || k === 0) parts.push(encodeMsg(m));
      else if (x < 0.9) parts.push(encodeEvent(ackFrame(m)));
      else parts.push(encodeEvent(pingEvent(m.ts)));
    }
    frames.push(parts.length === 1 ? parts[0] : joinBatch(parts));
  }
  for (const f of frames) {
    const before = { ...fallbacks };
    const got = dec.decode(f);
    touch(got);
    assert.deepEqual(fallbacks, before, `the fast decoder fell back to JSON.parse on what the encoder writes: ${f}`);
    assert.deepEqual(plain(got), decodeServerFrame(f), f);
    for (const e of got) if (e.type === 'msg') assert.ok(e instanceof LazyMsg, f);
  }
});

test('fastframe: tombstones the encoder writes decode with deleted: true (their frame is parsed whole)', () => {
  const dec = new FastDecoder();
  const r = rng(9);
  for (let i = 0; i < 500; i++) {
    const n = 1 + Math.floor(r() * 4);
    const recs = Array.from({ length: n }, (_, k) => record(r, i * 10 + k, r() < 0.5, k === 0 || r() < 0.3));
    r() < 0.5 && recs.reverse();
    const parts = recs.map(encodeMsg);
    const frame = parts.length === 1 ? parts[0] : joinBatch(parts);
    const got = dec.decode(frame);
    assert.deepEqual(plain(got), decodeServerFrame(frame), frame);
    assert.deepEqual(plain(got), recs.map(msgEvent), frame);
    for (let k = 0; k < n; k++) assert.equal((got[k] as MsgEvent).deleted, recs[k].deleted, frame);
  }
});

test('fastframe: messages with the fields of changes (change events, replies, edits, reactions) or mentions decode whole, like JSON.parse', () => {
  const dec = new FastDecoder();
  const r = rng(11);
  const extras: Partial<MessageRecord>[] = [
    { text: '', deleted: true, change: { kind: 'edit', target: 1, text: 'new "text", with } and {"type":"msg"' } },
    { text: '', deleted: true, change: { kind: 'react', target: 2, emoji: '👍', on: true } },
    { replyTo: 3 },
    { edited: 1_700_000_000_999, v: 9 },
    { v: 12, reactions: [{ emoji: '🎉', count: 2, uids: ['u1', 'u2'] }] },
    // Mentions (docs/protocol.md 7.1), last in the key order; names with quotes and braces.
    { mentions: [{ id: 'u1', name: 'al"ice' }, { id: 'u2', name: 'b}o{b' }] },
    { mentions: [{ id: 'u3', name: 'carol' }], mentionAll: true },
    { replyTo: 1, mentionAll: true },
  ];
  for (let i = 0; i < 300; i++) {
    const n = 1 + Math.floor(r() * 4);
    const recs = Array.from({ length: n }, (_, k) => {
      const base = record(r, i * 10 + k, r() < 0.3, false);
      return r() < 0.6 ? { ...base, ...extras[Math.floor(r() * extras.length)] } : base;
    });
    const parts = recs.map(encodeMsg);
    const frame = parts.length === 1 ? parts[0] : joinBatch(parts);
    const got = dec.decode(frame);
    assert.deepEqual(plain(got), decodeServerFrame(frame), frame);
    for (let k = 0; k < n; k++) {
      assert.deepEqual((got[k] as MsgEvent).change, msgEvent(recs[k]).change, frame);
      assert.deepEqual((got[k] as MsgEvent).mentions, msgEvent(recs[k]).mentions, frame);
      assert.equal((got[k] as MsgEvent).mentionAll, msgEvent(recs[k]).mentionAll, frame);
    }
  }
});
