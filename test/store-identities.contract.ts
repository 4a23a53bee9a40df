/**
 * The Store contract, external identities (JWT sign-in): (issuer, subject) maps to one account for good,
 * created with its mapping in one transaction; a second first sign-in of the same pair (also at the same
 * moment) gets the same account; a name another account holds refuses the creation and writes nothing;
 * issuers keep subjects apart; the mapping survives a restart.
 * Run against SQLite and PostgreSQL by test/store-identities.test.ts.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { StoreConflictError, type Store, type UserRecord } from '../src/server/store/store.js';
import type { StoreFactory, StoreHarness } from './store.contract.js';

const T0 = 1_700_000_000_000;

function external(id: string, name: string): UserRecord {
  return { id, name, nameKey: name.toLowerCase(), account: true, passwordHash: null, createdAt: T0 };
}

export function storeIdentitiesContract(name: string, makeStore: StoreFactory): void {
  describe(`Store contract (external identities): ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    beforeEach(async () => {
      h = await makeStore();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('an unmapped pair finds nobody; created, it finds the account (no password, an account)', async () => {
      assert.equal(await store.findExternalUser('https://app.example', 'sub-1'), null);
      const u = await store.createExternalUser(external('u1', 'ann'), 'https://app.example', 'sub-1');
      assert.equal(u.id, 'u1');
      const found = await store.findExternalUser('https://app.example', 'sub-1');
      assert.equal(found?.id, 'u1');
      assert.equal(found?.name, 'ann');
      assert.equal(found?.account, true);
      assert.equal(found?.passwordHash, null);
      // An account like any other: its name is reserved, getUser finds it.
      assert.equal((await store.findAccount('ann'))?.id, 'u1');
      assert.equal((await store.getUser('u1'))?.id, 'u1');
    });

    it('a second creation of a mapped pair returns the mapped account and writes nothing', async () => {
      await store.createExternalUser(external('u1', 'ann'), 'iss', 'sub-1');
      const again = await store.createExternalUser(external('u2', 'ann2'), 'iss', 'sub-1');
      assert.equal(again.id, 'u1');
      assert.equal(await store.getUser('u2'), null);
      assert.equal(await store.findAccount('ann2'), null);
    });

    it('two first sign-ins of one pair at once: one account', async () => {
      const made = await Promise.all([0, 1, 2, 3].map((i) => store.createExternalUser(external(`u${i}`, `name${i}`), 'iss', 'same')));
      assert.equal(new Set(made.map((u) => u.id)).size, 1);
      const winner = made[0].id;
      for (let i = 0; i < 4; i++) {
        if (`u${i}` !== winner) assert.equal(await store.getUser(`u${i}`), null, `u${i} not written`);
      }
    });

    it("another account's name refuses the creation, and nothing is written", async () => {
      await store.createUser({ ...external('u1', 'ann'), passwordHash: '$argon2id$x' });
      await assert.rejects(store.createExternalUser(external('u2', 'ann'), 'iss', 'sub-2'), StoreConflictError);
      assert.equal(await store.getUser('u2'), null);
      assert.equal(await store.findExternalUser('iss', 'sub-2'), null);
      // The pair is free for a later try with another name.
      assert.equal((await store.createExternalUser(external('u3', 'ann3'), 'iss', 'sub-2')).id, 'u3');
    });

    it('the same subject under two issuers is two accounts; the empty issuer is one too', async () => {
      await store.createExternalUser(external('u1', 'a1'), 'https://a.example', 'sub');
      await store.createExternalUser(external('u2', 'a2'), 'https://b.example', 'sub');
      await store.createExternalUser(external('u3', 'a3'), '', 'sub');
      assert.equal((await store.findExternalUser('https://a.example', 'sub'))?.id, 'u1');
      assert.equal((await store.findExternalUser('https://b.example', 'sub'))?.id, 'u2');
      assert.equal((await store.findExternalUser('', 'sub'))?.id, 'u3');
      // Case matters: subjects are opaque ids.
      assert.equal(await store.findExternalUser('https://a.example', 'SUB'), null);
    });

    it('the mapping survives a restart', async () => {
      await store.createExternalUser(external('u1', 'ann'), 'iss', 'sub-1');
      await store.close();
      store = await h.reopen();
      assert.equal((await store.findExternalUser('iss', 'sub-1'))?.id, 'u1');
    });
  });
}
