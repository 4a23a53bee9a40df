/**
 * The admin HTTP API under /admin/api/*: JSON in and out, `Authorization: Bearer <session token>`.
 * 401 without a valid token, 403 `forbidden` for a non-admin (checked before anything is read or changed),
 * 400 with an error code for bad input, 404 for an unknown target. Every response carries `x-request-id`
 * (the client's, when it sent a sane one), and so does the one log line per request.
 *
 *   GET    /admin/api/me                      who am I, am I an admin (any signed-in user)
 *   GET    /admin/api/stats                   nodes, connections, online users, rooms, msgs/s
 *   GET    /admin/api/rooms                   rooms (DMs excepted) with member counts and flags
 *   POST   /admin/api/kick                    {user}
 *   POST   /admin/api/ban                     {user, reason?}
 *   DELETE /admin/api/ban/{user}              unban
 *   GET    /admin/api/bans
 *   DELETE /admin/api/message                 {room, seq}
 *   POST   /admin/api/rooms/{id}/reset
 *   DELETE /admin/api/rooms/{id}
 *   POST   /admin/api/rooms/{id}/read-only    {readOnly}
 *   GET    /admin/api/audit?limit=&before=
 *   GET    /admin/api/log-level   PUT /admin/api/log-level {level}
 *   GET    /admin/api/keys   POST /admin/api/keys {name, scopes}   DELETE /admin/api/keys/{id}   (API keys, docs/api.md)
 *   GET    /admin/api/webhooks                webhook endpoints (./webhooks.ts)   POST {url, events?, description?, enabled?}
 *   PATCH  /admin/api/webhooks/{id}           {enabled?, url?, events?, description?, rotateSecret?}   DELETE /admin/api/webhooks/{id}
 *   GET    /admin/api/webhooks/{id}/deliveries?limit=&before=   the delivery log, newest first
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AdminAuditResponse, AdminBansResponse, AdminErrorBody, AdminMeResponse, AdminRoomsResponse, LogLevelResponse } from '../../protocol/admin.js';
import { GLOBAL_ROOM } from '../../protocol/rules.js';
import type { ClusterState } from '../cluster/state.js';
import type { AdminStore, UserRecord } from '../store/store.js';
import { AdminError, type AdminActions } from './actions.js';
import type { AdminAuthz } from './authz.js';
import type { StatsSampler } from './stats.js';
import type { ApiKeyActions } from './api-keys.js';
import type { WebhookAdmin } from './webhooks.js';
import { parseRequestTarget } from '../common/request-target.js';
import { readJsonBody } from '../common/json-body.js';

export const ADMIN_PREFIX = '/admin/api/';
const BODY_MAX = 16 * 1024;
const LIST_MAX = 500;

export interface RouterDeps {
  authz: AdminAuthz;
  actions: AdminActions;
  stats: StatsSampler;
  store: AdminStore;
  cluster: ClusterState;
  log: Logger;
  nodeId: string;
  /** API keys (./api-keys.ts): /admin/api/keys. */
  keys?: ApiKeyActions;
  /** Webhook endpoints (absent: /admin/api/webhooks answers 404). */
  webhooks?: WebhookAdmin;
}

/** The body as a JSON object (../common/json-body.ts, shared with the HTTP API); AdminError 400 otherwise. */
async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const b = await readJsonBody(req, BODY_MAX);
  if (b.ok) return b.value;
  // incomplete: the client went away or the request timeout cut the body: nothing was done (no server error).
  const code = b.reason === 'too_large' ? 'body_too_large' : b.reason === 'incomplete' ? 'body_incomplete' : 'bad_json';
  throw new AdminError(400, code, b.message);
}

function intParam(url: { searchParams: URLSearchParams }, name: string, def: number | undefined, max: number): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return def;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new AdminError(400, 'bad_query', `"${name}" must be a positive integer`);
  return Math.min(n, max);
}

export function createAdminRouter(d: RouterDeps) {
  const route = async (method: string, parts: string[], url: { searchParams: URLSearchParams }, req: IncomingMessage, actor: UserRecord): Promise<unknown> => {
    const a = d.actions;
    // Path segments arrive percent-decoded, once, by parseRequestTarget (a malformed one never gets here).
    const [head, id, tail] = parts;
    const is = (m: string, n: number) => method === m && parts.length === n;
    switch (head) {
      case 'stats':
        if (is('GET', 1)) return d.stats.read();
        break;
      case 'rooms':
        if (is('GET', 1)) {
          const rooms = await d.store.listRooms(LIST_MAX);
          const online = d.cluster.onlineCount();
          const body: AdminRoomsResponse = {
            rooms: rooms.map((r) => ({
              id: r.id,
              kind: r.kind,
              members: r.id === GLOBAL_ROOM ? online : r.members,
              lastSeq: r.lastSeq,
              readOnly: Boolean(r.readOnly),
              createdAt: r.createdAt,
            })),
          };
          return body;
        }
        if (is('POST', 3) && tail === 'reset') return a.resetRoom(actor, id);
        if (is('POST', 3) && tail === 'read-only') return a.setReadOnly(actor, id, await readBody(req));
        if (is('DELETE', 2)) return a.deleteRoom(actor, id);
        break;
      case 'kick':
        if (is('POST', 1)) return a.kick(actor, await readBody(req));
        break;
      case 'ban':
        if (is('POST', 1)) return a.ban(actor, await readBody(req));
        if (is('DELETE', 2)) return a.unban(actor, id);
        break;
      case 'bans':
        if (is('GET', 1)) return { bans: await d.store.listBans(LIST_MAX) } satisfies AdminBansResponse;
        break;
      case 'message':
        if (is('DELETE', 1)) return a.deleteMessage(actor, await readBody(req));
        break;
      case 'audit':
        if (is('GET', 1)) return { entries: await d.store.listAudit(intParam(url, 'limit', 100, LIST_MAX)!, intParam(url, 'before', undefined, Number.MAX_SAFE_INTEGER)) } satisfies AdminAuditResponse;
        break;
      case 'keys':
        if (!d.keys) break;
        if (is('GET', 1)) return d.keys.list();
        if (is('POST', 1)) return d.keys.create(actor, await readBody(req));
        if (is('DELETE', 2)) return d.keys.revoke(actor, id);
        break;
      case 'webhooks': {
        const w = d.webhooks;
        if (!w) break;
        if (is('GET', 1)) return w.list();
        if (is('POST', 1)) return w.create(actor, await readBody(req));
        if (is('PATCH', 2)) return w.patch(actor, id, await readBody(req));
        if (is('DELETE', 2)) return w.remove(actor, id);
        if (is('GET', 3) && tail === 'deliveries') return w.deliveries(id, intParam(url, 'limit', 100, LIST_MAX)!, intParam(url, 'before', undefined, Number.MAX_SAFE_INTEGER));
        break;
      }
      case 'log-level':
        if (is('GET', 1)) return { node: d.nodeId, level: d.log.level } satisfies LogLevelResponse;
        if (is('PUT', 1)) return a.setLogLevel(actor, await readBody(req), d.nodeId);
        break;
    }
    throw new AdminError(404, 'not_found', `no admin endpoint ${method} /admin/api/${parts.join('/')}`);
  };

  /** Handles a request under ADMIN_PREFIX. */
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const given = req.headers['x-request-id'];
    const reqId = typeof given === 'string' && /^[\w.:-]{1,64}$/.test(given) ? given : randomUUID();
    // The one request-target parser (src/server/common/request-target.ts): never throws; decodes the path once.
    const parsed = parseRequestTarget(req.url);
    const target = parsed.ok ? parsed.target : { path: ADMIN_PREFIX, segments: [], query: new URLSearchParams() };
    const url = { pathname: target.path, searchParams: target.query };
    const method = req.method ?? 'GET';
    // segments: ['admin', 'api', ...]
    const parts = target.segments.slice(2).filter(Boolean);
    let status = 200;
    let actor: UserRecord | undefined;
    let body: unknown;
    try {
      if (!parsed.ok) throw new AdminError(400, 'bad_path', parsed.reason);
      const who = await d.authz.authenticate(req);
      if (!who.ok) throw new AdminError(who.status, who.code, who.message);
      actor = who.user;
      if (parts.length === 1 && parts[0] === 'me' && method === 'GET') {
        body = { user: { id: who.user.id, name: who.user.name, account: who.user.account }, admin: who.admin } satisfies AdminMeResponse;
      } else {
        // Authorization comes first: a non-admin learns nothing and changes nothing.
        if (!who.admin) throw new AdminError(403, 'forbidden', 'administrators only');
        body = await route(method, parts, url, req, who.user);
      }
    } catch (err) {
      if (err instanceof AdminError) {
        status = err.status;
        body = { error: err.code, message: err.message } satisfies AdminErrorBody;
      } else {
        status = 500;
        body = { error: 'internal', message: `request failed (request id ${reqId})` } satisfies AdminErrorBody;
        d.log.error({ err, req: reqId }, 'admin request failed');
      }
    }
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-request-id': reqId });
    res.end(JSON.stringify(body) + '\n');
    const line = { req: reqId, method, path: url.pathname, status, actor: actor?.name, ms: Math.round((performance.now() - started) * 10) / 10 };
    // Reads (the admin page polls stats every few seconds) at debug; actions and refusals at info.
    if (method === 'GET' && status < 400) d.log.debug(line, 'admin request');
    else d.log.info(line, 'admin request');
  };
}
