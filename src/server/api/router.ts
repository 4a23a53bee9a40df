/**
 * The HTTP API under /api/v1/ (docs/api.md): JSON in and out, `Authorization: Bearer <API key>`.
 * For each request, in this order: the route (404 `not_found`, 405 `method_not_allowed` with Allow),
 * authentication (./auth.ts: 401 `unauthorized` / `key_revoked`, 403 `banned`), the route's scope (403
 * `scope_missing`), the key's rate limit (./rate.ts: 429 `rate_limited` + Retry-After), then the input:
 * path and query parameters and the JSON body validated by the route's zod schemas (./schemas.ts: 400
 * `bad_request` with `issues`), the body `application/json` (415) of at most 64 KiB (413, read with a
 * time bound: ../common/json-body.ts). Every answer is JSON, `{error: {code, message}}` on a refusal, with
 * `x-request-id`; one log line per request.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { z } from 'zod';
import { ErrorCode } from '../../protocol/codes.js';
import { readJsonBody } from '../common/json-body.js';
import { parseRequestTarget } from '../common/request-target.js';
import { authenticateRequest, type BearerAuthenticator } from './auth.js';
import { ApiError } from './errors.js';
import { openApiDocument } from './openapi.js';
import type { ApiRateLimiter } from './rate.js';
import type { RouteRequest, Routes } from './routes.js';
import { API_PREFIX, idempotencyKey, ROUTES, type RouteDef, type RouteId } from './schemas.js';

export const BODY_MAX = 64 * 1024;
const BODY_TIMEOUT_MS = 10_000;

export interface ApiRouterDeps {
  routes: Routes;
  authenticators: readonly BearerAuthenticator[];
  rate: ApiRateLimiter;
  log: Logger;
  /** The client's address (behind trusted proxies: X-Forwarded-For), for the logs and the handlers. */
  clientIp: (req: IncomingMessage) => string;
  /** scalechat_api_requests_total / scalechat_api_request_seconds (src/server/metrics.ts). */
  metrics?: Pick<Metrics, 'apiRequests' | 'apiSeconds'>;
}

interface Compiled {
  def: RouteDef;
  /** Path segments under /api/v1; a parameter is `{name}`. */
  parts: string[];
}

const COMPILED: Compiled[] = (ROUTES as readonly RouteDef[]).map((def) => ({ def, parts: def.path.split('/').filter(Boolean) }));

/** The routes whose path matches `segments`, and the parameters (a Map: names are ours, values the client's). */
function match(segments: string[]): { route: Compiled; params: Map<string, string> }[] {
  const out: { route: Compiled; params: Map<string, string> }[] = [];
  for (const route of COMPILED) {
    if (route.parts.length !== segments.length) continue;
    const params = new Map<string, string>();
    let ok = true;
    for (let i = 0; i < segments.length && ok; i++) {
      const p = route.parts[i];
      if (p.startsWith('{')) params.set(p.slice(1, -1), segments[i]);
      else ok = p === segments[i];
    }
    if (ok) out.push({ route, params });
  }
  return out;
}

function issuesOf(err: z.ZodError, where: string): { path: (string | number)[]; message: string }[] {
  return err.issues.slice(0, 20).map((i) => ({ path: [where, ...i.path.filter((p): p is string | number => typeof p !== 'symbol')], message: i.message }));
}

function validate<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new ApiError(400, ErrorCode.bad_request, `invalid ${where}`, { issues: issuesOf(r.error, where) });
  return r.data;
}

/** Only the names a schema declares are read from input (never the client's own keys as ours). */
function pick(schema: z.ZodObject, get: (name: string) => string | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const v = get(name);
    if (v !== null && v !== undefined) out[name] = v;
  }
  return out;
}

let openApiText: string | null = null;

export function createApiRouter(d: ApiRouterDeps) {
  const call = async (id: RouteId, req: RouteRequest, params: unknown, query: unknown, body: unknown): Promise<unknown> => {
    const r = d.routes;
    switch (id) {
      case 'publishMessage':
        return r.publishMessage(req, params as never, body as never);
      case 'readHistory':
        return r.readHistory(req, params as never, query as never);
      case 'createRoom':
        return r.createRoom(req, body as never);
      case 'addMember':
        return r.addMember(req, params as never);
      case 'removeMember':
        return r.removeMember(req, params as never);
      case 'roomOnline':
        return r.roomOnline(req, params as never);
      case 'online':
        return r.online();
      case 'openapi':
        return null; // answered before authentication
    }
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const given = req.headers['x-request-id'];
    const reqId = typeof given === 'string' && /^[\w.:-]{1,64}$/.test(given) ? given : randomUUID();
    const method = req.method ?? 'GET';
    const parsed = parseRequestTarget(req.url);
    let status = 200;
    let text = '';
    let subject: string | undefined;
    let routeId = 'unknown';
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-request-id': reqId };
    try {
      if (!parsed.ok) throw new ApiError(400, ErrorCode.bad_request, parsed.reason);
      // segments: ['api', 'v1', ...]
      const segments = parsed.target.segments.slice(2);
      const found = match(segments);
      if (!found.length) throw new ApiError(404, ErrorCode.not_found, `no API route ${parsed.target.path} (GET ${API_PREFIX}openapi.json lists them)`);
      const hit = found.find((f) => f.route.def.method === method || (method === 'HEAD' && f.route.def.method === 'GET'));
      if (!hit) {
        const allow = [...new Set(found.map((f) => f.route.def.method))].join(', ');
        throw new ApiError(405, ErrorCode.method_not_allowed, `${method} is not served here (${allow})`, { allow });
      }
      const def = hit.route.def;
      routeId = def.id;
      if (def.id === 'openapi') {
        text = openApiText ??= JSON.stringify(openApiDocument());
      } else {
        const who = await authenticateRequest(req, d.authenticators);
        if (!who.ok) throw new ApiError(who.status, who.code, who.message);
        const principal = who.principal;
        subject = principal.subject;
        if (def.scope && !principal.scopes.has(def.scope)) throw new ApiError(403, ErrorCode.scope_missing, `this key lacks the "${def.scope}" scope`);
        const wait = await d.rate.take(principal.subject);
        if (wait > 0) throw new ApiError(429, ErrorCode.rate_limited, `too many requests for this key: retry in ${Math.ceil(wait / 1000)} s`, { retryAfterMs: wait });
        const params = def.params ? validate(def.params, pick(def.params, (n) => hit.params.get(n)), 'path') : undefined;
        const query = def.query ? validate(def.query, pick(def.query, (n) => parsed.target.query.get(n)), 'query') : undefined;
        let body: unknown;
        if (def.body) {
          const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
          if (type !== 'application/json') throw new ApiError(415, ErrorCode.unsupported_media_type, 'send the body as application/json');
          const b = await readJsonBody(req, BODY_MAX, BODY_TIMEOUT_MS);
          if (!b.ok) {
            if (b.reason === 'too_large') throw new ApiError(413, ErrorCode.body_too_large, b.message);
            if (b.reason === 'incomplete') throw new ApiError(408, ErrorCode.bad_request, b.message);
            throw new ApiError(400, ErrorCode.bad_request, b.message);
          }
          body = validate(def.body, b.value, 'body');
        }
        const rawKey = req.headers['idempotency-key'];
        const routeReq: RouteRequest = {
          principal,
          ip: d.clientIp(req),
          headers: typeof rawKey === 'string' ? { idempotencyKey: validate(idempotencyKey, rawKey, 'Idempotency-Key header') } : {},
        };
        const out = await call(def.id as RouteId, routeReq, params, query, body);
        text = JSON.stringify(out);
      }
      status = def.status;
    } catch (err) {
      let e: ApiError;
      if (err instanceof ApiError) e = err;
      else {
        const ref = reqId.slice(0, 8);
        d.log.error({ err, req: reqId }, 'api request failed');
        e = new ApiError(500, ErrorCode.internal, `request failed (request id ${reqId}, ref ${ref}): not carried out`);
      }
      status = e.status;
      const retryAfterMs = e.extra.retryAfterMs;
      if (retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
      if (e.extra.allow) headers.allow = e.extra.allow;
      // A body left unread (413, 415, a refusal before reading) is not worth draining: close after answering.
      if (status === 413 || status === 408 || (req.readable && !req.readableEnded && status >= 400)) headers.connection = 'close';
      text = JSON.stringify({
        error: { code: e.code, message: e.message, ...(e.extra.issues ? { issues: e.extra.issues } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
      });
    }
    res.writeHead(status, headers);
    res.end(method === 'HEAD' ? undefined : text + '\n');
    const seconds = (performance.now() - started) / 1000;
    d.metrics?.apiRequests.inc({ route: routeId, status: String(status) });
    d.metrics?.apiSeconds.observe({ route: routeId }, seconds);
    const line = { req: reqId, method, path: parsed.ok ? parsed.target.path : '?', status, key: subject, ms: Math.round(seconds * 10000) / 10 };
    if (status >= 500) d.log.warn(line, 'api request');
    else d.log.debug(line, 'api request');
  };
}
