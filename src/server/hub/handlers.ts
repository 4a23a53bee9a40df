/**
 * Handlers of the frames an authenticated client sends, one typed function per frame type.
 * Every request gets exactly one reply (with `re`) or one `error` (with `re`).
 * Membership is checked on the connection's in-memory room set: a user never reads, lists or sends
 * to a room or DM they are not a member of.
 */
import { isValidReaction, REACTION_SHORTCODES } from '../../protocol/changes.js';
import { ErrorCode } from '../../protocol/codes.js';
import type { NewMessage } from '../store/store.js';
import { GLOBAL_ROOM, dmRoomId, isValidRoomName } from '../../protocol/rules.js';
import { nameKey } from '../common/name-key.js';
import type { ClientFrameOf, ClientFrameType } from '../../protocol/schema.js';
import type {
  HistoryFrame,
  InvitedFrame,
  JoinedFrame,
  LeftFrame,
  MemberEvent,
  MembersFrame,
  MembersUnsubscribedFrame,
  ReadEvent,
  RoomAddedEvent,
  RoomInfo,
  RoomRemovedEvent,
  RoomsFrame,
  SearchResultsFrame,
  TypingEvent,
} from '../../protocol/types.js';
import { publishEvent, roomTopic, userTopic } from '../bus/bus.js';
import type { Config } from '../config.js';
import type { ClusterState } from '../cluster/state.js';
import type { HubConn } from './conn.js';
import { textProblem } from '../../protocol/text.js';
import { encodeHistory, encodeMsg, msgEvent } from '../../protocol/encode.js';
import { decodeCursor, encodeCursor, highlights, searchWords, StoreBusyError } from '../store/search.js';
import type { Hub } from './hub.js';
import type { MessagePipeline } from './messages.js';
import { mentionTokens, roomMentionAllowed } from './mentions.js';
import { MEMBER_SUBSCRIPTIONS_MAX, type PresenceFanout } from './presence-fanout.js';
import { inTime, type LimitKind, type Limits } from '../limits/limits.js';
import type { Accounts } from '../auth/account.js';
import { createAccountHandlers } from './account.js';

type AfterHello = Exclude<ClientFrameType, 'hello'>;
type Handler<T extends AfterHello> = (conn: HubConn, frame: ClientFrameOf<T>) => void | Promise<void>;
export type HandlerMap = { [T in AfterHello]: Handler<T> };

/** A refusal with a documented code, turned into an `error` frame by the transport. */
export class Refusal extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** For time-based refusals (`limit_exceeded`): when trying again can succeed. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const MEMBER_LIST_MAX = 1000;
const HISTORY_DEFAULT = 50;
const SEARCH_DEFAULT = 20;

export function createHandlers(
  hub: Hub,
  pipeline: MessagePipeline,
  cluster: ClusterState,
  config: Config,
  limits?: Limits,
  presence?: Pick<PresenceFanout, 'subscribe' | 'unsubscribe' | 'isLarge'>,
  /** Whether a user is an administrator (may remove anyone's message); absent: nobody is. */
  isAdmin?: (uid: string) => Promise<boolean>,
  /** Account changes (./account.ts); absent: those requests get `unavailable`. */
  accounts?: Accounts,
): HandlerMap {
  const { store, bus } = hub;
  const names = cluster.names;

  /** Abuse limits (src/server/limits): counts one `kind` event of this user, refuses past the limit. */
  const take = async (conn: HubConn, kind: LimitKind, what: string): Promise<void> => {
    const wait = limits ? await limits.take(kind, conn.user!.id) : 0;
    if (wait > 0) throw new Refusal(ErrorCode.limit_exceeded, `too many ${what}: try again ${inTime(wait)}`, wait);
  };
  /** Refuses when `uid` is already in `maxRoomsPerUser` rooms and DMs (`general` not counted). */
  const checkRoomCount = async (uid: string, who: string): Promise<void> => {
    const max = limits?.maxRoomsPerUser ?? 0;
    if (max <= 0) return;
    const n = (await store.listUserRooms(uid)).filter((r) => r.id !== GLOBAL_ROOM).length;
    if (n >= max) throw new Refusal(ErrorCode.limit_exceeded, `${who} in ${max} rooms, the most allowed: leave one first`);
  };

  const requireMember = (conn: HubConn, room: string): void => {
    if (!conn.rooms.has(room)) throw new Refusal(ErrorCode.not_member, `you are not a member of "${room}"`);
  };

  /** Enters the room (hub.enter: no gap, no duplicate), the `joined` reply first; tells the user's other connections. */
  const replyJoined = async (conn: HubConn, re: string, room: string, notifyOthers: boolean): Promise<void> => {
    let info: RoomInfo | undefined;
    await hub.enter(conn, [room], {
      resumeEvents: 'when-cut',
      keepOnFailure: false,
      announce: ([r]) => {
        if (!r) return;
        info = hub.roomInfo(r);
        conn.send({ type: 'joined', re, room: info } satisfies JoinedFrame);
      },
    });
    if (!info) throw new Refusal(ErrorCode.no_such_room, `no room "${room}"`);
    if (notifyOthers) publishEvent(bus, userTopic(conn.user!.id), { type: 'room_added', room: info }, { control: { kind: 'room_added', room }, excludeConn: conn.id });
  };

  const memberEvent = (room: string, conn: HubConn, action: 'joined' | 'left', user = { id: conn.user!.id, name: conn.user!.name }): void => {
    publishEvent(bus, roomTopic(room), { type: 'member', room, user, action } satisfies MemberEvent);
  };

  const findUser = async (name: string) => {
    const key = nameKey(name);
    const online = await names.holder(key);
    if (online) return store.getUser(online);
    return store.findUserByName(key);
  };

  const checkText = (text: string): void => {
    const problem = textProblem(text, config.maxTextLength);
    if (problem) throw new Refusal(ErrorCode.text_invalid, `${problem}: text must be 1-${config.maxTextLength} characters, well-formed and not blank`);
  };
  /** Sends and changes: a member of a writable room; into the pipeline (seq, commit, ack, fan-out). */
  const submit = (conn: HubConn, room: string, id: string, extra: Pick<NewMessage, 'text' | 'replyTo' | 'change' | 'admin' | 'mentionTokens' | 'mentionAll'>): void => {
    requireMember(conn, room);
    if (hub.isReadOnly(room)) throw new Refusal(ErrorCode.read_only, `"${room}" is read-only`);
    const u = conn.user!;
    const ok = pipeline.submit(conn, { room, id, uid: u.id, user: u.name, ts: Date.now(), ...extra, ...(u.bot ? { bot: true } : {}) });
    if (!ok) throw new Refusal(ErrorCode.unavailable, 'server busy: message not accepted, retry');
  };

  return {
    send(conn, f) {
      requireMember(conn, f.room);
      checkText(f.text);
      // Mentions: the tokens here, resolved by the store in the commit (./mentions.ts).
      const mt = mentionTokens(f.text, roomMentionAllowed(config.roomMentions ?? 'rooms', f.room === GLOBAL_ROOM));
      const extra: Pick<NewMessage, 'text' | 'replyTo' | 'mentionTokens' | 'mentionAll'> = { text: f.text };
      if (f.replyTo !== undefined) extra.replyTo = f.replyTo;
      if (mt) {
        if (mt.tokens.length) extra.mentionTokens = mt.tokens;
        if (mt.all) extra.mentionAll = true;
      }
      submit(conn, f.room, f.id, extra);
    },

    // Message changes (docs/protocol.md 6.15): the store checks the target and the author in the commit.
    edit(conn, f) {
      requireMember(conn, f.room);
      checkText(f.text);
      submit(conn, f.room, f.id, { text: '', change: { kind: 'edit', target: f.target, text: f.text } });
    },

    async remove(conn, f) {
      requireMember(conn, f.room);
      // Only asked when needed by the store's check (someone else's message): one small read.
      const admin = isAdmin ? await isAdmin(conn.user!.id) : false;
      submit(conn, f.room, f.id, { text: '', change: { kind: 'remove', target: f.target }, ...(admin ? { admin } : {}) });
    },

    react(conn, f) {
      requireMember(conn, f.room);
      if (!isValidReaction(f.emoji)) throw new Refusal(ErrorCode.reaction_invalid, `a reaction is one emoji or one of ${REACTION_SHORTCODES.length} shortcodes (${REACTION_SHORTCODES.slice(0, 4).join(' ')} ...)`);
      submit(conn, f.room, f.id, { text: '', change: { kind: 'react', target: f.target, emoji: f.emoji, on: f.on } });
    },

    async search(conn, f) {
      const words = searchWords(f.query);
      if (!words.length) throw new Refusal(ErrorCode.search_invalid, 'a search needs at least one word (letters or digits)');
      if (f.room !== undefined) requireMember(conn, f.room);
      const order = f.order ?? 'newest';
      const cursor = f.cursor === undefined ? undefined : decodeCursor(f.cursor);
      if (cursor === null || (cursor && cursor.order !== order)) throw new Refusal(ErrorCode.search_invalid, 'cursor: pass the `next` of the previous page of the same search');
      const limit = f.limit ?? SEARCH_DEFAULT;
      // One more than asked: whether a next page exists.
      const hits = await store
        .search(conn.user!.id, { words, room: f.room, fromName: f.from, before: f.before, after: f.after, order, limit: limit + 1, cursor })
        .catch((err: unknown) => {
          if (err instanceof StoreBusyError) throw new Refusal(ErrorCode.unavailable, err.message, 1000);
          throw err;
        });
      const page = hits.slice(0, limit);
      const last = page[page.length - 1];
      const reply: SearchResultsFrame = { type: 'search_results', re: f.id, results: page.map((m) => ({ ...msgEvent(m), highlights: highlights(m.text, words) })) };
      if (hits.length > limit && last) {
        reply.next = encodeCursor(order === 'newest' ? { order, ts: last.ts, room: last.room, seq: last.seq } : { order, offset: (cursor?.order === 'best' ? cursor.offset : 0) + limit });
      }
      conn.send(reply);
    },

    async join(conn, f) {
      if (conn.rooms.has(f.room)) return replyJoined(conn, f.id, f.room, false);
      const room = await store.getRoom(f.room);
      // A private room or DM you are not in is indistinguishable from one that does not exist.
      if (!room || room.kind === 'private' || room.kind === 'dm') throw new Refusal(ErrorCode.no_such_room, `no room "${f.room}"`);
      await checkRoomCount(conn.user!.id, 'you are');
      const added = await store.addMember(f.room, conn.user!.id);
      await replyJoined(conn, f.id, f.room, true);
      if (added) memberEvent(f.room, conn, 'joined');
    },

    async create(conn, f) {
      if (!isValidRoomName(f.room)) {
        throw new Refusal(ErrorCode.room_invalid, 'room names are 2-32 characters: a-z, 0-9, "_" or "-", starting with a letter or digit');
      }
      // Every attempt counts (a taken name too): creating rooms, or probing which names are taken, is bounded.
      await take(conn, 'roomCreate', 'rooms created');
      await checkRoomCount(conn.user!.id, 'you are');
      // Room names are one namespace: `room_exists` says only that the name is taken (by a public or a
      // private room, the same answer), nothing about the room (docs/protocol.md 5.3).
      const created = await store.createRoom({ id: f.room, kind: f.visibility, createdBy: conn.user!.id, createdAt: Date.now() }, [conn.user!.id]);
      if (!created) throw new Refusal(ErrorCode.room_exists, `a room named "${f.room}" exists`);
      await replyJoined(conn, f.id, f.room, true);
    },

    async leave(conn, f) {
      requireMember(conn, f.room);
      const room = await store.getRoom(f.room);
      if (!room || room.kind === 'global' || room.kind === 'dm') throw new Refusal(ErrorCode.forbidden, `you cannot leave "${f.room}"`);
      await store.removeMember(f.room, conn.user!.id);
      hub.removeFromRoom(conn, f.room);
      presence?.unsubscribe(conn, f.room);
      conn.send({ type: 'left', re: f.id, room: f.room } satisfies LeftFrame);
      const ev: RoomRemovedEvent = { type: 'room_removed', room: f.room };
      publishEvent(bus, userTopic(conn.user!.id), ev, { control: { kind: 'room_removed', room: f.room }, excludeConn: conn.id });
      memberEvent(f.room, conn, 'left');
    },

    async invite(conn, f) {
      requireMember(conn, f.room);
      const room = await store.getRoom(f.room);
      if (!room || room.kind === 'global' || room.kind === 'dm') throw new Refusal(ErrorCode.forbidden, `you cannot invite to "${f.room}"`);
      await take(conn, 'invite', 'invites');
      const user = await findUser(f.user);
      if (!user) throw new Refusal(ErrorCode.no_such_user, `no user "${f.user}"`);
      // Nobody can be pushed into more rooms than the limit (an invite adds the room to the invitee's list).
      if (!(await store.isMember(f.room, user.id))) await checkRoomCount(user.id, `${user.name} is`);
      const added = await store.addMember(f.room, user.id);
      const ref = { id: user.id, name: user.name };
      conn.send({ type: 'invited', re: f.id, room: f.room, user: ref } satisfies InvitedFrame);
      if (!added) return;
      const r = (await store.listUserRooms(user.id)).find((x) => x.id === f.room);
      if (r) {
        const ev: RoomAddedEvent = { type: 'room_added', room: hub.roomInfo(r) };
        publishEvent(bus, userTopic(user.id), ev, { control: { kind: 'room_added', room: f.room } });
      }
      memberEvent(f.room, conn, 'joined', ref);
    },

    async dm(conn, f) {
      const me = conn.user!;
      const peer = await findUser(f.user);
      if (!peer) throw new Refusal(ErrorCode.no_such_user, `no user "${f.user}"`);
      if (peer.id === me.id) throw new Refusal(ErrorCode.forbidden, 'you cannot open a DM with yourself');
      const id = dmRoomId(me.id, peer.id);
      // A new DM adds a room to the peer's list, like an invite: counted with invites, bounded by the room limit.
      if (!(await store.isMember(id, me.id))) {
        await take(conn, 'invite', 'new DMs and invites');
        await checkRoomCount(me.id, 'you are');
        await checkRoomCount(peer.id, `${peer.name} is`);
      }
      const created = await store.createRoom({ id, kind: 'dm', createdBy: me.id, createdAt: Date.now() }, [me.id, peer.id]);
      await replyJoined(conn, f.id, id, created);
      if (created) {
        const r = (await store.listUserRooms(peer.id)).find((x) => x.id === id);
        if (r) {
          const ev: RoomAddedEvent = { type: 'room_added', room: hub.roomInfo(r) };
          publishEvent(bus, userTopic(peer.id), ev, { control: { kind: 'room_added', room: id } });
        }
      }
    },

    async rooms(conn, f) {
      const mine = await store.listUserRooms(conn.user!.id, { counts: true });
      const ids = new Set(mine.map((r) => r.id));
      const pub = (await store.listPublicRooms(200)).filter((r) => !ids.has(r.id));
      const frame: RoomsFrame = {
        type: 'rooms',
        re: f.id,
        rooms: mine.map((r) => hub.roomInfo(r)),
        public: pub.map((r) => ({ id: r.id, kind: r.kind, lastSeq: r.lastSeq, lastRead: 0, members: r.members })),
      };
      conn.send(frame);
    },

    async members(conn, f) {
      requireMember(conn, f.room);
      // Subscribed before the snapshot is read: no diff between the two is missed (one may be in both).
      if (f.subscribe && presence && !presence.subscribe(conn, f.room)) {
        throw new Refusal(ErrorCode.limit_exceeded, `member lists of ${MEMBER_SUBSCRIPTIONS_MAX} rooms are subscribed already: unsubscribe one first`);
      }
      const subscribed = Boolean(f.subscribe && presence);
      let list: { members: MembersFrame['members']; total: number };
      if (f.room === GLOBAL_ROOM) {
        const { users, total } = await cluster.onlineUsers(MEMBER_LIST_MAX);
        list = { members: users.map((u) => ({ ...u, online: true })), total };
      } else {
        const { members, total } = await store.listMembers(f.room, MEMBER_LIST_MAX);
        const online = await cluster.onlineAmong(members.map((u) => u.id));
        list = { members: members.map((u) => ({ ...u, online: online.has(u.id) })), total };
      }
      const large = presence?.isLarge(f.room) ?? false;
      conn.send({ type: 'members', re: f.id, room: f.room, ...list, large, subscribed } satisfies MembersFrame);
    },

    members_unsubscribe(conn, f) {
      presence?.unsubscribe(conn, f.room);
      conn.send({ type: 'members_unsubscribed', re: f.id, room: f.room } satisfies MembersUnsubscribedFrame);
    },

    async history(conn, f) {
      requireMember(conn, f.room);
      const limit = Math.min(f.limit ?? HISTORY_DEFAULT, config.historyPageMax);
      const rows = await store.history(f.room, { before: f.before, after: f.after, limit: limit + 1 });
      // One extra row tells whether more exist in the direction asked.
      let hasMore = rows.length > limit;
      const forward = f.after !== undefined;
      const page = hasMore ? (forward ? rows.slice(0, limit) : rows.slice(rows.length - limit)) : rows;
      // The reply is cut to historyPageBytes, keeping the messages nearest the cursor: a page of long texts
      // cannot cost more memory than that (the client pages on, as hasMore says).
      const nearestFirst = page.map(encodeMsg);
      if (!forward) nearestFirst.reverse();
      let kept = 0;
      let bytes = 0;
      for (const part of nearestFirst) {
        bytes += Buffer.byteLength(part) + 1;
        if (kept > 0 && bytes > config.historyPageBytes) break; // the nearest message always goes
        kept++;
      }
      if (kept < nearestFirst.length) hasMore = true;
      const parts = nearestFirst.slice(0, kept);
      if (!forward) parts.reverse();
      conn.push(Buffer.from(encodeHistory(f.id, f.room, parts, hasMore)));
    },

    typing(conn, f) {
      requireMember(conn, f.room);
      const u = conn.user!;
      const ev: TypingEvent = { type: 'typing', room: f.room, uid: u.id, user: u.name };
      publishEvent(bus, roomTopic(f.room), ev, { excludeUid: u.id });
    },

    async read(conn, f) {
      requireMember(conn, f.room);
      const room = await store.getRoom(f.room);
      // A marker past the newest message would hide future messages from unread counts: cap it.
      const seq = await store.setReadMarker(conn.user!.id, f.room, Math.min(f.seq, room?.lastSeq ?? 0));
      const ev: ReadEvent = { type: 'read', room: f.room, seq };
      publishEvent(bus, userTopic(conn.user!.id), ev, { control: { kind: 'read', room: f.room, seq }, excludeConn: conn.id });
    },

    ping(conn, f) {
      conn.send({ type: 'pong', re: f.id, ts: Date.now() });
    },

    pong() {
      // liveness only: the transport already marked the connection alive
    },

    // Account changes (docs/protocol.md 4.5): ./account.ts.
    ...createAccountHandlers(accounts, bus, (code, message, retryAfterMs) => new Refusal(code, message, retryAfterMs)),
  };
}
