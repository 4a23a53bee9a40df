/**
 * Unit tests of the text primitives of the terminal client: sanitizing network text, display
 * widths (wide and zero-width characters) and wrapping.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sanitizeInline, sanitizeText } from './sanitize.js';
import { padEnd, stringWidth, truncate, wrapLine, wrapText } from './width.js';

describe('sanitizeText', () => {
  it('removes CSI, OSC, DCS and two-byte escape sequences, keeping the text around them', () => {
    assert.equal(sanitizeText('\x1b[2J\x1b[1;1Hhi'), 'hi');
    assert.equal(sanitizeText('a\x1b[31mred\x1b[0m b'), 'ared b');
    assert.equal(sanitizeText('\x1b]0;title\x07after'), 'after');
    assert.equal(sanitizeText('\x1b]52;c;aGk=\x1b\\after'), 'after');
    assert.equal(sanitizeText('\x1bPqpayload\x1b\\x'), 'x');
    assert.equal(sanitizeText('\x1bcreset'), 'reset');
    assert.equal(sanitizeText('\x1b(Bcharset'), 'charset');
    assert.equal(sanitizeText('unterminated \x1b]0;forever'), 'unterminated ');
  });

  it('removes 8-bit C1 sequences and controls, bidi overrides; keeps newlines, expands tabs', () => {
    assert.equal(sanitizeText('\x9b31mred\x9d0;t\x07x'), 'redx');
    assert.equal(sanitizeText('a\x00b\x07c\x08d\x7fe\x85f'), 'abcdef');
    assert.equal(sanitizeText('\u202eevil\u202c \u2066iso\u2069'), 'evil iso');
    assert.equal(sanitizeText('one\r\ntwo\rthree\nfour'), 'one\ntwo\nthree\nfour');
    assert.equal(sanitizeText('a\tb'), 'a    b');
    assert.equal(sanitizeInline('one\ntwo'), 'one two');
  });

  it('leaves ordinary unicode alone', () => {
    const s = 'Zoë 用户 👍🏽 👨‍👩‍👧 🇫🇷 é';
    assert.equal(sanitizeText(s), s);
  });
});

describe('display width', () => {
  it('counts ASCII 1, CJK and fullwidth 2, combining marks 0, emoji 2', () => {
    assert.equal(stringWidth('hello'), 5);
    assert.equal(stringWidth('漢字'), 4);
    assert.equal(stringWidth('ｆｕｌｌ'), 8);
    assert.equal(stringWidth('한국어'), 6);
    assert.equal(stringWidth('e\u0301'), 1);
    assert.equal(stringWidth('👍'), 2);
    assert.equal(stringWidth('👍🏽'), 2);
    assert.equal(stringWidth('👨‍👩‍👧'), 2);
    assert.equal(stringWidth('🇫🇷'), 2);
    assert.equal(stringWidth('❤️'), 2);
    assert.equal(stringWidth('a\u200bb'), 2);
  });

  it('truncates and pads by columns, never splitting a wide character', () => {
    assert.equal(truncate('漢字テスト', 5), '漢字');
    assert.equal(truncate('abcdef', 4, '…'), 'abc…');
    assert.equal(truncate('abc', 4, '…'), 'abc');
    assert.equal(padEnd('漢', 4), '漢  ');
    assert.equal(padEnd('漢字テスト', 5), '漢字 ', 'a wide character that does not fit becomes a space');
  });
});

describe('wrapping', () => {
  it('breaks at spaces, dropping them at the break', () => {
    assert.deepEqual(wrapLine('the quick brown fox', 10), ['the quick', 'brown fox']);
    assert.deepEqual(wrapLine('short', 10), ['short']);
    assert.deepEqual(wrapLine('', 10), ['']);
  });

  it('splits a word longer than the width, and wide characters by their width', () => {
    assert.deepEqual(wrapLine('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
    assert.deepEqual(wrapLine('漢字テスト', 5), ['漢字', 'テス', 'ト']);
    for (const row of wrapLine('x 漢字テスト漢字テスト y', 7)) assert.ok(stringWidth(row) <= 7, row);
  });

  it('keeps grapheme clusters whole', () => {
    const rows = wrapLine('👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧', 4);
    assert.deepEqual(rows, ['👨‍👩‍👧👨‍👩‍👧', '👨‍👩‍👧']);
  });

  it('wraps each line of a multi-line text', () => {
    assert.deepEqual(wrapText('one two\nthree', 4), ['one', 'two', 'thre', 'e']);
  });
});
