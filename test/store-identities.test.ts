/**
 * The external identities contract (test/store-identities.contract.ts) against SQLite and a real PostgreSQL.
 */
import { after, describe, it } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../src/server/store/sqlite/store.js';
import { PostgresStore } from '../src/server/store/postgres/store.js';
import type { Store } from '../src/server/store/store.js';
import { storeIdentitiesContract } from './store-identities.contract.js';
import { postgresMissing, startPostgres, type TestPostgres } from './helpers/postgres.js';

storeIdentitiesContract('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-chat-ids-'));
  const file = path.join(dir, 'chat.db');
  const opened: Store[] = [];
  const open = async (): Promise<Store> => {
    const s = new SqliteStore(file);
    opened.push(s);
    await s.init();
    return s;
  };
  return {
    store: await open(),
    reopen: open,
    cleanup: async () => {
      for (const s of opened) await s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

const missing = postgresMissing();
let server: Promise<TestPostgres> | null = null;
after(async () => {
  if (server) await (await server).cleanup();
});

if (missing) {
  describe('Store contract (external identities): postgres', () => {
    it('runs against a real PostgreSQL', { skip: missing }, () => {});
  });
} else {
  storeIdentitiesContract('postgres', async () => {
    const url = await (await (server ??= startPostgres())).createDatabase();
    const opened: Store[] = [];
    const open = async (): Promise<Store> => {
      const s = new PostgresStore(url, { poolSize: 4 });
      opened.push(s);
      await s.init();
      return s;
    };
    return {
      store: await open(),
      reopen: open,
      cleanup: async () => {
        for (const s of opened) await s.close();
      },
    };
  });
}
