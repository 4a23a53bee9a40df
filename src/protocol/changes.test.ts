import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChange, isValidReaction, MAX_REACTION_UIDS, toggleReaction } from './changes.js';
import type { MsgEvent } from './types.js';

const base: MsgEvent = { type: 'msg', room: 'r', seq: 3, id: 'm3', uid: 'u1', user: 'ann', text: 'helo', ts: 100 };

test('applyChange: an edit, reactions and a removal give the state the server stores; a change at or below v is already in it', () => {
  let m = applyChange(base, { kind: 'edit', target: 3, text: 'hello' }, 5, 200, 'u1');
  assert.deepEqual([m.text, m.edited, m.v], ['hello', 200, 5]);
  assert.equal(applyChange(m, { kind: 'edit', target: 3, text: 'stale' }, 5, 300, 'u1'), m, 'seq <= v: no change');
  m = applyChange(m, { kind: 'react', target: 3, emoji: '👍', on: true }, 6, 300, 'u2');
  m = applyChange(m, { kind: 'react', target: 3, emoji: '👍', on: true }, 7, 300, 'u3');
  m = applyChange(m, { kind: 'react', target: 3, emoji: '👍', on: true }, 8, 300, 'u3');
  assert.deepEqual(m.reactions, [{ emoji: '👍', count: 2, uids: ['u2', 'u3'] }], 'a repeat changes nothing');
  m = applyChange(m, { kind: 'react', target: 3, emoji: '👍', on: false }, 9, 300, 'u2');
  assert.deepEqual(m.reactions, [{ emoji: '👍', count: 1, uids: ['u3'] }]);
  m = applyChange(m, { kind: 'remove', target: 3 }, 10, 400, 'u1');
  assert.deepEqual([m.text, m.deleted, m.reactions, m.edited, m.v], ['', true, undefined, undefined, 10]);
  assert.deepEqual(applyChange(m, { kind: 'edit', target: 3, text: 'back' }, 11, 500, 'u1').text, '', 'a removed message stays removed');
  assert.equal(base.text, 'helo', 'the input is not mutated');
});

test('applyChange: the same changes in any order of pages and live events end in one state (v makes them idempotent)', () => {
  const changes: [MsgEvent['change'] & object, number, string][] = [
    [{ kind: 'edit', target: 3, text: 'a' }, 4, 'u1'],
    [{ kind: 'react', target: 3, emoji: '🎉', on: true }, 5, 'u2'],
    [{ kind: 'edit', target: 3, text: 'b' }, 6, 'u1'],
  ];
  const inOrder = changes.reduce((m, [c, seq, uid]) => applyChange(m, c, seq, seq * 10, uid), base);
  // A history page taken after seq 5 (state at v=5), then the page's own change events and the live one again.
  const page = changes.slice(0, 2).reduce((m, [c, seq, uid]) => applyChange(m, c, seq, seq * 10, uid), base);
  const replayed = changes.reduce((m, [c, seq, uid]) => applyChange(m, c, seq, seq * 10, uid), page);
  assert.deepEqual(replayed, inOrder);
});

test('toggleReaction: counts stay exact beyond the listed uids', () => {
  let list = toggleReaction([], '👍', 'u0', true);
  for (let i = 1; i <= MAX_REACTION_UIDS + 5; i++) list = toggleReaction(list, '👍', `u${i}`, true);
  assert.equal(list[0].count, MAX_REACTION_UIDS + 6);
  assert.equal(list[0].uids.length, MAX_REACTION_UIDS);
});

test('isValidReaction: one emoji or a shortcode of the fixed set', () => {
  for (const ok of ['👍', '❤️', '🇫🇷', '1️⃣', '👩‍💻', '👍🏽', ':+1:', ':tada:']) assert.equal(isValidReaction(ok), true, ok);
  for (const bad of ['', 'x', 'ok', '👍👍', ':nope:', '<b>', ' 👍', '👍 ', 'a'.repeat(40), '\u200b']) assert.equal(isValidReaction(bad), false, JSON.stringify(bad));
});
