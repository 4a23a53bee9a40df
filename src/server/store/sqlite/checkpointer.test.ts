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

test('checkpointer: steady commits keep a small WAL; close leaves everything in the database file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'scale-chat-ckpt-'));
  const file = path.join(dir, 'chat.db');
  try {
    const store = new SqliteStore(file);
    await store.init();
    await store.createRoom({ id: 'r', kind: 'public', createdBy: null, createdAt: 1 }, []);
    await store.createUser({ id: 'u1', name: 'u', nameKey: 'u', account: false, passwordHash: null, createdAt: 1 });
    const stats = (store as unknown as { checkpointer: { stats: { runs: number } } }).checkpointer.stats;
    let n = 0;
    let maxWal = 0;
    const until = Date.now() + 2600;
    while (Date.now() < until) {
      for (let k = 0; k < 20; k++, n++) await store.append([{ room: 'r', id: `m${n}`, uid: 'u1', user: 'u', text: 'x'.repeat(200), ts: n }]);
      maxWal = Math.max(maxWal, statSync(`${file}-wal`).size);
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.ok(stats.runs >= 2, `the worker checkpointed (${stats.runs} times)`);
    // One commit writes a few 4 KiB pages: without rewinds the WAL would hold every one of them.
    const unbounded = n * 3 * 4096;
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
