/**
 * The administrator actions. Each one is called only after the caller was authorized (router.ts); it
 * validates its input (AdminError 400/404, nothing changed), writes its audit row (actor, action, target,
 * detail, time), then acts: store first, then the events that tell clients on every node.
 */
import type { Logger } from 'pino';
import { CloseCode } from '../../protocol/codes.js';
import { encodeEvent } from '../../protocol/encode.js';
import { GLOBAL_ROOM, isValidName, normalizeName } from '../../protocol/rules.js';
import { nameKey } from '../common/name-key.js';
import type { DeletedEvent, ErrorFrame, RoomDeletedEvent, RoomRemovedEvent, RoomResetEvent, RoomUpdatedEvent } from '../../protocol/types.js';
import { publishEvent, roomTopic, userTopic, type Bus } from '../bus/bus.js';
import type { ClusterNames } from '../cluster/state.js';
import type { AdminStore, ChatStore, UserRecord } from '../store/store.js';
import type { ReadOnlyRooms } from './flags.js';
import {
  LOG_LEVELS,
  type BanResponse,
  type DeleteMessageResponse,
  type DeleteRoomResponse,
  type KickResponse,
  type ReadOnlyResponse,
  type ResetRoomResponse,
  type SetLogLevelResponse,
  type UnbanResponse,
} from '../../protocol/admin.js';

export class AdminError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 429 | 500 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const REASON_MAX = 500;

export interface ActionDeps {
  store: AdminStore & Pick<ChatStore, 'getRoom' | 'history'>;
  bus: Bus;
  names: ClusterNames;
  readOnly: ReadOnlyRooms;
  log: Logger;
}

function userName(raw: unknown): { name: string; key: string } {
  if (typeof raw !== 'string' || !isValidName(raw)) {
    throw new AdminError(400, 'name_invalid', '"user" must be a user name (2-24 letters, digits, "_", "-" or ".")');
  }
  return { name: normalizeName(raw), key: nameKey(raw) };
}

function roomId(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length < 1 || raw.length > 128) throw new AdminError(400, 'room_invalid', '"room" must be a room id (1-128 characters)');
  return raw;
}

export class AdminActions {
  constructor(private readonly d: ActionDeps) {}

  private async audit(actor: UserRecord, action: string, target: string, detail: Record<string, unknown> = {}): Promise<void> {
    await this.d.store.addAudit({ at: Date.now(), actorId: actor.id, actor: actor.name, action, target, detail: JSON.stringify(detail) });
  }

  /** Closes every connection of `uid` on every node (the node holding each one closes it). */
  private disconnect(uid: string, code: number, errorCode: 'kicked' | 'banned', message: string): void {
    const ev: ErrorFrame = { type: 'error', code: errorCode, message };
    publishEvent(this.d.bus, userTopic(uid), ev, { control: { kind: 'close', code, reason: errorCode } });
  }

  async kick(actor: UserRecord, body: Record<string, unknown>): Promise<KickResponse> {
    const u = userName(body.user);
    if (u.key === actor.nameKey) throw new AdminError(400, 'self', 'you cannot kick yourself');
    const uid = await this.d.names.holder(u.key);
    if (!uid) throw new AdminError(404, 'not_online', `"${u.name}" is not online`);
    await this.audit(actor, 'kick', u.name, { uid });
    this.disconnect(uid, CloseCode.kicked, 'kicked', 'disconnected by an administrator');
    return { user: u.name, uid };
  }

  async ban(actor: UserRecord, body: Record<string, unknown>): Promise<BanResponse> {
    const u = userName(body.user);
    if (body.reason !== undefined && (typeof body.reason !== 'string' || body.reason.length > REASON_MAX)) {
      throw new AdminError(400, 'reason_invalid', `"reason" must be text of at most ${REASON_MAX} characters`);
    }
    const reason = (body.reason as string | undefined) ?? '';
    if (u.key === actor.nameKey) throw new AdminError(400, 'self', 'you cannot ban yourself');
    await this.audit(actor, 'ban', u.name, { reason });
    await this.d.store.addBan({ nameKey: u.key, name: u.name, reason, by: actor.id, at: Date.now() });
    const uid = await this.d.names.holder(u.key);
    if (uid) this.disconnect(uid, CloseCode.banned, 'banned', reason ? `banned by an administrator: ${reason}` : 'banned by an administrator');
    return { user: u.name, reason, disconnected: Boolean(uid) };
  }

  async unban(actor: UserRecord, rawName: string): Promise<UnbanResponse> {
    const u = userName(rawName);
    const ban = await this.d.store.getBan(u.key);
    if (!ban) throw new AdminError(404, 'no_such_ban', `"${u.name}" is not banned`);
    await this.audit(actor, 'unban', ban.name);
    await this.d.store.removeBan(u.key);
    return { user: ban.name };
  }

  async deleteMessage(actor: UserRecord, body: Record<string, unknown>): Promise<DeleteMessageResponse> {
    const room = roomId(body.room);
    const seq = body.seq;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) throw new AdminError(400, 'seq_invalid', '"seq" must be a positive integer');
    const [m] = await this.d.store.history(room, { after: seq - 1, limit: 1 });
    if (!m || m.seq !== seq || m.deleted) throw new AdminError(404, 'no_such_message', `no message ${seq} in "${room}"`);
    await this.audit(actor, 'delete_message', `${room}#${seq}`, { author: m.user, uid: m.uid });
    await this.d.store.deleteMessage(room, seq);
    const ev: DeletedEvent = { type: 'deleted', room, seq };
    publishEvent(this.d.bus, roomTopic(room), ev);
    return { room, seq };
  }

  async resetRoom(actor: UserRecord, room: string): Promise<ResetRoomResponse> {
    if (!(await this.d.store.getRoom(room))) throw new AdminError(404, 'no_such_room', `no room "${room}"`);
    await this.audit(actor, 'reset_room', room);
    const r = await this.d.store.resetRoom(room);
    if (!r) throw new AdminError(404, 'no_such_room', `no room "${room}"`);
    const ev: RoomResetEvent = { type: 'room_reset', room, lastSeq: r.lastSeq };
    publishEvent(this.d.bus, roomTopic(room), ev);
    return { room, ...r };
  }

  async deleteRoom(actor: UserRecord, room: string): Promise<DeleteRoomResponse> {
    if (room === GLOBAL_ROOM) throw new AdminError(400, 'room_protected', `"${GLOBAL_ROOM}" cannot be deleted (reset it instead)`);
    if (!(await this.d.store.getRoom(room))) throw new AdminError(404, 'no_such_room', `no room "${room}"`);
    await this.audit(actor, 'delete_room', room);
    const members = await this.d.store.deleteRoom(room);
    if (!members) throw new AdminError(404, 'no_such_room', `no room "${room}"`);
    this.d.readOnly.set(room, false);
    // Connections in the room are told first (and every node forgets a read-only flag: the id is free again),
    // then each member's connections leave the room on every node.
    const ev: RoomDeletedEvent = { type: 'room_deleted', room };
    publishEvent(this.d.bus, roomTopic(room), ev, { control: { kind: 'room_flags', room, readOnly: false } });
    const removed = encodeEvent({ type: 'room_removed', room } satisfies RoomRemovedEvent); // once for every member
    for (const uid of members) this.d.bus.publish(userTopic(uid), { json: removed, control: { kind: 'room_removed', room } });
    return { room, members: members.length };
  }

  async setReadOnly(actor: UserRecord, room: string, body: Record<string, unknown>): Promise<ReadOnlyResponse> {
    if (typeof body.readOnly !== 'boolean') throw new AdminError(400, 'read_only_invalid', '"readOnly" must be true or false');
    const readOnly = body.readOnly;
    if (!(await this.d.store.getRoom(room))) throw new AdminError(404, 'no_such_room', `no room "${room}"`);
    await this.audit(actor, 'read_only', room, { readOnly });
    await this.d.store.setRoomReadOnly(room, readOnly);
    this.d.readOnly.set(room, readOnly);
    const ev: RoomUpdatedEvent = { type: 'room_updated', room, readOnly };
    publishEvent(this.d.bus, roomTopic(room), ev, { control: { kind: 'room_flags', room, readOnly } });
    return { room, readOnly };
  }

  /** Sets this node's log level at once (pino: every later line, every logger of the process). */
  async setLogLevel(actor: UserRecord, body: Record<string, unknown>, nodeId: string): Promise<SetLogLevelResponse> {
    const level = body.level;
    if (typeof level !== 'string' || !(LOG_LEVELS as readonly string[]).includes(level)) {
      throw new AdminError(400, 'level_invalid', `"level" must be one of ${LOG_LEVELS.join('|')}`);
    }
    const was = this.d.log.level;
    await this.audit(actor, 'log_level', nodeId, { level, was });
    this.d.log.level = level;
    // `newLevel`, not `level`: pino writes the line's own level under `level` (one key per JSON line).
    this.d.log.warn({ newLevel: level, was, by: actor.name }, 'log level changed');
    return { node: nodeId, level, was };
  }
}
