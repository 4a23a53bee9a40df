import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Searcher } from './searcher.js';
import { StoreBusyError } from '../search.js';

// A query that runs for seconds: counts to 2e9 in a recursive CTE.
const SLOW = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) AS n FROM c';

describe('Searcher (searches in a child process)', () => {
  let dir: string;
  let file: string;
  let db: Database.Database;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'searcher-'));
    file = path.join(dir, 'db.sqlite');
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    db.prepare('INSERT INTO t (v) VALUES (?)').run('committed');
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads what the writer committed, with named parameters', async () => {
    const s = new Searcher(file);
    try {
      assert.deepEqual(await s.all('SELECT v FROM t WHERE id = @id', { id: 1 }), [{ v: 'committed' }]);
      db.prepare('INSERT INTO t (v) VALUES (?)').run('later');
      assert.deepEqual(await s.all('SELECT v FROM t ORDER BY id', {}), [{ v: 'committed' }, { v: 'later' }]);
    } finally {
      await s.close();
    }
  });

  it('keeps the event loop free while a slow search runs in its process, stops it at the time limit, and goes on', async () => {
    const s = new Searcher(file, { timeoutMs: 600 });
    try {
      let ticks = 0;
      const t = setInterval(() => ticks++, 10);
      const slow = s.all(SLOW, {});
      const queued = s.all('SELECT count(*) AS n FROM t', {});
      await assert.rejects(slow, (err: Error) => err instanceof StoreBusyError && /stopped after 600 ms/.test(err.message));
      clearInterval(t);
      // The loop ran all along: ~60 ticks of 10 ms in 600 ms (a blocked loop would give 0 or 1).
      assert.ok(ticks >= 20, `event loop ticks during the slow search: ${ticks}`);
      assert.equal(s.timeouts, 1);
      // The search queued behind it runs in a new process.
      assert.ok(((await queued)[0] as { n: number }).n >= 1);
    } finally {
      await s.close();
    }
  });

  it('refuses at once beyond maxQueued waiting searches, and reports SQL errors to their caller', async () => {
    const s = new Searcher(file, { maxQueued: 2, timeoutMs: 300 });
    try {
      const running = s.all(SLOW, {});
      // Let the first start (it leaves the queue), then fill the queue.
      await new Promise((r) => setTimeout(r, 20));
      const a = s.all('SELECT 1 AS x', {});
      const b = s.all('SELECT 2 AS x', {});
      await assert.rejects(s.all('SELECT 3 AS x', {}), StoreBusyError);
      await assert.rejects(running, StoreBusyError);
      assert.deepEqual(await a, [{ x: 1 }]);
      assert.deepEqual(await b, [{ x: 2 }]);
      await assert.rejects(s.all('SELECT nope FROM t', {}), /no such column/);
      // A read-only connection: a search can never write.
      await assert.rejects(s.all("INSERT INTO t (v) VALUES ('x') RETURNING id", {}), /readonly|read-only/i);
    } finally {
      await s.close();
    }
  });
});
