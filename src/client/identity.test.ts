import { test } from 'node:test';
import assert from 'node:assert/strict';
import { namesakes, shortId } from './identity.js';

const m = (uid: string, user: string) => ({ uid, user });

test('namesakes: a guest who left and the next guest with the same name are told apart', () => {
  // ann (u1) wrote, left; another guest took "Ann" (u2), is online now and wrote too.
  const authors = [m('u1', 'ann'), m('u3', 'bob'), m('u1', 'ann'), m('u2', 'Ann')];
  assert.deepEqual([...namesakes(authors, [{ id: 'u2', name: 'Ann' }])], ['u1']);
  // The online holder wins even when the older user wrote last.
  assert.deepEqual([...namesakes([m('u2', 'ann'), m('u1', 'ann')], [{ id: 'u2', name: 'ann' }])], ['u1']);
  // Nobody online with the name: the newest author is taken as its holder.
  assert.deepEqual([...namesakes([m('u1', 'ann'), m('u2', 'ann'), m('u1', 'ann'), m('u2', 'ann')])], ['u1']);
  // The current holder has not written: every author with the name is an earlier user.
  assert.deepEqual([...namesakes([m('u1', 'ann')], [{ id: 'u9', name: 'ANN' }])].sort(), ['u1']);
  // Member lists count too.
  assert.deepEqual([...namesakes([m('u1', 'ann')], [], [{ id: 'u2', name: 'ann' }])], ['u2']);
  // One user per name: nothing marked, whatever the name.
  assert.equal(namesakes([m('u1', 'constructor'), m('u2', 'toString'), m('u3', 'proto__'), m('u1', 'constructor')]).size, 0);
  assert.equal(namesakes([m('u1', 'constructor'), m('u2', 'Constructor')]).size, 1);
});

test('shortId: the end of the id', () => {
  assert.equal(shortId('u0123456789abcdef'), 'cdef');
  assert.equal(shortId('u1'), 'u1');
});
