import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareStates } from './summary.js';

test('compareStates: members holding a changed message must hold the same state; a split is counted with an example', () => {
  const same = { room: 'r1', seq: 4, v: 9, fp: '["hello",false,1,[]]' };
  const ok = compareStates([{ states: [same, { room: 'r1', seq: 5, v: 7, fp: 'x' }] }, { states: [same] }, {}]);
  assert.deepEqual(ok, { messages: 2, states: 3, disagreements: 0 });
  const split = compareStates([{ states: [same] }, { states: [{ ...same, fp: '["helo",false,null,[]]' }] }]);
  assert.equal(split.disagreements, 1);
  assert.match(split.example!, /^r1#4: /);
  const stale = compareStates([{ states: [same] }, { states: [{ ...same, v: 8 }] }]);
  assert.equal(stale.disagreements, 1, 'a member that missed the last change (lower v) disagrees too');
});
