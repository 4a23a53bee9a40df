/**
 * The Store: everything that must survive a restart (users, rooms, memberships, messages, read markers).
 * One interface, two implementations (SQLite embedded default; PostgreSQL for clusters), one contract suite
 * (test/store.contract.ts).
 */
import type { RoomKind, UserRef } from '../../protocol/types.js';

export interface UserRecord {
  id: string;
  /** Display name (NFC). */
  name: string;
  /** Lowercased name, the uniqueness key. Unique among accounts only; guests' names are reserved while online. */
  nameKey: string;
  account: boolean;
  /** argon2 hash for accounts, null for guests. */
  passwordHash: string | null;
  createdAt: number;
}

export interface RoomRecord {
  id: string;
  kind: RoomKind;
  createdBy: string | null;
  createdAt: number;
  /** Seq of the newest message, 0 when empty. */
  lastSeq: number;
}

export interface UserRoom extends RoomRecord {
  lastRead: number;
  /** Stored member count (for `general`, which has implicit membership, 0). */
  members: number;
  /** For DM rooms: the other member. */
  peer?: UserRef;
}

export interface NewMessage {
  room: string;
  /** Client-chosen id, unique per author (uid). */
  id: string;
  uid: string;
  user: string;
  text: string;
  ts: number;
}

export interface StoredMessage extends NewMessage {
  seq: number;
}

export interface AppendResult {
  message: StoredMessage;
  /** True when (uid, id) was already stored: `message` is the original, nothing was written. */
  duplicate: boolean;
}

export interface HistoryQuery {
  /** Only messages with seq < before (the newest `limit` of them). */
  before?: number;
  /** Only messages with seq > after (the oldest `limit` of them). */
  after?: number;
  limit: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Runs pending migrations and makes sure the `general` room exists. */
  init(): Promise<void>;
  /** Flushes and closes. */
  close(): Promise<void>;

  /** Throws StoreConflictError when an account with the same nameKey exists (accounts only). */
  createUser(user: UserRecord): Promise<void>;
  getUser(id: string): Promise<UserRecord | null>;
  findAccount(nameKey: string): Promise<UserRecord | null>;
  /** Most recently created user (guest or account) with this nameKey: used to find DM peers by name. */
  findUserByName(nameKey: string): Promise<UserRecord | null>;

  /** Creates a room; false when the id exists. `members` are added in the same transaction. */
  createRoom(room: { id: string; kind: RoomKind; createdBy: string | null; createdAt: number }, members: string[]): Promise<boolean>;
  getRoom(id: string): Promise<RoomRecord | null>;
  /** Public rooms with their member counts, most recently active first. */
  listPublicRooms(limit: number): Promise<(RoomRecord & { members: number })[]>;

  /** True when newly added. */
  addMember(room: string, uid: string): Promise<boolean>;
  /** True when removed. */
  removeMember(room: string, uid: string): Promise<boolean>;
  /** Membership as stored (`general` is implicit: always true). */
  isMember(room: string, uid: string): Promise<boolean>;
  listMembers(room: string, limit: number): Promise<{ members: UserRef[]; total: number }>;
  /** Rooms the user is a member of, `general` always included. */
  listUserRooms(uid: string): Promise<UserRoom[]>;

  /**
   * Appends messages atomically (one transaction: group commit). Seqs are assigned per room in array
   * order, strictly increasing without gaps. Idempotent by (uid, id): a repeat returns the original.
   * Results are in the order of `batch`.
   */
  append(batch: NewMessage[]): Promise<AppendResult[]>;
  /** Ascending by seq. */
  history(room: string, query: HistoryQuery): Promise<StoredMessage[]>;

  /** Moves the user's read marker forward (never back); returns the marker now stored. */
  setReadMarker(uid: string, room: string, seq: number): Promise<number>;

  getSetting(key: string): Promise<string | null>;
  setSetting(key: string, value: string): Promise<void>;
}

export class StoreConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflictError';
  }
}
