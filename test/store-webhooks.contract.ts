/**
 * The Store contract, outgoing webhooks (src/server/store/webhooks.ts): delivery rows written in the
 * transactions of what they describe, only while an endpoint is enabled and subscribed; claims with
 * leases (one owner at a time, claimed again after the lease ends); the retry schedule as the store keeps
 * it (not due before next_at, failed for good when told); the delivery log; retention and the pending
 * bound; and that it all survives reopening the store. Run by test/store-webhooks.test.ts against SQLite
 * and PostgreSQL.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Store, UserRecord } from '../src/server/store/store.js';
import type { WebhookRecord } from '../src/server/store/webhooks.js';
import type { WebhookEvent } from '../src/protocol/webhooks.js';
import type { StoreFactory, StoreHarness } from './store.contract.js';

const T0 = 1_700_000_000_000;

function user(id: string, name: string): UserRecord {
  return { id, name, nameKey: name.toLowerCase(), account: false, passwordHash: null, createdAt: T0 };
}

function endpoint(id: string, over: Partial<WebhookRecord> = {}): WebhookRecord {
  return { id, url: `http://127.0.0.1:9/${id}`, description: '', events: [], secret: `whsec_${id}`, enabled: true, createdAt: T0, createdBy: null, ...over };
}

export function storeWebhooksContract(name: string, makeStore: StoreFactory): void {
  describe(`Store contract (webhooks): ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    beforeEach(async () => {
      h = await makeStore();
      store = h.store;
      await store.createUser(user('u1', 'ann'));
      await store.createUser(user('u2', 'bob'));
    });
    afterEach(async () => {
      await h.cleanup();
    });

    /** Every delivery of an endpoint, claimed now (far future) by a test owner: their events, oldest first. */
    async function drain(ep: string): Promise<WebhookEvent[]> {
      const got = await store.claimDeliveries(ep, 'test', Date.now() + 10 * 86400_000, 1000, 1000);
      return got.map((d) => JSON.parse(d.body) as WebhookEvent);
    }

    it('writes nothing while no endpoint is enabled', async () => {
      assert.equal(store.webhooksOn, false);
      await store.append([{ room: 'general', id: 'm1', uid: 'u1', user: 'ann', text: 'hi', ts: T0 }]);
      await store.createWebhook(endpoint('wh_a', { enabled: false }));
      assert.equal(store.webhooksOn, false);
      assert.deepEqual(await store.refreshWebhooks(), []);
      await store.append([{ room: 'general', id: 'm2', uid: 'u1', user: 'ann', text: 'hi', ts: T0 }]);
      assert.equal(await store.pendingDeliveries(), 0);
      assert.deepEqual(await store.listDeliveries('wh_a', 10), []);
    });

    it('every kind of event, in the transaction of what it describes, with its data', async () => {
      await store.createWebhook(endpoint('wh_a'));
      assert.equal(store.webhooksOn, true);
      assert.equal(await store.createRoom({ id: 'r1', kind: 'public', createdBy: 'u1', createdAt: T0 }, ['u1']), true);
      assert.equal(await store.addMember('r1', 'u2'), true);
      assert.equal(await store.addMember('r1', 'u2'), false); // no change, no event
      const [sent] = await store.append([{ room: 'r1', id: 'm1', uid: 'u1', user: 'ann', text: 'hello @bob', ts: T0 + 1, mentionTokens: [['bob']] }]);
      await store.append([{ room: 'r1', id: 'm1', uid: 'u1', user: 'ann', text: 'hello @bob', ts: T0 + 1 }]); // a duplicate: nothing
      await store.append([
        { room: 'r1', id: 'e1', uid: 'u1', user: 'ann', text: '', ts: T0 + 2, change: { kind: 'edit', target: sent.message.seq, text: 'hello again' } },
        { room: 'r1', id: 'x1', uid: 'u2', user: 'bob', text: '', ts: T0 + 3, change: { kind: 'react', target: sent.message.seq, emoji: '👍', on: true } },
        { room: 'r1', id: 'd1', uid: 'u1', user: 'ann', text: '', ts: T0 + 4, change: { kind: 'remove', target: sent.message.seq } },
      ]);
      assert.equal(await store.removeMember('r1', 'u2'), true);
      await store.append([{ room: 'r1', id: 'm9', uid: 'u1', user: 'ann', text: 'spam', ts: T0 + 5 }]);
      assert.equal(await store.deleteMessage('r1', 5), true); // by an administrator
      const evs = await drain('wh_a');
      assert.deepEqual(
        evs.map((e) => e.type),
        ['room.created', 'member.joined', 'member.joined', 'message.created', 'message.edited', 'message.reacted', 'message.deleted', 'member.left', 'message.created', 'message.deleted'],
      );
      assert.equal(new Set(evs.map((e) => e.id)).size, evs.length, 'event ids unique');
      for (const e of evs) assert.match(e.id, /^evt_[0-9a-f]{32}$/);
      const [created, j1, j2, msg, edit, react, del, left, , byAdmin] = evs;
      assert.equal((byAdmin.data as { admin?: boolean }).admin, true);
      assert.deepEqual({ ...byAdmin.data, ts: 0 }, { room: 'r1', seq: 5, target: 5, ts: 0, admin: true });
      assert.deepEqual(created.data, { room: { id: 'r1', kind: 'public', createdBy: 'u1', createdAt: T0 }, members: ['u1'] });
      assert.deepEqual(j1.data, { room: 'r1', user: { id: 'u1', name: 'ann' } });
      assert.deepEqual(j2.data, { room: 'r1', user: { id: 'u2', name: 'bob' } });
      assert.deepEqual(msg.data, { room: 'r1', seq: 1, id: 'm1', user: { id: 'u1', name: 'ann' }, text: 'hello @bob', ts: T0 + 1, mentions: [{ id: 'u2', name: 'bob' }] });
      assert.deepEqual(edit.data, { room: 'r1', seq: 2, target: 1, user: { id: 'u1', name: 'ann' }, ts: T0 + 2, text: 'hello again' });
      assert.deepEqual(react.data, { room: 'r1', seq: 3, target: 1, user: { id: 'u2', name: 'bob' }, ts: T0 + 3, emoji: '👍', on: true });
      assert.deepEqual(del.data, { room: 'r1', seq: 4, target: 1, user: { id: 'u1', name: 'ann' }, ts: T0 + 4 });
      assert.deepEqual(left.data, { room: 'r1', user: { id: 'u2', name: 'bob' } });
    });

    it('deleting an account: member.left for each room it leaves', async () => {
      await store.createUser({ ...user('u3', 'cat'), account: true, passwordHash: 'x' });
      await store.createRoom({ id: 'r1', kind: 'public', createdBy: 'u3', createdAt: T0 }, ['u3']);
      await store.createRoom({ id: 'r2', kind: 'private', createdBy: 'u3', createdAt: T0 }, ['u3']);
      await store.createWebhook(endpoint('wh_a', { events: ['member.left'] }));
      assert.deepEqual(await store.deleteAccount('u3', T0 + 1), { rooms: ['r1', 'r2'] });
      const evs = await drain('wh_a');
      assert.deepEqual(evs.map((e) => [e.type, (e.data as { room: string }).room, (e.data as { user: { name: string } }).user.name]).sort(), [['member.left', 'r1', 'cat'], ['member.left', 'r2', 'cat']]);
    });

    it('each endpoint gets its subscribed types; a disabled one gets nothing; deleting one deletes its deliveries', async () => {
      await store.createWebhook(endpoint('wh_all'));
      await store.createWebhook(endpoint('wh_msg', { events: ['message.created'] }));
      await store.createWebhook(endpoint('wh_off', { enabled: false }));
      await store.createRoom({ id: 'r1', kind: 'public', createdBy: 'u1', createdAt: T0 }, []);
      await store.append([{ room: 'r1', id: 'm1', uid: 'u1', user: 'ann', text: 'a', ts: T0 }]);
      assert.deepEqual((await store.listDeliveries('wh_all', 10)).map((d) => d.type), ['message.created', 'room.created']);
      assert.deepEqual((await store.listDeliveries('wh_msg', 10)).map((d) => d.type), ['message.created']);
      assert.deepEqual(await store.listDeliveries('wh_off', 10), []);
      const all = await store.listDeliveries('wh_all', 10);
      const msg = await store.listDeliveries('wh_msg', 10);
      assert.equal(all[0].eventId, msg[0].eventId, 'one event id for every endpoint');
      // Disabled afterwards: its pending rows are not claimed; enabled again: they are.
      assert.equal(await store.updateWebhook('wh_msg', { enabled: false }), true);
      assert.deepEqual(await store.claimDeliveries('wh_msg', 'n1', Date.now(), 1000, 10), []);
      await store.updateWebhook('wh_msg', { enabled: true });
      assert.equal((await store.claimDeliveries('wh_msg', 'n1', Date.now(), 1000, 10)).length, 1);
      const listed = await store.listWebhooks();
      assert.deepEqual(listed.map((w) => [w.id, w.pending]), [['wh_all', 2], ['wh_msg', 1], ['wh_off', 0]]);
      assert.equal(await store.deleteWebhook('wh_all'), true);
      assert.equal(await store.deleteWebhook('wh_all'), false);
      assert.deepEqual(await store.listDeliveries('wh_all', 10), []);
      assert.equal(await store.getWebhook('wh_all'), null);
      assert.equal((await store.getWebhook('wh_msg'))?.secret, 'whsec_wh_msg');
    });

    it('plain sends (the fast path of PostgreSQL): each body has its seq, whatever the text holds', async () => {
      await store.createWebhook(endpoint('wh_a'));
      const texts = ['"seq":-1,', 'plain', '{"seq":-1,"x":1}', '\\"seq":-1,'];
      await store.append(texts.map((text, i) => ({ room: 'general', id: `p${i}`, uid: 'u1', user: 'ann', text, ts: T0 + i })));
      const evs = await drain('wh_a');
      assert.deepEqual(
        evs.map((e) => [e.type, (e.data as { seq: number }).seq, (e.data as { text: string }).text]),
        texts.map((text, i) => ['message.created', i + 1, text]),
      );
    });

    it('claims: one owner at a time, claimed again once the lease ends, attempts counted', async () => {
      await store.createWebhook(endpoint('wh_a'));
      await store.append([1, 2, 3].map((i) => ({ room: 'general', id: `m${i}`, uid: 'u1', user: 'ann', text: `t${i}`, ts: T0 })));
      const now = Date.now() + 1000;
      const a = await store.claimDeliveries('wh_a', 'A', now, 5000, 2);
      assert.equal(a.length, 2);
      assert.deepEqual(a.map((d) => d.attempts), [1, 1]);
      const b = await store.claimDeliveries('wh_a', 'B', now, 5000, 10);
      assert.equal(b.length, 1, 'B gets only the one A did not claim');
      assert.equal(new Set([...a, ...b].map((d) => d.id)).size, 3);
      assert.deepEqual(await store.claimDeliveries('wh_a', 'B', now + 4999, 5000, 10), [], 'leases still running');
      const again = await store.claimDeliveries('wh_a', 'B', now + 5000, 5000, 10);
      assert.equal(again.length, 3, 'every lease over: claimed again');
      assert.deepEqual(again.map((d) => d.attempts), [2, 2, 2]);
      // A's late failure is not written (B holds the lease); a late success is (it did arrive).
      assert.equal(await store.finishDelivery(a[0].id, 'A', { ok: false, status: 500, error: null, at: now, nextAt: now + 1 }), false);
      assert.equal(await store.finishDelivery(a[1].id, 'A', { ok: true, status: 204, at: now }), true);
      assert.equal(await store.finishDelivery(a[1].id, 'B', { ok: true, status: 200, at: now }), false, 'delivered once');
    });

    it('the retry schedule: not due before next_at, then due; failed for good; the log shows each', async () => {
      await store.createWebhook(endpoint('wh_a'));
      await store.append([{ room: 'general', id: 'm1', uid: 'u1', user: 'ann', text: 'x', ts: T0 }]);
      const t = Date.now() + 1000;
      const [d] = await store.claimDeliveries('wh_a', 'A', t, 60_000, 10);
      assert.equal(await store.finishDelivery(d.id, 'A', { ok: false, status: 503, error: null, at: t, nextAt: t + 30_000 }), true);
      let [row] = await store.listDeliveries('wh_a', 10);
      assert.deepEqual({ state: row.state, attempts: row.attempts, lastStatus: row.lastStatus, nextAt: row.nextAt, deliveredAt: row.deliveredAt }, { state: 'pending', attempts: 1, lastStatus: 503, nextAt: t + 30_000, deliveredAt: null });
      assert.deepEqual(await store.claimDeliveries('wh_a', 'A', t + 29_999, 60_000, 10), [], 'not due yet');
      const [d2] = await store.claimDeliveries('wh_a', 'A', t + 30_000, 60_000, 10);
      assert.equal(d2.attempts, 2);
      await store.finishDelivery(d2.id, 'A', { ok: false, status: null, error: 'ECONNRESET', at: t + 30_001, nextAt: t + 90_000 });
      [row] = await store.listDeliveries('wh_a', 10);
      assert.equal(row.lastError, 'ECONNRESET');
      assert.equal(row.lastStatus, null);
      const [d3] = await store.claimDeliveries('wh_a', 'A', t + 90_000, 60_000, 10);
      await store.finishDelivery(d3.id, 'A', { ok: false, status: 500, error: null, at: t + 90_001, nextAt: null });
      [row] = await store.listDeliveries('wh_a', 10);
      assert.deepEqual({ state: row.state, attempts: row.attempts, nextAt: row.nextAt }, { state: 'failed', attempts: 3, nextAt: null });
      assert.deepEqual(await store.claimDeliveries('wh_a', 'A', t + 10 ** 9, 60_000, 10), [], 'failed is final');
      // A delivered one.
      await store.append([{ room: 'general', id: 'm2', uid: 'u1', user: 'ann', text: 'y', ts: T0 }]);
      const [e] = await store.claimDeliveries('wh_a', 'A', t, 60_000, 10);
      await store.finishDelivery(e.id, 'A', { ok: true, status: 200, at: t + 5 });
      const log = await store.listDeliveries('wh_a', 10);
      assert.deepEqual(log.map((r) => [r.state, r.deliveredAt]), [['delivered', t + 5], ['failed', null]]);
      assert.deepEqual((await store.listDeliveries('wh_a', 10, log[0].id)).map((r) => r.id), [log[1].id], 'paged by before');
      assert.equal(await store.pendingDeliveries(), 0);
    });

    it('retention: old and surplus finished rows deleted, pending over the bound failed as queue_full', async () => {
      await store.createWebhook(endpoint('wh_a'));
      await store.append([1, 2, 3, 4, 5].map((i) => ({ room: 'general', id: `m${i}`, uid: 'u1', user: 'ann', text: `t${i}`, ts: T0 })));
      const t = Date.now() + 1000;
      const claimed = await store.claimDeliveries('wh_a', 'A', t, 1000, 3);
      for (const [i, d] of claimed.entries()) await store.finishDelivery(d.id, 'A', { ok: true, status: 200, at: t + i });
      // Finished at t, t+1, t+2; keep 2 finished: the oldest goes; finished before t+1: it too (once).
      let r = await store.pruneDeliveries({ finishedBefore: t + 1, keepFinished: 2, maxPending: 10, now: t, batch: 100 });
      assert.equal(r.deleted, 1);
      assert.deepEqual((await store.listDeliveries('wh_a', 10)).map((x) => x.state), ['pending', 'pending', 'delivered', 'delivered']);
      r = await store.pruneDeliveries({ finishedBefore: 0, keepFinished: 1, maxPending: 1, now: t + 2000, batch: 100 });
      assert.deepEqual(r, { deleted: 1, dropped: 1 });
      const log = await store.listDeliveries('wh_a', 10);
      assert.deepEqual(log.map((x) => [x.state, x.lastError]), [['pending', null], ['failed', 'queue_full'], ['delivered', null]]);
    });

    it('deliveries and endpoints survive reopening; another store instance sees a new endpoint on refresh', async () => {
      await store.createWebhook(endpoint('wh_a'));
      await store.append([{ room: 'general', id: 'm1', uid: 'u1', user: 'ann', text: 'x', ts: T0 }]);
      store = await h.reopen();
      assert.equal(store.webhooksOn, true, 'known at init');
      assert.equal(await store.pendingDeliveries(), 1);
      assert.equal((await drain('wh_a'))[0].type, 'message.created');
      await store.deleteWebhook('wh_a');
      assert.equal(store.webhooksOn, false);
    });
  });
}
