/**
 * `node dist/bench/webhooks-append.js`: what webhooks cost the message hot path: the SQLite store's
 * `append` (the group commit) timed with no webhook endpoint, and with one enabled (a delivery row
 * written per message in the same transaction), in batches of 1 and of 20 messages.
 *
 *   node dist/bench/webhooks-append.js [--messages 20000] [--runs 3] [--store-module <path to a built sqlite/store.js>]
 *   node dist/bench/webhooks-append.js --postgres [--messages 5000]     # a throwaway PostgreSQL (test/helpers/postgres.ts)
 *
 * `--store-module` runs the same loop against another build (e.g. the commit before webhooks, built in a
 * temp dir): it then measures only "no endpoint". Prints microseconds per message (median of the runs).
 * A file database (WAL, synchronous=NORMAL) in a temp dir, the checkpointer and searcher off.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : def;
};
if (argv.includes('--help')) {
  console.log('node dist/bench/webhooks-append.js [--messages 20000] [--runs 3] [--store-module path/to/sqlite/store.js]');
  process.exit(0);
}
const messages = Number(arg('messages', '20000'));
const runs = Number(arg('runs', '3'));
const modPath = arg('store-module', '');
const usePg = argv.includes('--postgres');

interface StoreLike {
  init(): Promise<void>;
  close(): Promise<void>;
  createUser(u: unknown): Promise<void>;
  append(batch: unknown[]): Promise<unknown[]>;
  createWebhook?: (w: unknown) => Promise<void>;
}

const pgHelper = usePg ? await import('../test/helpers/postgres.js') : null;
const pgServer = pgHelper ? await pgHelper.startPostgres() : null;
const pgMod = usePg ? ((await import('../src/server/store/postgres/store.js')) as unknown as { PostgresStore: new (url: string, o: unknown) => StoreLike }) : null;
const mod = (await import(modPath ? pathToFileURL(path.resolve(modPath)).href : '../src/server/store/sqlite/store.js')) as { SqliteStore: new (file: string, o: unknown) => StoreLike };

async function once(batch: number, hooks: boolean): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'scale-chat-hookbench-'));
  const store = pgMod && pgServer ? new pgMod.PostgresStore(await pgServer.createDatabase(), { poolSize: 4 }) : new mod.SqliteStore(path.join(dir, 'db'), { checkpointer: false, searcher: false });
  await store.init();
  await store.createUser({ id: 'u1', name: 'ann', nameKey: 'ann', account: false, passwordHash: null, createdAt: 1 });
  if (hooks) await store.createWebhook!({ id: 'wh_bench', url: 'http://127.0.0.1:9/', description: '', events: [], secret: 'whsec_x', enabled: true, createdAt: 1, createdBy: null });
  let n = 0;
  const t0 = performance.now();
  while (n < messages) {
    const b = Array.from({ length: batch }, () => ({ room: 'general', id: `m${++n}`, uid: 'u1', user: 'ann', text: 'a message of an ordinary length, about sixty characters', ts: Date.now() }));
    await store.append(b);
  }
  const us = ((performance.now() - t0) * 1000) / n;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return us;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const modes: [string, boolean][] = [['no endpoint', false]];
if (!modPath) modes.push(['one endpoint enabled', true]);
for (const batch of [1, 20]) {
  for (const [label, hooks] of modes) {
    const xs: number[] = [];
    for (let r = 0; r < runs; r++) xs.push(await once(batch, hooks));
    console.log(`batch ${String(batch).padStart(2)}  ${label.padEnd(22)} ${median(xs).toFixed(1)} us/message  (runs: ${xs.map((x) => x.toFixed(1)).join(', ')})`);
  }
}
await pgServer?.cleanup();
