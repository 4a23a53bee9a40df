/**
 * The HTTP API on two nodes sharing PostgreSQL and Redis (docs/api.md): a key made on node A works on
 * node B; a message published over HTTP on A reaches a WebSocket client on B with `bot: true`, the bot's
 * own WebSocket on B included; revoking the key through A's admin API closes the bot's connection on B
 * (4016) and B's HTTP API refuses the key at once; the key's rate limit is counted cluster-wide (Redis).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CreateApiKeyResponse } from '../src/protocol/admin.js';
import type { ErrorFrame, MsgEvent, WelcomeFrame } from '../src/protocol/types.js';
import { setAdmin } from '../src/server/admin/authz.js';
import { PostgresStore } from '../src/server/store/postgres/store.js';
import { call } from './helpers/api.js';
import { postgresMissing, startPostgres, type TestPostgres } from './helpers/postgres.js';
import { RawClient } from './helpers/raw.js';
import { redisMissing, startRedis, type TestRedis } from './helpers/redis.js';
import { startServer, type TestServer } from './helpers/server.js';

const skip = redisMissing() ?? postgresMissing() ?? false;

describe('HTTP API on two nodes (PostgreSQL + Redis)', { skip }, () => {
  let redis: TestRedis;
  let pg: TestPostgres;
  let a: TestServer;
  let b: TestServer;
  let adminToken = '';
  const open: RawClient[] = [];

  before(async () => {
    redis = await startRedis();
    pg = await startPostgres();
    const postgresUrl = await pg.createDatabase('apichat');
    const flags = { redisUrl: redis.url, postgresUrl, ratePerSec: 1000, rateBurst: 1000, apiRatePerSec: 1, apiRateBurst: 6 };
    a = await startServer(flags);
    b = await startServer(flags);
    const c = await RawClient.open(a.url);
    open.push(c);
    c.send({ type: 'hello', v: 1, auth: { kind: 'register', name: 'clusterboss', password: 'correct horse battery' } });
    const w = await c.next<WelcomeFrame>((e) => e.type === 'welcome');
    adminToken = w.token;
    const store = new PostgresStore(postgresUrl, { poolSize: 1 });
    await store.init();
    await setAdmin(store, w.user.id, true);
    await store.close();
  });
  after(async () => {
    for (const c of open) c.close();
    await a?.cleanup();
    await b?.cleanup();
    await redis?.cleanup();
    await pg?.cleanup();
  });

  it('made on A, used on B; published on A, received on B with bot: true; revoked on A, closed and refused on B; rate limit cluster-wide', async () => {
    const made = await call<CreateApiKeyResponse>(a, 'POST', '/admin/api/keys', adminToken, { name: 'clusterbot', scopes: ['publish', 'history'] });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const key = made.body.key;

    const bot = await RawClient.open(b.url);
    open.push(bot);
    bot.send({ type: 'hello', v: 1, auth: { kind: 'apikey', key } });
    assert.equal((await bot.next<WelcomeFrame>((e) => e.type === 'welcome')).user.bot, true);
    const { c: reader } = await RawClient.guest(b.url, 'clusterreader');
    open.push(reader);

    const pub = await call<{ seq: number }>(a, 'POST', '/api/v1/rooms/general/messages', key, { text: 'across nodes', idempotencyKey: 'x-1' });
    assert.equal(pub.status, 201, JSON.stringify(pub.body));
    const got = await reader.next<MsgEvent>((e) => e.type === 'msg' && e.seq === pub.body.seq);
    assert.deepEqual([got.text, got.bot, got.user], ['across nodes', true, 'clusterbot']);
    assert.equal((await bot.next<MsgEvent>((e) => e.type === 'msg' && e.seq === pub.body.seq)).bot, true);
    const h = await call<{ messages: MsgEvent[] }>(b, 'GET', `/api/v1/rooms/general/messages?after=${pub.body.seq - 1}`, key);
    assert.equal(h.body.messages[0]?.bot, true);

    // Burst 6 per window for the key across both nodes: 2 used above (one on each); 6 more, alternating, make
    // 4 on each node (under either node's own bucket of 6) and 8 in all: the 7th and 8th are refused by the
    // window counted in Redis.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call(i % 2 ? a : b, 'GET', '/api/v1/online', key)).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429], 'the cluster-wide window refuses past the burst');

    const revoke = await call(a, 'DELETE', `/admin/api/keys/${made.body.apiKey.id}`, adminToken);
    assert.equal(revoke.status, 200);
    assert.equal((await bot.next<ErrorFrame>((e) => e.type === 'error')).code, 'key_revoked');
    assert.equal((await bot.waitClose()).code, 4016);
    const refused = await call(b, 'GET', '/api/v1/online', key);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error?.code, 'key_revoked');
  });
});
