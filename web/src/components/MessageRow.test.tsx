/**
 * Two users with one name (a guest left, another guest took the name): the avatar colour comes from
 * the user id, and the earlier user's messages carry a short id beside the name.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { namesakes } from '../../../src/client/index.js';
import type { MsgEvent } from '../../../src/protocol/index.js';
import { buildRows, type Row } from '../lib/rows.js';
import { hueOf } from '../lib/format.js';
import { MessageRow } from './MessageRow.js';

const msg = (seq: number, uid: string, user: string): MsgEvent => ({ type: 'msg', room: 'general', seq, id: `m${seq}`, uid, user, text: `t${seq}`, ts: 1_000_000 + seq * 60 * 60 * 1000 });
const noop = () => {};
const render = (row: Row) =>
  renderToStaticMarkup(<MessageRow row={row} roomLabel="#general" meName="me" meId="u-me" loading={false} onRetry={noop} onDiscard={noop} onLoadOlder={noop} />);

describe('authors who share a name', () => {
  it('colours by user id and marks the user who does not hold the name now', () => {
    const old = 'u00000000000000aa';
    const now = 'u00000000000000bb';
    const messages = [msg(1, old, 'ann'), msg(2, now, 'ann')];
    const marked = namesakes(messages, [{ id: now, name: 'ann' }]);
    const rows = buildRows(messages, [], undefined, Date.now(), marked).filter((r) => r.kind === 'msg');
    expect(rows.map((r) => r.kind === 'msg' && r.namesake)).toEqual([true, false]);
    expect(rows.every((r) => r.kind === 'msg' && r.head)).toBe(true); // different users are never grouped

    const first = render(rows[0]);
    const second = render(rows[1]);
    expect(first).toContain('~00aa');
    expect(first).toContain(`user id ${old}`);
    expect(second).not.toContain('data-testid="namesake"');
    expect(second).toContain(`user id ${now}`);
    expect(first).toContain(`--hue:${hueOf(old)}`);
    expect(second).toContain(`--hue:${hueOf(now)}`);
    expect(hueOf(old)).not.toBe(hueOf(now));
  });

  it('a name used by one user only is not marked', () => {
    const messages = [msg(1, 'u1', 'constructor'), msg(2, 'u1', 'constructor'), msg(3, 'u2', 'toString')];
    const rows = buildRows(messages, [], undefined, Date.now(), namesakes(messages, [{ id: 'u2', name: 'toString' }]));
    expect(rows.some((r) => r.kind === 'msg' && r.namesake)).toBe(false);
  });
});
