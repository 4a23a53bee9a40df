import { describe, expect, it } from 'vitest';
import type { MsgEvent } from '../../../src/protocol/index.js';
import { applyLive, applyPage, emptyTimeline, mergeMessages } from './timeline.js';

const m = (seq: number): MsgEvent => ({ type: 'msg', room: 'r', seq, id: `i${seq}`, uid: 'u', user: 'ann', text: `t${seq}`, ts: seq });
const seqs = (list: MsgEvent[]) => list.map((x) => x.seq);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => m(a + i));

describe('timeline merging', () => {
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
