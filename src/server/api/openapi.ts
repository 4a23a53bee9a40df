/**
 * GET /api/v1/openapi.json: an OpenAPI 3.1 document built from the route table and its zod schemas
 * (./schemas.ts) with z.toJSONSchema: the schemas the server validates with are the ones documented.
 * Schemas named with `.meta({id})` become components (`#/components/schemas/<id>`); the rest is inline.
 */
import { z } from 'zod';
import { PROTOCOL_VERSION } from '../../protocol/version.js';
import { API_PREFIX, errorBody, ROUTES, type RouteDef } from './schemas.js';

type Json = Record<string, unknown>;

/** A JSON Schema for OpenAPI 3.1 (2020-12): its `$defs` moved into `defs`, refs pointed at the components. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', defs: Map<string, unknown>): Json {
  const s = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  delete s.$schema;
  const local = s.$defs as Json | undefined;
  delete s.$defs;
  const fix = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(fix);
    if (v && typeof v === 'object') {
      const out: Json = {};
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string' && x.startsWith('#/$defs/')) out[k] = `#/components/schemas/${x.slice(8)}`;
        else out[k] = fix(x);
      }
      return out;
    }
    return v;
  };
  if (local) for (const [id, d] of Object.entries(local)) if (!defs.has(id)) defs.set(id, fix(d));
  const top = fix(s) as Json;
  // A schema that is itself a component: referenced, not repeated.
  const id = (schema.meta() as { id?: string } | undefined)?.id;
  if (id) {
    if (!defs.has(id)) defs.set(id, top);
    return { $ref: `#/components/schemas/${id}` };
  }
  return top;
}

const ERRORS: Record<number, string> = {
  400: 'bad_request (with `issues`), or a refusal of the input (text_invalid, room_invalid, ...)',
  401: 'unauthorized (no or unknown key), key_revoked',
  403: 'scope_missing, not_member, forbidden, read_only, banned',
  404: 'not_found, no_such_room, no_such_user, no_such_message',
  409: 'id_conflict (the idempotency key was used for another message), room_exists',
  413: 'body_too_large (over 64 KiB)',
  415: 'unsupported_media_type (send application/json)',
  429: 'rate_limited (the key\'s token bucket) or limit_exceeded; see Retry-After',
  503: 'unavailable (retry)',
};

export function openApiDocument(): Json {
  const defs = new Map<string, unknown>();
  const errorRef = jsonSchema(errorBody, 'output', defs);
  const paths: Record<string, Json> = {};
  for (const r of ROUTES as readonly RouteDef[]) {
    const parameters: Json[] = [];
    for (const [where, schema] of [['path', r.params], ['query', r.query]] as const) {
      if (!schema) continue;
      const js = jsonSchema(schema, 'input', defs) as { properties?: Record<string, Json>; required?: string[] };
      for (const [name, p] of Object.entries(js.properties ?? {})) {
        const { description, ...rest } = p;
        parameters.push({ name, in: where, required: where === 'path' || Boolean(js.required?.includes(name)), schema: rest, ...(description ? { description } : {}) });
      }
    }
    for (const h of r.headers ?? []) parameters.push({ name: h.name, in: 'header', required: false, description: h.description, schema: jsonSchema(h.schema, 'input', defs) });
    const responses: Json = { [String(r.status)]: { description: 'OK', content: { 'application/json': { schema: jsonSchema(r.response, 'output', defs) } } } };
    if (r.scope !== null) {
      for (const [status, description] of Object.entries(ERRORS)) {
        if ((status === '413' || status === '415') && !r.body) continue;
        responses[status] = { description, content: { 'application/json': { schema: errorRef } } };
      }
    }
    const op: Json = {
      operationId: r.id,
      summary: r.summary,
      ...(r.scope ? { security: [{ apiKey: [] }], 'x-scope': r.scope, description: `Scope: \`${r.scope}\`.` } : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input', defs) } } } } : {}),
      responses,
    };
    const path = API_PREFIX.slice(0, -1) + r.path;
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'scale-chat HTTP API',
      version: '1',
      description: `Publish from your backend, manage rooms and members, read history (docs/api.md). WebSocket protocol v${PROTOCOL_VERSION} (docs/protocol.md).`,
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', bearerFormat: 'sck_<id>_<secret>', description: 'An API key an administrator created (POST /admin/api/keys)' } },
      schemas: Object.fromEntries(defs),
    },
  };
}
