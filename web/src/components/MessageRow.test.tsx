/**
 * Two users with one name (a guest left, another guest took the name): the avatar colour comes from
 * the user id, and the earlier user's messages carry a short id beside the name.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { namesakes } from '../../../src/client/index.js';
import type { MsgEvent } from '../../../src/protocol/types.js';
import { buildRows, type Row } from '../lib/rows.js';
import { formatFull, hueOf } from '../lib/format.js';
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

describe('a message with changes', () => {
  const actions = { setEditing: noop, saveEdit: async () => {}, remove: async () => {}, react: async () => {}, reply: noop, jump: noop, needQuote: noop };
  const row = (m: MsgEvent, own = false): Row => ({ kind: 'msg', key: `m:${m.seq}`, msg: m, head: true, own, namesake: false });
  const show = (r: Row, extra: Partial<React.ComponentProps<typeof MessageRow>> = {}) =>
    renderToStaticMarkup(<MessageRow row={r} roomLabel="#general" meName="me" meId="u-me" loading={false} onRetry={noop} onDiscard={noop} onLoadOlder={noop} actions={actions} {...extra} />);

  it('edited: "(edited)" with the full time as its tooltip; own messages offer Edit and Delete, others only Reply and React', () => {
    const edited = 1_700_000_000_000;
    const mine = show(row({ ...msg(1, 'u-me', 'me'), text: 'fixed', edited, v: 2 }, true));
    expect(mine).toContain('(edited)</time>');
    expect(mine).toContain(`title="${formatFull(edited)}"`);
    for (const name of ['Reply to me', 'Add a reaction', 'Edit your message', 'Delete your message']) expect(mine).toContain(`aria-label="${name}"`);
    const theirs = show(row(msg(2, 'u-ben', 'ben')));
    expect(theirs).toContain('aria-label="Reply to ben"');
    expect(theirs).not.toContain('Edit your message');
    expect(theirs).not.toContain('Delete your message');
    expect(theirs).not.toContain('(edited)');
  });

  it('deleted: "This message was deleted", no actions, no reactions, no quote', () => {
    const html = show(row({ ...msg(1, 'u-me', 'me'), text: '', deleted: true, replyTo: 0 }, true), { quoted: msg(0, 'u-ben', 'ben') });
    expect(html).toContain('This message was deleted');
    expect(html).not.toContain('aria-label="Edit your message"');
    expect(html).not.toContain('Reply to');
    expect(html).not.toContain('class="quote"');
  });

  it('reactions: chips with the count, yours pressed, who reacted in the title; markup in a quote or a reaction stays text', () => {
    const m: MsgEvent = {
      ...msg(3, 'u-ben', 'ben'),
      replyTo: 1,
      reactions: [
        { emoji: '👍', count: 2, uids: ['u-ben', 'u-me'] },
        { emoji: '🎉', count: 3, uids: ['a', 'b', 'c'] },
      ],
    };
    const html = show(row(m), { quoted: { ...msg(1, 'u-cid', 'cid'), text: '<img src=x onerror=alert(1)> look' }, names: new Map([['u-ben', 'ben']]) });
    expect(html).toMatch(/<button[^>]*class="chip mine"[^>]*data-emoji="👍"[^>]*aria-pressed="true"[^>]*title="ben and you reacted with 👍"/);
    expect(html).toMatch(/<button[^>]*data-emoji="🎉"[^>]*aria-pressed="false"[^>]*title="3 people reacted with 🎉"/);
    expect(html).toContain('<span class="chip-emoji">👍</span> <span class="chip-count">2</span>');
    expect(html).toContain('<span class="quote-author">cid</span> <span class="quote-text">&lt;img src=x onerror=alert(1)&gt; look</span>');
    expect(html).not.toContain('<img');
    expect(show(row({ ...m, replyTo: 1 }), { quoted: null })).toContain('deleted message');
  });
});

describe('a message from a bot', () => {
  it('shows a "bot" badge beside the author; a person\'s message has none', () => {
    const botRow: Row = { kind: 'msg', key: 'm:1', msg: { ...msg(1, 'u00000000000000cc', 'deploybot'), bot: true }, head: true, own: false, namesake: false };
    const personRow: Row = { kind: 'msg', key: 'm:2', msg: msg(2, 'u00000000000000dd', 'ann'), head: true, own: false, namesake: false };
    expect(render(botRow)).toContain('<span class="bot-badge" data-testid="bot-badge" title="A bot: sent by an application with an API key">bot</span>');
    expect(render(personRow)).not.toContain('bot-badge');
  });
});
