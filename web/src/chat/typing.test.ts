import { describe, expect, it } from 'vitest';
import { TYPING_SHOW_MS, addTypist, expireTypists } from './typing.js';

describe('typing', () => {
  it('shows each author once, until a few seconds after their last signal', () => {
    let t = addTypist(new Map(), { type: 'typing', room: 'r', uid: 'u1', user: 'ann' }, 0);
    t = addTypist(t, { type: 'typing', room: 'r', uid: 'u2', user: 'ben' }, 1000);
    t = addTypist(t, { type: 'typing', room: 'r', uid: 'u1', user: 'ann' }, 2000);
    expect(t.get('r')!.map((x) => x.user)).toEqual(['ben', 'ann']);
    const mid = expireTypists(t, 1000 + TYPING_SHOW_MS);
    expect(mid).toMatchObject({ changed: true, any: true });
    expect(mid.typing.get('r')!.map((x) => x.user)).toEqual(['ann']);
    expect(expireTypists(mid.typing, 2000 + TYPING_SHOW_MS)).toEqual({ typing: new Map(), changed: true, any: false });
    expect(expireTypists(t, 0).changed).toBe(false);
  });
});
