import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBlankText, isWellFormed, textProblem } from './text.js';

describe('message text rules', () => {
  it('refuses lone surrogates, accepts pairs', () => {
    assert.equal(isWellFormed('x\ud800y'), false);
    assert.equal(isWellFormed('\udc00'), false);
    assert.equal(isWellFormed('ab\ud800'), false);
    assert.equal(isWellFormed('😀 ok'), true);
    assert.match(textProblem('x\ud800y', 100) ?? '', /surrogate/);
  });
  it('treats invisible-only texts as blank', () => {
    for (const t of ['', '   ', '\n\t', '\u200b', '\u2800\u2800', '\u0000', '\u2060\ufeff', '\u3164', '\u200b \u200c\u200d', '\u00ad']) {
      assert.equal(isBlankText(t), true, JSON.stringify(t));
      assert.notEqual(textProblem(t, 100), null, JSON.stringify(t));
    }
    for (const t of ['a', ' x ', '\u200bx', '😀', '.', 'é']) assert.equal(textProblem(t, 100), null, JSON.stringify(t));
  });
  it('refuses U+0000 inside a text and texts over the limit', () => {
    assert.match(textProblem('a\u0000b', 100) ?? '', /U\+0000/);
    assert.match(textProblem('x'.repeat(101), 100) ?? '', /longer/);
  });
});
