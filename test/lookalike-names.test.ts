/**
 * Look-alike names against a real server: while `mallory` is online, Cyrillic `mаllory`, fullwidth
 * `ｍａｌｌｏｒｙ`, `rnallory` or `MALLORY` are refused (`name_taken`); an account's name cannot be
 * registered or used as a guest in a look-alike form; DMs, invites and bans by name reach the same user;
 * names are still shown as typed. And a data dir written with the former key (NFC + lower case) is
 * re-keyed at start: old accounts log in, look-alikes of them are refused, colliding accounts are kept.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { ErrorFrame, InvitedFrame, JoinedFrame, WelcomeFrame } from '../src/protocol/types.js';
import { legacyNameKey, nameKey, NAME_KEY_VERSION } from '../src/server/common/name-key.js';
import { NAME_KEY_SETTING } from '../src/server/store/rekey.js';
import { grantAdmin } from './helpers/admin.js';
import { RawClient } from './helpers/raw.js';
import { startServer, tempDir, type TestServer } from './helpers/server.js';

const PASSWORD = 'correct horse battery';
let nextId = 0;
const rid = () => `r${++nextId}`;

async function hello(url: string, auth: Record<string, unknown>): Promise<{ c: RawClient; first: WelcomeFrame | ErrorFrame }> {
  const c = await RawClient.open(url);
  c.send({ type: 'hello', v: 1, auth });
  const first = await c.next<WelcomeFrame | ErrorFrame>((e) => e.type === 'welcome' || e.type === 'error');
  return { c, first };
}

async function refused(url: string, auth: Record<string, unknown>): Promise<string> {
  const { c, first } = await hello(url, auth);
  assert.equal(first.type, 'error', `${JSON.stringify(auth)} was accepted: ${JSON.stringify(first)}`);
  await c.waitClose();
  return (first as ErrorFrame).code;
}

async function welcomed(url: string, auth: Record<string, unknown>): Promise<{ c: RawClient; w: WelcomeFrame }> {
  const { c, first } = await hello(url, auth);
  assert.equal(first.type, 'welcome', `${JSON.stringify(auth)}: ${JSON.stringify(first)}`);
  return { c, w: first as WelcomeFrame };
}

const LOOKALIKES = ['m\u0430llory', '\uFF4D\uFF41\uFF4C\uFF4C\uFF4F\uFF52\uFF59', 'rnallory', 'MALLORY', 'maIlory', 'ma1lory'];

describe('look-alike names on a running server', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ ratePerSec: 1000, rateBurst: 1000 });
  });
  after(async () => {
    await srv.cleanup();
  });

  it('while the guest mallory is online, look-alike guests get name_taken; once gone, the name is free', async () => {
    const m = await welcomed(srv.url, { kind: 'guest', name: 'mallory' });
    for (const name of LOOKALIKES) assert.equal(await refused(srv.url, { kind: 'guest', name }), 'name_taken', name);
    for (const name of LOOKALIKES) assert.equal(await refused(srv.url, { kind: 'register', name, password: PASSWORD }), 'name_taken', name);
    m.c.close();
    await m.c.waitClose();
    // The registry frees the key when the last connection goes (a moment after the close on the server).
    const deadline = Date.now() + 5000;
    for (;;) {
      const { c, first } = await hello(srv.url, { kind: 'guest', name: 'm\u0430llory' });
      if (first.type === 'welcome') {
        assert.equal((first as WelcomeFrame).user.name, 'm\u0430llory', 'shown as typed');
        c.close();
        break;
      }
      await c.waitClose();
      assert.ok(Date.now() < deadline, 'the name was not freed');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it('an account name: look-alikes can neither register nor join as guests; login works in any form of it', async () => {
    const v = await welcomed(srv.url, { kind: 'register', name: 'Victor', password: PASSWORD });
    assert.equal(v.w.user.name, 'Victor');
    v.c.close();
    await v.c.waitClose();
    await new Promise((r) => setTimeout(r, 100));
    for (const name of ['V\u0456ctor', 'v1ctor', '\uFF56\uFF49\uFF43\uFF54\uFF4F\uFF52', 'VICTOR']) {
      assert.equal(await refused(srv.url, { kind: 'register', name, password: PASSWORD }), 'name_taken', name);
      assert.equal(await refused(srv.url, { kind: 'guest', name }), 'name_taken', name);
    }
    const again = await welcomed(srv.url, { kind: 'login', name: 'VICTOR', password: PASSWORD });
    assert.equal(again.w.user.id, v.w.user.id);
    assert.equal(again.w.user.name, 'Victor', 'the name as registered');
    again.c.close();
  });

  it('names are stored and shown as typed (NFC), not as their key', async () => {
    const z = await welcomed(srv.url, { kind: 'guest', name: 'Zoe\u0308_\u0416' }); // decomposed ë, Cyrillic Ж
    assert.equal(z.w.user.name, 'Zo\u00EB_\u0416');
    z.c.close();
  });

  it('DMs and invites by name reach the holder of the name, whatever form of it is typed', async () => {
    const a = await welcomed(srv.url, { kind: 'guest', name: 'alice7' });
    const b = await welcomed(srv.url, { kind: 'guest', name: 'bobby7' });
    const dm = await a.c.request<JoinedFrame>({ type: 'dm', id: rid(), user: '\uFF42\uFF4F\uFF42\uFF42\uFF59\uFF17' }); // ｂｏｂｂｙ７
    assert.equal(dm.type, 'joined', JSON.stringify(dm));
    assert.ok(dm.room.id.includes(b.w.user.id), JSON.stringify(dm.room));
    const room = `lookalike${Date.now() % 100000}`;
    assert.equal((await a.c.request<JoinedFrame>({ type: 'create', id: rid(), room, visibility: 'private' })).type, 'joined');
    const inv = await a.c.request<InvitedFrame>({ type: 'invite', id: rid(), room, user: 'B0BBY7' });
    assert.equal(inv.type, 'invited', JSON.stringify(inv));
    assert.equal(inv.user.id, b.w.user.id);
    a.c.close();
    b.c.close();
  });

  it('a ban by name covers its look-alikes; kick by a look-alike form reaches the user', async () => {
    const boss = await welcomed(srv.url, { kind: 'register', name: 'bossy', password: PASSWORD });
    await grantAdmin(srv.dataDir, 'bossy');
    const api = (method: string, p: string, body?: unknown) =>
      fetch(`${srv.http}/admin/api/${p}`, { method, headers: { authorization: `Bearer ${boss.w.token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const s = await welcomed(srv.url, { kind: 'guest', name: 'spammer' });
    const kick = await api('POST', 'kick', { user: 'SP\u0410MMER' }); // Cyrillic capital А
    assert.equal(kick.status, 200, await kick.clone().text());
    assert.equal((await s.c.waitClose()).code, 4012);
    assert.equal((await api('POST', 'ban', { user: 'spammer', reason: 'spam' })).status, 200);
    for (const name of ['spammer', 'sp\u0430mmer', 'SPAMMER', 'spamrner', '\uFF53\uFF50\uFF41\uFF4D\uFF4D\uFF45\uFF52']) {
      assert.equal(await refused(srv.url, { kind: 'guest', name }), 'banned', name);
    }
    assert.equal((await api('DELETE', `ban/${encodeURIComponent('sp\u0430mmer')}`)).status, 200, 'unban by a look-alike form');
    const back = await welcomed(srv.url, { kind: 'guest', name: 'spammer' });
    back.c.close();
    boss.c.close();
  });
});

describe('re-keying a data dir written with the former key', () => {
  it('old accounts, guests and bans get the new key at start; two accounts that now collide are both kept', async () => {
    const dataDir = tempDir();
    const first = await startServer({}, dataDir);
    const m = await welcomed(first.url, { kind: 'register', name: 'Mallory', password: PASSWORD });
    m.c.close();
    const g = await welcomed(first.url, { kind: 'guest', name: 'gu\u0435st' }); // Cyrillic е
    g.c.close();
    await first.stop();

    // Make it look like a data dir of the former version: former keys, a look-alike account (which the
    // former key let in), a ban keyed the former way, and no record of the key version.
    const db = new Database(path.join(dataDir, 'scale-chat.db'));
    db.prepare('UPDATE users SET name_key = ?').run('placeholder-never-used');
    for (const r of db.prepare<[], { id: string; name: string }>('SELECT id, name FROM users').all()) {
      db.prepare('UPDATE users SET name_key = ? WHERE id = ?').run(legacyNameKey(r.name), r.id);
    }
    const created = (db.prepare<[], { t: number }>('SELECT max(created_at) AS t FROM users').get()!.t) + 10;
    const hash = db.prepare<[], { password_hash: string }>("SELECT password_hash FROM users WHERE name = 'Mallory'").get()!.password_hash;
    db.prepare('INSERT INTO users (id, name, name_key, account, password_hash, created_at) VALUES (?, ?, ?, 1, ?, ?)').run(
      'u00000000000000aa',
      'M\u0430llory',
      legacyNameKey('M\u0430llory'),
      hash,
      created,
    );
    db.prepare("INSERT INTO bans (name_key, name, reason, banned_by, created_at) VALUES ('troll', 'Troll', 'old ban', 'u1', 1)").run();
    db.prepare('DELETE FROM settings WHERE key = ?').run(NAME_KEY_SETTING);
    db.close();

    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const srv = await startServer({}, dataDir);
    try {
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      process.off('warning', onWarning);
      const check = new Database(path.join(dataDir, 'scale-chat.db'), { readonly: true });
      const rows = new Map(check.prepare<[], { id: string; name: string; name_key: string }>('SELECT id, name, name_key FROM users').all().map((r) => [r.name, r]));
      assert.equal(rows.get('Mallory')!.name_key, nameKey('Mallory'));
      assert.equal(rows.get('gu\u0435st')!.name_key, nameKey('guest'));
      assert.equal(rows.get('M\u0430llory')!.name_key, legacyNameKey('M\u0430llory'), 'the newer look-alike account keeps a key of its own');
      assert.equal(check.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?').get(NAME_KEY_SETTING)?.value, NAME_KEY_VERSION);
      check.close();
      assert.ok(warnings.some((w) => w.includes('M\u0430llory') && w.includes('u00000000000000aa')), `a warning names the collision: ${JSON.stringify(warnings)}`);

      // The older account logs in by any form of its name; look-alikes are refused; the old ban still holds.
      const back = await welcomed(srv.url, { kind: 'login', name: 'mallory', password: PASSWORD });
      assert.equal(back.w.user.name, 'Mallory');
      back.c.close();
      assert.equal(await refused(srv.url, { kind: 'register', name: 'rnallory', password: PASSWORD }), 'name_taken');
      assert.equal(await refused(srv.url, { kind: 'guest', name: 'ｍａｌｌｏｒｙ' }), 'name_taken');
      assert.equal(await refused(srv.url, { kind: 'guest', name: 'TR0LL' }), 'banned');
    } finally {
      process.off('warning', onWarning);
      await srv.cleanup();
    }
    // A second start has nothing to do: the version is recorded.
    const again = await startServer({}, dataDir);
    await again.cleanup();
  });
});
