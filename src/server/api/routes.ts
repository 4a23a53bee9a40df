/**
 * The HTTP API's route handlers. Each request acts as the key's bot user, through the chat's own code
 * wherever the WebSocket protocol has the same request: publishing is a `send` (hub/handlers.ts: the
 * membership and read-only checks, the text rules, mentions; then the message pipeline: group commit,
 * seq, ack only after the commit, fan-out), adding a member an `invite`, reading history a `history`,
 * a room's online users `members`. The handlers are given an ApiConn (./conn.ts) holding the one room of
 * the request when the bot is a member of it. Creating a room and removing someone else have no WebSocket
 * twin: they are here, publishing the same events a `create` and a `leave` do.
 */
import { GLOBAL_ROOM, isValidRoomName } from '../../protocol/rules.js';
import { ErrorCode } from '../../protocol/codes.js';
import type { HistoryFrame, MemberEvent, MembersFrame, RoomAddedEvent, RoomRemovedEvent, ServerEvent } from '../../protocol/types.js';
import type { z } from 'zod';
import { publishEvent, roomTopic, userTopic, type Bus } from '../bus/bus.js';
import type { ClusterState } from '../cluster/state.js';
import { nameKey } from '../common/name-key.js';
import type { Config } from '../config.js';
import { Refusal, type HandlerMap } from '../hub/handlers.js';
import type { Hub } from '../hub/hub.js';
import { inTime, type Limits } from '../limits/limits.js';
import type { ChatStore, UserRecord } from '../store/store.js';
import type { ApiPrincipal } from './auth.js';
import { ApiConn, type ApiReply } from './conn.js';
import { ApiError, refusalError } from './errors.js';
import type * as S from './schemas.js';

const REPLY_TIMEOUT_MS = 10_000;
const ONLINE_MAX = 1000;

export interface RouteDeps {
  nodeId: string;
  handlers: HandlerMap;
  hub: Pick<Hub, 'roomInfo'>;
  store: ChatStore;
  bus: Bus;
  cluster: ClusterState;
  config: Pick<Config, 'maxTextLength'>;
  limits: Limits;
}

export interface RouteRequest {
  principal: ApiPrincipal;
  ip: string;
  headers: { idempotencyKey?: string };
}

type Out<T extends z.ZodType> = z.output<T>;

export function createRoutes(d: RouteDeps) {
  /** Runs a chat handler as the bot: a Refusal it throws, or an error it answers with, becomes an ApiError. */
  const run = async (conn: ApiConn, call: () => void | Promise<void>): Promise<Exclude<ApiReply, { kind: 'error' }>> => {
    try {
      await call();
    } catch (err) {
      if (err instanceof Refusal) throw refusalError(err.code, err.message, err.retryAfterMs);
      throw err;
    }
    const r = await conn.reply(REPLY_TIMEOUT_MS);
    if (r.kind === 'error') throw refusalError(r.code, r.message, r.retryAfterMs);
    return r;
  };
  const event = <T extends ServerEvent['type']>(r: Exclude<ApiReply, { kind: 'error' }>, type: T): Extract<ServerEvent, { type: T }> => {
    if (r.kind !== 'event' || r.event.type !== type) throw new Error(`api: expected a ${type} reply`);
    return r.event as Extract<ServerEvent, { type: T }>;
  };
  /** A connection for `room`: it holds the room when the bot is a member (`general`: everyone). */
  const connFor = async (req: RouteRequest, room: string): Promise<ApiConn> => {
    const conn = new ApiConn(d.nodeId, req.principal.user, req.ip);
    if (await d.store.isMember(room, req.principal.user.id)) conn.rooms.add(room);
    return conn;
  };
  const requireMember = (conn: ApiConn, room: string): void => {
    if (!conn.rooms.has(room)) throw refusalError(ErrorCode.not_member, `the bot is not a member of "${room}"`);
  };
  /** A user by name: the one online with it, else the account, else the newest guest (as `invite` finds them). */
  const findUser = async (name: string): Promise<UserRecord | null> => {
    const key = nameKey(name);
    const online = await d.cluster.names.holder(key);
    if (online) return d.store.getUser(online);
    return d.store.findUserByName(key);
  };

  return {
    async publishMessage(req: RouteRequest, p: Out<typeof S.publishParams>, b: Out<typeof S.publishBody>): Promise<Out<typeof S.publishResponse>> {
      const fromHeader = req.headers.idempotencyKey;
      if (fromHeader !== undefined && b.idempotencyKey !== undefined && fromHeader !== b.idempotencyKey) {
        throw new ApiError(400, ErrorCode.bad_request, 'the Idempotency-Key header and "idempotencyKey" differ: send one, or the same in both');
      }
      const id = fromHeader ?? b.idempotencyKey;
      if (id === undefined) throw new ApiError(400, ErrorCode.bad_request, 'an idempotency key is required: the Idempotency-Key header or "idempotencyKey" (a UUID), so a retry never publishes twice');
      const conn = await connFor(req, p.room);
      const r = await run(conn, () => d.handlers.send(conn, { type: 'send', id, room: p.room, text: b.text, ...(b.replyTo !== undefined ? { replyTo: b.replyTo } : {}) }));
      const ack = event(r, 'ack');
      return { room: ack.room, seq: ack.seq, id: ack.id, ts: ack.ts };
    },

    async readHistory(req: RouteRequest, p: Out<typeof S.historyParams>, q: Out<typeof S.historyQuery>): Promise<Out<typeof S.historyResponse>> {
      const conn = await connFor(req, p.room);
      const r = await run(conn, () => d.handlers.history(conn, { type: 'history', id: 'api', room: p.room, before: q.before, after: q.after, limit: q.limit }));
      if (r.kind !== 'raw') throw new Error('api: expected a history reply');
      const h = JSON.parse(r.data.toString('utf8')) as HistoryFrame;
      return { room: h.room, messages: h.messages, hasMore: h.hasMore };
    },

    async createRoom(req: RouteRequest, b: Out<typeof S.createRoomBody>): Promise<Out<typeof S.createRoomResponse>> {
      const me = req.principal.user;
      if (!isValidRoomName(b.room)) throw refusalError(ErrorCode.room_invalid, 'room names are 2-32 characters: a-z, 0-9, "_" or "-", starting with a letter or digit');
      // The same abuse limits as a WebSocket `create` (rooms created per hour, rooms per user).
      const wait = await d.limits.take('roomCreate', me.id);
      if (wait > 0) throw refusalError(ErrorCode.limit_exceeded, `too many rooms created: try again ${inTime(wait)}`, wait);
      const max = d.limits.maxRoomsPerUser;
      if (max > 0 && (await d.store.listUserRoomIds(me.id)).filter((r) => r !== GLOBAL_ROOM).length >= max) {
        throw refusalError(ErrorCode.limit_exceeded, `the bot is in ${max} rooms, the most allowed: remove it from one first`);
      }
      const created = await d.store.createRoom({ id: b.room, kind: b.visibility, createdBy: me.id, createdAt: Date.now() }, [me.id]);
      if (!created) throw refusalError(ErrorCode.room_exists, `a room named "${b.room}" exists`);
      const r = (await d.store.listUserRooms(me.id)).find((x) => x.id === b.room);
      if (!r) throw refusalError(ErrorCode.no_such_room, `no room "${b.room}"`); // deleted meanwhile
      const info = d.hub.roomInfo(r);
      // The bot's own WebSocket connections enter it, as another tab's do after a `create`.
      publishEvent(d.bus, userTopic(me.id), { type: 'room_added', room: info } satisfies RoomAddedEvent, { control: { kind: 'room_added', room: b.room } });
      return { room: info };
    },

    async addMember(req: RouteRequest, p: Out<typeof S.memberParams>): Promise<Out<typeof S.memberResponse>> {
      const conn = await connFor(req, p.room);
      const r = await run(conn, () => d.handlers.invite(conn, { type: 'invite', id: 'api', room: p.room, user: p.user }));
      const invited = event(r, 'invited');
      return { room: invited.room, user: invited.user };
    },

    async removeMember(req: RouteRequest, p: Out<typeof S.memberParams>): Promise<Out<typeof S.memberResponse>> {
      const conn = await connFor(req, p.room);
      requireMember(conn, p.room);
      const room = await d.store.getRoom(p.room);
      if (!room || room.kind === 'global' || room.kind === 'dm') throw refusalError(ErrorCode.forbidden, `members cannot be removed from "${p.room}"`);
      const user = await findUser(p.user);
      if (!user) throw refusalError(ErrorCode.no_such_user, `no user "${p.user}"`);
      if (!(await d.store.removeMember(p.room, user.id))) throw refusalError(ErrorCode.no_such_user, `"${user.name}" is not a member of "${p.room}"`);
      const ref = { id: user.id, name: user.name };
      // As after their own `leave`: every connection of theirs leaves the room (every node), the room is told.
      publishEvent(d.bus, userTopic(user.id), { type: 'room_removed', room: p.room } satisfies RoomRemovedEvent, { control: { kind: 'room_removed', room: p.room } });
      publishEvent(d.bus, roomTopic(p.room), { type: 'member', room: p.room, user: ref, action: 'left' } satisfies MemberEvent);
      return { room: p.room, user: ref };
    },

    async roomOnline(req: RouteRequest, p: Out<typeof S.roomOnlineParams>): Promise<Out<typeof S.roomOnlineResponse>> {
      const conn = await connFor(req, p.room);
      const r = await run(conn, () => d.handlers.members(conn, { type: 'members', id: 'api', room: p.room }));
      const m = event(r, 'members') as MembersFrame;
      const users = m.members.filter((u) => u.online).map((u) => ({ id: u.id, name: u.name }));
      return { room: p.room, users, total: p.room === GLOBAL_ROOM ? m.total : users.length };
    },

    async online(): Promise<Out<typeof S.onlineResponse>> {
      return d.cluster.onlineUsers(ONLINE_MAX);
    },
  };
}

export type Routes = ReturnType<typeof createRoutes>;
