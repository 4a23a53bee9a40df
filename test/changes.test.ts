/**
 * Message changes (docs/protocol.md 6.15) through the SDK against a real server, as two users would
 * notice them: a reply, an edit, reactions and a removal reach the other user live as change events,
 * each with its own seq in the room's order; the other user, away across a server restart meanwhile,
 * resumes into the same final state; history returns each message in that state; the refusals a
 * user can meet come with their codes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { ChatClient, ChatError, type ChatClientOptions } from '../src/client/index.js';
import type { MsgEvent } from '../src/protocol/types.js';
import { startServer, tempDir, type TestServer } from './helpers/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function client(url: string, name: string) {
  const c = new ChatClient({ url, WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'], auth: { kind: 'guest', name }, backoff: { baseMs: 50, maxMs: 300 } });
  const messages: MsgEvent[] = [];
  const changes: MsgEvent[] = [];
  const updated: MsgEvent[] = [];
  c.on('message', (m) => messages.push(m));
  c.on('change', (m) => changes.push(m));
  c.on('updated', (m) => updated.push(m));
  return { c, messages, changes, updated };
}

async function until(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const refusedWith = (code: string) => (err: unknown) => err instanceof ChatError && err.code === code;

describe('message changes with a real server', () => {
  it('reply, edit, react and remove reach the other user live, and again after a server restart in the final state', async () => {
    const dir = tempDir();
    let srv: TestServer = await startServer({}, dir);
    const port = srv.port;
    try {
      const ann = client(srv.url, 'ann');
      const ben = client(srv.url, 'ben');
      await ann.c.connect();
      await ben.c.connect();
      const first = await ann.c.send('general', 'helo evryone');
      const reply = await ben.c.send('general', 'hi ann', { replyTo: first.seq });
      await until(() => ben.messages.some((m) => m.seq === first.seq), 'ben sees the message');
      await until(() => ann.messages.some((m) => m.seq === reply.seq && m.replyTo === first.seq), 'ann sees the reply with its reference');

      const edit = await ann.c.edit('general', first.seq, 'hello everyone');
      assert.equal(edit.seq, reply.seq + 1, 'a change takes the next seq of the room');
      await until(() => ben.c.message('general', first.seq)?.text === 'hello everyone', 'ben sees the edit');
      const seen = ben.c.message('general', first.seq)!;
      assert.equal(typeof seen.edited, 'number');
      assert.equal(seen.v, edit.seq);
      assert.deepEqual(ben.changes.at(-1)?.change, { kind: 'edit', target: first.seq, text: 'hello everyone' });

      await ben.c.react('general', first.seq, '👍');
      await ann.c.react('general', first.seq, '👍');
      await ann.c.react('general', reply.seq, ':tada:');
      await until(() => ben.c.message('general', first.seq)?.reactions?.[0]?.count === 2, 'both reactions');
      assert.deepEqual(ben.c.message('general', first.seq)!.reactions, [{ emoji: '👍', count: 2, uids: [ben.c.user!.id, ann.c.user!.id] }]);
      await ben.c.react('general', first.seq, '👍', false);
      await until(() => ann.c.message('general', first.seq)?.reactions?.[0]?.count === 1, 'a reaction taken back');

      // Ben goes away; meanwhile Ann edits again and removes her own second message, and the server restarts.
      const second = await ann.c.send('general', 'oops, wrong room');
      await until(() => ben.c.message('general', second.seq) !== undefined, 'ben has the second message');
      const snap = ben.c.session();
      ben.c.close();
      await ann.c.edit('general', first.seq, 'hello everyone!');
      await ann.c.remove('general', second.seq);
      await srv.stop();
      srv = await startServer({ port }, dir);

      // Ben comes back with his session, resuming from where he was: the changes come in order and the final state is the server's.
      const back = new ChatClient({
        url: srv.url,
        WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'],
        auth: { kind: 'token', token: snap.token! },
        resume: snap.resume,
      });
      const backChanges: MsgEvent[] = [];
      back.on('change', (m) => backChanges.push(m));
      await back.connect();
      const page = await back.history('general', { limit: 50 });
      await until(() => backChanges.length >= 2, 'the two changes made while away');
      const bySeq = new Map(page.messages.map((m) => [m.seq, m]));
      assert.equal(bySeq.get(first.seq)!.text, 'hello everyone!');
      assert.deepEqual(bySeq.get(first.seq)!.reactions, [{ emoji: '👍', count: 1, uids: [ann.c.user!.id] }]);
      assert.equal(bySeq.get(reply.seq)!.replyTo, first.seq);
      assert.deepEqual(bySeq.get(reply.seq)!.reactions?.map((r) => r.emoji), [':tada:']);
      assert.deepEqual([bySeq.get(second.seq)!.text, bySeq.get(second.seq)!.deleted], ['', true]);
      assert.equal(back.message('general', first.seq)!.text, 'hello everyone!', 'the SDK holds the final state');
      // Change events are tombstones for clients that predate them.
      const ev = page.messages.find((m) => m.change?.kind === 'remove')!;
      assert.deepEqual([ev.text, ev.deleted, ev.change], ['', true, { kind: 'remove', target: second.seq }]);
      back.close();
      ann.c.close();
    } finally {
      await srv.cleanup();
    }
  });

  it('refusals: only the author edits; author or administrator removes; no such message; bad reactions; edit window', async () => {
    const srv = await startServer({ editWindowMs: 60_000 });
    try {
      const ann = client(srv.url, 'ann');
      const ben = client(srv.url, 'ben');
      await ann.c.connect();
      await ben.c.connect();
      const m = await ann.c.send('general', 'mine');
      await assert.rejects(ben.c.edit('general', m.seq, 'yours now'), refusedWith('not_author'));
      await assert.rejects(ben.c.remove('general', m.seq), refusedWith('not_author'));
      await assert.rejects(ann.c.edit('general', 999, 'nothing there'), refusedWith('no_such_message'));
      await assert.rejects(ann.c.send('general', 'answer to nothing', { replyTo: 999 }), refusedWith('no_such_message'));
      await assert.rejects(ann.c.react('general', m.seq, 'not an emoji'), refusedWith('reaction_invalid'));
      await assert.rejects(ann.c.react('general', m.seq, '👍👍'), refusedWith('reaction_invalid'));
      await assert.rejects(ann.c.edit('general', m.seq, '   '), refusedWith('text_invalid'));
      const e = await ann.c.edit('general', m.seq, 'mine, edited');
      const again = await ann.c.edit('general', m.seq, 'mine, edited', { id: e.id });
      assert.equal(again.seq, e.seq, 'a resent change gets its original ack');
      const change = await ann.c.remove('general', m.seq);
      await assert.rejects(ann.c.edit('general', change.seq, 'a change is no message'), refusedWith('no_such_message'));
      await assert.rejects(ann.c.react('general', m.seq, '👍'), refusedWith('no_such_message'));
      ann.c.close();
      ben.c.close();
    } finally {
      await srv.cleanup();
    }
  });
});

describe('search with a real server', () => {
  it('finds what the user may read, with highlights and pages, following edits; refuses an empty query', async () => {
    const srv = await startServer();
    try {
      const ann = client(srv.url, 'ann');
      const ben = client(srv.url, 'ben');
      await ann.c.connect();
      await ben.c.connect();
      await ann.c.create('secret', 'private');
      await ann.c.send('secret', 'the launch code is rocket');
      const pub = await ann.c.send('general', 'Rockets launch on Friday');
      for (let i = 0; i < 3; i++) await ben.c.send('general', `rocket talk ${i}`);
      const mine = await ann.c.search('rocket');
      assert.equal(mine.results.length, 5);
      const benHits = await ben.c.search('rocket');
      assert.equal(benHits.results.length, 4, 'the private room stays out of the others’ results');
      assert.ok(benHits.results.every((h) => h.room === 'general'));
      const hit = benHits.results.find((h) => h.seq === pub.seq)!;
      assert.deepEqual(hit.highlights.map(([a, b]) => hit.text.slice(a, b)), ['Rockets']);
      const first = await ben.c.search('rocket', { limit: 2 });
      assert.equal(first.results.length, 2);
      const rest = await ben.c.search('rocket', { limit: 2, cursor: first.next });
      assert.equal(rest.results.length, 2);
      assert.equal(rest.next, undefined, 'the last page has no next');
      assert.deepEqual(new Set([...first.results, ...rest.results].map((h) => h.seq)).size, 4);
      await ann.c.edit('general', pub.seq, 'Launch moved to Monday');
      assert.equal((await ben.c.search('rocket')).results.length, 3, 'an edited message is found by its new text only');
      assert.equal((await ben.c.search('monday')).results[0].text, 'Launch moved to Monday');
      await assert.rejects(ben.c.search('?!'), refusedWith('search_invalid'));
      await assert.rejects(ben.c.search('rocket', { room: 'secret' }), refusedWith('not_member'));
      await assert.rejects(ben.c.search('rocket', { cursor: 'bogus' }), refusedWith('search_invalid'));
      ann.c.close();
      ben.c.close();
    } finally {
      await srv.cleanup();
    }
  });
});
