/**
 * Who is an administrator is the operator's decision, never a race: the first account is not an admin,
 * a name listed nowhere is refused (403), `scale-chat admin grant NAME` (the real CLI, in a child process,
 * against the data dir a running server uses) makes an account admin at once, `revoke` undoes it, and
 * `--admins` takes account ids (names are refused at start). With no admin the server tells the
 * operator at start how to make one.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import type { WelcomeFrame } from '../src/protocol/types.js';
import { nameKey } from '../src/server/common/name-key.js';
import { loadConfig } from '../src/server/config.js';
import { SqliteStore } from '../src/server/store/sqlite/store.js';
import { adminCli } from './helpers/admin.js';
import { RawClient } from './helpers/raw.js';
import { startServer, tempDir, type TestServer } from './helpers/server.js';

const PASSWORD = 'correct horse battery';

function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, sink), lines };
}

async function signIn(srv: TestServer, kind: 'register' | 'login' | 'guest', name: string): Promise<WelcomeFrame & { close(): void }> {
  const c = await RawClient.open(srv.url);
  c.send({ type: 'hello', v: 1, auth: kind === 'guest' ? { kind, name } : { kind, name, password: PASSWORD } });
  const w = await c.next<WelcomeFrame>((e) => e.type === 'welcome' || e.type === 'error');
  assert.equal(w.type, 'welcome', JSON.stringify(w));
  return Object.assign(w, { close: () => c.close() });
}

async function me(srv: TestServer, token: string): Promise<boolean> {
  const r = await fetch(`${srv.http}/admin/api/me`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  return ((await r.json()) as { admin: boolean }).admin;
}

async function stats(srv: TestServer, token: string): Promise<number> {
  const r = await fetch(`${srv.http}/admin/api/stats`, { headers: { authorization: `Bearer ${token}` } });
  await r.body?.cancel();
  return r.status;
}

const notices = (lines: Record<string, unknown>[]) => lines.filter((l) => typeof l.msg === 'string' && l.msg.includes('scale-chat admin grant'));

describe('the admin role', () => {
  const dataDir = tempDir();
  let srv: TestServer | undefined;
  after(async () => {
    await srv?.cleanup();
  });

  it('no one is an admin by registering first; the server says how to grant the role', async () => {
    const log = capture();
    srv = await startServer({}, dataDir, { logger: log.logger });
    assert.equal(notices(log.lines).length, 1, JSON.stringify(log.lines));
    assert.equal(notices(log.lines)[0].level, 40);
    const first = await signIn(srv, 'register', 'alice');
    assert.equal(await me(srv, first.token), false, 'the first account is not an admin');
    assert.equal(await stats(srv, first.token), 403);
    first.close();
  });

  it('`scale-chat admin grant NAME` on the running server\'s data dir: admin at once; others still 403', async () => {
    const cli = await adminCli(['grant', 'alice', '--data-dir', dataDir]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^alice \(u[0-9a-f]{16}\) is now an admin\n$/);
    const alice = await signIn(srv!, 'login', 'alice');
    assert.equal(await me(srv!, alice.token), true);
    assert.equal(await stats(srv!, alice.token), 200);
    const other = await signIn(srv!, 'register', 'nobody');
    assert.equal(await me(srv!, other.token), false, 'a name listed nowhere');
    assert.equal(await stats(srv!, other.token), 403);
    const guest = await signIn(srv!, 'guest', 'someguest');
    assert.equal(await stats(srv!, guest.token), 403);
    for (const c of [alice, other, guest]) c.close();

    // list (configured by the environment this time), a repeat grant, revoke.
    const list = await adminCli(['list'], { SCALE_CHAT_DATA_DIR: dataDir });
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout, `${alice.user.id}\talice\n`);
    assert.match((await adminCli(['grant', 'ALICE', '--data-dir', dataDir])).stdout, /was already an admin/);
    const revoke = await adminCli(['revoke', alice.user.id, '--data-dir', dataDir]);
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.match(revoke.stdout, /alice \(u[0-9a-f]{16}\) is no longer an admin/);
    assert.equal(await stats(srv!, alice.token), 403, 'revoked at once');
  });

  it('the CLI refuses what is no account, with exit codes', async () => {
    const none = await adminCli(['grant', 'ghost', '--data-dir', dataDir]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no account "ghost"/);
    assert.equal((await adminCli(['grant', 'someguest', '--data-dir', dataDir])).code, 1, 'a guest cannot be an admin');
    const bad = await adminCli(['grant', '<script>', '--data-dir', dataDir]);
    assert.equal(bad.code, 2);
    const missing = await adminCli(['grant', 'alice', '--data-dir', path.join(dataDir, 'nope')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no database at/);
    assert.equal((await adminCli(['grant', '--data-dir', dataDir])).code, 2, 'no NAME');
  });

  it('--admins takes account ids, never names; an upgraded data dir is told its first account is no admin', async () => {
    assert.throws(() => loadConfig({ admins: 'nobody' }, {}), /"nobody" is not an account id.*scale-chat admin grant NAME/);
    await srv!.stop();
    // The former version recorded the first account as the admin.
    const store = new SqliteStore(path.join(dataDir, 'scale-chat.db'));
    await store.init();
    const alice = (await store.findAccount(nameKey('alice')))!;
    const nobody = (await store.findUserByName('nobody'))!;
    assert.equal(alice.name, 'alice');
    await store.setSetting('first_account', alice.id);
    await store.close();

    let log = capture();
    srv = await startServer({}, dataDir, { logger: log.logger });
    assert.match(String(notices(log.lines)[0]?.msg), /the first account \("alice"\) is no longer an admin by default/);
    const a = await signIn(srv, 'login', 'alice');
    assert.equal(await me(srv, a.token), false);
    await srv.stop();

    log = capture();
    srv = await startServer({ admins: [nobody.id] }, dataDir, { logger: log.logger });
    assert.deepEqual(notices(log.lines), [], 'an admin exists: nothing to say');
    const n = await signIn(srv, 'login', 'nobody');
    assert.equal(await me(srv, n.token), true, 'configured by id');
    assert.equal(await me(srv, a.token), false);
    n.close();
    a.close();
  });
});
