/**
 * The Store contract: every Store implementation (SQLite, PostgreSQL) must pass this suite unchanged.
 * Its sections test the ChatStore (init, users, rooms, membership, append, history, read markers, settings,
 * guest expiry, persistence, volume) and the AdminStore (administration); `idempotency across admin actions`
 * checks where the two meet.
 *
 * Usage, in a `*.test.ts` file:
 *   storeContract('sqlite', async () => ({ store, reopen, cleanup }));
 *
 * `makeStore` is called once per test and must return:
 *  - `store`: an initialized (`init()` already awaited) Store over fresh, empty data;
 *  - `reopen()`: a new, initialized Store over the same data (the suite closes the previous one first), used to
 *    check persistence across a restart;
 *  - `cleanup()`: closes every store the harness opened (`close()` is idempotent) and deletes the data.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { GLOBAL_ROOM, dmRoomId } from '../src/protocol/rules.js';
import type { RoomKind } from '../src/protocol/types.js';
import type { NewMessage, SearchQuery, Store, StoredMessage, UserRecord } from '../src/server/store/store.js';
import { searchWords } from '../src/server/store/search.js';
import { StoreConflictError } from '../src/server/store/store.js';
import { storeMentionsContract } from './store-mentions.contract.js';
import { storeAccountsContract } from './store-accounts.contract.js';
import { storeApiKeysContract } from './store-api-keys.contract.js';

export interface StoreHarness {
  store: Store;
  reopen: () => Promise<Store>;
  cleanup: () => Promise<void>;
}

export type StoreFactory = () => Promise<StoreHarness>;

const T0 = 1_700_000_000_000;

function user(id: string, name: string, account: boolean, createdAt = T0): UserRecord {
  return {
    id,
    name,
    nameKey: name.normalize('NFC').toLowerCase(),
    account,
    passwordHash: account ? `$argon2id$v=19$m=19456,t=2,p=1$${id}` : null,
    createdAt,
  };
}

let msgCounter = 0;
function msg(room: string, uid: string, id?: string, text?: string, ts?: number): NewMessage {
  const n = ++msgCounter;
  return { room, id: id ?? `m${n}`, uid, user: `name-${uid}`, text: text ?? `hello ${n}`, ts: ts ?? T0 + n };
}

function room(id: string, kind: RoomKind = 'public', createdBy: string | null = 'u1', createdAt = T0) {
  return { id, kind, createdBy, createdAt };
}

const seqs = (ms: StoredMessage[]): number[] => ms.map((m) => m.seq);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export function storeContract(name: string, makeStore: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      h = await makeStore();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    describe('init', () => {
      it('creates the general room (kind global, empty)', async () => {
        const g = await store.getRoom(GLOBAL_ROOM);
        assert.ok(g);
        assert.equal(g.id, GLOBAL_ROOM);
        assert.equal(g.kind, 'global');
        assert.equal(g.lastSeq, 0);
        assert.equal(g.createdBy, null);
        assert.equal(typeof g.createdAt, 'number');
      });

      it('is idempotent and keeps data', async () => {
        await store.append([msg(GLOBAL_ROOM, 'u1')]);
        await store.init();
        await store.init();
        assert.equal((await store.getRoom(GLOBAL_ROOM))!.lastSeq, 1);
        assert.equal((await store.history(GLOBAL_ROOM, { limit: 10 })).length, 1);
      });

      it('reports its kind', () => {
        assert.ok(store.kind === 'sqlite' || store.kind === 'postgres');
      });
    });

    describe('users', () => {
      it('createUser / getUser round-trip every field', async () => {
        const a = user('u-acc', 'Alice', true, T0 + 5);
        const g = user('u-guest', 'Bob', false, T0 + 6);
        await store.createUser(a);
        await store.createUser(g);
        assert.deepEqual(await store.getUser('u-acc'), a);
        assert.deepEqual(await store.getUser('u-guest'), g);
        assert.equal(await store.getUser('nobody'), null);
      });

      it('keeps display names exactly (unicode, case)', async () => {
        const u = user('u-uni', 'Zoë_Ünïcødé', true);
        await store.createUser(u);
        const got = await store.getUser('u-uni');
        assert.equal(got!.name, 'Zoë_Ünïcødé');
        assert.equal(got!.nameKey, 'zoë_ünïcødé');
      });

      it('a second account with the same name key is a StoreConflictError', async () => {
        await store.createUser(user('a1', 'Alice', true));
        await assert.rejects(store.createUser(user('a2', 'ALICE', true)), (err: unknown) => {
          assert.ok(err instanceof StoreConflictError, `expected StoreConflictError, got ${String(err)}`);
          return true;
        });
        assert.equal(await store.getUser('a2'), null);
        assert.equal((await store.findAccount('alice'))!.id, 'a1');
      });

      it('guests may share a name key with each other and with an account', async () => {
        await store.createUser(user('g1', 'carol', false, T0 + 1));
        await store.createUser(user('g2', 'Carol', false, T0 + 2));
        await store.createUser(user('a1', 'CAROL', true, T0 + 3));
        await store.createUser(user('g3', 'carol', false, T0 + 4));
        assert.equal((await store.getUser('g1'))!.nameKey, 'carol');
        assert.equal((await store.getUser('g2'))!.nameKey, 'carol');
        assert.equal((await store.getUser('g3'))!.nameKey, 'carol');
        assert.equal((await store.getUser('a1'))!.account, true);
      });

      it('findAccount returns accounts only', async () => {
        await store.createUser(user('g1', 'dave', false));
        assert.equal(await store.findAccount('dave'), null);
        await store.createUser(user('a1', 'Dave', true));
        const acc = await store.findAccount('dave');
        assert.equal(acc!.id, 'a1');
        assert.equal(acc!.account, true);
        assert.equal(acc!.passwordHash, user('a1', 'Dave', true).passwordHash);
        assert.equal(await store.findAccount('Dave'), null, 'lookups are by the key, not the display name');
        assert.equal(await store.findAccount('nobody'), null);
      });

      it('findUserByName: the account when there is one, else the newest guest', async () => {
        assert.equal(await store.findUserByName('erin'), null);
        await store.createUser(user('g1', 'erin', false, T0 + 1));
        await store.createUser(user('g2', 'Erin', false, T0 + 3));
        await store.createUser(user('g0', 'ERIN', false, T0 + 2));
        assert.equal((await store.findUserByName('erin'))!.id, 'g2');
        await store.createUser(user('a1', 'Erin', true, T0 + 0));
        await store.createUser(user('g9', 'erin', false, T0 + 9));
        assert.equal((await store.findUserByName('erin'))!.id, 'a1');
      });

      it('a duplicate user id is rejected', async () => {
        await store.createUser(user('same', 'frank', false));
        await assert.rejects(store.createUser(user('same', 'grace', false)));
        assert.equal((await store.getUser('same'))!.name, 'frank');
      });

      it('users created at once (a burst of handshakes): a conflict refuses only its own user', async () => {
        await store.createUser(user('a0', 'Heidi', true));
        const burst = [user('b1', 'ivan', false), user('b2', 'HEIDI', true), user('b3', 'judy', true), user('b4', 'ivan', false)];
        const results = await Promise.allSettled(burst.map((u) => store.createUser(u)));
        assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
        const refused = results[1] as PromiseRejectedResult;
        assert.ok(refused.reason instanceof StoreConflictError, `expected StoreConflictError, got ${String(refused.reason)}`);
        for (const id of ['b1', 'b3', 'b4']) assert.equal((await store.getUser(id))!.id, id, `${id} is stored`);
        assert.equal(await store.getUser('b2'), null);
        assert.equal((await store.findAccount('heidi'))!.id, 'a0');
      });
    });

    describe('rooms', () => {
      it('createRoom / getRoom; false when the id exists', async () => {
        assert.equal(await store.createRoom(room('lobby', 'public', 'u1', T0 + 7), []), true);
        assert.deepEqual(await store.getRoom('lobby'), {
          id: 'lobby',
          kind: 'public',
          createdBy: 'u1',
          createdAt: T0 + 7,
          lastSeq: 0,
        });
        assert.equal(await store.createRoom(room('lobby', 'private', 'u2', T0 + 8), ['u2']), false);
        assert.equal((await store.getRoom('lobby'))!.kind, 'public', 'the existing room is unchanged');
        assert.equal(await store.isMember('lobby', 'u2'), false, 'members of a refused create are not added');
        assert.equal(await store.createRoom(room(GLOBAL_ROOM, 'public'), []), false);
        assert.equal(await store.getRoom('nope'), null);
      });

      it('createRoom adds the members in the same call (duplicates tolerated)', async () => {
        assert.equal(await store.createRoom(room('team', 'private', 'u1'), ['u1', 'u2', 'u1']), true);
        assert.equal(await store.isMember('team', 'u1'), true);
        assert.equal(await store.isMember('team', 'u2'), true);
        assert.equal(await store.isMember('team', 'u3'), false);
        assert.equal((await store.listMembers('team', 100)).total, 2);
      });

      it('stores every kind', async () => {
        for (const kind of ['public', 'private', 'dm'] as const) {
          await store.createRoom(room(`k-${kind}`, kind, null), []);
          assert.equal((await store.getRoom(`k-${kind}`))!.kind, kind);
          assert.equal((await store.getRoom(`k-${kind}`))!.createdBy, null);
        }
      });

      it('listPublicRooms: public only, most recently active first, limited', async () => {
        await store.createRoom(room('old', 'public', 'u1', T0 + 1), []);
        await store.createRoom(room('mid', 'public', 'u1', T0 + 2), []);
        await store.createRoom(room('new', 'public', 'u1', T0 + 3), []);
        await store.createRoom(room('secret', 'private', 'u1', T0 + 4), []);
        await store.createRoom(room(dmRoomId('u1', 'u2'), 'dm', 'u1', T0 + 5), ['u1', 'u2']);
        assert.deepEqual(
          (await store.listPublicRooms(10)).map((r) => r.id),
          ['new', 'mid', 'old'],
        );
        // A message makes a room the most recently active.
        await store.append([msg('old', 'u1', 'x1', 'hi', T0 + 100)]);
        const list = await store.listPublicRooms(10);
        assert.deepEqual(
          list.map((r) => r.id),
          ['old', 'new', 'mid'],
        );
        assert.equal(list[0].lastSeq, 1);
        assert.deepEqual(
          (await store.listPublicRooms(2)).map((r) => r.id),
          ['old', 'new'],
        );
        assert.deepEqual(await store.listPublicRooms(0), []);
      });
    });

    describe('membership', () => {
      beforeEach(async () => {
        await store.createUser(user('u1', 'Uno', true));
        await store.createUser(user('u2', 'Dos', false));
        await store.createRoom(room('r1'), []);
      });

      it('addMember / removeMember report changes; isMember follows', async () => {
        assert.equal(await store.isMember('r1', 'u1'), false);
        assert.equal(await store.addMember('r1', 'u1'), true);
        assert.equal(await store.addMember('r1', 'u1'), false);
        assert.equal(await store.isMember('r1', 'u1'), true);
        assert.equal(await store.isMember('r1', 'u2'), false);
        assert.equal(await store.removeMember('r1', 'u1'), true);
        assert.equal(await store.removeMember('r1', 'u1'), false);
        assert.equal(await store.isMember('r1', 'u1'), false);
        assert.equal(await store.removeMember('r1', 'never'), false);
        assert.equal(await store.addMember('r1', 'u1'), true, 'can rejoin');
      });

      it('general is implicit: everyone is a member', async () => {
        assert.equal(await store.isMember(GLOBAL_ROOM, 'u1'), true);
        assert.equal(await store.isMember(GLOBAL_ROOM, 'someone-unknown'), true);
        const rooms = await store.listUserRooms('someone-unknown');
        assert.deepEqual(
          rooms.map((r) => r.id),
          [GLOBAL_ROOM],
        );
        assert.equal(rooms[0].kind, 'global');
        assert.equal(rooms[0].members, 0);
        assert.equal(rooms[0].lastRead, 0);
      });

      it('listMembers returns names and the total, limited', async () => {
        await store.addMember('r1', 'u1');
        await store.addMember('r1', 'u2');
        const all = await store.listMembers('r1', 100);
        assert.equal(all.total, 2);
        assert.deepEqual(
          [...all.members].sort((a, b) => a.id.localeCompare(b.id)),
          [
            { id: 'u1', name: 'Uno' },
            { id: 'u2', name: 'Dos' },
          ],
        );
        const one = await store.listMembers('r1', 1);
        assert.equal(one.members.length, 1);
        assert.equal(one.total, 2);
        assert.deepEqual(await store.listMembers('nope', 10), { members: [], total: 0 });
      });

      it('listUserRooms: general first plus every room the user is in, with counts and markers', async () => {
        await store.createRoom(room('r2', 'private', 'u1'), ['u1', 'u2']);
        await store.createRoom(room('r3', 'public', 'u2'), ['u2']);
        await store.addMember('r1', 'u1');
        await store.append([msg('r2', 'u1'), msg('r2', 'u2'), msg('r2', 'u1'), msg(GLOBAL_ROOM, 'u2')]);
        await store.setReadMarker('u1', 'r2', 2);
        await store.setReadMarker('u1', GLOBAL_ROOM, 1);

        const rooms = await store.listUserRooms('u1');
        assert.equal(rooms[0].id, GLOBAL_ROOM, 'general comes first');
        const byId = new Map(rooms.map((r) => [r.id, r]));
        assert.deepEqual([...byId.keys()].sort(), [GLOBAL_ROOM, 'r1', 'r2'].sort());
        assert.equal(rooms.length, 3);
        assert.equal(byId.get(GLOBAL_ROOM)!.lastRead, 1);
        assert.equal(byId.get(GLOBAL_ROOM)!.lastSeq, 1);
        assert.equal(byId.get(GLOBAL_ROOM)!.members, 0);
        const r2 = byId.get('r2')!;
        assert.equal(r2.kind, 'private');
        assert.equal(r2.lastSeq, 3);
        assert.equal(r2.lastRead, 2);
        assert.equal(r2.members, 2);
        assert.equal(r2.createdBy, 'u1');
        assert.equal(r2.peer, undefined);
        const r1 = byId.get('r1')!;
        assert.equal(r1.lastRead, 0);
        assert.equal(r1.members, 1);

        assert.deepEqual((await store.listUserRoomIds('u1')).sort(), [GLOBAL_ROOM, 'r1', 'r2'].sort(), 'listUserRoomIds: the same rooms');
        await store.removeMember('r2', 'u1');
        assert.deepEqual((await store.listUserRooms('u1')).map((r) => r.id).sort(), [GLOBAL_ROOM, 'r1'].sort());
        assert.deepEqual((await store.listUserRoomIds('u1')).sort(), [GLOBAL_ROOM, 'r1'].sort(), 'listUserRoomIds after leaving');
        assert.deepEqual(await store.listUserRoomIds('someone-unknown'), [GLOBAL_ROOM], 'only general for a stranger');
      });

      it('listUserRooms: DM rooms carry the peer', async () => {
        const dm = dmRoomId('u1', 'u2');
        await store.createRoom(room(dm, 'dm', 'u1'), ['u1', 'u2']);
        const r1 = (await store.listUserRooms('u1')).find((r) => r.id === dm);
        assert.ok(r1);
        assert.equal(r1.kind, 'dm');
        assert.equal(r1.members, 2);
        assert.deepEqual(r1.peer, { id: 'u2', name: 'Dos' });
        const r2 = (await store.listUserRooms('u2')).find((r) => r.id === dm);
        assert.deepEqual(r2!.peer, { id: 'u1', name: 'Uno' });
      });
    });

    describe('append', () => {
      beforeEach(async () => {
        await store.createRoom(room('a'), []);
        await store.createRoom(room('b'), []);
      });

      it('assigns seqs per room, in batch order, starting at 1', async () => {
        const batch = [msg('a', 'u1'), msg('b', 'u1'), msg('a', 'u2'), msg(GLOBAL_ROOM, 'u1'), msg('a', 'u1')];
        const res = await store.append(batch);
        assert.equal(res.length, batch.length);
        assert.deepEqual(
          res.map((r) => [r.message.room, r.message.seq, r.duplicate]),
          [
            ['a', 1, false],
            ['b', 1, false],
            ['a', 2, false],
            [GLOBAL_ROOM, 1, false],
            ['a', 3, false],
          ],
        );
        for (let i = 0; i < batch.length; i++) assert.deepEqual(res[i].message, { ...batch[i], seq: res[i].message.seq });
        assert.equal((await store.getRoom('a'))!.lastSeq, 3);
        assert.equal((await store.getRoom('b'))!.lastSeq, 1);
        assert.equal((await store.getRoom(GLOBAL_ROOM))!.lastSeq, 1);
        const more = await store.append([msg('b', 'u3'), msg('a', 'u3')]);
        assert.deepEqual(
          more.map((r) => r.message.seq),
          [2, 4],
        );
      });

      it('an empty batch is a no-op', async () => {
        assert.deepEqual(await store.append([]), []);
      });

      it('stores every field exactly (unicode, long text)', async () => {
        const text = 'héllo 👋 \t\n "quotes" \\ ' + 'x'.repeat(4000);
        const m: NewMessage = { room: 'a', id: 'id-ü-1', uid: 'u-ß', user: 'Zoë', text, ts: T0 + 42 };
        const [r] = await store.append([m]);
        assert.deepEqual(r.message, { ...m, seq: 1 });
        assert.deepEqual(await store.history('a', { limit: 5 }), [{ ...m, seq: 1 }]);
      });

      it('seqs are strictly increasing and gap-free across batches and concurrent calls', async () => {
        const calls: Promise<unknown>[] = [];
        for (let c = 0; c < 20; c++) {
          calls.push(store.append(Array.from({ length: 5 }, (_, i) => msg(i % 2 ? 'a' : 'b', `u${c}`))));
        }
        await Promise.all(calls);
        const a = await store.history('a', { after: 0, limit: 1000 });
        const b = await store.history('b', { after: 0, limit: 1000 });
        assert.deepEqual(seqs(a), range(1, 40));
        assert.deepEqual(seqs(b), range(1, 60));
        assert.equal((await store.getRoom('a'))!.lastSeq, 40);
        assert.equal((await store.getRoom('b'))!.lastSeq, 60);
      });

      it('is idempotent by (uid, id): a repeat returns the original, writes nothing', async () => {
        const first = await store.append([msg('a', 'u1', 'cid-1', 'original', T0 + 1)]);
        assert.equal(first[0].duplicate, false);
        await store.append([msg('a', 'u2', 'cid-1', 'same id, other author')]);
        assert.equal(first[0].conflict, false);
        const resend = await store.append([msg('a', 'u1', 'cid-1', 'original', T0 + 50)]);
        assert.deepEqual([resend[0].duplicate, resend[0].conflict], [true, false], 'a true resend');
        assert.deepEqual(resend[0].message, first[0].message, 'the original ts, not the resend’s');
        const again = await store.append([msg('a', 'u1', 'cid-1', 'retry with other text', T0 + 99)]);
        assert.equal(again[0].duplicate, true);
        assert.equal(again[0].conflict, true, 'another text under the same id');
        assert.deepEqual(again[0].message, first[0].message);
        assert.equal(again[0].message.text, 'original');
        // Even when the retry names another room, the original is returned.
        const other = await store.append([msg('b', 'u1', 'cid-1', 'original')]);
        assert.equal(other[0].duplicate, true);
        assert.equal(other[0].conflict, true, 'another room under the same id');
        assert.deepEqual(other[0].message, first[0].message);
        assert.equal((await store.getRoom('a'))!.lastSeq, 2);
        assert.equal((await store.getRoom('b'))!.lastSeq, 0);
        assert.deepEqual(seqs(await store.history('a', { limit: 10 })), [1, 2]);
      });

      it('is idempotent within one batch (the first occurrence wins)', async () => {
        const res = await store.append([
          msg('a', 'u1', 'dup', 'first'),
          msg('a', 'u1', 'other'),
          msg('a', 'u1', 'dup', 'second'),
          msg('b', 'u1', 'dup', 'third'),
        ]);
        assert.deepEqual(
          res.map((r) => [r.message.seq, r.duplicate, r.conflict]),
          [
            [1, false, false],
            [2, false, false],
            [1, true, true],
            [1, true, true],
          ],
        );
        assert.equal(res[2].message.text, 'first');
        assert.equal(res[3].message.room, 'a');
        assert.equal((await store.getRoom('a'))!.lastSeq, 2);
        assert.equal((await store.getRoom('b'))!.lastSeq, 0);
        const same = await store.append([msg('a', 'u1', 'twice', 'same'), msg('a', 'u1', 'twice', 'same')]);
        assert.deepEqual(
          same.map((r) => [r.message.seq, r.duplicate, r.conflict]),
          [
            [3, false, false],
            [3, true, false],
          ],
          'a true repeat in one batch is no conflict',
        );
      });

      it('appending to an unknown room throws, and the whole batch is rolled back', async () => {
        await assert.rejects(store.append([msg('a', 'u1', 'ok-1'), msg('no-such-room', 'u1', 'bad-1')]));
        assert.equal((await store.getRoom('a'))!.lastSeq, 0);
        assert.deepEqual(await store.history('a', { limit: 10 }), []);
        // Nothing of the failed batch was recorded for idempotency either.
        const [r] = await store.append([msg('a', 'u1', 'ok-1')]);
        assert.equal(r.duplicate, false);
        assert.equal(r.message.seq, 1);
      });
    });

    describe('message changes (replies, edits, removals, reactions: docs/protocol.md 6.15)', () => {
      const change = (m: NewMessage, c: NonNullable<NewMessage['change']>, extra: Partial<NewMessage> = {}): NewMessage => ({ ...m, text: '', change: c, ...extra });
      const at = async (r: string, seq: number) => (await store.history(r, { after: seq - 1, limit: 1 }))[0];
      beforeEach(async () => {
        await store.createRoom(room('c'), []);
        await store.append([msg('c', 'u1', 'orig', 'helo', T0 + 10), msg('c', 'u2', 'other', 'hi', T0 + 11)]);
      });

      it('a reply references a message of its room; a reply to nothing is refused alone, using no seq', async () => {
        const res = await store.append([{ ...msg('c', 'u2', 'r1', 'yes', T0 + 20), replyTo: 1 }, { ...msg('c', 'u2', 'r2', 'no', T0 + 21), replyTo: 99 }, msg('c', 'u2', 'r3', 'after')]);
        assert.equal(res[0].message.seq, 3);
        assert.equal(res[0].message.replyTo, 1);
        assert.equal(res[1].refused?.code, 'no_such_message');
        assert.equal(res[2].message.seq, 4, 'the refused reply took no seq');
        assert.equal((await at('c', 3)).replyTo, 1);
        assert.equal((await store.getRoom('c'))!.lastSeq, 4);
      });

      it('an edit is a change event with its own seq; the target keeps its seq with the new text, edited and v', async () => {
        const [r] = await store.append([change(msg('c', 'u1', 'e1', '', T0 + 30), { kind: 'edit', target: 1, text: 'hello' })]);
        assert.equal(r.refused, undefined);
        assert.equal(r.message.seq, 3);
        assert.equal(r.message.deleted, true, 'a change event is a tombstone for clients that predate changes');
        assert.deepEqual(r.message.change, { kind: 'edit', target: 1, text: 'hello' });
        const page = await store.history('c', { after: 0, limit: 10 });
        assert.deepEqual(seqs(page), [1, 2, 3]);
        assert.deepEqual([page[0].text, page[0].edited, page[0].v], ['hello', T0 + 30, 3]);
        assert.deepEqual(page[2].change, { kind: 'edit', target: 1, text: 'hello' });
        assert.equal(page[2].text, '');
      });

      it('only the author edits, within the edit window; nothing refused is written', async () => {
        const res = await store.append(
          [change(msg('c', 'u2', 'e2', '', T0 + 30), { kind: 'edit', target: 1, text: 'not mine' }), change(msg('c', 'u1', 'e3', '', T0 + 10 + 5000), { kind: 'edit', target: 1, text: 'late' })],
          { editWindowMs: 1000 },
        );
        assert.deepEqual(res.map((x) => x.refused?.code), ['not_author', 'edit_window_passed']);
        assert.equal((await at('c', 1)).text, 'helo');
        assert.equal((await store.getRoom('c'))!.lastSeq, 2);
      });

      it('a change is idempotent by (uid, id) like a send; the original send stays its id’s fingerprint after an edit', async () => {
        const e = change(msg('c', 'u1', 'e4', '', T0 + 40), { kind: 'edit', target: 1, text: 'hello' });
        const [first] = await store.append([e]);
        const [again] = await store.append([{ ...e, ts: T0 + 99 }]);
        assert.deepEqual([again.duplicate, again.conflict, again.message.seq], [true, false, first.message.seq]);
        const [other] = await store.append([change(msg('c', 'u1', 'e4', '', T0 + 41), { kind: 'edit', target: 1, text: 'something else' })]);
        assert.deepEqual([other.duplicate, other.conflict], [true, true]);
        const [resend] = await store.append([msg('c', 'u1', 'orig', 'helo', T0 + 50)]);
        assert.deepEqual([resend.duplicate, resend.conflict, resend.message.seq], [true, false, 1], 'a late resend of the edited send is no conflict');
        assert.equal((await store.getRoom('c'))!.lastSeq, 3);
      });

      it('the author or an administrator removes a message: a tombstone; it cannot be edited, reacted to or answered afterwards', async () => {
        const res = await store.append([
          change(msg('c', 'u2', 'x1'), { kind: 'remove', target: 1 }),
          change(msg('c', 'u1', 'x2'), { kind: 'remove', target: 1 }),
          change(msg('c', 'u9', 'x3'), { kind: 'remove', target: 2 }, { admin: true }),
          change(msg('c', 'u1', 'x4'), { kind: 'edit', target: 1, text: 'back?' }),
          change(msg('c', 'u2', 'x5'), { kind: 'react', target: 1, emoji: '👍', on: true }),
          { ...msg('c', 'u2', 'x6'), replyTo: 1 },
        ]);
        assert.deepEqual(res.map((x) => x.refused?.code ?? x.message.seq), ['not_author', 3, 4, 'no_such_message', 'no_such_message', 'no_such_message']);
        const [one, two] = await store.history('c', { after: 0, limit: 2 });
        assert.deepEqual([one.text, one.deleted, one.v], ['', true, 3]);
        assert.deepEqual([two.text, two.deleted, two.v], ['', true, 4]);
        const [resend] = await store.append([msg('c', 'u1', 'orig', 'helo')]);
        assert.deepEqual([resend.duplicate, resend.conflict], [true, false], 'a removed message’s id keeps its fingerprint');
      });

      it('reactions: toggled per user and emoji, counted, listed in the order they came; at most 20 distinct emoji', async () => {
        const react = (uid: string, id: string, emoji: string, on = true) => change(msg('c', uid, id), { kind: 'react', target: 1, emoji, on });
        await store.append([react('u1', 'a1', '👍'), react('u2', 'a2', '👍'), react('u1', 'a3', '🎉'), react('u1', 'a4', '👍')]);
        let m = await at('c', 1);
        assert.deepEqual(m.reactions, [
          { emoji: '👍', count: 2, uids: ['u1', 'u2'] },
          { emoji: '🎉', count: 1, uids: ['u1'] },
        ]);
        assert.equal(m.v, 6);
        await store.append([react('u1', 'a5', '👍', false), react('u1', 'a6', '🎉', false)]);
        m = await at('c', 1);
        assert.deepEqual(m.reactions, [{ emoji: '👍', count: 1, uids: ['u2'] }]);
        const many = Array.from({ length: 20 }, (_, i) => react('u3', `b${i}`, String.fromCodePoint(0x1f600 + i)));
        const res = await store.append(many);
        assert.deepEqual(res.map((x) => x.refused?.code ?? 'ok'), [...Array(19).fill('ok'), 'too_many_reactions'], '👍 and 19 more make 20');
        const [more] = await store.append([react('u4', 'c1', '👍')]);
        assert.equal(more.refused, undefined, 'an emoji already there is always allowed');
      });

      it('a change cannot target a change event, and may target a message of the same batch', async () => {
        const [e] = await store.append([change(msg('c', 'u1', 'y1'), { kind: 'edit', target: 1, text: 'x' })]);
        const res = await store.append([
          change(msg('c', 'u1', 'y2'), { kind: 'edit', target: e.message.seq, text: 'y' }),
          msg('c', 'u1', 'y3', 'new one'),
          change(msg('c', 'u1', 'y4'), { kind: 'edit', target: e.message.seq + 1, text: 'new one, fixed' }),
        ]);
        assert.equal(res[0].refused?.code, 'no_such_message');
        assert.equal(res[2].refused, undefined);
        assert.equal((await at('c', e.message.seq + 1)).text, 'new one, fixed');
      });

      it('changes persist across a reopen', async () => {
        await store.append([change(msg('c', 'u1', 'z1', '', T0 + 60), { kind: 'edit', target: 1, text: 'hello' }), change(msg('c', 'u2', 'z2'), { kind: 'react', target: 1, emoji: ':+1:', on: true }), { ...msg('c', 'u2', 'z3', 'ok'), replyTo: 1 }]);
        store = await h.reopen();
        const page = await store.history('c', { after: 0, limit: 10 });
        assert.deepEqual([page[0].text, page[0].edited, page[0].v, page[0].reactions], ['hello', T0 + 60, 4, [{ emoji: ':+1:', count: 1, uids: ['u2'] }]]);
        assert.equal(page[4].replyTo, 1);
      });
    });

    describe('search (docs/protocol.md 6.16)', () => {
      const find = async (uid: string, query: string, extra: Partial<SearchQuery> = {}) =>
        (await store.search(uid, { words: searchWords(query), order: 'newest', limit: 50, ...extra })).map((m) => `${m.room}:${m.seq}`);
      beforeEach(async () => {
        await store.createRoom(room('s1'), ['u1', 'u2']);
        await store.createRoom(room('s2', 'private'), ['u2']);
        await store.append([
          msg('s1', 'u1', 'a1', 'Deploying the Rocket today', T0 + 1),
          msg('s1', 'u2', 'a2', 'rockets are loud', T0 + 2),
          msg('s2', 'u2', 'a3', 'secret rocket plans', T0 + 3),
          msg(GLOBAL_ROOM, 'u3', 'a4', 'a rocket in general', T0 + 4),
          msg('s1', 'u2', 'a5', 'nothing to see', T0 + 5),
        ]);
      });

      it('finds the words as case-insensitive prefixes, all of them, newest first, only in the rooms of the user (general always)', async () => {
        assert.deepEqual(await find('u1', 'ROCK'), [`${GLOBAL_ROOM}:1`, 's1:2', 's1:1']);
        assert.deepEqual(await find('u2', 'rocket'), [`${GLOBAL_ROOM}:1`, 's2:1', 's1:2', 's1:1']);
        assert.deepEqual(await find('u1', 'rocket today'), ['s1:1'], 'every word must match');
        assert.deepEqual(await find('u9', 'rocket'), [`${GLOBAL_ROOM}:1`], 'a user in no room finds only general');
      });

      it('ignores accents and case on both sides (École, ecole, ÉCOLE)', async () => {
        await store.append([msg('s1', 'u1', 'fr1', 'Rendez-vous à l’École ce soir', T0 + 20), msg('s1', 'u1', 'fr2', 'crème brûlée', T0 + 21)]);
        for (const q of ['ecole', 'école', 'ECOLE', 'Éc']) assert.deepEqual(await find('u1', q), ['s1:4'], q);
        assert.deepEqual(await find('u1', 'creme brulee'), ['s1:5']);
      });

      it('a room the user left is no longer searchable', async () => {
        await store.removeMember('s1', 'u1');
        assert.deepEqual(await find('u1', 'rocket'), [`${GLOBAL_ROOM}:1`]);
      });

      it('follows edits and removals; change events and tombstones never match', async () => {
        await store.append([
          { ...msg('s1', 'u1', 'e1', '', T0 + 10), change: { kind: 'edit', target: 1, text: 'Deploying the satellite today' } },
          { ...msg('s1', 'u2', 'e2', '', T0 + 11), change: { kind: 'remove', target: 2 } },
        ]);
        assert.deepEqual(await find('u1', 'rocket'), [`${GLOBAL_ROOM}:1`]);
        assert.deepEqual(await find('u1', 'satellite'), ['s1:1']);
        const [hit] = await store.search('u1', { words: ['satellite'], order: 'newest', limit: 5 });
        assert.deepEqual([hit.text, hit.v], ['Deploying the satellite today', 4], 'hits are in their current state');
        await store.deleteMessage('s1', 1);
        assert.deepEqual(await find('u1', 'satellite'), [], 'an admin tombstone leaves the index too');
      });

      it('filters by room, author name and time', async () => {
        assert.deepEqual(await find('u2', 'rocket', { room: 's1' }), ['s1:2', 's1:1']);
        assert.deepEqual(await find('u1', 'rocket', { room: 's2' }), [], 'a room filter never widens the permission');
        assert.deepEqual(await find('u2', 'rocket', { fromName: 'NAME-U2' }), ['s2:1', 's1:2']);
        assert.deepEqual(await find('u2', 'rocket', { after: T0 + 1, before: T0 + 4 }), ['s2:1', 's1:2']);
      });

      it('pages newest first with a cursor, complete and without repeats; best first finds the same hits', async () => {
        const seen: string[] = [];
        let cursor: SearchQuery['cursor'];
        for (let i = 0; i < 10; i++) {
          const page = await store.search('u2', { words: ['rocket'], order: 'newest', limit: 1, cursor });
          if (!page.length) break;
          seen.push(...page.map((m) => `${m.room}:${m.seq}`));
          const last = page[page.length - 1];
          cursor = { order: 'newest', ts: last.ts, room: last.room, seq: last.seq };
        }
        assert.deepEqual(seen, [`${GLOBAL_ROOM}:1`, 's2:1', 's1:2', 's1:1']);
        const best = (await store.search('u2', { words: ['rocket'], order: 'best', limit: 10 })).map((m) => `${m.room}:${m.seq}`);
        assert.deepEqual([...best].sort(), [...seen].sort());
        const second = await store.search('u2', { words: ['rocket'], order: 'best', limit: 10, cursor: { order: 'best', offset: 3 } });
        assert.equal(second.length, 1);
      });
    });

    describe('history', () => {
      beforeEach(async () => {
        await store.createRoom(room('h'), []);
        await store.createRoom(room('noise'), []);
        const batch: NewMessage[] = [];
        for (let i = 1; i <= 20; i++) batch.push(msg('h', 'u1', `h${i}`), msg('noise', 'u1', `n${i}`));
        await store.append(batch);
      });

      it('neither bound: the newest `limit`, ascending', async () => {
        assert.deepEqual(seqs(await store.history('h', { limit: 5 })), [16, 17, 18, 19, 20]);
        assert.deepEqual(seqs(await store.history('h', { limit: 100 })), range(1, 20));
      });

      it('after: seq > after, the oldest `limit`, ascending', async () => {
        assert.deepEqual(seqs(await store.history('h', { after: 0, limit: 3 })), [1, 2, 3]);
        assert.deepEqual(seqs(await store.history('h', { after: 5, limit: 3 })), [6, 7, 8]);
        assert.deepEqual(seqs(await store.history('h', { after: 18, limit: 10 })), [19, 20]);
        assert.deepEqual(await store.history('h', { after: 20, limit: 10 }), []);
      });

      it('before: seq < before, the newest `limit`, ascending', async () => {
        assert.deepEqual(seqs(await store.history('h', { before: 10, limit: 3 })), [7, 8, 9]);
        assert.deepEqual(seqs(await store.history('h', { before: 3, limit: 10 })), [1, 2]);
        assert.deepEqual(await store.history('h', { before: 1, limit: 10 }), []);
        assert.deepEqual(seqs(await store.history('h', { before: 1000, limit: 2 })), [19, 20]);
      });

      it('both: after < seq < before, oldest first', async () => {
        assert.deepEqual(seqs(await store.history('h', { after: 3, before: 9, limit: 100 })), [4, 5, 6, 7, 8]);
        assert.deepEqual(seqs(await store.history('h', { after: 3, before: 9, limit: 2 })), [4, 5]);
        assert.deepEqual(await store.history('h', { after: 5, before: 6, limit: 10 }), []);
      });

      it('returns whole messages of that room only; unknown rooms are empty', async () => {
        const ms = await store.history('h', { after: 0, limit: 100 });
        assert.ok(ms.every((m) => m.room === 'h'));
        assert.deepEqual(
          ms.map((m) => m.id),
          range(1, 20).map((i) => `h${i}`),
        );
        assert.equal(ms[0].uid, 'u1');
        assert.equal(ms[0].user, 'name-u1');
        assert.equal(typeof ms[0].ts, 'number');
        assert.deepEqual(await store.history('nope', { limit: 10 }), []);
      });

      it('limit 0 returns nothing', async () => {
        assert.deepEqual(await store.history('h', { limit: 0 }), []);
        assert.deepEqual(await store.history('h', { after: 0, limit: 0 }), []);
      });
    });

    describe('read markers', () => {
      it('move forward only and return the stored value', async () => {
        assert.equal(await store.setReadMarker('u1', GLOBAL_ROOM, 5), 5);
        assert.equal(await store.setReadMarker('u1', GLOBAL_ROOM, 3), 5);
        assert.equal(await store.setReadMarker('u1', GLOBAL_ROOM, 5), 5);
        assert.equal(await store.setReadMarker('u1', GLOBAL_ROOM, 9), 9);
        assert.equal(await store.setReadMarker('u1', GLOBAL_ROOM, 0), 9);
        const g = (await store.listUserRooms('u1')).find((r) => r.id === GLOBAL_ROOM);
        assert.equal(g!.lastRead, 9);
      });

      it('are per user and per room', async () => {
        await store.createRoom(room('r'), ['u1', 'u2']);
        assert.equal(await store.setReadMarker('u1', 'r', 4), 4);
        assert.equal(await store.setReadMarker('u2', 'r', 2), 2);
        assert.equal(await store.setReadMarker('u1', GLOBAL_ROOM, 7), 7);
        const lr = async (uid: string, id: string) => (await store.listUserRooms(uid)).find((r) => r.id === id)!.lastRead;
        assert.equal(await lr('u1', 'r'), 4);
        assert.equal(await lr('u2', 'r'), 2);
        assert.equal(await lr('u1', GLOBAL_ROOM), 7);
        assert.equal(await lr('u2', GLOBAL_ROOM), 0);
      });
    });

    describe('settings', () => {
      it('get / set / overwrite', async () => {
        assert.equal(await store.getSetting('token_secret'), null);
        await store.setSetting('token_secret', 'abc');
        assert.equal(await store.getSetting('token_secret'), 'abc');
        await store.setSetting('token_secret', 'def');
        assert.equal(await store.getSetting('token_secret'), 'def');
        await store.setSetting('empty', '');
        assert.equal(await store.getSetting('empty'), '');
        assert.equal(await store.getSetting('other'), null);
      });
    });

    describe('idempotency across admin actions', () => {
      beforeEach(async () => {
        await store.createRoom(room('r1'), ['u1']);
        await store.createRoom(room('r2'), ['u1']);
      });

      it('a resend after an admin delete gets the original ack (room, seq, ts); another text or room is a conflict', async () => {
        // Non-ASCII text: the stored fingerprint (computed by the database for PostgreSQL) matches the one
        // computed from the resend.
        const two = 'twö 👋 ✓ \t "q"';
        const [, orig] = await store.append([msg('r1', 'u1', 'a', 'one', T0 + 1), msg('r1', 'u1', 'b', two, T0 + 2), msg('r1', 'u1', 'c', 'three', T0 + 3)]);
        assert.equal(await store.deleteMessage('r1', 2), true);
        assert.equal(await store.deleteMessage('r1', 2), true, 'deleting a tombstone again');
        const [r] = await store.append([msg('r1', 'u1', 'b', two, T0 + 500)]);
        assert.deepEqual([r.duplicate, r.conflict], [true, false]);
        assert.deepEqual([r.message.room, r.message.seq, r.message.ts, r.message.id], ['r1', orig.message.seq, T0 + 2, 'b']);
        assert.equal(r.message.deleted, true, 'the original as history has it: a tombstone');
        const [other] = await store.append([msg('r1', 'u1', 'b', 'not two')]);
        assert.deepEqual([other.duplicate, other.conflict], [true, true]);
        const [elsewhere] = await store.append([msg('r2', 'u1', 'b', two)]);
        assert.deepEqual([elsewhere.duplicate, elsewhere.conflict], [true, true]);
        assert.equal((await store.getRoom('r1'))!.lastSeq, 3, 'nothing was stored');
        assert.equal((await store.getRoom('r2'))!.lastSeq, 0);
      });

      it('a resend after a room reset gets the original ack and stores no copy; the ids survive a reopen', async () => {
        const res = await store.append([msg('r1', 'u1', 'a', 'one', T0 + 1), msg('r1', 'u1', 'b', 'two', T0 + 2), msg('r1', 'u2', 'c', 'thrée 🎉', T0 + 3)]);
        assert.equal(await store.deleteMessage('r1', 1), true, 'a tombstone, then the reset');
        assert.deepEqual(await store.resetRoom('r1'), { deleted: 3, lastSeq: 3 });
        const again = await store.append([msg('r1', 'u1', 'b', 'two', T0 + 900), msg('r1', 'u2', 'c', 'thrée 🎉', T0 + 901)]);
        assert.deepEqual(
          again.map((r) => [r.duplicate, r.conflict, r.message.room, r.message.seq, r.message.ts, r.message.id, r.message.uid]),
          [
            [true, false, 'r1', 2, T0 + 2, 'b', 'u1'],
            [true, false, 'r1', 3, T0 + 3, 'c', 'u2'],
          ],
        );
        assert.equal(again[0].message.deleted, true, 'gone from history: returned as a tombstone');
        assert.deepEqual(await store.history('r1', { limit: 10 }), [], 'no copy in history');
        assert.equal((await store.getRoom('r1'))!.lastSeq, 3);
        const [conflict] = await store.append([msg('r1', 'u1', 'a', 'not one')]);
        assert.deepEqual([conflict.duplicate, conflict.conflict, conflict.message.seq], [true, true, res[0].message.seq]);
        // A new message continues after the reset.
        const [fresh] = await store.append([msg('r1', 'u1', 'd', 'four')]);
        assert.deepEqual([fresh.duplicate, fresh.message.seq], [false, 4]);

        await store.close();
        const s2 = await h.reopen();
        const [after] = await s2.append([msg('r1', 'u1', 'a', 'one', T0 + 999)]);
        assert.deepEqual([after.duplicate, after.conflict, after.message.seq, after.message.ts], [true, false, 1, T0 + 1]);
        assert.deepEqual(seqs(await s2.history('r1', { limit: 10 })), [4]);
      });

      it('a resend in the same batch as other new messages after a reset: the others get fresh seqs', async () => {
        await store.append([msg('r1', 'u1', 'a', 'one')]);
        await store.resetRoom('r1');
        const res = await store.append([msg('r1', 'u1', 'x', 'new'), msg('r1', 'u1', 'a', 'one'), msg('r1', 'u1', 'y', 'newer')]);
        assert.deepEqual(
          res.map((r) => [r.message.seq, r.duplicate, r.conflict]),
          [
            [2, false, false],
            [1, true, false],
            [3, false, false],
          ],
        );
        assert.deepEqual(seqs(await store.history('r1', { limit: 10 })), [2, 3]);
      });

      it('deleteRoom forgets the client ids of its messages: the same id in a recreated room is a new message', async () => {
        await store.append([msg('r1', 'u1', 'a', 'one'), msg('r2', 'u1', 'k', 'kept')]);
        await store.resetRoom('r1');
        await store.append([msg('r1', 'u1', 'b', 'two')]);
        assert.ok(await store.deleteRoom('r1'));
        assert.equal(await store.createRoom(room('r1'), ['u1']), true);
        const res = await store.append([msg('r1', 'u1', 'a', 'one'), msg('r1', 'u1', 'b', 'other text')]);
        assert.deepEqual(
          res.map((r) => [r.message.seq, r.duplicate, r.conflict]),
          [
            [1, false, false],
            [2, false, false],
          ],
        );
        const [kept] = await store.append([msg('r2', 'u1', 'k', 'kept')]);
        assert.deepEqual([kept.duplicate, kept.conflict], [true, false], 'ids of other rooms are kept');
      });
    });

    describe('guest expiry', () => {
      const CUT = T0 + 1000;
      beforeEach(async () => {
        await store.createRoom(room('r1'), []);
        await store.createUser(user('g-old', 'old', false, T0 + 1));
        await store.createUser(user('g-old2', 'old2', false, T0 + 1));
        await store.createUser(user('g-wrote', 'wrote', false, T0 + 2));
        await store.createUser(user('g-reset', 'reset', false, T0 + 3));
        await store.createUser(user('a-old', 'account', true, T0 + 1));
        await store.createUser(user('g-new', 'new', false, CUT));
        await store.append([msg('r1', 'g-wrote'), msg('r1', 'g-reset')]);
        await store.resetRoom('r1'); // g-reset's message is gone from history, but g-reset did write
      });

      it('listStaleGuests: guests created before the cutoff that never wrote, oldest first, paged', async () => {
        const all = await store.listStaleGuests(CUT, 100);
        assert.deepEqual(all, [
          { id: 'g-old', createdAt: T0 + 1 },
          { id: 'g-old2', createdAt: T0 + 1 },
        ]);
        const p1 = await store.listStaleGuests(CUT, 1);
        assert.deepEqual(p1.map((g) => g.id), ['g-old']);
        const p2 = await store.listStaleGuests(CUT, 1, p1[0]);
        assert.deepEqual(p2.map((g) => g.id), ['g-old2']);
        assert.deepEqual(await store.listStaleGuests(CUT, 1, p2[0]), []);
        assert.deepEqual(await store.listStaleGuests(CUT + 1, 100).then((l) => l.map((g) => g.id)), ['g-old', 'g-old2', 'g-new']);
        assert.deepEqual(await store.listStaleGuests(T0 + 1, 100), [], 'created at the cutoff: kept');
        assert.deepEqual(await store.listStaleGuests(CUT, 0), []);
      });

      it('deleteGuests deletes guests that never wrote, with memberships and read markers; others are kept', async () => {
        await store.createRoom(room('team', 'private', 'a-old'), ['a-old', 'g-old', 'g-wrote']);
        await store.createRoom(room(dmRoomId('a-old', 'g-old'), 'dm', 'a-old'), ['a-old', 'g-old']);
        await store.setReadMarker('g-old', 'team', 3);
        await store.setReadMarker('g-old', GLOBAL_ROOM, 2);
        assert.equal(await store.deleteGuests([]), 0);
        assert.equal(await store.deleteGuests(['g-old', 'g-old', 'g-wrote', 'g-reset', 'a-old', 'nobody']), 1);
        assert.equal(await store.getUser('g-old'), null);
        for (const id of ['g-old2', 'g-wrote', 'g-reset', 'a-old', 'g-new']) assert.ok(await store.getUser(id), `${id} kept`);
        assert.equal(await store.isMember('team', 'g-old'), false);
        assert.equal(await store.isMember('team', 'g-wrote'), true);
        assert.equal((await store.listMembers('team', 10)).total, 2);
        assert.deepEqual((await store.listUserRooms('g-old')).map((r) => [r.id, r.lastRead]), [[GLOBAL_ROOM, 0]], 'no rooms, no markers left');
        assert.deepEqual((await store.listStaleGuests(CUT, 100)).map((g) => g.id), ['g-old2']);
        // The name is free for a new guest or an account, as before.
        await store.createUser(user('a-new', 'old', true, CUT + 1));
        assert.equal((await store.findUserByName('old'))!.id, 'a-new');
      });
    });

    describe('persistence', () => {
      it('everything survives close and reopen', async () => {
        const alice = user('u1', 'Alice', true, T0 + 1);
        const guest = user('u2', 'bob', false, T0 + 2);
        await store.createUser(alice);
        await store.createUser(guest);
        const dm = dmRoomId('u1', 'u2');
        await store.createRoom(room('pub', 'public', 'u1', T0 + 3), ['u1']);
        await store.createRoom(room(dm, 'dm', 'u1', T0 + 4), ['u1', 'u2']);
        const written = await store.append([msg('pub', 'u1', 'p1'), msg(dm, 'u2', 'd1'), msg('pub', 'u1', 'p2')]);
        await store.setReadMarker('u1', 'pub', 1);
        await store.setSetting('k', 'v');
        const roomsBefore = await store.listUserRooms('u1');

        await store.close();
        await store.close(); // idempotent
        const s2 = await h.reopen();
        try {
          assert.deepEqual(await s2.getUser('u1'), alice);
          assert.deepEqual(await s2.getUser('u2'), guest);
          assert.equal((await s2.findAccount('alice'))!.id, 'u1');
          await assert.rejects(s2.createUser(user('u3', 'ALICE', true)), StoreConflictError);
          assert.deepEqual(await s2.getRoom('pub'), { id: 'pub', kind: 'public', createdBy: 'u1', createdAt: T0 + 3, lastSeq: 2 });
          assert.equal((await s2.getRoom(GLOBAL_ROOM))!.kind, 'global');
          assert.deepEqual(await s2.listUserRooms('u1'), roomsBefore);
          assert.deepEqual(await s2.history('pub', { limit: 10 }), [written[0].message, written[2].message]);
          assert.deepEqual(await s2.history(dm, { limit: 10 }), [written[1].message]);
          assert.equal(await s2.getSetting('k'), 'v');
          assert.equal(await s2.setReadMarker('u1', 'pub', 0), 1);
          // Seqs and idempotency continue where they were.
          const dup = await s2.append([msg('pub', 'u1', 'p1')]);
          assert.equal(dup[0].duplicate, true);
          assert.equal(dup[0].message.seq, 1);
          const next = await s2.append([msg('pub', 'u1', 'p3')]);
          assert.equal(next[0].message.seq, 3);
        } finally {
          await s2.close();
        }
      });
    });

    describe('volume', () => {
      it('10,000 messages appended in batches page back without gap or duplicate', async () => {
        await store.createRoom(room('big'), []);
        const N = 10_000;
        const BATCH = 250;
        let next = 1;
        for (let b = 0; b < N / BATCH; b++) {
          const batch: NewMessage[] = [];
          for (let i = 0; i < BATCH; i++, next++) {
            batch.push({ room: 'big', id: `c${next}`, uid: `u${next % 7}`, user: 'x', text: `t${next}`, ts: T0 + next });
          }
          // Every 10th batch repeats its first message: a duplicate must not consume a seq.
          if (b % 10 === 0) batch.push({ ...batch[0] });
          const res = await store.append(batch);
          assert.equal(res.filter((r) => r.duplicate).length, b % 10 === 0 ? 1 : 0);
        }
        assert.equal((await store.getRoom('big'))!.lastSeq, N);

        // Forward with `after`.
        const fwd: StoredMessage[] = [];
        for (let after = 0; ; ) {
          const page = await store.history('big', { after, limit: 500 });
          if (page.length === 0) break;
          fwd.push(...page);
          after = page[page.length - 1].seq;
        }
        assert.equal(fwd.length, N);
        for (let i = 0; i < N; i++) {
          assert.equal(fwd[i].seq, i + 1);
          assert.equal(fwd[i].text, `t${i + 1}`);
        }

        // Backward with `before`.
        const back: StoredMessage[] = [];
        for (let before = Number.MAX_SAFE_INTEGER; ; ) {
          const page = await store.history('big', { before, limit: 333 });
          if (page.length === 0) break;
          for (let i = 1; i < page.length; i++) assert.equal(page[i].seq, page[i - 1].seq + 1);
          back.unshift(...page);
          before = page[0].seq;
        }
        assert.deepEqual(seqs(back), range(1, N));
      });
    });

    describe('administration', () => {
      it('deleteMessage leaves a tombstone that keeps its seq; history and replay return it', async () => {
        await store.createRoom(room('r1'), ['u1']);
        await store.append([msg('r1', 'u1', 'a', 'one'), msg('r1', 'u1', 'b', 'two'), msg('r1', 'u1', 'c', 'three')]);
        assert.equal(await store.deleteMessage('r1', 2), true);
        assert.equal(await store.deleteMessage('r1', 99), false);
        assert.equal(await store.deleteMessage('nope', 1), false);
        const page = await store.history('r1', { limit: 10 });
        assert.deepEqual(seqs(page), [1, 2, 3]);
        assert.equal(page[1].deleted, true);
        assert.equal(page[1].text, '');
        assert.equal(page[0].deleted, undefined);
        assert.equal((await store.history('r1', { after: 1, limit: 1 }))[0].deleted, true);
        // The tombstone still answers a resend of the same client id (no new seq, no conflict).
        const [again] = await store.append([msg('r1', 'u1', 'b', 'two')]);
        assert.equal(again.duplicate, true);
        assert.equal(again.conflict, false);
        assert.equal(again.message.seq, 2);
        const s2 = await h.reopen();
        assert.equal((await s2.history('r1', { limit: 10 }))[1].deleted, true);
      });

      it('resetRoom deletes the messages but keeps last_seq: new messages continue after it', async () => {
        await store.createRoom(room('r1'), ['u1']);
        await store.append([msg('r1', 'u1'), msg('r1', 'u1'), msg('r1', 'u1')]);
        assert.deepEqual(await store.resetRoom('r1'), { deleted: 3, lastSeq: 3 });
        assert.deepEqual(await store.history('r1', { limit: 10 }), []);
        assert.equal((await store.getRoom('r1'))!.lastSeq, 3);
        const [r] = await store.append([msg('r1', 'u1')]);
        assert.equal(r.message.seq, 4);
        assert.equal(await store.resetRoom('nope'), null);
      });

      it('deleteRoom removes the room, its members and messages, returns the members, and frees the id', async () => {
        await store.createRoom(room('r1'), ['u1', 'u2']);
        await store.append([msg('r1', 'u1')]);
        await store.setReadMarker('u1', 'r1', 1);
        const members = await store.deleteRoom('r1');
        assert.deepEqual([...members!].sort(), ['u1', 'u2']);
        assert.equal(await store.getRoom('r1'), null);
        assert.equal(await store.isMember('r1', 'u1'), false);
        assert.ok(!(await store.listUserRooms('u1')).some((r) => r.id === 'r1'));
        assert.deepEqual(await store.history('r1', { limit: 10 }), []);
        assert.equal(await store.deleteRoom('r1'), null);
        assert.equal(await store.deleteRoom(GLOBAL_ROOM), null, 'general cannot be deleted');
        assert.ok(await store.getRoom(GLOBAL_ROOM));
        assert.equal(await store.createRoom(room('r1'), ['u3']), true, 'the id is free again');
        assert.equal((await store.getRoom('r1'))!.lastSeq, 0);
      });

      it('setRoomReadOnly flags a room (getRoom, listUserRooms, listRooms, listReadOnlyRooms) and clears it', async () => {
        await store.createRoom(room('r1'), ['u1']);
        assert.equal((await store.getRoom('r1'))!.readOnly, undefined);
        assert.equal(await store.setRoomReadOnly('r1', true), true);
        assert.equal(await store.setRoomReadOnly('nope', true), false);
        assert.equal((await store.getRoom('r1'))!.readOnly, true);
        assert.equal((await store.listUserRooms('u1')).find((r) => r.id === 'r1')!.readOnly, true);
        assert.deepEqual(await store.listReadOnlyRooms(), ['r1']);
        assert.equal((await store.listRooms(10)).find((r) => r.id === 'r1')!.readOnly, true);
        await store.setRoomReadOnly('r1', false);
        assert.equal((await store.getRoom('r1'))!.readOnly, undefined);
        assert.deepEqual(await store.listReadOnlyRooms(), []);
      });

      it('listRooms: every room but DMs, general first, with member counts; counts: rooms and messages ever sent', async () => {
        await store.createRoom(room('pub'), ['u1', 'u2']);
        await store.createRoom(room('priv', 'private'), ['u1']);
        await store.createRoom(room(dmRoomId('u1', 'u2'), 'dm'), ['u1', 'u2']);
        await store.append([msg('pub', 'u1'), msg('pub', 'u2'), msg(GLOBAL_ROOM, 'u1')]);
        const rooms = await store.listRooms(10);
        assert.equal(rooms[0].id, GLOBAL_ROOM);
        assert.deepEqual(rooms.map((r) => r.id).sort(), [GLOBAL_ROOM, 'priv', 'pub'].sort());
        assert.equal(rooms.find((r) => r.id === 'pub')!.members, 2);
        assert.equal(rooms.find((r) => r.id === 'priv')!.members, 1);
        assert.equal((await store.listRooms(1)).length, 1);
        await store.resetRoom('pub');
        assert.deepEqual(await store.counts(), { rooms: 4, messages: 3 });
      });

      it('bans: add (a repeat updates), get, list newest first, remove', async () => {
        await store.addBan({ nameKey: 'bob', name: 'Bob', reason: 'spam', by: 'u1', at: T0 });
        await store.addBan({ nameKey: 'eve', name: 'Eve', reason: 'abuse', by: 'u1', at: T0 + 1 });
        await store.addBan({ nameKey: 'bob', name: 'Bob', reason: 'more spam', by: 'u2', at: T0 + 2 });
        assert.deepEqual(await store.getBan('bob'), { nameKey: 'bob', name: 'Bob', reason: 'more spam', by: 'u2', at: T0 + 2 });
        assert.equal(await store.getBan('carol'), null);
        assert.deepEqual((await store.listBans(10)).map((b) => b.nameKey), ['bob', 'eve']);
        assert.equal(await store.removeBan('bob'), true);
        assert.equal(await store.removeBan('bob'), false);
        assert.equal(await store.getBan('bob'), null);
        const s2 = await h.reopen();
        assert.deepEqual((await s2.listBans(10)).map((b) => b.nameKey), ['eve']);
      });

      it('audit log: ids increase, listed newest first, paged with before', async () => {
        const ids: number[] = [];
        for (let i = 0; i < 5; i++) {
          ids.push(await store.addAudit({ at: T0 + i, actorId: 'u1', actor: 'Ann', action: 'kick', target: `user${i}`, detail: '{}' }));
        }
        for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1]);
        const all = await store.listAudit(10);
        assert.deepEqual(all.map((e) => e.target), ['user4', 'user3', 'user2', 'user1', 'user0']);
        assert.deepEqual(all[0], { id: ids[4], at: T0 + 4, actorId: 'u1', actor: 'Ann', action: 'kick', target: 'user4', detail: '{}' });
        const page = await store.listAudit(2, all[1].id);
        assert.deepEqual(page.map((e) => e.target), ['user2', 'user1']);
      });
    });
  });
  storeMentionsContract(name, makeStore);
  storeAccountsContract(name, makeStore);
  storeApiKeysContract(name, makeStore);
}
