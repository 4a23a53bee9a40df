/**
 * The authorization matrix of the HTTP API (docs/api.md): every route of the route table (ROUTES in
 * src/server/api/schemas.ts, the same one the router serves and the OpenAPI document lists) is called
 * with no key, a forged key, a revoked key, a key of each scope it does not need, and a key with exactly
 * the scope it needs; each cell is the status and code a caller would see. A route without its row fails
 * the test (the rows are a Record over the route ids: a missing one does not compile, and the run checks
 * it too). Refused cells change nothing: the room the rows write to holds only what the right key wrote.
 * Also here: the OpenAPI document is well-formed (OpenAPI 3.1, every route with its method, unique
 * operation ids, every $ref resolvable, every schema an object).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { API_SCOPES, type ApiScope } from '../src/protocol/admin.js';
import type { MsgEvent } from '../src/protocol/types.js';
import { ROUTES, type RouteId } from '../src/server/api/schemas.js';
import { adminAccount, call, createKey } from './helpers/api.js';
import { RawClient } from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';

let srv: TestServer;
let adminToken: string;
let closeAll: (() => void)[] = [];
/** A key with exactly one scope, per scope; a revoked key (all scopes). */
const keys = new Map<ApiScope, string>();
let revoked = '';
let room = '';
let member = '';
let n = 0;

before(async () => {
  srv = await startServer({ apiRatePerSec: 1000, apiRateBurst: 1000 });
  const a = await adminAccount(srv, 'matrixadmin');
  adminToken = a.token;
  closeAll.push(() => a.c.close());
  for (const s of API_SCOPES) keys.set(s, (await createKey(srv, adminToken, `only${s}`, [s])).key);
  const r = await createKey(srv, adminToken, 'gonebot', [...API_SCOPES]);
  revoked = r.key;
  assert.equal((await call(srv, 'DELETE', `/admin/api/keys/${r.apiKey.id}`, adminToken)).status, 200);
  // The rooms-scoped bot owns the room the rows use; the others are added to it so that only the scope decides.
  room = 'matrix-room';
  assert.equal((await call(srv, 'POST', '/api/v1/rooms', keys.get('rooms'), { room, visibility: 'private' })).status, 201);
  for (const s of ['publish', 'history'] as const) assert.equal((await call(srv, 'PUT', `/api/v1/rooms/${room}/members/only${s}`, keys.get('rooms'))).status, 200);
  const g = await RawClient.guest(srv.url, 'matrixguest');
  member = g.welcome.user.name;
  closeAll.push(() => g.c.close());
});
after(async () => {
  for (const f of closeAll) f();
  closeAll = [];
  await srv?.cleanup();
});

interface Row {
  method: string;
  /** The path, for a caller that may call it (the right key). */
  path: () => string;
  body?: () => unknown;
  /** The status with the right scope. */
  ok: number;
}

const ROWS: Record<Exclude<RouteId, 'openapi'>, Row> = {
  publishMessage: { method: 'POST', path: () => `/api/v1/rooms/${room}/messages`, body: () => ({ text: 'from the matrix', idempotencyKey: `mx${++n}` }), ok: 201 },
  readHistory: { method: 'GET', path: () => `/api/v1/rooms/${room}/messages?limit=10`, ok: 200 },
  createRoom: { method: 'POST', path: () => '/api/v1/rooms', body: () => ({ room: `mx-${++n}`, visibility: 'public' }), ok: 201 },
  addMember: { method: 'PUT', path: () => `/api/v1/rooms/${room}/members/${member}`, ok: 200 },
  removeMember: { method: 'DELETE', path: () => `/api/v1/rooms/${room}/members/${member}`, ok: 200 },
  roomOnline: { method: 'GET', path: () => `/api/v1/rooms/${room}/online`, ok: 200 },
  online: { method: 'GET', path: () => '/api/v1/online', ok: 200 },
};

test('api authz matrix: every route x no key, forged, revoked, each wrong scope, the right scope', async () => {
  const mismatches: string[] = [];
  let cells = 0;
  for (const r of ROUTES) {
    if (r.id === 'openapi') continue;
    if (!Object.hasOwn(ROWS, r.id)) {
      mismatches.push(`route ${r.method} ${r.path} (${r.id}) has no row`);
      continue;
    }
    const row = ROWS[r.id];
    if (row.method !== r.method) mismatches.push(`${r.id}: the row calls ${row.method}, the route is ${r.method}`);
    const cellsOf: [string, string | undefined, number, string][] = [
      ['no key', undefined, 401, 'unauthorized'],
      ['forged key', `sck_${'0'.repeat(16)}_${'A'.repeat(43)}`, 401, 'unauthorized'],
      ['revoked key', revoked, 401, 'key_revoked'],
      ...API_SCOPES.filter((s) => s !== r.scope).map((s): [string, string, number, string] => [`${s} key`, keys.get(s)!, 403, 'scope_missing']),
    ];
    for (const [who, key, status, code] of cellsOf) {
      cells++;
      const res = await call(srv, row.method, row.path(), key, row.body?.());
      if (res.status !== status || res.body.error?.code !== code) mismatches.push(`${r.method} ${r.path} x ${who}: expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
    }
    cells++;
    const res = await call(srv, row.method, row.path(), keys.get(r.scope), row.body?.());
    if (res.status !== row.ok) mismatches.push(`${r.method} ${r.path} x ${r.scope} key: expected ${row.ok}, got ${res.status} ${JSON.stringify(res.body)}`);
    // The answer is what the route's response schema (and so the OpenAPI document) says it is.
    else if (!r.response.safeParse(res.body).success) mismatches.push(`${r.method} ${r.path}: the response does not match its schema: ${JSON.stringify(res.body)}`);
  }
  for (const id of Object.keys(ROWS)) if (!ROUTES.some((r) => r.id === id)) mismatches.push(`row ${id} names no route`);
  // Refused publishes wrote nothing: the room holds exactly the one message the publish key sent.
  const h = await call<{ messages: MsgEvent[] }>(srv, 'GET', `/api/v1/rooms/${room}/messages`, keys.get('history'));
  const texts = h.body.messages.map((m) => `${m.user}: ${m.text}`);
  if (texts.length !== 1 || texts[0] !== 'onlypublish: from the matrix') mismatches.push(`the room holds ${JSON.stringify(texts)}`);
  console.log(`api authz matrix: ${ROUTES.length - 1} routes, ${cells} cells, ${mismatches.length} mismatches`);
  assert.deepEqual(mismatches, []);
});

test('the OpenAPI document is well-formed: 3.1, every route, every $ref resolvable, no authentication needed', async () => {
  const res = await fetch(`${srv.http}/api/v1/openapi.json`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const doc = (await res.json()) as {
    openapi: string;
    info: { title: string; version: string };
    paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown>; security?: unknown[]; parameters?: { name: string; in: string }[] }>>;
    components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  };
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.info.title && doc.info.version);
  const ids = new Set<string>();
  for (const r of ROUTES) {
    const op = doc.paths[`/api/v1${r.path}`]?.[r.method.toLowerCase()];
    assert.ok(op, `${r.method} ${r.path} is in the document`);
    assert.equal(op.operationId, r.id);
    assert.ok(!ids.has(op.operationId), 'operation ids are unique');
    ids.add(op.operationId);
    assert.ok(op.responses[String(r.status)], `${r.id} documents its ${r.status}`);
    for (const name of [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
      assert.ok(op.parameters?.some((p) => p.name === name && p.in === 'path'), `${r.id} documents the path parameter ${name}`);
    }
    if (r.scope) assert.ok(op.responses['401'] && op.responses['403'], `${r.id} documents 401 and 403`);
  }
  let count = 0;
  const refs: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref') refs.push(String(x));
        else walk(x);
      }
    }
  };
  walk(doc);
  for (const ref of refs) {
    count++;
    const m = /^#\/components\/schemas\/(\w+)$/.exec(ref);
    assert.ok(m && Object.hasOwn(doc.components.schemas, m[1]), `${ref} resolves`);
  }
  for (const [name, s] of Object.entries(doc.components.schemas)) assert.equal(typeof s, 'object', `component ${name}`);
  assert.ok(count >= ROUTES.length, 'responses reference their components');
  assert.ok(Object.hasOwn(doc.components.securitySchemes, 'apiKey'));
});
