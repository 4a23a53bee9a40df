/**
 * Outgoing webhooks against real servers and a real local HTTP receiver (test/helpers/webhook-receiver.ts):
 * - the receiver first fails (500s, then connection resets), then recovers: every event (messages created,
 *   edited, reacted, deleted; members joined and left; a room created) arrives at least once, each with a
 *   valid signature and timestamp, one id per event (duplicates counted), and the delivery log shows the
 *   attempts; a disabled endpoint gets nothing; admins only, http(s) only;
 * - kill -9 of the server while deliveries are pending, restart on the same data dir: none is lost;
 * - PostgreSQL and two server nodes: each event is delivered by one node (no double delivery).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AckFrame, JoinedFrame, WelcomeFrame } from '../src/protocol/types.js';
import type { AdminWebhookCreated, AdminWebhookDeliveriesResponse, AdminWebhooksResponse } from '../src/protocol/webhooks.js';
import { adminCli, grantAdmin } from './helpers/admin.js';
import { waitUntil } from './helpers/binaries.js';
import { startNode, type NodeProcess } from './helpers/nodes.js';
import { postgresMissing, startPostgres, type TestPostgres } from './helpers/postgres.js';
import pgLib from 'pg';
import { RawClient } from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';
import { startReceiver, type Receiver } from './helpers/webhook-receiver.js';

const PgClient = pgLib.Client;
let nextId = 0;
const rid = () => `r${++nextId}`;

async function api<T = Record<string, unknown>>(http: string, method: string, p: string, token: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(`${http}/admin/api/${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as T };
}

async function say(c: RawClient, room: string, text: string): Promise<AckFrame> {
  const r = await c.request<AckFrame>({ type: 'send', id: rid(), room, text });
  assert.equal(r.type, 'ack', JSON.stringify(r));
  return r;
}

async function change(c: RawClient, frame: Record<string, unknown>): Promise<AckFrame> {
  const r = await c.request<AckFrame>({ id: rid(), ...frame } as never);
  assert.equal(r.type, 'ack', JSON.stringify(r));
  return r;
}

describe('webhooks: a failing receiver that recovers, on a real server', () => {
  let srv: TestServer;
  let rx: Receiver;
  let boss: { c: RawClient; token: string };
  let bob: { c: RawClient; token: string };

  before(async () => {
    rx = await startReceiver();
    srv = await startServer({ webhookPollMs: 50, webhookRetryBaseMs: 100, webhookTimeoutMs: 2000, ratePerSec: 1000, rateBurst: 1000 });
    const c = await RawClient.open(srv.url);
    c.send({ type: 'hello', v: 1, auth: { kind: 'register', name: 'boss', password: 'correct horse battery' } });
    const w = await c.next<WelcomeFrame>((e) => e.type === 'welcome');
    boss = { c, token: w.token };
    await grantAdmin(srv.dataDir, 'boss');
    const g = await RawClient.guest(srv.url, 'bob');
    bob = { c: g.c, token: g.welcome.token };
  });
  after(async () => {
    boss?.c.close();
    bob?.c.close();
    await srv?.cleanup();
    await rx?.close();
  });

  it('admins only; http(s) URLs only; bad events refused', async () => {
    assert.equal((await api(srv.http, 'GET', 'webhooks', bob.token)).status, 403);
    assert.equal((await api(srv.http, 'POST', 'webhooks', bob.token, { url: rx.url() })).status, 403);
    for (const url of ['file:///etc/passwd', 'gopher://127.0.0.1/', 'javascript:alert(1)', 'http://user:pw@127.0.0.1/', 'not a url', 42]) {
      const r = await api(srv.http, 'POST', 'webhooks', boss.token, { url });
      assert.equal(r.status, 400, String(url));
      assert.equal(r.body.error, 'url_invalid');
    }
    const r = await api(srv.http, 'POST', 'webhooks', boss.token, { url: rx.url(), events: ['message.created', 'nope'] });
    assert.equal(r.body.error, 'events_invalid');
    assert.deepEqual((await api<AdminWebhooksResponse>(srv.http, 'GET', 'webhooks', boss.token)).body.webhooks, []);
    assert.equal((await api(srv.http, 'PATCH', 'webhooks/wh_0000000000000000', boss.token, { enabled: false })).status, 404);
  });

  it('every event arrives at least once, signed, after 500s and connection resets; the log shows the attempts; a disabled endpoint gets nothing', async () => {
    // The first 6 requests get 500, the next 6 a reset connection, then the receiver is well.
    rx.plan = (n) => (n <= 6 ? 500 : n <= 12 ? 'reset' : 200);
    const created = await api<AdminWebhookCreated>(srv.http, 'POST', 'webhooks', boss.token, { url: rx.url('/hook'), description: 'test receiver' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.match(created.body.secret, /^whsec_[0-9a-f]{64}$/);
    rx.secrets.set('/hook', created.body.secret);
    const id = created.body.webhook.id;
    const off = await api<AdminWebhookCreated>(srv.http, 'POST', 'webhooks', boss.token, { url: rx.url('/off'), enabled: false });
    assert.equal(off.body.webhook.enabled, false);
    const listed = await api<AdminWebhooksResponse>(srv.http, 'GET', 'webhooks', boss.token);
    assert.deepEqual(listed.body.webhooks.map((w) => [w.id, w.enabled, 'secret' in w]), [[id, true, false], [off.body.webhook.id, false, false]], 'the secret is never listed');

    // What a user does: a room, a member joining, messages, an edit, a reaction, a removal, a member leaving.
    const joined = await boss.c.request<JoinedFrame>({ type: 'create', id: rid(), room: 'hooks', visibility: 'public' });
    assert.equal(joined.type, 'joined');
    assert.equal((await bob.c.request<JoinedFrame>({ type: 'join', id: rid(), room: 'hooks' })).type, 'joined');
    const m1 = await say(boss.c, 'hooks', 'first');
    await say(bob.c, 'hooks', 'second @boss');
    await say(boss.c, 'hooks', 'third');
    await change(boss.c, { type: 'edit', room: 'hooks', target: m1.seq, text: 'first, edited' });
    await change(bob.c, { type: 'react', room: 'hooks', target: m1.seq, emoji: '👍', on: true });
    await change(boss.c, { type: 'remove', room: 'hooks', target: m1.seq });
    assert.equal((await bob.c.request({ type: 'leave', id: rid(), room: 'hooks' })).type, 'left');
    const expected = ['room.created', 'member.joined', 'member.joined', 'message.created', 'message.created', 'message.created', 'message.edited', 'message.reacted', 'message.deleted', 'member.left'];

    await waitUntil(() => rx.delivered('/hook').size >= expected.length, 30_000, 'every event delivered');
    const got = rx.delivered('/hook');
    const events = [...got.values()].map((x) => x.event);
    assert.deepEqual(events.map((e) => e.type).sort(), [...expected].sort());
    assert.equal(new Set(events.map((e) => e.id)).size, expected.length, 'one id per event');
    const dup = [...got.values()].reduce((n, x) => n + x.times - 1, 0);
    const hookReqs = rx.requests.filter((q) => q.path === '/hook');
    assert.ok(hookReqs.every((q) => q.valid), 'every request signed with the secret, fresh timestamp, event id header = body id');
    assert.ok(hookReqs.filter((q) => q.answered === 500).length >= 1 && hookReqs.filter((q) => q.answered === 'reset').length >= 1, 'it did fail first');
    assert.equal(rx.requests.filter((q) => q.path === '/off').length, 0, 'a disabled endpoint gets nothing');
    // The data, as a receiver reads it.
    const byType = (t: string) => events.filter((e) => e.type === t);
    const created2 = byType('message.created').find((e) => (e.data as { text: string }).text === 'second @boss')!;
    assert.equal((created2.data as { room: string }).room, 'hooks');
    assert.equal((created2.data as { user: { name: string } }).user.name, 'bob');
    assert.deepEqual((created2.data as { mentions?: { name: string }[] }).mentions?.map((u) => u.name), ['boss']);
    assert.equal((byType('message.edited')[0].data as { text: string }).text, 'first, edited');
    assert.equal((byType('member.left')[0].data as { user: { name: string } }).user.name, 'bob');
    console.log(`# webhooks: ${hookReqs.length} requests for ${expected.length} events (${hookReqs.filter((q) => q.answered !== 200).length} failed by the receiver, ${dup} duplicate deliveries)`);

    // The delivery log, as the admin page shows it.
    await waitUntil(async () => (await api<AdminWebhookDeliveriesResponse>(srv.http, 'GET', `webhooks/${id}/deliveries`, boss.token)).body.deliveries.every((d) => d.state === 'delivered'), 5000, 'log settled');
    const log = (await api<AdminWebhookDeliveriesResponse>(srv.http, 'GET', `webhooks/${id}/deliveries`, boss.token)).body.deliveries;
    assert.equal(log.length, expected.length);
    assert.ok(log.every((d) => d.deliveredAt !== null && d.lastStatus === 200 && d.nextAt === null));
    assert.ok(log.some((d) => d.attempts > 1), 'some took several attempts');
    assert.deepEqual(new Set(log.map((d) => d.eventId)), new Set(got.keys()));
    const page = (await api<AdminWebhookDeliveriesResponse>(srv.http, 'GET', `webhooks/${id}/deliveries?limit=3&before=${log[2].id}`, boss.token)).body.deliveries;
    assert.deepEqual(page.map((d) => d.id), log.slice(3, 6).map((d) => d.id));

    // Disabled: new events are not sent to it; deleted: gone, with its log.
    assert.equal((await api(srv.http, 'PATCH', `webhooks/${id}`, boss.token, { enabled: false })).status, 200);
    const before = rx.requests.length;
    await say(boss.c, 'general', 'nobody hears this');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rx.requests.length, before);
    const rotated = await api<{ secret: string }>(srv.http, 'PATCH', `webhooks/${id}`, boss.token, { rotateSecret: true });
    assert.match(rotated.body.secret, /^whsec_/);
    assert.notEqual(rotated.body.secret, created.body.secret);
    assert.equal((await api(srv.http, 'DELETE', `webhooks/${id}`, boss.token)).status, 200);
    assert.equal((await api(srv.http, 'GET', `webhooks/${id}/deliveries`, boss.token)).status, 404);
    const audit = (await api<{ entries: { action: string; detail: string }[] }>(srv.http, 'GET', 'audit', boss.token)).body.entries;
    assert.deepEqual(audit.filter((e) => e.action.startsWith('webhook_')).map((e) => e.action), ['webhook_remove', 'webhook_change', 'webhook_change', 'webhook_add', 'webhook_add']);
    assert.ok(audit.every((e) => !e.detail.includes('whsec_')), 'no secret in the audit log');
  });
});

describe('webhooks: timeouts, and the last attempt failed for good', () => {
  let srv: TestServer;
  let rx: Receiver;
  let boss: string;
  before(async () => {
    rx = await startReceiver();
    srv = await startServer({ webhookPollMs: 50, webhookRetryBaseMs: 50, webhookMaxAttempts: 3, webhookTimeoutMs: 300 });
    const c = await RawClient.open(srv.url);
    c.send({ type: 'hello', v: 1, auth: { kind: 'register', name: 'boss', password: 'correct horse battery' } });
    boss = (await c.next<WelcomeFrame>((e) => e.type === 'welcome')).token;
    c.close();
    await grantAdmin(srv.dataDir, 'boss');
  });
  after(async () => {
    await srv?.cleanup();
    await rx?.close();
  });

  it('a receiver that never answers is a timeout; after the last attempt the delivery is failed, in the log, and not retried', async () => {
    rx.plan = (_n, p) => (p === '/slow' ? 'hang' : 500);
    const slow = (await api<AdminWebhookCreated>(srv.http, 'POST', 'webhooks', boss, { url: rx.url('/slow'), events: ['message.created'] })).body.webhook.id;
    const dead = (await api<AdminWebhookCreated>(srv.http, 'POST', 'webhooks', boss, { url: rx.url('/dead'), events: ['message.created'] })).body.webhook.id;
    const { c } = await RawClient.guest(srv.url, 'dora');
    await say(c, 'general', 'anyone?');
    c.close();
    const log = async (id: string) => (await api<AdminWebhookDeliveriesResponse>(srv.http, 'GET', `webhooks/${id}/deliveries`, boss)).body.deliveries;
    await waitUntil(async () => (await log(dead))[0]?.state === 'failed' && (await log(slow))[0]?.state === 'failed', 15_000, 'both failed for good');
    const [d] = await log(dead);
    assert.deepEqual({ attempts: d.attempts, lastStatus: d.lastStatus, nextAt: d.nextAt, deliveredAt: d.deliveredAt }, { attempts: 3, lastStatus: 500, nextAt: null, deliveredAt: null });
    const [s] = await log(slow);
    assert.deepEqual({ attempts: s.attempts, lastStatus: s.lastStatus, lastError: s.lastError }, { attempts: 3, lastStatus: null, lastError: 'timeout' });
    const n = rx.requests.length;
    assert.equal(n, 6, 'three attempts each');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(rx.requests.length, n, 'failed is final');
    const listed = (await api<AdminWebhooksResponse>(srv.http, 'GET', 'webhooks', boss)).body.webhooks;
    assert.deepEqual(listed.map((w) => [w.pending, w.failed, w.delivered]), [[0, 1, 0], [0, 1, 0]]);
  });
});

describe('webhooks: kill -9 with deliveries pending, restart on the same data', () => {
  let node: NodeProcess;
  let rx: Receiver;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'scale-chat-hooks-'));
  before(async () => {
    rx = await startReceiver();
    node = await startNode({ dataDir, webhookPollMs: 100, webhookRetryBaseMs: 1500, webhookTimeoutMs: 2000, ratePerSec: 1000, rateBurst: 1000 });
  });
  after(async () => {
    await node?.cleanup();
    await rx?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses none', async () => {
    rx.plan = () => 503;
    // The operator adds the endpoint with the CLI while the server runs; the server sees it on its next poll.
    const cli = await adminCli(['webhook', 'add', rx.url('/hook'), '--events', 'message.created', '--data-dir', dataDir]);
    assert.equal(cli.code, 0, cli.stderr);
    const secret = /secret: (whsec_[0-9a-f]{64})/.exec(cli.stdout)?.[1];
    assert.ok(secret, cli.stdout);
    rx.secrets.set('/hook', secret);
    await new Promise((r) => setTimeout(r, 400));
    const { c } = await RawClient.guest(node.url, 'carol');
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      await say(c, 'general', `m${i}`);
      sent.push(`m${i}`);
    }
    await waitUntil(() => rx.requests.length >= 4, 10_000, 'first attempts failing');
    c.close();
    await node.kill();
    const failedBefore = rx.requests.length;
    rx.plan = () => 200;
    await node.start();
    await waitUntil(() => rx.delivered('/hook').size >= 20, 30_000, 'all 20 delivered after the restart');
    const texts = [...rx.delivered('/hook').values()].map((x) => (x.event.data as { text: string }).text).sort();
    assert.deepEqual(texts, [...sent].sort());
    assert.ok(rx.requests.every((q) => q.valid), 'signed');
    const list = await adminCli(['webhook', 'list', '--data-dir', dataDir]);
    assert.match(list.stdout, /enabled\t0\/0\/20\t/);
    console.log(`# webhooks restart: ${failedBefore} failed attempts before kill -9, ${rx.requests.length - failedBefore} requests after, 20 of 20 delivered`);
  });

  it('SIGTERM with a request in flight: the drain ends it within the timeout, and the next start delivers it', async () => {
    rx.plan = () => 'hang';
    const { c } = await RawClient.guest(node.url, 'dave');
    await say(c, 'general', 'in flight at shutdown');
    c.close();
    const seen = rx.requests.length;
    await waitUntil(() => rx.requests.length > seen, 10_000, 'the request in flight');
    const t0 = Date.now();
    assert.equal(await node.stop(), 0, 'drained and exited 0');
    const drainMs = Date.now() - t0;
    assert.ok(drainMs < 2000 + 3000, `drain took ${drainMs} ms (request timeout 2000)`);
    rx.plan = () => 200;
    await node.start();
    await waitUntil(() => [...rx.delivered('/hook').values()].some((x) => (x.event.data as { text: string }).text === 'in flight at shutdown'), 15_000, 'delivered after the restart');
    console.log(`# webhooks drain: SIGTERM with a hanging request drained in ${drainMs} ms`);
  });
});

const pgMissing = postgresMissing();
describe('webhooks: PostgreSQL and two nodes', { skip: pgMissing ?? false }, () => {
  let pg: TestPostgres;
  let postgresUrl = '';
  let nodes: NodeProcess[] = [];
  let rx: Receiver;
  before(async () => {
    rx = await startReceiver();
    pg = await startPostgres();
  });
  after(async () => {
    for (const n of nodes) await n.cleanup();
    await rx?.close();
    await pg?.cleanup();
  });

  it('each event is delivered by one node', async () => {
    postgresUrl = await pg.createDatabase('hooks');
    const flags = { postgresUrl, webhookPollMs: 50, webhookRetryBaseMs: 200, webhookTimeoutMs: 1000, ratePerSec: 1000, rateBurst: 1000 };
    nodes = await Promise.all([startNode(flags), startNode(flags)]);
    const cli = await adminCli(['webhook', 'add', rx.url('/hook'), '--postgres-url', postgresUrl]);
    assert.equal(cli.code, 0, cli.stderr);
    rx.secrets.set('/hook', /secret: (whsec_[0-9a-f]{64})/.exec(cli.stdout)![1]);
    await new Promise((r) => setTimeout(r, 300));
    const clients = await Promise.all(nodes.map((n, i) => RawClient.guest(n.url, `writer${i}`)));
    const N = 60;
    for (let i = 0; i < N; i++) await say(clients[i % 2].c, 'general', `x${i}`);
    await waitUntil(() => rx.delivered('/hook').size >= N, 30_000, `${N} delivered`);
    await new Promise((r) => setTimeout(r, 500)); // any double delivery would show up now
    const got = rx.delivered('/hook');
    assert.equal(got.size, N);
    assert.equal(rx.requests.length, N, 'no event sent twice');
    assert.ok(rx.requests.every((q) => q.valid));
    // Which node sent how many (their metrics): both took part, the sum is N.
    const sent = await Promise.all(
      nodes.map(async (n) => {
        const text = await (await fetch(`${n.http}/metrics`)).text();
        return Number(/scalechat_webhook_deliveries_total\{outcome="delivered"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
      }),
    );
    assert.equal(sent[0] + sent[1], N);
    console.log(`# webhooks two nodes: ${N} events, sent by the nodes ${sent.join(' + ')}, ${rx.requests.length} requests`);
    for (const { c } of clients) c.close();
  });

  it('a node killed (kill -9) with requests in flight: the other node sends them once their leases end', async () => {
    // Every request hangs: both nodes hold leased deliveries when node 0 dies.
    rx.plan = () => 'hang';
    const before = rx.requests.length;
    const { c } = await RawClient.guest(nodes[1].url, 'late');
    const N = 12;
    for (let i = 0; i < N; i++) await say(c, 'general', `crash${i}`);
    c.close();
    // Both nodes hold leases (two lease owners among the rows in flight): the one killed leaves some behind.
    const db = new PgClient({ connectionString: postgresUrl });
    await db.connect();
    const owners = async () =>
      (await db.query<{ n: number }>("SELECT count(DISTINCT lease_owner)::int AS n FROM webhook_deliveries WHERE state = 'pending' AND lease_until > $1", [Date.now()])).rows[0].n;
    try {
      await waitUntil(async () => rx.requests.length - before >= 4 && (await owners()) === 2, 10_000, 'both nodes with requests in flight');
    } finally {
      await db.end();
    }
    await nodes[0].kill();
    rx.plan = () => 200;
    const t0 = Date.now();
    const texts = () => new Set([...rx.delivered('/hook').values()].map((x) => (x.event.data as { text: string }).text).filter((t) => t.startsWith('crash')));
    await waitUntil(() => texts().size >= N, 40_000, `the ${N} delivered by the surviving node`);
    console.log(`# webhooks node crash: ${N} of ${N} delivered by the surviving node ${Date.now() - t0} ms after the kill`);
  });
});
