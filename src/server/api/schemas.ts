/**
 * The HTTP API's routes and their zod schemas, one set per route: the router validates every request
 * with them, and ./openapi.ts generates /api/v1/openapi.json from the same objects (z.toJSONSchema), so
 * the document cannot drift from what the server accepts. Response schemas describe what the routes
 * return (the handlers' return types are inferred from them).
 */
import { z } from 'zod';
import { API_SCOPES, type ApiScope } from '../../protocol/admin.js';

const room = z.string().min(1).max(128).describe('Room id: `general`, a room name, or a DM id');
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A query parameter that is a seq: digits only (no sign, exponent or spaces). */
const seqQuery = z
  .string()
  .regex(/^\d{1,16}$/)
  .transform((s) => Number(s))
  .pipe(seq);
const userName = z.string().min(1).max(64).describe('A user name (case and look-alikes ignored)');
export const idempotencyKey = z.string().min(1).max(64).describe('Your id for this message, unique per API key for good (a UUID): the same key again returns the first result');

const userRef = z.object({ id: z.string(), name: z.string() });

export const errorBody = z
  .object({
    error: z.object({
      code: z.string().describe('A string code of docs/protocol.md section 12 (src/protocol/codes.ts)'),
      message: z.string(),
      issues: z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() })).optional().describe('What failed validation (400 bad_request)'),
      retryAfterMs: z.number().int().optional(),
    }),
  })
  .meta({ id: 'Error' });

export const msgEvent = z
  .object({
    type: z.literal('msg'),
    room: z.string(),
    seq: z.number().int(),
    id: z.string(),
    uid: z.string(),
    user: z.string(),
    text: z.string(),
    ts: z.number().int(),
    deleted: z.literal(true).optional(),
    replyTo: z.number().int().optional(),
    edited: z.number().int().optional(),
    v: z.number().int().optional(),
    reactions: z.array(z.object({ emoji: z.string(), count: z.number().int(), uids: z.array(z.string()) })).optional(),
    change: z.object({ kind: z.enum(['edit', 'remove', 'react']), target: z.number().int(), text: z.string().optional(), emoji: z.string().optional(), on: z.boolean().optional() }).optional(),
    mentions: z.array(userRef).optional(),
    mentionAll: z.literal(true).optional(),
    bot: z.literal(true).optional(),
  })
  .meta({ id: 'Message', description: 'A `msg` event as the WebSocket protocol delivers it (docs/protocol.md 7)' });

export const roomInfo = z
  .object({
    id: z.string(),
    kind: z.enum(['global', 'public', 'private', 'dm']),
    lastSeq: z.number().int(),
    lastRead: z.number().int(),
    members: z.number().int(),
    readOnly: z.literal(true).optional(),
  })
  .meta({ id: 'Room' });

// ---- per route ----

export const publishParams = z.object({ room });
export const publishBody = z.strictObject({
  text: z.string().describe('1 to maxTextLength characters, well-formed, not blank'),
  replyTo: seq.min(1).optional().describe('The seq of a message of the same room this one answers'),
  idempotencyKey: idempotencyKey.optional().describe('Required here or as the `Idempotency-Key` header (the same value if both)'),
});
export const publishResponse = z.object({ room: z.string(), seq: z.number().int(), id: z.string(), ts: z.number().int() }).meta({ id: 'Published' });

export const createRoomBody = z.strictObject({
  room: z.string().min(1).max(128).describe('2-32 characters: a-z, 0-9, "_" or "-", starting with a letter or digit'),
  visibility: z.enum(['public', 'private']),
});
export const createRoomResponse = z.object({ room: roomInfo });

export const memberParams = z.object({ room, user: userName });
export const memberResponse = z.object({ room: z.string(), user: userRef });

export const historyParams = z.object({ room });
export const historyQuery = z.object({
  before: seqQuery.optional().describe('Only messages with a smaller seq (the newest of them)'),
  after: seqQuery.optional().describe('Only messages with a greater seq (the oldest of them)'),
  limit: z
    .string()
    .regex(/^\d{1,6}$/)
    .transform((s) => Number(s))
    .pipe(z.number().int().min(1))
    .optional()
    .describe('At most this many (capped at historyPageMax, 200 by default; the page is also cut to historyPageBytes)'),
});
export const historyResponse = z.object({ room: z.string(), messages: z.array(msgEvent), hasMore: z.boolean() });

export const roomOnlineParams = z.object({ room });
export const onlineResponse = z.object({
  users: z.array(userRef).describe('At most 1000'),
  total: z.number().int().describe('Users online in all (may be more than listed)'),
});
export const roomOnlineResponse = onlineResponse.extend({ room: z.string() });

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteDef {
  /** operationId */
  id: string;
  method: Method;
  /** Under /api/v1, `{name}` segments are parameters. */
  path: string;
  summary: string;
  /** null: no authentication (the OpenAPI document). */
  scope: ApiScope | null;
  status: number;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodObject;
  /** Headers read besides Authorization (documented). */
  headers?: { name: string; schema: z.ZodType; description: string }[];
  response: z.ZodType;
}

export const API_PREFIX = '/api/v1/';

export const ROUTES = [
  {
    id: 'publishMessage',
    method: 'POST',
    path: '/rooms/{room}/messages',
    summary: 'Publish a message as the key\'s bot user (the same pipeline as a WebSocket `send`: seq, commit, then fan-out)',
    scope: 'publish',
    status: 201,
    params: publishParams,
    body: publishBody,
    headers: [{ name: 'Idempotency-Key', schema: idempotencyKey, description: 'The message id (or `idempotencyKey` in the body)' }],
    response: publishResponse,
  },
  {
    id: 'readHistory',
    method: 'GET',
    path: '/rooms/{room}/messages',
    summary: 'A page of a room\'s history, ascending by seq (the same page bounds as WebSocket `history`)',
    scope: 'history',
    status: 200,
    params: historyParams,
    query: historyQuery,
    response: historyResponse,
  },
  {
    id: 'createRoom',
    method: 'POST',
    path: '/rooms',
    summary: 'Create a public or private room; the bot is its first member',
    scope: 'rooms',
    status: 201,
    body: createRoomBody,
    response: createRoomResponse,
  },
  {
    id: 'addMember',
    method: 'PUT',
    path: '/rooms/{room}/members/{user}',
    summary: 'Add a user (by name) to a room the bot is in, as a WebSocket `invite` does',
    scope: 'rooms',
    status: 200,
    params: memberParams,
    response: memberResponse,
  },
  {
    id: 'removeMember',
    method: 'DELETE',
    path: '/rooms/{room}/members/{user}',
    summary: 'Remove a user (by name) from a room the bot is in; their connections leave it as after a `leave`',
    scope: 'rooms',
    status: 200,
    params: memberParams,
    response: memberResponse,
  },
  {
    id: 'roomOnline',
    method: 'GET',
    path: '/rooms/{room}/online',
    summary: 'Members of a room the bot is in who are online (for `general`: everyone online)',
    scope: 'history',
    status: 200,
    params: roomOnlineParams,
    response: roomOnlineResponse,
  },
  {
    id: 'online',
    method: 'GET',
    path: '/online',
    summary: 'Users online on the whole server',
    scope: 'history',
    status: 200,
    response: onlineResponse,
  },
  {
    id: 'openapi',
    method: 'GET',
    path: '/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document (no authentication)',
    scope: null,
    status: 200,
    response: z.object({ openapi: z.string() }).loose(),
  },
] as const satisfies readonly RouteDef[];

export type RouteId = (typeof ROUTES)[number]['id'];

export { API_SCOPES };
