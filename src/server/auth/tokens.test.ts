/** Session tokens carry the token generation: a token of another generation, or of a deleted account, is not current. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { TokenSigner, isCurrent } from './tokens.js';

const SECRET = 'test-secret-0123456789abcdef';

test('tokens carry the generation; only the stored one is current', () => {
  const t = new TokenSigner(SECRET, 60_000);
  const check = t.verify(t.issue('u1', 3).token);
  assert.ok(check.ok);
  assert.equal(check.gen, 3);
  assert.equal(isCurrent(check, { tokenGen: 3 }), true);
  assert.equal(isCurrent(check, { tokenGen: 4 }), false);
  assert.equal(isCurrent(check, { tokenGen: 3, deletedAt: 1 }), false);
  const zero = t.verify(t.issue('u1').token);
  assert.ok(zero.ok);
  assert.equal(isCurrent(zero, {}), true, 'absent tokenGen is generation 0');
});

test('a token signed before generations (no g) is generation 0; a bad g is invalid', () => {
  const t = new TokenSigner(SECRET, 60_000);
  const make = (payload: unknown) => {
    const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `v1.${p}.${createHmac('sha256', SECRET).update('v1.' + p).digest('base64url')}`;
  };
  const legacy = t.verify(make({ u: 'u1', e: Date.now() + 60_000 }));
  assert.ok(legacy.ok);
  assert.equal(legacy.gen, 0);
  for (const g of [-1, 1.5, '2', null]) assert.deepEqual(t.verify(make({ u: 'u1', e: Date.now() + 60_000, g })), { ok: false, reason: 'token_invalid' });
  assert.deepEqual(t.verify(make(null)), { ok: false, reason: 'token_invalid' });
});
