/**
 * The HTTP API in tests (docs/api.md): an admin account (registered over WebSocket, granted as the operator
 * does), API keys made through the admin API, and calls to /api/v1 with fetch.
 */
import assert from 'node:assert/strict';
import type { CreateApiKeyResponse } from '../../src/protocol/admin.js';
import type { WelcomeFrame } from '../../src/protocol/types.js';
import { grantAdmin } from './admin.js';
import { RawClient } from './raw.js';
import type { TestServer } from './server.js';

export interface ApiRes<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T & { error?: { code: string; message: string; issues?: unknown[]; retryAfterMs?: number } };
}

export async function call<T = Record<string, unknown>>(srv: TestServer, method: string, path: string, key?: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiRes<T>> {
  const h: Record<string, string> = { ...headers };
  if (key) h.authorization = `Bearer ${key}`;
  if (body !== undefined && !h['content-type']) h['content-type'] = 'application/json';
  const r = await fetch(`${srv.http}${path}`, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: (text ? JSON.parse(text) : {}) as ApiRes<T>['body'] };
}

/** Registers `name` over WebSocket and makes it an admin (the operator's grant); returns its session token. */
export async function adminAccount(srv: TestServer, name: string): Promise<{ c: RawClient; token: string }> {
  const c = await RawClient.open(srv.url);
  c.send({ type: 'hello', v: 1, auth: { kind: 'register', name, password: 'correct horse battery' } });
  const w = await c.next<WelcomeFrame>((e) => e.type === 'welcome' || e.type === 'error');
  assert.equal(w.type, 'welcome', JSON.stringify(w));
  await grantAdmin(srv.dataDir, name);
  return { c, token: w.token };
}

/** POST /admin/api/keys as `adminToken`: the key (shown once) and its listing. */
export async function createKey(srv: TestServer, adminToken: string, name: string, scopes: string[]): Promise<CreateApiKeyResponse> {
  const r = await call<CreateApiKeyResponse>(srv, 'POST', '/admin/api/keys', adminToken, { name, scopes });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}
