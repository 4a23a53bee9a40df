/**
 * The one encoder of server events: fixed key orders (clients, the load generator's fast decoder and the
 * cluster's gap filler depend on them), tombstones, batch framing and history replies without
 * re-serialization. (src/loadtest/fastframe.test.ts checks the fast decoder reads what this writes.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeServerFrame } from './codec.js';
import {
  BATCH_HEAD,
  BATCH_SEP,
  BATCH_TAIL,
  ackFrame,
  encodeEvent,
  encodeHistory,
  encodeMsg,
  joinBatch,
  msgEvent,
  pingEvent,
  type MessageRecord,
} from './encode.js';
import type { HistoryFrame, MsgEvent, ServerEvent } from './types.js';

const rec: MessageRecord = { room: 'general', seq: 7, id: 'c-1', uid: 'u_1', user: 'ann', text: 'hi', ts: 1_700_000_000_007 };

test('encode: msgEvent has the wire key order, deleted: true only on tombstones', () => {
  assert.equal(
    encodeEvent(msgEvent(rec)),
    '{"type":"msg","room":"general","seq":7,"id":"c-1","uid":"u_1","user":"ann","text":"hi","ts":1700000000007}',
  );
  assert.equal(encodeMsg(rec), encodeEvent(msgEvent(rec)));
  assert.equal(Object.hasOwn(msgEvent(rec), 'deleted'), false);
  assert.equal(Object.hasOwn(msgEvent({ ...rec, deleted: false }), 'deleted'), false);
  const tomb = { ...rec, text: '', deleted: true };
  assert.equal(encodeMsg(tomb), '{"type":"msg","room":"general","seq":7,"id":"c-1","uid":"u_1","user":"ann","text":"","ts":1700000000007,"deleted":true}');
  assert.deepEqual(msgEvent(tomb), { type: 'msg', room: 'general', seq: 7, id: 'c-1', uid: 'u_1', user: 'ann', text: '', ts: 1_700_000_000_007, deleted: true });
  // Only the wire fields are taken from a record (a store row may carry more).
  const row = { ...rec, nameKey: 'ann', extra: 1 } as MessageRecord;
  assert.deepEqual(Object.keys(msgEvent(row)), ['type', 'room', 'seq', 'id', 'uid', 'user', 'text', 'ts']);
});

test('encode: ack and ping have the wire key order', () => {
  assert.equal(encodeEvent(ackFrame({ ...rec })), '{"type":"ack","id":"c-1","room":"general","seq":7,"ts":1700000000007}');
  assert.equal(encodeEvent(pingEvent(5)), '{"type":"ping","ts":5}');
});

test('encode: encodeEvent is JSON, decoded back to the same event (unicode and escapes too)', () => {
  const events: ServerEvent[] = [
    msgEvent({ ...rec, text: 'é 😀 "q" \\ \n \u0000 \u2028 ,{"type":"msg"} ]}' }),
    msgEvent({ ...rec, user: 'Zoë', room: 'dm:u_1:u_2', deleted: true, text: '' }),
    { type: 'presence', room: 'r', online: [{ id: 'u', name: 'n' }], offline: [] },
    { type: 'error', code: 'bad_frame', message: 'x', re: '1' },
  ];
  for (const ev of events) {
    const s = encodeEvent(ev);
    assert.equal(s, JSON.stringify(ev));
    assert.deepEqual(decodeServerFrame(s), [ev]);
  }
});

test('encode: batches join serialized events without re-serializing them', () => {
  assert.equal(BATCH_HEAD + BATCH_SEP + BATCH_TAIL, '{"type":"batch","events":[,]}');
  const evs: ServerEvent[] = [msgEvent(rec), ackFrame(rec), pingEvent(1), msgEvent({ ...rec, seq: 8, text: '"]}', deleted: true })];
  const parts = evs.map(encodeEvent);
  const frame = joinBatch(parts);
  assert.equal(frame, JSON.stringify({ type: 'batch', events: evs }));
  assert.deepEqual(decodeServerFrame(frame), evs);
  assert.equal(joinBatch([parts[0]]), `{"type":"batch","events":[${parts[0]}]}`);
  assert.deepEqual(decodeServerFrame(joinBatch([])), []);
});

test('encode: encodeHistory is the HistoryFrame as encodeEvent writes it', () => {
  const msgs: MsgEvent[] = [msgEvent(rec), msgEvent({ ...rec, seq: 8, text: '', deleted: true }), msgEvent({ ...rec, seq: 9, text: 'ü\\"' })];
  for (const [re, room, list, hasMore] of [
    ['h1', 'general', msgs, false],
    ['h"2\\', 'room "x"', msgs.slice(1), true],
    ['3', 'r', [], false],
  ] as const) {
    const frame: HistoryFrame = { type: 'history', re, room, messages: [...list], hasMore };
    const text = encodeHistory(re, room, list.map((m) => encodeEvent(m)), hasMore);
    assert.equal(text, encodeEvent(frame));
    assert.deepEqual(decodeServerFrame(text), [frame]);
  }
});
