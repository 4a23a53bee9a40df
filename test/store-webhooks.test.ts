/**
 * The webhook outbox contract (test/store-webhooks.contract.ts) against SQLite and a real PostgreSQL, plus
 * what only a shared database shows: two nodes claiming at once never get the same delivery.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresStore } from '../src/server/store/postgres/store.js';
import { storeWebhooksContract } from './store-webhooks.contract.js';
import { onEveryStore } from './helpers/stores.js';

const pg = onEveryStore('Store contract (webhooks)', storeWebhooksContract, {
  closeOnReopen: true,
  sqlite: { prefix: 'scale-chat-hooks-', options: { checkpointer: false, searcher: false } },
});
const pgServer = pg.server;

if (!pg.missing) {
  describe('webhook claims on PostgreSQL, two nodes', () => {
    it('claiming concurrently, two nodes never get the same delivery', async () => {
      const url = await (await pgServer()).createDatabase();
      const a = new PostgresStore(url, { poolSize: 6 });
      const b = new PostgresStore(url, { poolSize: 6 });
      await a.init();
      await b.init();
      try {
        await a.createWebhook({ id: 'wh_a', url: 'http://127.0.0.1:9/', description: '', events: [], secret: 'whsec_x', enabled: true, createdAt: 1, createdBy: null });
        assert.equal(b.webhooksOn, false, 'b has not refreshed yet');
        assert.equal((await b.refreshWebhooks()).length, 1);
        assert.equal(b.webhooksOn, true);
        await a.createUser({ id: 'u1', name: 'ann', nameKey: 'ann', account: false, passwordHash: null, createdAt: 1 });
        for (let i = 0; i < 10; i++) {
          await (i % 2 ? a : b).append(Array.from({ length: 20 }, (_, j) => ({ room: 'general', id: `m${i}-${j}`, uid: 'u1', user: 'ann', text: 'x', ts: 1 })));
        }
        const now = Date.now() + 1000;
        const seen = new Map<number, string>();
        // Rounds of concurrent claims of 7 by each node until all 200 are claimed.
        for (let round = 0; round < 40 && seen.size < 200; round++) {
          const [ga, gb] = await Promise.all([a.claimDeliveries('wh_a', 'A', now, 60_000, 7), b.claimDeliveries('wh_a', 'B', now, 60_000, 7)]);
          for (const [who, got] of [['A', ga], ['B', gb]] as const) {
            for (const d of got) {
              assert.equal(seen.get(d.id), undefined, `delivery ${d.id} claimed by ${seen.get(d.id)} and ${who}`);
              seen.set(d.id, who);
            }
          }
        }
        assert.equal(seen.size, 200);
        assert.ok([...seen.values()].includes('A') && [...seen.values()].includes('B'), 'both nodes claimed some');
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
