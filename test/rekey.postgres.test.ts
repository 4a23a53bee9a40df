/**
 * Re-keying stored names in PostgreSQL (src/server/store/rekey.ts): rows written with the former name key
 * get the new one when the store opens; two nodes opening at once re-key once (advisory lock); two
 * accounts that now collide are both kept with distinct keys. Skipped without a PostgreSQL install.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { legacyNameKey, NAME_KEY_VERSION, nameKey } from '../src/server/common/name-key.js';
import { PostgresStore } from '../src/server/store/postgres/store.js';
import { NAME_KEY_SETTING } from '../src/server/store/rekey.js';
import { postgresMissing, startPostgres, type TestPostgres } from './helpers/postgres.js';

const missing = postgresMissing();
let server: TestPostgres | null = null;
after(async () => {
  await server?.cleanup();
});

describe('re-keying names in PostgreSQL', () => {
  it('old rows get new keys once, concurrent boots included; colliding accounts are both kept', { skip: missing ?? false, timeout: 120_000 }, async () => {
    server = await startPostgres();
    const url = await server.createDatabase();
    const first = new PostgresStore(url);
    await first.init();
    const user = (id: string, name: string, account: boolean, createdAt: number) => ({ id, name, nameKey: legacyNameKey(name), account, passwordHash: null, createdAt });
    await first.createUser(user('u0000000000000001', 'Mallory', true, 1));
    await first.createUser(user('u0000000000000002', 'M\u0430llory', true, 2)); // Cyrillic а: the former key let it in
    await first.createUser(user('u0000000000000003', 'rnallory', true, 3));
    await first.createUser(user('u0000000000000004', 'gu\u0435st', false, 4));
    await first.addBan({ nameKey: 'troll', name: 'Troll', reason: 'old', by: 'u0000000000000001', at: 1 });
    await first.addBan({ nameKey: 'tr0ll', name: 'TR0LL', reason: 'newer', by: 'u0000000000000001', at: 2 });
    await first.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('DELETE FROM settings WHERE key = $1', [NAME_KEY_SETTING]);

      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.message);
      process.on('warning', onWarning);
      const nodes = [new PostgresStore(url), new PostgresStore(url)];
      await Promise.all(nodes.map((s) => s.init()));
      await new Promise((r) => setImmediate(r));
      process.off('warning', onWarning);

      const keys = new Map((await client.query<{ id: string; name_key: string }>('SELECT id, name_key FROM users')).rows.map((r) => [r.id, r.name_key]));
      assert.equal(keys.get('u0000000000000001'), nameKey('Mallory'));
      assert.equal(keys.get('u0000000000000002'), legacyNameKey('M\u0430llory'));
      assert.equal(keys.get('u0000000000000003'), 'rnallory#u0000000000000003');
      assert.equal(keys.get('u0000000000000004'), nameKey('guest'));
      assert.equal(warnings.filter((w) => w.includes('now has the same name key')).length, 2, 'one node re-keyed, once: ' + JSON.stringify(warnings));
      const bans = (await client.query<{ name_key: string; reason: string }>('SELECT name_key, reason FROM bans')).rows;
      assert.deepEqual(bans, [{ name_key: nameKey('troll'), reason: 'newer' }]);
      const v = await client.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [NAME_KEY_SETTING]);
      assert.equal(v.rows[0].value, NAME_KEY_VERSION);
      assert.equal((await nodes[0].findAccount(nameKey('MALLORY')))?.id, 'u0000000000000001');
      await Promise.all(nodes.map((s) => s.close()));
    } finally {
      await client.end();
    }
  });
});
