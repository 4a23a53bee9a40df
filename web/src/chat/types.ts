/** State types of the web UI's chat store (see ./store.ts). */
import type { ConnectionState } from '../../../src/client/index.js';
import type { Limits, Member, MsgEvent, RoomInfo, UserRef } from '../../../src/protocol/types.js';

/** The loaded part of one room's history: contiguous, ascending by seq, no duplicates. */
export interface Timeline {
  messages: MsgEvent[];
  /** Older messages exist before messages[0]. */
  hasMore: boolean;
  /** The newest page was fetched (a room opened for the first time starts without it). */
  loadedLatest: boolean;
  /** A history request is in flight. */
  loading: boolean;
  /** The last history request failed: shown with a retry. */
  error?: string;
}

export type SendStatus = 'pending' | 'failed';

/** An own message not yet acknowledged (pending) or given up on (failed, with retry). */
export interface PendingMessage {
  id: string;
  room: string;
  text: string;
  /** The seq of the message it answers. */
  replyTo?: number;
  createdAt: number;
  status: SendStatus;
  error?: string;
}

export interface Typist {
  uid: string;
  user: string;
  /** Shown until this time (ms since epoch). */
  until: number;
}

export interface ConnectionView {
  state: ConnectionState;
  /** While reconnecting: when the next attempt starts (ms since epoch), or null while one is under way. */
  retryAt: number | null;
  /** The browser says it has no network. */
  offline: boolean;
  /** Why the connection ended for good (token expired, ...), shown with a sign-in button. */
  error?: string;
}

export interface ChatState {
  /** signed-out: the sign-in form; signing-in: first handshake under way; ready: the chat. */
  phase: 'signed-out' | 'signing-in' | 'ready';
  /** The sign-in under way restores a saved session (no form is shown meanwhile). */
  restoring: boolean;
  signInError?: string;
  conn: ConnectionView;
  me?: UserRef & { account: boolean };
  /** Rooms you are in: general first, then rooms by name, then DMs by peer name. */
  rooms: RoomInfo[];
  /** The room on screen (may be one you are not in, e.g. from a link: then a join prompt shows). */
  active: string;
  // Per-room state is in Maps, never plain objects: room ids come from the network and the URL, and a
  // room named `constructor` (valid) or `__proto__` (in a link) would find Object.prototype's members.
  // Replaced, never mutated (new Map on change, see ./keyed.ts), so React can compare by reference.
  timelines: ReadonlyMap<string, Timeline>;
  pending: ReadonlyMap<string, readonly PendingMessage[]>;
  /** Members of rooms whose member list was loaded (general: the users online). */
  members: ReadonlyMap<string, readonly Member[]>;
  /** Users online overall (general's total). */
  onlineTotal: number;
  /** Large rooms (more users online than the server's presenceLargeRoom) -> users online: their member
   *  lists are not kept live unless subscribed (the members panel while shown), the count is. */
  largeRooms: ReadonlyMap<string, number>;
  typing: ReadonlyMap<string, readonly Typist[]>;
  /** The message the composer of a room answers (room -> its seq), while a reply is being written. */
  replying: ReadonlyMap<string, number>;
  /**
   * Messages quoted by a reply but not in the loaded timeline (older than it), fetched one by one for
   * the quote: room -> seq -> the message in its current state, or null when the room has no such message.
   */
  quotes: ReadonlyMap<string, ReadonlyMap<number, MsgEvent | null>>;
  /** A jump asked for from outside the room's list (a search result): shown once the room's list takes it. */
  jump?: { room: string; seq: number; n: number };
  /** The thread panel: the replies to message `seq` of `room`. */
  thread?: { room: string; seq: number };
  /** A one-off notice ("You were added to #team"), with the room it is about. */
  notice?: { text: string; room?: string };
  /** Public rooms you can join (from the last refresh). */
  publicRooms: RoomInfo[];
  limits?: Limits;
}
