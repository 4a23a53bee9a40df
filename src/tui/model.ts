/**
 * What the terminal client shows, as plain state with no I/O: the joined rooms in the order they
 * are listed, each with its scrollback (messages ordered by seq, plus local info/error lines and our
 * own not-yet-acknowledged messages), unread counts, who is online and who is typing; the current
 * room; the connection status. The session (./session.ts) feeds it from ChatClient events; the
 * layout (./layout.ts) draws it. Every mutation calls `changed()` so the screen can re-render.
 *
 * Text stored here is raw (as received); it is sanitized when drawn (./format.ts).
 */
import { namesakes } from '../client/index.js';
import type { MsgEvent, PresenceEvent, RoomInfo, RoomKind, TypingEvent, UserRef } from '../protocol/index.js';

/** Receivers hide a typing notice this long after the last `typing` event (docs/protocol.md 6.10). */
export const TYPING_SHOW_MS = 5000;
/** Scrollback kept per room; older entries are dropped (history can be loaded again). */
export const MAX_ENTRIES = 5000;

export type Tone = 'info' | 'error' | 'presence';

export type Entry =
  | { kind: 'msg'; msg: MsgEvent }
  | { kind: 'pending'; id: string; text: string; ts: number; error?: string }
  | { kind: 'info'; text: string; ts: number; tone: Tone };

export interface RoomState {
  id: string;
  kind: RoomKind;
  peer?: UserRef;
  entries: Entry[];
  /** Seqs of the messages in `entries`. */
  seqs: Set<number>;
  /** Messages that arrived while another room was shown. */
  unread: number;
  /** One of them mentions us. */
  mentioned: boolean;
  /** Online members by user id (snapshot from `members`, then presence diffs). */
  online: Map<string, string>;
  /** Member count from RoomInfo (for general: users online at the time). */
  members: number;
  /** Typing users by id: name and when to stop showing it. */
  typing: Map<string, { name: string; until: number }>;
  /** Recent history has been requested for this room. */
  historyLoaded: boolean;
  /** History has nothing older than what we hold. */
  historyComplete: boolean;
}

export type ConnState = 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closed';

export interface ConnStatus {
  state: ConnState;
  /** While reconnecting: when the next attempt starts (epoch ms), if known. */
  retryAt?: number;
  /** While offline: why. */
  detail?: string;
}

/** How a room is shown: `#general`, `#lobby`, `@bob`. */
export function roomLabel(room: Pick<RoomState, 'id' | 'kind' | 'peer'>): string {
  if (room.kind === 'dm') return `@${room.peer?.name ?? room.id}`;
  return `#${room.id}`;
}

export class ChatModel {
  readonly rooms = new Map<string, RoomState>();
  current = 'general';
  me: (UserRef & { account: boolean }) | undefined;
  conn: ConnStatus = { state: 'connecting' };
  /** Rows scrolled up from the bottom of the current room (0 = following new messages). */
  scroll = 0;

  constructor(
    private readonly changed: () => void = () => {},
    private readonly now: () => number = Date.now,
    /** Called for each message added by addMessage and each note (not for history pages). */
    private readonly appended: (roomId: string, entry: Entry) => void = () => {},
  ) {
    // Every user is in `general`; having it from the start gives early notes (connecting...) a place.
    this.upsertRoom({ id: 'general', kind: 'global', lastSeq: 0, lastRead: 0, members: 0 });
  }

  // ---- rooms -------------------------------------------------------------------------------

  /** The welcome's rooms: adds new ones, refreshes known ones, drops rooms we are no longer in. */
  setRooms(infos: RoomInfo[]): void {
    const keep = new Set(infos.map((r) => r.id));
    for (const id of [...this.rooms.keys()]) if (!keep.has(id)) this.rooms.delete(id);
    for (const info of infos) this.upsertRoom(info);
    if (!this.rooms.has(this.current)) this.current = 'general';
    this.changed();
  }

  upsertRoom(info: RoomInfo): RoomState {
    let room = this.rooms.get(info.id);
    if (!room) {
      room = {
        id: info.id,
        kind: info.kind,
        entries: [],
        seqs: new Set(),
        unread: 0,
        mentioned: false,
        online: new Map(),
        members: info.members,
        typing: new Map(),
        historyLoaded: false,
        historyComplete: info.lastSeq === 0,
      };
      this.rooms.set(info.id, room);
    }
    room.kind = info.kind;
    room.members = info.members;
    if (!room.historyLoaded) room.historyComplete = info.lastSeq === 0;
    if (info.peer) room.peer = info.peer;
    this.changed();
    return room;
  }

  removeRoom(id: string): void {
    if (!this.rooms.delete(id)) return;
    if (this.current === id) this.switchTo('general');
    this.changed();
  }

  get currentRoom(): RoomState | undefined {
    return this.rooms.get(this.current);
  }

  /** Finds a joined room by id, `#id`, `@peer` or (for DMs) the peer's name. */
  findRoom(ref: string): RoomState | undefined {
    const r = ref.trim();
    if (r.startsWith('@')) return this.findDm(r.slice(1));
    const id = r.startsWith('#') ? r.slice(1) : r;
    return this.rooms.get(id) ?? this.rooms.get(id.toLowerCase());
  }

  findDm(peerName: string): RoomState | undefined {
    const name = peerName.toLowerCase();
    for (const room of this.rooms.values()) if (room.kind === 'dm' && room.peer?.name.toLowerCase() === name) return room;
    return undefined;
  }

  switchTo(id: string): boolean {
    const room = this.rooms.get(id);
    if (!room) return false;
    this.current = id;
    room.unread = 0;
    room.mentioned = false;
    this.scroll = 0;
    this.changed();
    return true;
  }

  /** The room `step` places after (or before, negative) the current one in the list, cycling. */
  neighbour(step: number): string {
    const ids = [...this.rooms.keys()];
    const i = ids.indexOf(this.current);
    return ids[(((i + step) % ids.length) + ids.length) % ids.length] ?? this.current;
  }

  // ---- messages ----------------------------------------------------------------------------

  /**
   * Adds a message (live, replayed or from history) in seq order; a message already held is ignored.
   * `live` messages in a room that is not shown count as unread. Returns whether it was new.
   */
  addMessage(msg: MsgEvent, live: boolean): boolean {
    const room = this.rooms.get(msg.room);
    if (!room || room.seqs.has(msg.seq)) return false;
    if (msg.uid === this.me?.id) {
      const p = room.entries.findIndex((e) => e.kind === 'pending' && e.id === msg.id);
      if (p >= 0) room.entries.splice(p, 1);
    }
    this.insertMsg(room, msg);
    this.appended(room.id, { kind: 'msg', msg });
    room.typing.delete(msg.uid);
    if (live && msg.uid !== this.me?.id && room.id !== this.current) {
      room.unread++;
      if (this.me && mentions(msg.text, this.me.name)) room.mentioned = true;
    }
    this.changed();
    return true;
  }

  /** A page of history (ascending). `older` means there may be more before it. */
  addHistory(roomId: string, msgs: MsgEvent[], hasMore: boolean): number {
    const room = this.rooms.get(roomId);
    if (!room) return 0;
    let added = 0;
    for (const m of msgs) {
      if (room.seqs.has(m.seq)) continue;
      this.insertMsg(room, m);
      added++;
    }
    room.historyLoaded = true;
    const first = this.oldestSeq(roomId);
    if (!hasMore || first === 1) room.historyComplete = true;
    this.changed();
    return added;
  }

  oldestSeq(roomId: string): number | undefined {
    const room = this.rooms.get(roomId);
    for (const e of room?.entries ?? []) if (e.kind === 'msg') return e.msg.seq;
    return undefined;
  }

  newestSeq(roomId: string): number | undefined {
    const entries = this.rooms.get(roomId)?.entries ?? [];
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i];
      if (e.kind === 'msg') return e.msg.seq;
    }
    return undefined;
  }

  private insertMsg(room: RoomState, msg: MsgEvent): void {
    const entries = room.entries;
    const entry: Entry = { kind: 'msg', msg };
    const newest = this.newestSeq(room.id);
    room.seqs.add(msg.seq);
    if (newest === undefined || msg.seq > newest) {
      // The newest message (live ones always are): at the end, but above our own messages that are
      // still on their way (they get their place when their own msg comes back).
      let at = entries.length;
      while (at > 0 && entries[at - 1].kind === 'pending' && !(entries[at - 1] as { error?: string }).error) at--;
      entries.splice(at, 0, entry);
    } else {
      // Older (history page or gap): right after the last message with a smaller seq, else before
      // the first message.
      let at = -1;
      for (let i = entries.length - 1; i >= 0; i--) {
        const e = entries[i];
        if (e.kind === 'msg' && e.msg.seq < msg.seq) {
          at = i + 1;
          break;
        }
      }
      if (at < 0) at = entries.findIndex((e) => e.kind === 'msg');
      entries.splice(at, 0, entry);
    }
    this.trim(room);
  }

  private trim(room: RoomState): void {
    const extra = room.entries.length - MAX_ENTRIES;
    if (extra <= 0) return;
    for (const e of room.entries.splice(0, extra)) if (e.kind === 'msg') room.seqs.delete(e.msg.seq);
    room.historyComplete = false;
  }

  /** Our own message, shown until its `msg` comes back. */
  addPending(roomId: string, id: string, text: string): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    room.entries.push({ kind: 'pending', id, text, ts: this.now() });
    this.trim(room);
    this.scroll = 0;
    this.changed();
  }

  failPending(roomId: string, id: string, error: string): void {
    const e = this.rooms.get(roomId)?.entries.find((x) => x.kind === 'pending' && x.id === id);
    if (e && e.kind === 'pending') {
      e.error = error;
      this.changed();
    }
  }

  /** An info/error line in a room (default: the current one). */
  note(text: string, tone: Tone = 'info', roomId = this.current): void {
    const room = this.rooms.get(roomId) ?? this.rooms.get(this.current);
    if (!room) return;
    const entry: Entry = { kind: 'info', text, ts: this.now(), tone };
    room.entries.push(entry);
    this.appended(room.id, entry);
    this.trim(room);
    this.changed();
  }

  // ---- presence & typing ----------------------------------------------------------------------

  setMembers(roomId: string, members: { id: string; name: string; online: boolean }[]): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    room.online = new Map(members.filter((m) => m.online).map((m) => [m.id, m.name]));
    this.changed();
  }

  /** Applies a presence diff; returns the names that came online / went offline (others than us). */
  presence(ev: PresenceEvent): { online: string[]; offline: string[] } {
    const room = this.rooms.get(ev.room);
    const res = { online: [] as string[], offline: [] as string[] };
    if (!room) return res;
    for (const u of ev.online) {
      room.online.set(u.id, u.name);
      if (u.id !== this.me?.id) res.online.push(u.name);
    }
    for (const u of ev.offline) {
      room.online.delete(u.id);
      room.typing.delete(u.id);
      if (u.id !== this.me?.id) res.offline.push(u.name);
    }
    this.changed();
    return res;
  }

  typing(ev: TypingEvent): void {
    const room = this.rooms.get(ev.room);
    if (!room || ev.uid === this.me?.id) return;
    room.typing.set(ev.uid, { name: ev.user, until: this.now() + TYPING_SHOW_MS });
    this.changed();
  }

  /** Names typing in a room now; drops expired notices. */
  typingNames(roomId: string): string[] {
    const room = this.rooms.get(roomId);
    if (!room) return [];
    const now = this.now();
    const names: string[] = [];
    for (const [uid, t] of room.typing) {
      if (t.until <= now) room.typing.delete(uid);
      else names.push(t.name);
    }
    return names;
  }

  /** When the next typing notice of the current room expires (to re-render then), if any. */
  nextTypingExpiry(): number | undefined {
    let next: number | undefined;
    for (const t of this.currentRoom?.typing.values() ?? []) if (next === undefined || t.until < next) next = t.until;
    return next;
  }

  /**
   * Authors in `room`'s scrollback who do not hold their name now: a guest who left and whose name
   * another user took (or holds now, online in general). Shown with a short id.
   */
  namesakes(room: RoomState | undefined): ReadonlySet<string> {
    if (!room) return new Set();
    const authors: MsgEvent[] = [];
    for (const e of room.entries) if (e.kind === 'msg') authors.push(e.msg);
    const online = [...(this.rooms.get('general')?.online ?? new Map<string, string>())].map(([id, name]) => ({ id, name }));
    return namesakes(authors, online);
  }

  /** Something shown changed outside these methods (a room's fields were set directly). */
  touch(): void {
    this.changed();
  }

  setConn(status: ConnStatus): void {
    this.conn = status;
    this.changed();
  }

  setScroll(rows: number): void {
    const v = Math.max(0, Math.floor(rows));
    if (v === this.scroll) return;
    this.scroll = v;
    this.changed();
  }
}

/** Whether `text` mentions `name` as a word (case-insensitive). */
export function mentions(text: string, name: string): boolean {
  const esc = name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}_])@?${esc}($|[^\\p{L}\\p{N}_])`, 'iu').test(text);
}
