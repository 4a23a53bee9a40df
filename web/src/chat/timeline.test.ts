import { describe, expect, it } from 'vitest';
import type { MsgEvent } from '../../../src/protocol/types.js';
import { applyChangeEvent, applyLive, applyPage, applyUpdated, emptyTimeline, markDeleted, markFromAck, mergeMessages } from './timeline.js';

const m = (seq: number): MsgEvent => ({ type: 'msg', room: 'r', seq, id: `i${seq}`, uid: 'u', user: 'ann', text: `t${seq}`, ts: seq });
const seqs = (list: MsgEvent[]) => list.map((x) => x.seq);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => m(a + i));

describe('timeline merging', () => {
  it('an own message built from its ack gives way to the server copy (with the mentions it resolved), whichever comes first', () => {
    const server: MsgEvent = { ...m(3), mentions: [{ id: 'u2', name: 'bob' }] };
    const acked = applyLive(applyLive(emptyTimeline, range(1, 2)), [markFromAck(m(3))]);
    expect(applyLive(acked, [server]).messages[2].mentions).toEqual([{ id: 'u2', name: 'bob' }]);
    const live = applyLive(applyLive(emptyTimeline, range(1, 2)), [server]);
    expect(applyLive(live, [markFromAck(m(3))]).messages[2]).toBe(server);
  });

  it('appends, prepends and deduplicates by seq', () => {
    expect(seqs(mergeMessages(range(5, 7), range(8, 9)))).toEqual([5, 6, 7, 8, 9]);
    expect(seqs(mergeMessages(range(5, 7), range(1, 4)))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seqs(mergeMessages(range(5, 7), [m(9), m(6), m(8), m(9)]))).toEqual([5, 6, 7, 8, 9]);
    const same = range(1, 3);
    expect(mergeMessages(same, [m(2)])).toBe(same);
  });

  it('the newest page overlapping live messages leaves no gap and no duplicate', () => {
    let t = applyLive(emptyTimeline, range(101, 130)); // live msgs arrived before the page
    t = applyPage(t, { messages: range(81, 120), hasMore: true }, false);
    expect(seqs(t.messages)).toEqual(seqs(range(81, 130)));
    expect(t).toMatchObject({ loadedLatest: true, hasMore: true, loading: false });
    t = applyPage(t, { messages: range(61, 80), hasMore: false }, true);
    expect(t.messages[0].seq).toBe(61);
    expect(t.hasMore).toBe(false);
  });

  it('a reconnect replay overlapping what is shown adds only what was missed', () => {
    const t = applyLive({ ...emptyTimeline, messages: range(1, 10), loadedLatest: true }, range(8, 15));
    expect(seqs(t.messages)).toEqual(seqs(range(1, 15)));
  });
});

describe('message changes in the timeline', () => {
  const change = (seq: number, c: MsgEvent['change'], uid = 'u2'): MsgEvent => ({ type: 'msg', room: 'r', seq, id: `c${seq}`, uid, user: 'ben', text: '', deleted: true, ts: 1000 + seq, change: c });
  const base = { ...emptyTimeline, messages: range(1, 3), loadedLatest: true };

  it('change events are never merged as messages (live or in a page)', () => {
    const t = applyLive(base, [m(4), change(5, { kind: 'edit', target: 1, text: 'x' }), m(6)]);
    expect(seqs(t.messages)).toEqual([1, 2, 3, 4, 6]);
    const p = applyPage(emptyTimeline, { messages: [m(1), change(2, { kind: 'remove', target: 1 }), m(3)], hasMore: false }, false);
    expect(seqs(p.messages)).toEqual([1, 3]);
    expect(applyLive(base, [change(7, { kind: 'remove', target: 2 })])).toBe(base);
  });

  it('a newer state replaces a loaded message, an older or equal one does not', () => {
    const v2 = { ...m(2), text: 'edited', edited: 9, v: 5 };
    const t = applyUpdated(base, v2);
    expect(t.messages[1]).toBe(v2);
    expect(applyUpdated(t, { ...m(2), text: 'older', v: 4 })).toBe(t);
    expect(applyUpdated(t, { ...v2 })).toBe(t);
    expect(applyUpdated(t, { ...m(99), v: 100 })).toBe(t); // not loaded: nothing
    // A page bringing an older state of a message shown in a newer one keeps the newer.
    expect(mergeMessages(t.messages, [{ ...m(2), v: 3 }])).toBe(t.messages);
    expect(mergeMessages(t.messages, [{ ...m(2), text: 'newest', v: 6 }])[1].text).toBe('newest');
  });

  it('a change event applies to its loaded target once (by v), like the server does', () => {
    let t = applyChangeEvent(base, change(4, { kind: 'react', target: 1, emoji: '👍', on: true }, 'u1'));
    t = applyChangeEvent(t, change(5, { kind: 'react', target: 1, emoji: '👍', on: true }, 'u2'));
    expect(t.messages[0].reactions).toEqual([{ emoji: '👍', count: 2, uids: ['u1', 'u2'] }]);
    expect(applyChangeEvent(t, change(5, { kind: 'react', target: 1, emoji: '👍', on: true }, 'u2'))).toBe(t);
    t = applyChangeEvent(t, change(6, { kind: 'remove', target: 1 }));
    expect(t.messages[0]).toMatchObject({ text: '', deleted: true, v: 6 });
    expect(t.messages[0].reactions).toBeUndefined();
    expect(applyChangeEvent(t, change(7, { kind: 'edit', target: 42, text: 'x' }))).toBe(t);
  });

  it('an administrator deletion drops the text, the edit mark and the reactions', () => {
    const t = markDeleted({ ...base, messages: [{ ...m(1), edited: 5, reactions: [{ emoji: '🚀', count: 1, uids: ['u'] }] }] }, 1);
    expect(t.messages[0]).toEqual({ ...m(1), text: '', deleted: true });
  });
});
