/**
 * The store's guarantees as a user of a real server notices them: a resend after an admin reset or delete
 * gets its original ack and stores no copy; offline guests that never wrote are forgotten after guestTtlMs
 * (their token stops working) while online guests, writers and accounts stay; the data directory and the
 * database files are private whatever the umask, and an existing open one is reported in the logs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino, type Logger } from 'pino';
import type { AckFrame, ErrorFrame, HistoryFrame, JoinedFrame, MsgEvent, WelcomeFrame } from '../src/protocol/types.js';
import { hashPassword } from '../src/server/auth/passwords.js';
import { SqliteStore } from '../src/server/store/sqlite/store.js';
import { RawClient } from './helpers/raw.js';
import { startServer, tempDir } from './helpers/server.js';

const PASSWORD = 'correct horse battery';
const ADMIN_ID = 'u00000000000000ad';
let nextId = 0;
const rid = () => `r${++nextId}`;

/** A store with an administrator account already in it (`--admins` names its id). */
async function storeWithAdmin(dataDir: string): Promise<SqliteStore> {
  const store = new SqliteStore(path.join(dataDir, 'scale-chat.db'));
  await store.init();
  await store.createUser({ id: ADMIN_ID, name: 'boss', nameKey: 'boss', account: true, passwordHash: await hashPassword(PASSWORD), createdAt: Date.now() });
  return store;
}

async function hello(url: string, auth: Record<string, unknown>): Promise<{ c: RawClient; first: WelcomeFrame | ErrorFrame }> {
  const c = await RawClient.open(url);
  c.send({ type: 'hello', v: 1, auth });
  const first = await c.next<WelcomeFrame | ErrorFrame>((e) => e.type === 'welcome' || e.type === 'error');
  return { c, first };
}

async function api(http: string, method: string, p: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${http}/admin/api/${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function waitUntil(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('idempotency across admin actions (a real server)', () => {
  it('resending an acked id after a room reset or an admin delete gets the original ack; history holds no copy', async () => {
    const dataDir = tempDir();
    const store = await storeWithAdmin(dataDir);
    const srv = await startServer({ admins: [ADMIN_ID], ratePerSec: 1000, rateBurst: 1000 }, dataDir, { store });
    try {
      const admin = await hello(srv.url, { kind: 'login', name: 'boss', password: PASSWORD });
      assert.equal(admin.first.type, 'welcome', JSON.stringify(admin.first));
      const token = (admin.first as WelcomeFrame).token;
      const { c } = await RawClient.guest(srv.url, 'writer');
      const room = 'idem';
      assert.equal((await c.request<JoinedFrame>({ type: 'create', id: rid(), room, visibility: 'public' })).type, 'joined');
      const send = (id: string, text: string) => c.request<AckFrame | ErrorFrame>({ type: 'send', id, room, text });
      const history = async () => (await c.request<HistoryFrame>({ type: 'history', id: rid(), room, limit: 50 })).messages;

      const a1 = await send('m-1', 'first');
      const a2 = await send('m-2', 'second');
      assert.deepEqual([a1.type, a2.type], ['ack', 'ack']);

      // Reset: the room is empty; a resend of an acked message is answered with its original ack.
      const reset = await api(srv.http, 'POST', `rooms/${room}/reset`, token);
      assert.equal(reset.status, 200, JSON.stringify(reset.body));
      await c.next((e) => e.type === 'room_reset');
      const msgsBefore = c.all<MsgEvent>('msg').length;
      assert.deepEqual(await send('m-1', 'first'), a1, 'the original ack (room, seq, ts)');
      assert.deepEqual(await send('m-2', 'second'), a2);
      assert.deepEqual(await history(), [], 'no copy stored');
      const other = await send('m-1', 'another text');
      assert.deepEqual([other.type, (other as ErrorFrame).code], ['error', 'id_conflict']);
      const a3 = (await send('m-3', 'third')) as AckFrame;
      assert.equal(a3.seq, 3, 'new messages continue after the reset');

      // Admin delete: the tombstone answers the resend with the original ack.
      const del = await api(srv.http, 'DELETE', 'message', token, { room, seq: a3.seq });
      assert.equal(del.status, 200, JSON.stringify(del.body));
      await c.next((e) => e.type === 'deleted');
      assert.deepEqual(await send('m-3', 'third'), a3);
      const h = await history();
      assert.deepEqual(h.map((m) => [m.seq, m.id, m.text, m.deleted]), [[3, 'm-3', '', true]], 'only the tombstone, no copy');
      assert.deepEqual(
        c.all<MsgEvent>('msg').slice(msgsBefore).map((m) => m.id),
        ['m-3'],
        'resends broadcast nothing (only m-3 itself was delivered)',
      );
      c.close();
      admin.c.close();
    } finally {
      await srv.cleanup();
    }
  });
});

describe('guest expiry (a real server)', () => {
  it('offline guests that never wrote are deleted after guestTtlMs; online guests, writers and accounts stay', async () => {
    const dataDir = tempDir();
    const store = await storeWithAdmin(dataDir);
    const srv = await startServer({ guestTtlMs: 300 }, dataDir, { store });
    try {
      const online = await RawClient.guest(srv.url, 'stays');
      const lurker = await RawClient.guest(srv.url, 'lurker');
      assert.equal((await lurker.c.request<JoinedFrame>({ type: 'create', id: rid(), room: 'lurk', visibility: 'public' })).type, 'joined');
      lurker.c.close();
      const writer = await RawClient.guest(srv.url, 'writes');
      assert.equal((await writer.c.request({ type: 'send', id: 'w1', room: 'general', text: 'hi' })).type, 'ack');
      writer.c.close();
      await lurker.c.waitClose();
      await writer.c.waitClose();

      // The sweep runs every second (guestTtlMs / 4, at least 1 s).
      await waitUntil(async () => (await store.getUser(lurker.welcome.user.id)) === null, 8000, 'the lurker to be deleted');
      assert.ok(await store.getUser(online.welcome.user.id), 'an online guest is kept');
      assert.ok(await store.getUser(writer.welcome.user.id), 'a guest that wrote is kept');
      assert.ok(await store.getUser(ADMIN_ID), 'accounts are kept');
      assert.equal(await store.isMember('lurk', lurker.welcome.user.id), false, 'its memberships went with it');

      // Its session token no longer makes anyone that guest; the writer's still does.
      const back = await hello(srv.url, { kind: 'token', token: lurker.welcome.token });
      assert.deepEqual([back.first.type, (back.first as ErrorFrame).code], ['error', 'token_invalid']);
      const again = await hello(srv.url, { kind: 'token', token: writer.welcome.token });
      assert.equal(again.first.type, 'welcome');
      assert.equal((again.first as WelcomeFrame).user.id, writer.welcome.user.id);
      again.c.close();
      online.c.close();
    } finally {
      await srv.cleanup();
    }
  });

  it('guestTtlMs 0 keeps every guest', async () => {
    const dataDir = tempDir();
    const store = new SqliteStore(path.join(dataDir, 'scale-chat.db'));
    const srv = await startServer({ guestTtlMs: 0 }, dataDir, { store });
    try {
      const g = await RawClient.guest(srv.url, 'forever');
      g.c.close();
      await g.c.waitClose();
      await new Promise((r) => setTimeout(r, 1500));
      assert.ok(await store.getUser(g.welcome.user.id));
    } finally {
      await srv.cleanup();
    }
  });
});

describe('data files are private', () => {
  const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8).padStart(4, '0');

  function captureLogs(): { logger: Logger; lines: () => Record<string, unknown>[] } {
    const out: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        out.push(chunk.toString());
        cb();
      },
    });
    const logger = pino({ level: 'warn' }, stream);
    return { logger, lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  it('with umask 022, a new data dir is 0700 and the database, -wal and -shm files 0600; nothing is reported', async () => {
    const old = process.umask(0o022);
    const root = tempDir();
    try {
      const dataDir = path.join(root, 'nested', 'data');
      const logs = captureLogs();
      const srv = await startServer({}, dataDir, { logger: logs.logger });
      try {
        const g = await RawClient.guest(srv.url, 'filer');
        assert.equal((await g.c.request({ type: 'send', id: 'f1', room: 'general', text: 'x' })).type, 'ack');
        g.c.close();
        const db = path.join(dataDir, 'scale-chat.db');
        assert.equal(mode(dataDir), '0700');
        assert.equal(mode(path.join(root, 'nested')), '0700', 'missing parents too');
        for (const f of [db, `${db}-wal`, `${db}-shm`]) assert.equal(mode(f), '0600', f);
        assert.deepEqual(logs.lines().filter((l) => /accessible/.test(String(l.msg))), []);
      } finally {
        await srv.stop();
      }
    } finally {
      process.umask(old);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('an existing 0755 data dir and 0644 database are used, with a warning naming the path and the mode', async () => {
    const old = process.umask(0o022);
    const dataDir = tempDir();
    try {
      fs.chmodSync(dataDir, 0o755);
      const db = path.join(dataDir, 'scale-chat.db');
      const seed = new SqliteStore(db);
      await seed.init();
      await seed.close();
      fs.chmodSync(db, 0o644);
      const logs = captureLogs();
      const srv = await startServer({}, dataDir, { logger: logs.logger });
      await srv.stop();
      const warned = logs.lines().filter((l) => l.level === 40 && /accessible by group or others/.test(String(l.msg)));
      assert.deepEqual(
        warned.map((l) => [l.path, l.mode]),
        [
          [dataDir, '0755'],
          [db, '0644'],
        ],
      );
      assert.equal(mode(dataDir), '0755', 'left as the operator set it');
    } finally {
      process.umask(old);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
