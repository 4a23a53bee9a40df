/**
 * Carrying out the commands of ./commands.ts against the session: joining, switching, leaving,
 * creating, inviting, DMs, member and room lists, older history, replies, edits, deletions,
 * reactions, help. Results and errors become lines in the scrollback (server errors as "message
 * [code]"; the refusals of a change in words). /quit is the caller's business.
 *
 * A change that succeeds says nothing: its change event comes back and the message changes on screen.
 */
import type { ChatClient } from '../client/index.js';
import type { RoomInfo } from '../protocol/index.js';
import { helpLines, type Command } from './commands.js';
import { describeError, formatTime, snippet } from './format.js';
import { sanitizeInline } from './sanitize.js';

/** Results /search shows. */
const SEARCH_SHOWN = 10;
import { roomLabel, type ChatModel, type RoomState } from './model.js';

/**
 * What the commands need of the session. ChatSession (./session.ts) is one; it is described here rather
 * than imported, so the session can call `runCommand` without the two modules importing each other.
 */
export interface CommandSession {
  readonly model: ChatModel;
  readonly client: ChatClient;
  say(roomId: string, text: string, replyTo?: number): Promise<string | undefined>;
  /** Why a text cannot be sent to a room as it is (too long, not a member), if it cannot. */
  validate(roomId: string, text: string): string | undefined;
  open(roomId: string): Promise<void>;
  loadOlder(roomId: string, count: number): Promise<number>;
  expectJoin(key: string): () => void;
  expectLeave(id: string): () => void;
}

export async function runCommand(session: CommandSession, cmd: Command): Promise<void> {
  const m = session.model;
  const client = session.client;
  const notIn = (ref: string) => m.note(`you are not in ${ref.startsWith('@') ? ref : `#${ref}`}: use /join or /dm`, 'error');
  /** The message a change is about: as given, or our last one in the room. */
  const target = (room: RoomState, seq: number | undefined, what: string): number | undefined => {
    if (seq !== undefined) return seq;
    const own = m.lastOwnSeq(room.id);
    if (own === undefined) m.note(`you have no message in ${roomLabel(room)} to ${what}: give its number (shown before its time), e.g. /${what} 12`, 'error');
    return own;
  };
  let about: number | undefined; // the seq a change or reply is about, for the refusal's words
  try {
    switch (cmd.kind) {
      case 'none':
      case 'quit':
        return;
      case 'say':
        await session.say(m.current, cmd.text);
        return;
      case 'help':
        for (const line of helpLines(cmd.topic)) m.note(line);
        return;
      case 'switch': {
        const room = /^\d+$/.test(cmd.room) ? [...m.rooms.values()][Number(cmd.room) - 1] : m.findRoom(cmd.room);
        if (!room) return notIn(cmd.room);
        return await session.open(room.id);
      }
      case 'join': {
        if (cmd.room.startsWith('@')) return await runCommand(session, { kind: 'dm', user: cmd.room.slice(1) });
        const known = m.findRoom(cmd.room);
        if (known) return await session.open(known.id);
        const release = session.expectJoin(cmd.room);
        let info: RoomInfo;
        try {
          info = await client.join(cmd.room);
        } finally {
          release();
        }
        m.upsertRoom(info);
        m.note(`you joined ${roomLabel(info)}`, 'info', info.id);
        return await session.open(info.id);
      }
      case 'create': {
        const release = session.expectJoin(cmd.room);
        let info: RoomInfo;
        try {
          info = await client.create(cmd.room, cmd.visibility);
        } finally {
          release();
        }
        m.upsertRoom(info);
        m.note(`created ${roomLabel(info)} (${cmd.visibility}); invite people with /invite <name>`, 'info', info.id);
        return await session.open(info.id);
      }
      case 'leave': {
        const room = cmd.room ? m.findRoom(cmd.room) : m.currentRoom;
        if (!room) return notIn(cmd.room ?? m.current);
        const release = session.expectLeave(room.id);
        try {
          await client.leave(room.id);
        } finally {
          release();
        }
        m.removeRoom(room.id);
        m.note(`you left ${roomLabel(room)}`);
        return await session.open(m.current);
      }
      case 'invite': {
        const room = cmd.room ? m.findRoom(cmd.room) : m.currentRoom;
        if (!room) return notIn(cmd.room ?? m.current);
        const user = await client.invite(room.id, cmd.user);
        m.note(`invited ${user.name} to ${roomLabel(room)}`, 'info', room.id);
        return;
      }
      case 'dm': {
        const release = session.expectJoin(`@${cmd.user.toLowerCase()}`);
        let info: RoomInfo;
        try {
          info = await client.dm(cmd.user);
        } finally {
          release();
        }
        m.upsertRoom(info);
        await session.open(info.id);
        if (cmd.text) await session.say(info.id, cmd.text);
        return;
      }
      case 'who': {
        const room = cmd.room ? m.findRoom(cmd.room) : m.currentRoom;
        if (!room) return notIn(cmd.room ?? m.current);
        const r = await client.members(room.id);
        m.setMembers(room.id, r.members);
        const sorted = [...r.members].sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
        const online = sorted.filter((x) => x.online).length;
        const head =
          room.kind === 'global'
            ? `${r.total} online in ${roomLabel(room)}`
            : `${r.total} member${r.total === 1 ? '' : 's'} in ${roomLabel(room)}, ${online} online`;
        const list = sorted.map((x) => `${x.online ? '●' : '○'} ${x.name}`).join('  ');
        m.note(`${head}: ${list}${r.total > r.members.length ? '  …' : ''}`);
        return;
      }
      case 'rooms': {
        const r = await client.listRooms();
        m.note(`your rooms: ${r.rooms.map((x) => `${roomLabel(x)}${x.kind === 'private' ? ' (private)' : ''}`).join('  ')}`);
        m.note(r.public.length ? `public rooms to /join: ${r.public.map((x) => `#${x.id}`).join('  ')}` : 'no other public rooms; /create one');
        return;
      }
      case 'history':
        await session.loadOlder(m.current, cmd.count ?? 20);
        return;
      case 'reply': {
        const room = m.currentRoom;
        if (!room) return notIn(m.current);
        // Refusals show on the pending message ("[not sent: there is no message #12 ...]").
        await session.say(room.id, cmd.text, cmd.seq);
        return;
      }
      case 'edit': {
        const room = m.currentRoom;
        if (!room) return notIn(m.current);
        const seq = (about = target(room, cmd.seq, 'edit'));
        if (seq === undefined) return;
        const bad = session.validate(room.id, cmd.text);
        if (bad) return m.note(bad.replace(/^message not sent/, 'not edited'), 'error');
        await client.edit(room.id, seq, cmd.text);
        return;
      }
      case 'delete': {
        const room = m.currentRoom;
        if (!room) return notIn(m.current);
        const seq = (about = target(room, cmd.seq, 'delete'));
        if (seq === undefined) return;
        await client.remove(room.id, seq);
        return;
      }
      case 'search': {
        const room = cmd.here ? m.currentRoom : cmd.room !== undefined ? m.findRoom(cmd.room) : undefined;
        if ((cmd.here || cmd.room !== undefined) && !room) return notIn(cmd.room ?? m.current);
        const opts: { room?: string; from?: string; limit: number } = { limit: SEARCH_SHOWN };
        if (room) opts.room = room.id;
        if (cmd.from !== undefined) opts.from = cmd.from;
        const r = await client.search(cmd.query, opts);
        const where = room ? ` in ${roomLabel(room)}` : '';
        if (!r.results.length) return m.note(`no message${where} contains "${sanitizeInline(cmd.query)}"`);
        m.note(`${r.results.length}${r.next ? '+' : ''} found${where}, newest first:`);
        for (const h of r.results) {
          const r2 = m.rooms.get(h.room);
          const label = r2 ? roomLabel(r2) : `#${sanitizeInline(h.room)}`;
          m.note(`  ${label} #${h.seq} ${formatTime(h.ts)} <${sanitizeInline(h.user)}> ${snippet(h.text, 80)}`);
        }
        if (r.next) m.note(`  … more: narrow it with in:#room, from:name or another word`);
        return;
      }
      case 'react': {
        const room = m.currentRoom;
        if (!room) return notIn(m.current);
        about = cmd.seq;
        await client.react(room.id, cmd.seq, cmd.emoji, cmd.on);
        return;
      }
    }
  } catch (err) {
    m.note(describeError(err, about), 'error');
  }
}
