/**
 * Wire types of protocol v1: every frame is one JSON object in a WebSocket text frame.
 * Client frames are validated by the schemas in ./schema.ts (their types are inferred there);
 * server frames are typed here.
 */
import type { ErrorCode } from './codes.js';

export type RoomKind = 'global' | 'public' | 'private' | 'dm';

export interface UserRef {
  id: string;
  name: string;
}

export interface RoomInfo {
  /** Room id: `general`, a room name, or `dm:<uid>:<uid>`. */
  id: string;
  kind: RoomKind;
  /** Seq of the newest message (0 when empty). */
  lastSeq: number;
  /** Your read marker in this room (0 when none). */
  lastRead: number;
  /** Number of members (for `general`: users online). */
  members: number;
  /** For DMs: the other user. */
  peer?: UserRef;
  /** Set by an administrator: sends are refused with `read_only` (absent = writable). */
  readOnly?: true;
  /**
   * Messages after `lastRead` written by others, not tombstones, not change events (docs/protocol.md 3.2);
   * capped at UNREAD_CAP (the cap means "that many or more"). Absent where the server does not count (0).
   */
  unread?: number;
  /** Of those `unread`, the ones that mention you (`mentions` has your id) or the room (`mentionAll`); capped likewise. */
  mentions?: number;
}

/** Unread and mention counts stop at this value (it means "this many or more"). */
export const UNREAD_CAP = 99;

export interface Limits {
  maxFrameBytes: number;
  maxTextLength: number;
  historyPageMax: number;
  replayMax: number;
  /** Token bucket: sustained frames per second and burst size. */
  ratePerSec: number;
  rateBurst: number;
}

export interface WelcomeFrame {
  type: 'welcome';
  v: number;
  user: UserRef & { account: boolean; bot?: true };
  /** Session token: present it as `auth: {kind: "token"}` to be the same user again. */
  token: string;
  tokenExpiresAt: number;
  /** Rooms you are a member of. */
  rooms: RoomInfo[];
  /** Server heartbeat interval in ms: expect a `ping` (or any frame) at least this often. */
  heartbeatMs: number;
  limits: Limits;
  serverTime: number;
}

export interface MsgEvent {
  type: 'msg';
  room: string;
  seq: number;
  /** Client-chosen message id (unique per author). */
  id: string;
  /** Author id and name. */
  uid: string;
  user: string;
  text: string;
  /** Server time (ms since epoch) when the message was accepted. */
  ts: number;
  /**
   * The message was deleted (by its author or an administrator): a tombstone that keeps its seq (so seqs
   * stay contiguous), with `text` empty. History and resume replay return tombstones; clients show or hide
   * them. A change event (`change` below) is a tombstone too, for clients that predate changes.
   */
  deleted?: true;
  /** The seq of the message of the same room this one answers. */
  replyTo?: number;
  /** When the text was last edited (ms since epoch); absent = never edited. */
  edited?: number;
  /** The seq of the last change applied to this message (a change with a seq <= v is already in it). */
  v?: number;
  /** Reactions, in the order they first came; absent = none. */
  reactions?: Reaction[];
  /** This event changes the earlier message `change.target` (./changes.ts): it is not a message to show. */
  change?: MessageChange;
  /**
   * The users this message mentions (`@name` in the text, resolved by the server when it was sent, to
   * users who can read the room), in the order of the text, at most MAX_MENTIONS; absent = none. An edit
   * does not change them.
   */
  mentions?: UserRef[];
  /** The text mentions everyone in the room (`@room`) and the server allowed it. */
  mentionAll?: true;
  /** Sent by a bot user (an API key: the HTTP API or a WebSocket `hello {auth: {kind: "apikey"}}`); absent = a person. */
  bot?: true;
}

/** At most this many users are mentioned by one message (further `@name`s stay plain text). */
export const MAX_MENTIONS = 20;

/** One emoji on a message: how many reacted, and who (the first MAX_REACTION_UIDS of them). */
export interface Reaction {
  emoji: string;
  count: number;
  uids: string[];
}

/** What a change event does to its target (docs/protocol.md 6.15). */
export type MessageChange =
  | { kind: 'edit'; target: number; text: string }
  | { kind: 'remove'; target: number }
  | { kind: 'react'; target: number; emoji: string; on: boolean };

export interface AckFrame {
  type: 'ack';
  id: string;
  room: string;
  seq: number;
  ts: number;
}

export interface ErrorFrame {
  type: 'error';
  code: ErrorCode;
  message: string;
  /** Id of the request this answers, when it answers one. */
  re?: string;
  retryAfterMs?: number;
}

export interface JoinedFrame {
  type: 'joined';
  re: string;
  room: RoomInfo;
}
export interface LeftFrame {
  type: 'left';
  re: string;
  room: string;
}
export interface InvitedFrame {
  type: 'invited';
  re: string;
  room: string;
  user: UserRef;
}
export interface RoomsFrame {
  type: 'rooms';
  re: string;
  /** Rooms you are a member of. */
  rooms: RoomInfo[];
  /** Public rooms you can join. */
  public: RoomInfo[];
}
export interface Member extends UserRef {
  online: boolean;
}
export interface MembersFrame {
  type: 'members';
  re: string;
  room: string;
  members: Member[];
  /** Total members (the list may be truncated at 1000). */
  total: number;
  /** The room has more than the server's `presenceLargeRoom` users online: without a subscription its
   *  presence arrives as `presence_count` events, not diffs. */
  large: boolean;
  /** This connection now receives the room's presence diffs even while it is large (asked `subscribe: true`). */
  subscribed: boolean;
}
/** Reply to `members_unsubscribe`: no more presence diffs of this large room (counts only). */
export interface MembersUnsubscribedFrame {
  type: 'members_unsubscribed';
  re: string;
  room: string;
}
export interface HistoryFrame {
  type: 'history';
  re: string;
  room: string;
  /** Ascending by seq. */
  messages: MsgEvent[];
  /** More messages exist in the direction asked. */
  hasMore: boolean;
}
/** One search hit: the message in its current state, and where the query's words are in its text. */
export interface SearchHit extends MsgEvent {
  /** [start, end) UTF-16 offsets into `text` of the words that matched, ascending. */
  highlights: [number, number][];
}

export interface SearchResultsFrame {
  type: 'search_results';
  re: string;
  results: SearchHit[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  next?: string;
}

/** Reply to `password` (docs/protocol.md 4.5): the new session token of this connection (every older one stopped working). */
export interface PasswordChangedFrame {
  type: 'password_changed';
  re: string;
  token: string;
  tokenExpiresAt: number;
}
/** Reply to `signout_all`: every token of the user stopped working; this connection closes next (4015). */
export interface SignedOutFrame {
  type: 'signed_out';
  re: string;
}
/** Reply to `delete_account`: the account is deleted; this connection closes next (4015). */
export interface AccountDeletedFrame {
  type: 'account_deleted';
  re: string;
}

export interface PongFrame {
  type: 'pong';
  re: string;
  ts: number;
}

/** Heartbeat from the server. Clients may answer with `{"type":"pong"}`; any frame counts. */
export interface PingEvent {
  type: 'ping';
  ts: number;
}
/** Presence diff for a room (coalesced): who came online / went offline. */
export interface PresenceEvent {
  type: 'presence';
  room: string;
  online: UserRef[];
  offline: UserRef[];
}
/**
 * The number of users online in a large room (more than `presenceLargeRoom`), instead of diffs, at most
 * once per presence interval and only when it changed. `large: false` (sent once): the room is small
 * again, diffs follow: fetch the snapshot with `members`.
 */
export interface PresenceCountEvent {
  type: 'presence_count';
  room: string;
  count: number;
  large: boolean;
}
export interface TypingEvent {
  type: 'typing';
  room: string;
  uid: string;
  user: string;
}
/** Your own read marker moved (from another of your connections). */
export interface ReadEvent {
  type: 'read';
  room: string;
  seq: number;
}
/** A member joined or left a room you are in. */
export interface MemberEvent {
  type: 'member';
  room: string;
  user: UserRef;
  action: 'joined' | 'left';
}
/** You were added to a room (invited, a DM was opened with you, or you joined on another connection). */
export interface RoomAddedEvent {
  type: 'room_added';
  room: RoomInfo;
}
/** You left a room on another connection. */
export interface RoomRemovedEvent {
  type: 'room_removed';
  room: string;
}
/**
 * End of the replay for a room asked for in `hello.resume`.
 * `complete: false` means more than `limits.replayMax` messages were missed: fetch the rest
 * with `history {after: toSeq}`.
 */
export interface ResumeEvent {
  type: 'resume';
  room: string;
  fromSeq: number;
  toSeq: number;
  complete: boolean;
}

/** An administrator deleted a message: remove it (its seq stays taken; history returns a tombstone). */
export interface DeletedEvent {
  type: 'deleted';
  room: string;
  seq: number;
}
/**
 * An administrator reset a room: every message was deleted. Seqs never go back: new messages continue
 * after `lastSeq`. Clear the room's timeline.
 */
export interface RoomResetEvent {
  type: 'room_reset';
  room: string;
  lastSeq: number;
}
/** An administrator deleted a room: it is gone for every member (a `room_removed` follows). */
export interface RoomDeletedEvent {
  type: 'room_deleted';
  room: string;
}
/** A room's settings changed (an administrator made it read-only or writable again). */
export interface RoomUpdatedEvent {
  type: 'room_updated';
  room: string;
  readOnly: boolean;
}

/** Several server events in one frame, in order. */
export interface BatchFrame {
  type: 'batch';
  events: ServerEvent[];
}

export type ServerEvent =
  | WelcomeFrame
  | MsgEvent
  | AckFrame
  | ErrorFrame
  | JoinedFrame
  | LeftFrame
  | InvitedFrame
  | RoomsFrame
  | MembersFrame
  | MembersUnsubscribedFrame
  | HistoryFrame
  | PongFrame
  | SearchResultsFrame
  | PasswordChangedFrame
  | SignedOutFrame
  | AccountDeletedFrame
  | PingEvent
  | PresenceEvent
  | PresenceCountEvent
  | TypingEvent
  | ReadEvent
  | MemberEvent
  | RoomAddedEvent
  | RoomRemovedEvent
  | ResumeEvent
  | DeletedEvent
  | RoomResetEvent
  | RoomDeletedEvent
  | RoomUpdatedEvent;

export type ServerFrame = ServerEvent | BatchFrame;

/** Replies that answer a request, by the request type. */
export interface ReplyMap {
  send: AckFrame;
  join: JoinedFrame;
  create: JoinedFrame;
  dm: JoinedFrame;
  leave: LeftFrame;
  invite: InvitedFrame;
  rooms: RoomsFrame;
  members: MembersFrame;
  members_unsubscribe: MembersUnsubscribedFrame;
  history: HistoryFrame;
  ping: PongFrame;
  edit: AckFrame;
  remove: AckFrame;
  react: AckFrame;
  search: SearchResultsFrame;
  password: PasswordChangedFrame;
  signout_all: SignedOutFrame;
  delete_account: AccountDeletedFrame;
}
