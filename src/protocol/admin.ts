/**
 * The admin HTTP API under /admin/api/* (docs/operations.md): the JSON bodies of its requests and
 * responses, shared by the server (src/server/admin/) and the web admin page (web/src/admin/) the way
 * ./types.ts is for the chat protocol. Types only, plus the log level names; browser-safe.
 *
 * Every request carries `Authorization: Bearer <session token>`. A refusal is an HTTP status (400 bad
 * input, 401, 403 `forbidden`, 404 unknown target) with an AdminErrorBody.
 */
import type { RoomKind } from './types.js';

/** pino's levels, most to least severe; `silent` logs nothing (--log-level, PUT /admin/api/log-level). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Body of every refusal. */
export interface AdminErrorBody {
  error: string;
  message: string;
}

/** GET me (any signed-in user). */
export interface AdminMeResponse {
  user: { id: string; name: string; account: boolean };
  admin: boolean;
}

/** GET stats: the answering node's view of the cluster. */
export interface AdminStats {
  node: string;
  /** Live nodes of the cluster (heartbeats; one process: 1). */
  nodes: string[];
  /** Open WebSocket connections on the node that answered (sum over nodes: Prometheus). */
  connections: number;
  /** Users online, cluster-wide. */
  onlineUsers: number;
  /** Rooms, DMs included. */
  rooms: number;
  /** Messages ever sent (all rooms). */
  messages: number;
  /** Messages per second over the last window, cluster-wide and on this node; null until two samples exist. */
  msgsPerSec: number | null;
  nodeMsgsPerSec: number | null;
  /** Seconds covered by the rates. */
  windowSec: number;
  uptimeSec: number;
  at: number;
}

/** One row of GET rooms (DMs excepted). */
export interface AdminRoom {
  id: string;
  kind: RoomKind;
  /** For `general` (implicit membership): the users online. */
  members: number;
  lastSeq: number;
  readOnly: boolean;
  createdAt: number;
}
export interface AdminRoomsResponse {
  rooms: AdminRoom[];
}

/** A banned name (bans are by name key). */
export interface AdminBan {
  nameKey: string;
  /** The name as the administrator typed it. */
  name: string;
  reason: string;
  /** Id of the administrator who banned. */
  by: string;
  at: number;
}
export interface AdminBansResponse {
  bans: AdminBan[];
}

/** One row of the audit log (GET audit?limit=&before=, newest first). */
export interface AdminAuditEntry {
  id: number;
  at: number;
  actorId: string;
  actor: string;
  /** e.g. `kick`, `ban`, `unban`, `delete_message`, `reset_room`, `delete_room`, `read_only`, `log_level`. */
  action: string;
  /** What it acted on: a user name, a room id, `room#seq`, ... */
  target: string;
  /** JSON text with the action's parameters (reason, level, ...). */
  detail: string;
}
export interface AdminAuditResponse {
  entries: AdminAuditEntry[];
}

/** POST kick. */
export interface KickRequest {
  user: string;
}
export interface KickResponse {
  user: string;
  uid: string;
}

/** POST ban. */
export interface BanRequest {
  user: string;
  reason?: string;
}
export interface BanResponse {
  user: string;
  reason: string;
  /** The user was online and is now disconnected. */
  disconnected: boolean;
}

/** DELETE ban/{user}. */
export interface UnbanResponse {
  user: string;
}

/** DELETE message. */
export interface DeleteMessageRequest {
  room: string;
  seq: number;
}
export interface DeleteMessageResponse {
  room: string;
  seq: number;
}

/** POST rooms/{id}/reset. */
export interface ResetRoomResponse {
  room: string;
  deleted: number;
  lastSeq: number;
}

/** DELETE rooms/{id}. */
export interface DeleteRoomResponse {
  room: string;
  /** Former members told to leave. */
  members: number;
}

/** POST rooms/{id}/read-only. */
export interface ReadOnlyRequest {
  readOnly: boolean;
}
export interface ReadOnlyResponse {
  room: string;
  readOnly: boolean;
}

/** GET log-level. */
export interface LogLevelResponse {
  node: string;
  level: string;
}
/** PUT log-level. */
export interface SetLogLevelRequest {
  level: LogLevel;
}
export interface SetLogLevelResponse {
  node: string;
  level: string;
  was: string;
}

// ---- API keys (docs/api.md): POST/GET /admin/api/keys, DELETE /admin/api/keys/{id} ----

/** What an API key may do on the HTTP API: publish messages; create rooms and manage members; read history and who is online. */
export const API_SCOPES = ['publish', 'rooms', 'history'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** An API key as the admin API lists it (never its secret). Each key acts as its own bot user, named like the key. */
export interface AdminApiKey {
  /** The public part of the key (`sck_<id>_<secret>`). */
  id: string;
  name: string;
  /** The bot user the key acts as. */
  uid: string;
  scopes: ApiScope[];
  createdAt: number;
  /** Id and name of the administrator who created it. */
  createdBy: string;
  createdByName: string;
  /** When the key was last used (to the minute); absent: never. */
  lastUsedAt?: number;
  /** When it was revoked; absent: live. */
  revokedAt?: number;
}
export interface AdminApiKeysResponse {
  keys: AdminApiKey[];
}
/** POST keys {name, scopes}: the key itself, shown this once (only its hash is stored). */
export interface CreateApiKeyResponse {
  key: string;
  apiKey: AdminApiKey;
}
export interface RevokeApiKeyResponse {
  id: string;
  revokedAt: number;
  /** The bot's open WebSocket connections were told to close (on every node). */
  disconnected: boolean;
}
