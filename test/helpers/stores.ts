/**
 * Store harnesses for the contract suites (test/store*.contract.ts): one SQLite file or one PostgreSQL
 * database per harness, reopened on the same data, closed at cleanup; and `onEveryStore`, which runs a
 * contract against both backends (PostgreSQL skipped loudly where it is not installed; CI installs it).
 */
import { after, describe, it } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore, type SqliteStoreOptions } from '../../src/server/store/sqlite/store.js';
import { PostgresStore } from '../../src/server/store/postgres/store.js';
import type { Store } from '../../src/server/store/store.js';
import type { StoreFactory, StoreHarness } from '../store.contract.js';
import { postgresMissing, startPostgres, type TestPostgres } from './postgres.js';

interface HarnessOptions {
  /** Close the stores opened so far before `reopen` opens the next (a restart, not a second node). */
  closeOnReopen?: boolean;
}

async function harness(openStore: () => Store, o: HarnessOptions, cleanup: () => void = () => {}): Promise<StoreHarness> {
  const opened: Store[] = [];
  const open = async (): Promise<Store> => {
    if (o.closeOnReopen) for (const s of opened.splice(0)) await s.close();
    const s = openStore();
    opened.push(s);
    await s.init();
    return s;
  };
  return {
    store: await open(),
    reopen: open,
    cleanup: async () => {
      for (const s of opened) await s.close();
      cleanup();
    },
  };
}

/** A SQLite store in a new temp dir (`file`: its path inside it), removed at cleanup. */
export function sqliteStores(o: HarnessOptions & { prefix?: string; file?: string; options?: SqliteStoreOptions } = {}): StoreFactory {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), o.prefix ?? 'scale-chat-store-'));
    const file = path.join(dir, o.file ?? 'chat.db');
    return harness(() => new SqliteStore(file, o.options), o, () => fs.rmSync(dir, { recursive: true, force: true }));
  };
}

/** A PostgreSQL store on a new database of `server` (one server per test file, started at first use). */
export function postgresStores(database: () => Promise<string>, o: HarnessOptions = {}): StoreFactory {
  return async () => {
    const url = await database();
    return harness(() => new PostgresStore(url, { poolSize: 4 }), o);
  };
}

/** This file's PostgreSQL server: started at first use, stopped after the file's tests. */
export function filePostgres(): { missing: string | null; server: () => Promise<TestPostgres>; database: () => Promise<string> } {
  const missing = postgresMissing();
  let server: Promise<TestPostgres> | null = null;
  after(async () => {
    if (server) await (await server).cleanup();
  });
  const get = (): Promise<TestPostgres> => (server ??= startPostgres());
  return { missing: missing ?? null, server: get, database: async () => (await get()).createDatabase() };
}

/**
 * Runs `contract(name, factory)` against SQLite and PostgreSQL. Returns this file's PostgreSQL (for tests
 * only a shared database can show).
 */
export function onEveryStore(
  title: string,
  contract: (name: string, makeStore: StoreFactory) => void,
  o: HarnessOptions & { sqlite?: { prefix?: string; file?: string; options?: SqliteStoreOptions } } = {},
): ReturnType<typeof filePostgres> {
  contract('sqlite', sqliteStores({ ...o.sqlite, closeOnReopen: o.closeOnReopen }));
  const pg = filePostgres();
  if (pg.missing) {
    describe(`${title}: postgres`, () => {
      it('runs against a real PostgreSQL', { skip: pg.missing! }, () => {});
    });
  } else {
    contract('postgres', postgresStores(pg.database, o));
  }
  return pg;
}
