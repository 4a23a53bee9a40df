/**
 * The Store contract, API keys and bot users (docs/api.md): a key and its bot user are stored together;
 * the bot's name is unique like an account's (a second bot or an account with it is refused, nothing
 * written); the key is read back with its hash and scopes, listed newest first, revoked once (the first
 * time kept), its last use moves forward only; a bot's messages carry `bot` through history, duplicates
 * and a reopen. Run by test/store.contract.ts against every Store.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { StoreConflictError, type ApiKeyRecord, type Store, type UserRecord } from '../src/server/store/store.js';
import type { StoreFactory, StoreHarness } from './store.contract.js';

const T0 = 1_700_000_000_000;

function bot(id: string, name: string): UserRecord {
  return { id, name, nameKey: name.toLowerCase(), account: true, passwordHash: null, createdAt: T0, bot: true };
}
function key(id: string, uid: string, name: string, at = T0): ApiKeyRecord {
  return { id, name, uid, secretHash: createHash('sha256').update(id).digest(), scopes: ['publish', 'history'], createdAt: at, createdBy: 'uadmin', createdByName: 'root' };
}

export function storeApiKeysContract(name: string, makeStore: StoreFactory): void {
  describe(`Store contract (API keys): ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    beforeEach(async () => {
      h = await makeStore();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('stores a key with its bot user; reads it back with hash and scopes', async () => {
      await store.createApiKey(key('00000000000000a1', 'ub1', 'deploybot'), bot('ub1', 'deploybot'));
      const k = await store.getApiKey('00000000000000a1');
      assert.ok(k);
      assert.equal(k.uid, 'ub1');
      assert.equal(k.name, 'deploybot');
      assert.deepEqual(k.scopes, ['publish', 'history']);
      assert.ok(k.secretHash.equals(createHash('sha256').update('00000000000000a1').digest()));
      assert.equal(k.createdByName, 'root');
      assert.equal(k.revokedAt, undefined);
      assert.equal(k.lastUsedAt, undefined);
      const u = await store.getUser('ub1');
      assert.equal(u?.bot, true);
      assert.equal(u?.account, true);
      assert.equal(u?.passwordHash, null);
      // Its name is reserved like an account's.
      assert.equal((await store.findAccount('deploybot'))?.id, 'ub1');
      assert.equal(await store.getApiKey('ffffffffffffffff'), null);
    });

    it("the bot's name is unique among accounts and bots: nothing written on a conflict", async () => {
      await store.createUser({ id: 'u1', name: 'ann', nameKey: 'ann', account: true, passwordHash: 'x', createdAt: T0 });
      await assert.rejects(store.createApiKey(key('00000000000000a2', 'ub2', 'ann'), bot('ub2', 'ann')), StoreConflictError);
      assert.equal(await store.getApiKey('00000000000000a2'), null);
      assert.equal(await store.getUser('ub2'), null);
      await store.createApiKey(key('00000000000000a3', 'ub3', 'relay'), bot('ub3', 'relay'));
      await assert.rejects(store.createApiKey(key('00000000000000a4', 'ub4', 'relay'), bot('ub4', 'relay')), StoreConflictError);
      // An account cannot take a bot's name either.
      await assert.rejects(store.createUser({ id: 'u5', name: 'relay', nameKey: 'relay', account: true, passwordHash: 'x', createdAt: T0 }), StoreConflictError);
    });

    it('lists newest first; revokes once; last use only moves forward', async () => {
      await store.createApiKey(key('00000000000000b1', 'ub1', 'one', T0), bot('ub1', 'one'));
      await store.createApiKey(key('00000000000000b2', 'ub2', 'two', T0 + 1000), bot('ub2', 'two'));
      assert.deepEqual((await store.listApiKeys(10)).map((k) => k.id), ['00000000000000b2', '00000000000000b1']);
      assert.equal((await store.listApiKeys(1)).length, 1);
      const r = await store.revokeApiKey('00000000000000b1', T0 + 5000);
      assert.equal(r?.revokedAt, T0 + 5000);
      assert.equal((await store.revokeApiKey('00000000000000b1', T0 + 9000))?.revokedAt, T0 + 5000);
      assert.equal(await store.revokeApiKey('ffffffffffffffff', T0), null);
      await store.touchApiKey('00000000000000b2', T0 + 2000);
      await store.touchApiKey('00000000000000b2', T0 + 1500);
      assert.equal((await store.getApiKey('00000000000000b2'))?.lastUsedAt, T0 + 2000);
      const s2 = await h.reopen();
      assert.equal((await s2.getApiKey('00000000000000b1'))?.revokedAt, T0 + 5000);
    });

    it("a bot's messages carry the flag in the append result, history (after a reopen) and a duplicate's original", async () => {
      await store.createApiKey(key('00000000000000c1', 'ub1', 'news'), bot('ub1', 'news'));
      await store.createUser({ id: 'u2', name: 'ann', nameKey: 'ann', account: false, passwordHash: null, createdAt: T0 });
      const [a, b] = await store.append([
        { room: 'general', id: 'm1', uid: 'ub1', user: 'news', text: 'from the bot', ts: T0, bot: true },
        { room: 'general', id: 'm2', uid: 'u2', user: 'ann', text: 'from a person', ts: T0 },
      ]);
      assert.equal(a.message.bot, true);
      assert.equal(b.message.bot, undefined);
      const [again] = await store.append([{ room: 'general', id: 'm1', uid: 'ub1', user: 'news', text: 'from the bot', ts: T0 + 1, bot: true }]);
      assert.equal(again.duplicate, true);
      assert.equal(again.message.seq, a.message.seq);
      // A reply and a change by the bot (the stores' transaction path) carry it too.
      const [reply] = await store.append([{ room: 'general', id: 'm3', uid: 'ub1', user: 'news', text: 'a reply', ts: T0 + 2, replyTo: a.message.seq, bot: true }]);
      assert.equal(reply.message.bot, true);
      const [edit] = await store.append([{ room: 'general', id: 'm4', uid: 'ub1', user: 'news', text: '', ts: T0 + 3, change: { kind: 'edit', target: a.message.seq, text: 'edited by the bot' }, bot: true }]);
      assert.equal(edit.refused, undefined);
      const s2 = await h.reopen();
      const page = await s2.history('general', { limit: 10 });
      assert.deepEqual(page.map((m) => [m.id, m.bot ?? false]), [['m1', true], ['m2', false], ['m3', true], ['m4', true]]);
      assert.equal(page[0].text, 'edited by the bot');
    });
  });
}
