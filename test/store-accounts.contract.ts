/**
 * The Store contract, account changes (docs/protocol.md 4.5): the token generation (new users at 0,
 * bumped by a password change and by "sign out everywhere", kept across a restart), and deleting an
 * account (row kept, marked, password cleared, name still reserved for findAccount, not found by
 * findUserByName, memberships of public and private rooms removed, DMs and messages kept).
 * Run by test/store.contract.ts against every Store.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { dmRoomId } from '../src/protocol/rules.js';
import type { Store, UserRecord } from '../src/server/store/store.js';
import type { StoreFactory, StoreHarness } from './store.contract.js';

const T0 = 1_700_000_000_000;

function user(id: string, name: string, account = true): UserRecord {
  return { id, name, nameKey: name.toLowerCase(), account, passwordHash: account ? `$argon2id$v=19$m=19456,t=2,p=1$${id}` : null, createdAt: T0 };
}

export function storeAccountsContract(name: string, makeStore: StoreFactory): void {
  describe(`Store contract (accounts): ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    beforeEach(async () => {
      h = await makeStore();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('a new user is generation 0 and not deleted', async () => {
      await store.createUser(user('u1', 'ann'));
      const u = await store.getUser('u1');
      assert.equal(u?.tokenGen ?? 0, 0);
      assert.equal(u?.deletedAt, undefined);
    });

    it('setPassword stores the hash and bumps the generation; guests and unknown users get null', async () => {
      await store.createUser(user('u1', 'ann'));
      await store.createUser(user('g1', 'gus', false));
      assert.equal(await store.setPassword('u1', 'new-hash'), 1);
      assert.equal(await store.setPassword('u1', 'newer-hash'), 2);
      const u = await store.getUser('u1');
      assert.equal(u?.passwordHash, 'newer-hash');
      assert.equal(u?.tokenGen, 2);
      assert.equal((await store.findAccount('ann'))?.passwordHash, 'newer-hash');
      assert.equal(await store.setPassword('g1', 'x'), null);
      assert.equal((await store.getUser('g1'))?.passwordHash, null);
      assert.equal(await store.setPassword('nobody', 'x'), null);
    });

    it('bumpTokenGen works for accounts and guests, and survives a restart', async () => {
      await store.createUser(user('u1', 'ann'));
      await store.createUser(user('g1', 'gus', false));
      assert.equal(await store.bumpTokenGen('u1'), 1);
      assert.equal(await store.bumpTokenGen('g1'), 1);
      assert.equal(await store.bumpTokenGen('g1'), 2);
      assert.equal(await store.bumpTokenGen('nobody'), null);
      store = await h.reopen();
      assert.equal((await store.getUser('u1'))?.tokenGen, 1);
      assert.equal((await store.getUser('g1'))?.tokenGen, 2);
    });

    it('deleteAccount: row kept and marked, name reserved, memberships of rooms gone, DM and messages kept', async () => {
      await store.createUser(user('u1', 'ann'));
      await store.createUser(user('u2', 'bob'));
      await store.createRoom({ id: 'pub', kind: 'public', createdBy: 'u1', createdAt: T0 }, ['u1', 'u2']);
      await store.createRoom({ id: 'priv', kind: 'private', createdBy: 'u1', createdAt: T0 }, ['u1']);
      const dm = dmRoomId('u1', 'u2');
      await store.createRoom({ id: dm, kind: 'dm', createdBy: 'u1', createdAt: T0 }, ['u1', 'u2']);
      await store.append([{ room: 'pub', id: 'm1', uid: 'u1', user: 'ann', text: 'kept words', ts: T0 + 1 }]);
      await store.append([{ room: dm, id: 'm2', uid: 'u1', user: 'ann', text: 'dm words', ts: T0 + 2 }]);

      const r = await store.deleteAccount('u1', T0 + 100);
      assert.deepEqual(r, { rooms: ['priv', 'pub'] });
      const u = await store.getUser('u1');
      assert.equal(u?.deletedAt, T0 + 100);
      assert.equal(u?.passwordHash, null);
      assert.equal(u?.tokenGen, 1);
      assert.equal((await store.findAccount('ann'))?.id, 'u1', 'the name stays reserved');
      assert.equal(await store.findUserByName('ann'), null, 'nobody to DM or invite');
      assert.equal(await store.isMember('pub', 'u1'), false);
      assert.equal(await store.isMember('priv', 'u1'), false);
      assert.equal(await store.isMember('pub', 'u2'), true);
      assert.equal(await store.isMember(dm, 'u2'), true);
      assert.deepEqual((await store.history('pub', { limit: 10 })).map((m) => [m.uid, m.user, m.text]), [['u1', 'ann', 'kept words']]);
      assert.deepEqual((await store.history(dm, { limit: 10 })).map((m) => m.text), ['dm words']);
      // Once only; guests and unknown users are not accounts; a deleted account takes no new password.
      assert.equal(await store.deleteAccount('u1', T0 + 200), null);
      assert.equal(await store.setPassword('u1', 'again'), null);
      await store.createUser(user('g1', 'gus', false));
      assert.equal(await store.deleteAccount('g1', T0), null);
      assert.equal(await store.deleteAccount('nobody', T0), null);
      store = await h.reopen();
      assert.equal((await store.getUser('u1'))?.deletedAt, T0 + 100);
    });
  });
}
