import { describe, expect, it } from 'vitest';
import { isValidReaction } from '../../../src/protocol/changes.js';
import type { MsgEvent } from '../../../src/protocol/types.js';
import { REACTION_PICKS, quoteView, reactionGlyph, reactorsText, snippet } from './reactions.js';

describe('reactions and quotes', () => {
  it('every reaction the picker offers is one the server accepts', () => {
    expect(REACTION_PICKS.map((p) => p.emoji)).toEqual(['👍', '❤️', '😂', '🎉', '😮', '😢', '👀', '🚀']);
    for (const { emoji } of REACTION_PICKS) expect(isValidReaction(emoji), emoji).toBe(true);
    expect(reactionGlyph(':tada:')).toBe('🎉');
    expect(reactionGlyph('🦄')).toBe('🦄');
  });

  it('who reacted: known names (you as "you"), then how many others; "N people" when none is known', () => {
    const names = new Map([
      ['u2', 'ben'],
      ['u3', 'cid'],
    ]);
    expect(reactorsText({ emoji: '👍', count: 1, uids: ['u1'] }, names, 'u1')).toBe('you');
    expect(reactorsText({ emoji: '👍', count: 2, uids: ['u2', 'u1'] }, names, 'u1')).toBe('ben and you');
    expect(reactorsText({ emoji: '👍', count: 3, uids: ['u2', 'u3', 'u9'] }, names, 'u1')).toBe('ben, cid and 1 other');
    expect(reactorsText({ emoji: '👍', count: 150, uids: ['u2'] }, names, 'u1')).toBe('ben and 149 others');
    expect(reactorsText({ emoji: '👍', count: 3, uids: ['x', 'y', 'z'] }, names, 'u1')).toBe('3 people');
  });

  it('a quote: one line of at most 80 characters, or what became of the message', () => {
    expect(snippet('  hello\n\n  world ')).toBe('hello world');
    const long = 'a'.repeat(79) + ' 😀😀😀';
    expect(snippet(long)).toBe('a'.repeat(79) + '…');
    expect(Array.from(snippet('😀'.repeat(100))).length).toBe(81); // code points, no broken pair
    const m: MsgEvent = { type: 'msg', room: 'r', seq: 1, id: 'i', uid: 'u', user: 'ann', text: 'hi', ts: 1 };
    expect(quoteView(m)).toEqual({ kind: 'message', user: 'ann', text: 'hi' });
    expect(quoteView({ ...m, text: '', deleted: true })).toEqual({ kind: 'deleted' });
    expect(quoteView(null)).toEqual({ kind: 'deleted' });
    expect(quoteView(undefined)).toEqual({ kind: 'unknown' });
  });
});
