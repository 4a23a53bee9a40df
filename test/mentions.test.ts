/**
 * Mentions and unread counts through a real server and the SDK (docs/protocol.md 3.2, 6.1, 7.1): `@name`
 * resolved by the server to users who can read the room (live, history, search), `@room` as configured,
 * the SDK's live `unread` / `mentions` per room and its `mention` event, and the counts of `welcome` and
 * `rooms` surviving a new connection, not counting own messages, change events or a resume twice.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../src/client/index.js';
import type { MsgEvent } from '../src/protocol/types.js';
import { startServer } from './helpers/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every client made, closed after each test (a failed assertion must not leave sockets open). */
const open: ChatClient[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

function client(url: string, auth: ChatClientOptions['auth'], extra: Partial<ChatClientOptions> = {}) {
  const c = new ChatClient({ url, WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'], auth, backoff: { baseMs: 50, maxMs: 500 }, ...extra });
  open.push(c);
  const got: MsgEvent[] = [];
  const mentions: MsgEvent[] = [];
  const unread: MsgEvent[] = [];
  c.on('message', (m) => got.push(m));
  c.on('mention', (m) => mentions.push(m));
  c.on('unreadMessage', (m) => unread.push(m));
  return { c, got, mentions, unread };
}
const guest = (url: string, name: string) => client(url, { kind: 'guest', name });

async function until(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const counts = (c: ChatClient, room: string) => {
  const r = c.rooms.get(room)!;
  return { unread: r.unread, mentions: r.mentions };
};

describe('mentions and unread counts', () => {
  it('@name is resolved by the server to readers of the room; unknown names and non-members stay text; @room as configured', async () => {
    const srv = await startServer();
    try {
      const alice = guest(srv.url, 'alice');
      const bob = guest(srv.url, 'bob');
      const carol = guest(srv.url, 'carol');
      await Promise.all([alice.c.connect(), bob.c.connect(), carol.c.connect()]);
      await bob.c.create('team', 'private');
      await bob.c.invite('team', 'alice');
      await until(() => alice.c.rooms.has('team'), 'invite');

      const ack = await bob.c.send('team', 'hey @Alice and @carol, @room: ship it. cc @nobody');
      await until(() => alice.got.some((m) => m.id === ack.id), 'delivery');
      const live = alice.got.find((m) => m.id === ack.id)!;
      // carol is not in the private room: not mentioned (she could not read it).
      assert.deepEqual(live.mentions, [{ id: alice.c.user!.id, name: 'alice' }]);
      assert.equal(live.mentionAll, true);
      assert.deepEqual(alice.mentions.map((m) => m.id), [ack.id]);

      // In general every user can be mentioned, look-alikes included (Cyrillic с); @room is off there by default.
      const g = await bob.c.send('general', '@саrol look, @room');
      await until(() => carol.got.some((m) => m.id === g.id), 'general delivery');
      const inGeneral = carol.got.find((m) => m.id === g.id)!;
      assert.deepEqual(inGeneral.mentions, [{ id: carol.c.user!.id, name: 'carol' }]);
      assert.equal(inGeneral.mentionAll, undefined);
      assert.equal(carol.mentions.length, 1);
      assert.equal(alice.mentions.length, 1, 'alice is not mentioned in general');

      // Stored with the message: history and search return them; an edit does not change them.
      await bob.c.edit('team', live.seq, 'never mind');
      const h = await alice.c.history('team', { limit: 10 });
      const stored = h.messages.find((m) => m.seq === live.seq)!;
      assert.equal(stored.text, 'never mind');
      assert.deepEqual(stored.mentions, live.mentions);
      assert.equal(stored.mentionAll, true);
      const found = await carol.c.search('look');
      assert.deepEqual(found.results[0].mentions, inGeneral.mentions);
      for (const x of [alice, bob, carol]) x.c.close();
    } finally {
      await srv.cleanup();
    }
  });

  it('roomMentions: "all" allows @room in general, "off" nowhere', async () => {
    for (const [setting, general, room] of [['all', true, true], ['off', false, false]] as const) {
      const srv = await startServer({ roomMentions: setting });
      try {
        const a = guest(srv.url, 'ann');
        const b = guest(srv.url, 'ben');
        await Promise.all([a.c.connect(), b.c.connect()]);
        await a.c.create('lab', 'public');
        await b.c.join('lab');
        const m1 = await a.c.send('general', '@room hello');
        const m2 = await a.c.send('lab', '@room hello');
        await until(() => [m1.id, m2.id].every((id) => b.got.some((m) => m.id === id)), 'delivery');
        assert.equal(b.got.find((m) => m.id === m1.id)!.mentionAll, general ? true : undefined, `${setting}: general`);
        assert.equal(b.got.find((m) => m.id === m2.id)!.mentionAll, room ? true : undefined, `${setting}: lab`);
        a.c.close();
        b.c.close();
      } finally {
        await srv.cleanup();
      }
    }
  });

  it('unread and mention counts: live in the SDK, from the server on a new connection, without own messages, changes, or a resume counted twice', async () => {
    const srv = await startServer();
    try {
      const alice = guest(srv.url, 'alice');
      const bob = guest(srv.url, 'bob');
      await Promise.all([alice.c.connect(), bob.c.connect()]);
      await bob.c.create('team', 'private');
      await bob.c.invite('team', 'alice');
      await until(() => alice.c.rooms.has('team'), 'invite');
      assert.deepEqual(counts(alice.c, 'team'), { unread: 0, mentions: 0 });

      const own = await alice.c.send('team', 'my own message');
      const b1 = await bob.c.send('team', 'hello');
      const b2 = await bob.c.send('team', 'ping @alice');
      await bob.c.react('team', own.seq, '👍', true);
      await bob.c.edit('team', b1.seq, 'hello (edited)');
      await until(() => alice.c.lastSeq('team') === b2.seq + 2, 'changes');
      assert.deepEqual(counts(alice.c, 'team'), { unread: 2, mentions: 1 });
      assert.deepEqual(alice.unread.map((m) => m.id), [b1.id, b2.id]);
      assert.deepEqual(alice.mentions.map((m) => m.id), [b2.id]);
      assert.deepEqual(counts(bob.c, 'team'), { unread: 1, mentions: 0 }, "bob: alice's message");

      // A removal of a counted message uncounts it, live and on the server.
      const b3 = await bob.c.send('team', '@alice oops');
      await until(() => counts(alice.c, 'team').mentions === 2, 'b3');
      await bob.c.remove('team', b3.seq);
      await until(() => counts(alice.c, 'team').mentions === 1, 'removal');
      assert.equal(counts(alice.c, 'team').unread, 2);

      // A second device of alice (the same session) gets the server's counts in welcome, and `rooms` too.
      const snap = alice.c.session();
      const phone = client(srv.url, { kind: 'token', token: snap.token! });
      await phone.c.connect();
      assert.deepEqual(counts(phone.c, 'team'), { unread: 2, mentions: 1 });
      const listed = await phone.c.listRooms();
      const team = listed.rooms.find((r) => r.id === 'team')!;
      assert.equal(team.unread, 2);
      assert.equal(team.mentions, 1);

      // A resume from an old position replays messages the welcome's counts already have: not twice.
      const resumed = client(srv.url, { kind: 'token', token: snap.token! }, { resume: { team: own.seq } });
      await resumed.c.connect();
      await until(() => resumed.c.lastSeq('team') === alice.c.lastSeq('team'), 'resume');
      assert.deepEqual(counts(resumed.c, 'team'), { unread: 2, mentions: 1 });
      assert.equal(resumed.mentions.length, 0, 'no mention event for a replay');

      // Reading on one device clears the counts there, on the others (read event), and on the server.
      alice.c.markRead('team', alice.c.lastSeq('team')!);
      assert.deepEqual(counts(alice.c, 'team'), { unread: 0, mentions: 0 });
      await until(() => counts(phone.c, 'team').unread === 0 && counts(resumed.c, 'team').mentions === 0, 'read event');
      const later = client(srv.url, { kind: 'token', token: snap.token! });
      await later.c.connect();
      assert.deepEqual(counts(later.c, 'team'), { unread: 0, mentions: 0 });

      // A read marker in the middle of live-counted messages leaves the exact rest.
      const c1 = await bob.c.send('team', 'one');
      await bob.c.send('team', 'two @alice');
      await until(() => counts(alice.c, 'team').unread === 2, 'two more');
      alice.c.markRead('team', c1.seq);
      assert.deepEqual(counts(alice.c, 'team'), { unread: 1, mentions: 1 });
      for (const x of [alice, bob, phone, resumed, later]) x.c.close();
    } finally {
      await srv.cleanup();
    }
  });
});
