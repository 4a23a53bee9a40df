/**
 * WAL checkpoints in a worker thread: under steady writes the worker checkpoints, the WAL keeps
 * rewinding (it does not grow with the number of commits), and closing the store leaves every
 * message in the database file with an empty WAL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteStore } from './store.js';

/**
 * Appends for `ms` in small bursts; returns the messages written, the largest WAL seen and the WAL bytes
 * one commit adds (measured over the first burst, before any checkpoint could run: what the WAL would
 * grow by per commit without rewinds, search index pages included).
 */
async function steadyWrites(store: SqliteStore, file: string, ms: number): Promise<{ n: number; maxWal: number; perCommit: number }> {
  await store.createRoom({ id: 'r', kind: 'public', createdBy: null, createdAt: 1 }, []);
  await store.createUser({ id: 'u1', name: 'u', nameKey: 'u', account: false, passwordHash: null, createdAt: 1 });
  let n = 0;
  let maxWal = 0;
  let perCommit = 0;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const before = n === 0 ? statSync(`${file}-wal`).size : 0;
    for (let k = 0; k < 20; k++, n++) await store.append([{ room: 'r', id: `m${n}`, uid: 'u1', user: 'u', text: 'x'.repeat(200), ts: n }]);
    const wal = statSync(`${file}-wal`).size;
    if (n === 20) perCommit = (wal - before) / 20;
    maxWal = Math.max(maxWal, wal);
    await new Promise((r) => setTimeout(r, 2));
  }
  return { n, maxWal, perCommit };
}

const statsOf = (store: SqliteStore) => (store as unknown as { checkpointer: { stats: { runs: number; catchUps: number } } }).checkpointer.stats;

test('checkpointer: steady commits keep the WAL near rewindFrames; close leaves everything in the database file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'scale-chat-ckpt-'));
  const file = path.join(dir, 'chat.db');
  try {
    const store = new SqliteStore(file, { checkpointer: { rewindFrames: 200 } });
    await store.init();
    const { n, maxWal, perCommit } = await steadyWrites(store, file, 2600);
    const stats = statsOf(store);
    assert.ok(stats.runs >= 2, `the worker checkpointed (${stats.runs} times)`);
    assert.ok(stats.catchUps >= 1, `the writer rewound the WAL (${stats.catchUps} times)`);
    // One commit writes a few 4 KiB pages (the message, its room, the search index): without rewinds the WAL would hold every one of them.
    const unbounded = n * perCommit;
    assert.ok(maxWal < unbounded / 3, `WAL stayed at ${maxWal} bytes for ${n} commits (${unbounded} without rewinding)`);
    await store.close();
    assert.ok(!existsSync(`${file}-wal`) || statSync(`${file}-wal`).size === 0, 'no WAL left after close');
    const again = new SqliteStore(file, { checkpointer: false });
    await again.init();
    const last = await again.history('r', { limit: 1 });
    assert.equal(last[0].seq, n, 'every message is there');
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkpointer: the writer catches up at most every rewindMaxMs when the WAL stays small, not after every worker checkpoint', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'scale-chat-ckpt-time-'));
  const file = path.join(dir, 'chat.db');
  try {
    const store = new SqliteStore(file, { checkpointer: { intervalMs: 100, rewindMaxMs: 700, rewindFrames: 1e9 } });
    await store.init();
    await steadyWrites(store, file, 2400);
    const { runs, catchUps } = statsOf(store);
    assert.ok(runs >= 10, `the worker checkpointed every 100 ms (${runs} times)`);
    assert.ok(catchUps >= 1 && catchUps <= 4, `${catchUps} catch-ups in 2.4 s at most every 700 ms (worker: ${runs})`);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkpointer: a process that never closes its store still exits (the worker does not hold it)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'scale-chat-ckpt-exit-'));
  try {
    const store = new URL('./store.js', import.meta.url).href;
    const code = `import { SqliteStore } from ${JSON.stringify(store)};
      const s = new SqliteStore(${JSON.stringify(path.join(dir, 'chat.db'))});
      await s.init();
      await s.createRoom({ id: 'r', kind: 'public', createdBy: null, createdAt: 1 }, []);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { timeout: 15_000, encoding: 'utf8' });
    assert.equal(r.signal, null, 'exited by itself, not killed by the timeout');
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
