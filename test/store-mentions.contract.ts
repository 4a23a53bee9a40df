/**
 * The Store contract, mentions and unread counts (docs/protocol.md 3.2, 6.1, 7.1): resolution of `@name`
 * tokens in the append (members only; every user in `general`; look-alikes fold), storage with the
 * message (history, search, restart), and the per-room `unread` / `mentions` counts of listUserRooms.
 * Run by test/store.contract.ts against every Store.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { GLOBAL_ROOM } from '../src/protocol/rules.js';
import { MAX_MENTIONS, UNREAD_CAP } from '../src/protocol/types.js';
import { nameKey } from '../src/server/common/name-key.js';
import { mentionTokens } from '../src/server/hub/mentions.js';
import { searchWords } from '../src/server/store/search.js';
import type { NewMessage, Store, UserRecord } from '../src/server/store/store.js';
import type { StoreFactory, StoreHarness } from './store.contract.js';

const T0 = 1_700_000_000_000;
let n = 0;

function user(id: string, name: string, account = true, createdAt = T0): UserRecord {
  return { id, name, nameKey: nameKey(name), account, passwordHash: account ? `$argon2id$v=19$m=19456,t=2,p=1$${id}` : null, createdAt };
}

/** A send as the hub submits it: its mention tokens from the text (@room allowed). */
function send(room: string, uid: string, text: string): NewMessage {
  const i = ++n;
  const m: NewMessage = { room, id: `mm${i}`, uid, user: `name-${uid}`, text, ts: T0 + i };
  const t = mentionTokens(text, true);
  if (t?.tokens.length) m.mentionTokens = t.tokens;
  if (t?.all) m.mentionAll = true;
  return m;
}

export function storeMentionsContract(name: string, makeStore: StoreFactory): void {
  describe(`Store contract (mentions, unread counts): ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    beforeEach(async () => {
      h = await makeStore();
      store = h.store;
      await store.createUser(user('ua', 'alice'));
      await store.createUser(user('ub', 'bob'));
      await store.createUser(user('uc', 'carol'));
      await store.createRoom({ id: 'team', kind: 'private', createdBy: 'ua', createdAt: T0 }, ['ua', 'ub']);
    });
    afterEach(async () => {
      await h.cleanup();
    });

    const one = async (m: NewMessage) => (await store.append([m]))[0].message;
    const counts = async (uid: string, room: string) => {
      const r = (await store.listUserRooms(uid, { counts: true })).find((x) => x.id === room)!;
      return { unread: r.unread, mentions: r.mentions };
    };

    it('resolves @name to members of the room only, in text order, each once; unknown names stay text', async () => {
      const m = await one(send('team', 'ub', '@alice hi @carol @nobody and @ALICE again, @bob.'));
      // carol is not a member of the private room: not mentioned; bob (the author) is.
      assert.deepEqual(m.mentions, [{ id: 'ua', name: 'alice' }, { id: 'ub', name: 'bob' }]);
      assert.equal(m.mentionAll, undefined);
      const [stored] = await store.history('team', { limit: 10 });
      assert.deepEqual(stored.mentions, m.mentions);
    });

    it('in general every user can be mentioned; look-alike names fold to the user; an email is no mention', async () => {
      // Cyrillic а in "саrol", fullwidth ｂｏｂ.
      const m = await one(send(GLOBAL_ROOM, 'ua', 'cc @саrol and @ｂｏｂ, mail me at x@alice.example'));
      assert.deepEqual(m.mentions, [{ id: 'uc', name: 'carol' }, { id: 'ub', name: 'bob' }]);
    });

    it('stores @room; an edit keeps the mentions of the send; search results carry them; they survive a restart', async () => {
      const m = await one(send('team', 'ua', '@room meeting with @bob'));
      assert.equal(m.mentionAll, true);
      await store.append([{ room: 'team', id: `e${++n}`, uid: 'ua', user: 'alice', text: '', ts: T0 + n, change: { kind: 'edit', target: m.seq, text: 'meeting without anyone' } }]);
      const [edited] = await store.history('team', { limit: 1, before: m.seq + 1 });
      assert.equal(edited.text, 'meeting without anyone');
      assert.deepEqual(edited.mentions, [{ id: 'ub', name: 'bob' }]);
      assert.equal(edited.mentionAll, true);
      const hits = await store.search('ub', { words: searchWords('meeting'), order: 'newest', limit: 5 });
      assert.deepEqual(hits[0].mentions, [{ id: 'ub', name: 'bob' }]);
      const again = await h.reopen();
      const [after] = await again.history('team', { limit: 1, before: m.seq + 1 });
      assert.deepEqual(after.mentions, [{ id: 'ub', name: 'bob' }]);
      assert.equal(after.mentionAll, true);
    });

    it('bounds the mentions of one message', async () => {
      for (let i = 0; i < MAX_MENTIONS + 5; i++) await store.createUser(user(`ux${i}`, `user${i}`));
      const text = Array.from({ length: MAX_MENTIONS + 5 }, (_, i) => `@user${i}`).join(' ');
      const m = await one(send(GLOBAL_ROOM, 'ua', text));
      assert.equal(m.mentions?.length, MAX_MENTIONS);
      assert.equal(m.mentions?.[0].id, 'ux0');
    });

    it('unread counts messages of others after the read marker: not own messages, tombstones or change events; mentions count @name and @room', async () => {
      const a1 = await one(send('team', 'ua', 'hello bob')); // alice's own: never unread for her
      const b1 = await one(send('team', 'ub', 'hi @alice'));
      await one(send('team', 'ub', 'plain'));
      const b3 = await one(send('team', 'ub', '@room lunch?'));
      // Changes: a reaction and an edit by bob, a removal of one of bob's messages.
      await store.append([{ room: 'team', id: `r${++n}`, uid: 'ub', user: 'bob', text: '', ts: T0 + n, change: { kind: 'react', target: a1.seq, emoji: '👍', on: true } }]);
      await store.append([{ room: 'team', id: `e${++n}`, uid: 'ub', user: 'bob', text: '', ts: T0 + n, change: { kind: 'edit', target: b1.seq, text: 'hi @alice (edited)' } }]);
      assert.deepEqual(await counts('ua', 'team'), { unread: 3, mentions: 2 });
      assert.deepEqual(await counts('ub', 'team'), { unread: 1, mentions: 0 });
      // A removed message counts no more (nor its mention).
      await store.append([{ room: 'team', id: `x${++n}`, uid: 'ub', user: 'bob', text: '', ts: T0 + n, change: { kind: 'remove', target: b3.seq } }]);
      assert.deepEqual(await counts('ua', 'team'), { unread: 2, mentions: 1 });
      // Reading up to b1 leaves one unread, no mention; reading all leaves none.
      await store.setReadMarker('ua', 'team', b1.seq);
      assert.deepEqual(await counts('ua', 'team'), { unread: 1, mentions: 0 });
      const last = (await store.getRoom('team'))!.lastSeq;
      await store.setReadMarker('ua', 'team', last);
      assert.deepEqual(await counts('ua', 'team'), { unread: 0, mentions: 0 });
      // Without `counts`, none are computed.
      const plain = (await store.listUserRooms('ua')).find((r) => r.id === 'team')!;
      assert.equal(plain.unread, undefined);
      assert.equal(plain.mentions, undefined);
    });

    it('counts in general too, survive a restart, stop at UNREAD_CAP and go with a room reset', async () => {
      const batch: NewMessage[] = [];
      for (let i = 0; i < UNREAD_CAP + 10; i++) batch.push(send(GLOBAL_ROOM, 'ub', i % 2 ? `@alice ${i}` : `msg ${i}`));
      await store.append(batch);
      assert.deepEqual(await counts('ua', GLOBAL_ROOM), { unread: UNREAD_CAP, mentions: Math.floor((UNREAD_CAP + 10) / 2) });
      const again = await h.reopen();
      store = again;
      assert.deepEqual(await counts('ua', GLOBAL_ROOM), { unread: UNREAD_CAP, mentions: Math.floor((UNREAD_CAP + 10) / 2) });
      await one(send('team', 'ub', '@alice in team'));
      assert.deepEqual(await counts('ua', 'team'), { unread: 1, mentions: 1 });
      await again.resetRoom('team');
      assert.deepEqual(await counts('ua', 'team'), { unread: 0, mentions: 0 });
    });
  });
}
