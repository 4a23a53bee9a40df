/**
 * Schemas of every client frame (zod): validation at the edge, types inferred from the same source.
 */
import { z } from 'zod';

/** Request id / client message id: 1-64 printable characters. */
const reqId = z.string().min(1).max(64);
const room = z.string().min(1).max(128);
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const name = z.string().min(1).max(64);

export const authSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('guest'), name }),
  z.object({ kind: z.literal('login'), name, password: z.string().min(1).max(1024) }),
  z.object({ kind: z.literal('register'), name, password: z.string().min(1).max(1024) }),
  z.object({ kind: z.literal('token'), token: z.string().min(1).max(2048) }),
  /** A token signed by the application's own backend (docs/protocol.md 4.6). */
  z.object({ kind: z.literal('jwt'), token: z.string().min(1).max(8192) }),
  // A bot: an API key an administrator created (docs/api.md), `sck_<id>_<secret>`.
  z.object({ kind: z.literal('apikey'), key: z.string().min(1).max(256) }),
]);

export const helloSchema = z.object({
  type: z.literal('hello'),
  v: z.number().int(),
  auth: authSchema,
  /** Last seq seen per room: the server replays what came after. */
  resume: z.record(room, seq).optional(),
  /** Receive presence diffs (default true). Load generators turn it off. */
  presence: z.boolean().optional(),
});

/** `replyTo`: the seq of a message of the same room this one answers. */
export const sendSchema = z.object({ type: z.literal('send'), id: reqId, room, text: z.string(), replyTo: seq.min(1).optional() });
/** Message changes (docs/protocol.md 6.15): each is acked like a send, with the seq of the change. */
export const editSchema = z.object({ type: z.literal('edit'), id: reqId, room, target: seq.min(1), text: z.string() });
export const removeSchema = z.object({ type: z.literal('remove'), id: reqId, room, target: seq.min(1) });
export const reactSchema = z.object({ type: z.literal('react'), id: reqId, room, target: seq.min(1), emoji: z.string().min(1).max(64), on: z.boolean() });
export const joinSchema = z.object({ type: z.literal('join'), id: reqId, room });
export const leaveSchema = z.object({ type: z.literal('leave'), id: reqId, room });
export const createSchema = z.object({
  type: z.literal('create'),
  id: reqId,
  room,
  visibility: z.enum(['public', 'private']),
});
export const inviteSchema = z.object({ type: z.literal('invite'), id: reqId, room, user: name });
export const roomsSchema = z.object({ type: z.literal('rooms'), id: reqId });
/** `subscribe: true`: also receive this room's presence diffs while it is large (docs/protocol.md 6.8). */
export const membersSchema = z.object({ type: z.literal('members'), id: reqId, room, subscribe: z.boolean().optional() });
export const membersUnsubscribeSchema = z.object({ type: z.literal('members_unsubscribe'), id: reqId, room });
export const historySchema = z.object({
  type: z.literal('history'),
  id: reqId,
  room,
  before: seq.optional(),
  after: seq.optional(),
  limit: z.number().int().min(1).optional(),
});
export const dmSchema = z.object({ type: z.literal('dm'), id: reqId, user: name });
/** Full-text search over the rooms you are a member of (docs/protocol.md 6.16). */
export const searchSchema = z.object({
  type: z.literal('search'),
  id: reqId,
  query: z.string().min(1).max(200),
  room: room.optional(),
  /** Author name (as shown on the messages, case-insensitive). */
  from: name.optional(),
  /** Only messages sent before / after these times (ms since epoch). */
  before: z.number().int().min(0).optional(),
  after: z.number().int().min(0).optional(),
  order: z.enum(['newest', 'best']).optional(),
  limit: z.number().int().min(1).max(50).optional(),
  /** The `next` of the previous page. */
  cursor: z.string().min(1).max(200).optional(),
});
export const typingSchema = z.object({ type: z.literal('typing'), room });
export const readSchema = z.object({ type: z.literal('read'), room, seq });
export const pingSchema = z.object({ type: z.literal('ping'), id: reqId });
export const pongSchema = z.object({ type: z.literal('pong') });
/** Account changes (docs/protocol.md 4.5). Passwords: at most 1024 characters here; the rules (8-256) are checked by the handler. */
const password = z.string().min(1).max(1024);
export const passwordSchema = z.object({ type: z.literal('password'), id: reqId, current: password, next: password });
export const signoutAllSchema = z.object({ type: z.literal('signout_all'), id: reqId });
export const deleteAccountSchema = z.object({ type: z.literal('delete_account'), id: reqId, password });

export const clientFrameSchemas = {
  hello: helloSchema,
  send: sendSchema,
  edit: editSchema,
  remove: removeSchema,
  react: reactSchema,
  join: joinSchema,
  leave: leaveSchema,
  create: createSchema,
  invite: inviteSchema,
  rooms: roomsSchema,
  members: membersSchema,
  members_unsubscribe: membersUnsubscribeSchema,
  history: historySchema,
  dm: dmSchema,
  search: searchSchema,
  typing: typingSchema,
  read: readSchema,
  ping: pingSchema,
  pong: pongSchema,
  password: passwordSchema,
  signout_all: signoutAllSchema,
  delete_account: deleteAccountSchema,
} as const;

export type ClientFrameType = keyof typeof clientFrameSchemas;
export type ClientFrameOf<T extends ClientFrameType> = z.infer<(typeof clientFrameSchemas)[T]>;
export type ClientFrame = { [T in ClientFrameType]: ClientFrameOf<T> }[ClientFrameType];
export type HelloFrame = ClientFrameOf<'hello'>;
export type Auth = z.infer<typeof authSchema>;
/** Client frames that carry a request id and get exactly one reply (or an error with `re`). */
export type RequestType = Exclude<ClientFrameType, 'hello' | 'typing' | 'read' | 'pong'>;
