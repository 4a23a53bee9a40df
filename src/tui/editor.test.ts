/** Unit tests of the input line editor: editing keys, grapheme-wise movement, history, completion, view. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineEditor, type Key } from './editor.js';

function typeText(ed: LineEditor, text: string): void {
  for (const ch of text) ed.handle(ch, { name: ch, sequence: ch });
}
const key = (name: string, extra: Partial<Key> = {}): Key => ({ name, ...extra });

describe('LineEditor', () => {
  it('inserts, moves and erases by grapheme cluster', () => {
    const ed = new LineEditor();
    typeText(ed, 'héllo');
    ed.handle(undefined, key('left'));
    ed.handle(undefined, key('left'));
    ed.handle('👨‍👩‍👧', { sequence: '👨‍👩‍👧' });
    assert.equal(ed.text, 'hél👨‍👩‍👧lo');
    ed.handle(undefined, key('backspace'));
    assert.equal(ed.text, 'héllo');
    ed.handle(undefined, key('a', { ctrl: true }));
    ed.handle(undefined, key('delete'));
    assert.equal(ed.text, 'éllo');
    ed.handle(undefined, key('e', { ctrl: true }));
    assert.equal(ed.cursor, 4);
  });

  it('Ctrl-W, Ctrl-U and Ctrl-K erase words and line parts', () => {
    const ed = new LineEditor();
    typeText(ed, 'one two  three');
    ed.handle(undefined, key('w', { ctrl: true }));
    assert.equal(ed.text, 'one two  ');
    ed.handle(undefined, key('w', { ctrl: true }));
    assert.equal(ed.text, 'one ');
    ed.handle(undefined, key('home'));
    ed.handle(undefined, key('right'));
    ed.handle(undefined, key('k', { ctrl: true }));
    assert.equal(ed.text, 'o');
    ed.handle(undefined, key('end'));
    ed.handle(undefined, key('u', { ctrl: true }));
    assert.equal(ed.text, '');
  });

  it('submits, clears and recalls the history with Up/Down, keeping the draft', () => {
    const ed = new LineEditor();
    typeText(ed, 'first');
    assert.deepEqual(ed.handle('\r', key('return')), { kind: 'submit', line: 'first' });
    typeText(ed, 'second');
    ed.handle('\r', key('return'));
    typeText(ed, 'draft');
    ed.handle(undefined, key('up'));
    assert.equal(ed.text, 'second');
    ed.handle(undefined, key('up'));
    assert.equal(ed.text, 'first');
    ed.handle(undefined, key('up'));
    assert.equal(ed.text, 'first');
    ed.handle(undefined, key('down'));
    ed.handle(undefined, key('down'));
    assert.equal(ed.text, 'draft');
  });

  it('refuses control characters in inserted text and leaves unknown keys to the caller', () => {
    const ed = new LineEditor();
    assert.equal(ed.handle('\x1b[31m', { sequence: '\x1b[31m' }).kind, 'unhandled');
    ed.insert('a\x1b[2Jb\x07c');
    assert.equal(ed.text, 'abc');
    assert.equal(ed.handle(undefined, key('pageup')).kind, 'unhandled');
    assert.equal(ed.handle(undefined, key('n', { ctrl: true })).kind, 'unhandled');
  });

  it('completes the word before the cursor', () => {
    const ed = new LineEditor();
    typeText(ed, '/jo');
    assert.deepEqual(ed.complete(['/join', '/help']), ['/join']);
    assert.equal(ed.text, '/join ');
    typeText(ed, 'al');
    assert.deepEqual(ed.complete(['alice', 'alfred', 'bob']), ['alice', 'alfred']);
    assert.equal(ed.text, '/join al');
    typeText(ed, 'i');
    ed.complete(['alice', 'alfred']);
    assert.equal(ed.text, '/join alice ');
  });

  it('scrolls a long line horizontally so the cursor stays visible', () => {
    const ed = new LineEditor();
    typeText(ed, 'abcdefghijklmnopqrstuvwxyz');
    const v = ed.view(10);
    assert.equal(v.text, 'rstuvwxyz');
    assert.equal(v.cursorCol, 9);
    ed.handle(undefined, key('home'));
    assert.deepEqual(ed.view(10), { text: 'abcdefghij', cursorCol: 0 });
    const wide = new LineEditor();
    wide.insert('漢字テスト漢字テスト');
    const w = wide.view(9);
    assert.equal(w.cursorCol, 8);
    assert.equal(w.text, '字テスト');
  });
});
