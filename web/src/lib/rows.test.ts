import { describe, expect, it } from 'vitest';
import type { MsgEvent } from '../../../src/protocol/types.js';
import { buildRows, GROUP_WINDOW_MS } from './rows.js';

const day = (d: number, h: number, m = 0) => new Date(2026, 10, d, h, m).getTime();
const msg = (seq: number, user: string, ts: number): MsgEvent => ({ type: 'msg', room: 'general', seq, id: `i${seq}`, uid: `u-${user}`, user, text: `t${seq}`, ts });

describe('buildRows', () => {
  it('groups consecutive messages of one author within five minutes, with day separators', () => {
    const rows = buildRows(
      [msg(1, 'ann', day(20, 9)), msg(2, 'ann', day(20, 9, 1)), msg(3, 'ben', day(20, 9, 2)), msg(4, 'ben', day(20, 9, 2) + GROUP_WINDOW_MS + 1), msg(5, 'ben', day(21, 9))],
      [],
      { id: 'u-ann', name: 'ann' },
      day(21, 12),
    );
    expect(rows.map((r) => (r.kind === 'day' ? `day ${r.label}` : r.kind === 'msg' ? `${r.msg.seq}${r.head ? ' head' : ''}${r.own ? ' own' : ''}` : r.kind))).toEqual([
      expect.stringMatching(/^day /),
      '1 head own',
      '2 own',
      '3 head',
      '4 head',
      'day Today',
      '5 head',
    ]);
  });

  it('puts pending messages last, grouped with your own last message', () => {
    const now = day(21, 12);
    const rows = buildRows([msg(1, 'ann', now - 1000)], [{ id: 'p1', room: 'general', text: 'x', createdAt: now, status: 'pending' }], { id: 'u-ann', name: 'ann' }, now);
    expect(rows.map((r) => r.key)).toEqual([expect.stringMatching(/^day:/), 'm:1', 'p:p1']);
    const last = rows[rows.length - 1];
    expect(last.kind === 'pending' && last.head).toBe(false);
  });

  it('labels yesterday', () => {
    const rows = buildRows([msg(1, 'ann', day(20, 23))], [], undefined, day(21, 1));
    expect(rows[0]).toMatchObject({ kind: 'day', label: 'Yesterday' });
  });
});
