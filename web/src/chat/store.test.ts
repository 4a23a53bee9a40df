/**
 * The chat store over the real SDK, with the test playing the server through an in-memory socket:
 * what the UI shows for an own message (pending, failed, retried with the same id, sent), and
 * live and history messages merged without duplicates.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeSocket } from './fake-socket.js';
import { ChatStore } from './store.js';

class MemoryStorage {
  private readonly map = new Map<string, string>();
  get length() {
    return this.map.size;
  }
  clear() {
    this.map.clear();
  }
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  key(i: number) {
    return [...this.map.keys()][i] ?? null;
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('ChatStore', () => {
  let storage: MemoryStorage;
  let store: ChatStore;

  beforeEach(async () => {
    FakeSocket.all = [];
    storage = new MemoryStorage();
    store = new ChatStore({ url: 'ws://test/ws', WebSocket: FakeSocket as unknown as new (url: string) => WebSocket, storage });
    const signedIn = store.signIn({ kind: 'guest', name: 'ann' });
    FakeSocket.all[0].welcome();
    await signedIn;
  });
  afterEach(() => store.signOut());

  it('signs in, keeps the session token, forgets it on sign-out', () => {
    expect(store.getState()).toMatchObject({ phase: 'ready', me: { name: 'ann' }, active: 'general' });
    expect(JSON.parse(storage.getItem('scale-chat.session')!)).toEqual({ token: 'tok' });
    store.signOut();
    expect(store.getState().phase).toBe('signed-out');
    expect(storage.getItem('scale-chat.session')).toBeNull();
  });

  it('an own message: pending, failed with the reason, retried with the same id, then sent', async () => {
    const ws = FakeSocket.all[0];
    store.send('general', 'hello');
    expect(store.getState().pending.get('general')).toMatchObject([{ text: 'hello', status: 'pending' }]);
    const first = ws.frames().find((f) => f.type === 'send')!;
    ws.receive({ type: 'error', re: first.id, code: 'text_invalid', message: 'text must be 1-4000 characters and not blank' });
    await flush();
    expect(store.getState().pending.get('general')).toMatchObject([{ status: 'failed', error: 'text must be 1-4000 characters and not blank' }]);

    store.retry('general', first.id!);
    expect(store.getState().pending.get('general')).toMatchObject([{ status: 'pending' }]);
    const again = ws.frames().filter((f) => f.type === 'send');
    expect(again).toHaveLength(2);
    expect(again[1].id).toBe(first.id);
    ws.receive({ type: 'ack', id: first.id, room: 'general', seq: 1, ts: 1000 });
    await flush();
    expect(store.getState().pending.get('general')).toEqual([]);
    expect(store.getState().timelines.get('general')!.messages).toMatchObject([{ seq: 1, text: 'hello', user: 'ann', id: first.id }]);
    // The echo of the same message from the room adds nothing.
    ws.receive({ type: 'msg', room: 'general', seq: 1, id: first.id, uid: 'u1', user: 'ann', text: 'hello', ts: 1000 });
    await flush();
    expect(store.getState().timelines.get('general')!.messages).toHaveLength(1);
  });

  it('live messages, the newest page and an older page merge in order, once', async () => {
    const ws = FakeSocket.all[0];
    const msg = (seq: number) => ({ type: 'msg', room: 'general', seq, id: `m${seq}`, uid: 'u2', user: 'ben', text: `t${seq}`, ts: seq });
    // The store asked for the newest page when the room opened; live msgs arrive before the answer.
    const newest = ws.frames().find((f) => f.type === 'history')!;
    ws.receive({ type: 'batch', events: [msg(1), msg(2), msg(3)] });
    ws.receive({ type: 'history', re: newest.id, room: 'general', messages: [msg(1), msg(2)], hasMore: false });
    await flush();
    expect(store.getState().timelines.get('general')!.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(store.getState().timelines.get('general')).toMatchObject({ loadedLatest: true, hasMore: false });
    expect(store.getState().rooms.find((r) => r.id === 'general')).toMatchObject({ lastSeq: 3 });
  });

  it('typing shows the author until their message arrives', async () => {
    const ws = FakeSocket.all[0];
    ws.receive({ type: 'typing', room: 'general', uid: 'u2', user: 'ben' });
    expect(store.getState().typing.get('general')).toMatchObject([{ user: 'ben' }]);
    ws.receive({ type: 'msg', room: 'general', seq: 1, id: 'x', uid: 'u2', user: 'ben', text: 'hi', ts: 1 });
    await flush();
    expect(store.getState().typing.get('general')).toEqual([]);
  });

  it('a dead session token sends you back to the sign-in form with the reason', async () => {
    store.signOut();
    storage.setItem('scale-chat.session', JSON.stringify({ token: 'old' }));
    store.start();
    const ws = FakeSocket.all[FakeSocket.all.length - 1];
    ws.readyState = 1;
    ws.onopen?.({});
    expect(ws.frames()[0]).toMatchObject({ type: 'hello', auth: { kind: 'token', token: 'old' } });
    ws.receive({ type: 'error', code: 'token_expired', message: 'session expired: sign in again' });
    ws.readyState = 3;
    ws.onclose?.({ code: 4005, reason: 'token_expired' });
    await vi.waitFor(() => expect(store.getState().phase).toBe('signed-out'));
    expect(store.getState().signInError).toBe('Your session ended: session expired: sign in again');
    expect(storage.getItem('scale-chat.session')).toBeNull();
  });

  it('the reconnect countdown is the time the SDK announced, and a new socket opens then', async () => {
    vi.useFakeTimers();
    try {
      FakeSocket.all[0].drop();
      const { conn } = store.getState();
      expect(conn.state).toBe('reconnecting');
      expect(conn.retryAt).not.toBeNull();
      const wait = conn.retryAt! - Date.now();
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThanOrEqual(250); // first attempt: full jitter under the SDK default base, 250 ms
      vi.advanceTimersByTime(Math.max(0, wait - 1));
      expect(FakeSocket.all.length).toBe(1);
      vi.advanceTimersByTime(1);
      expect(FakeSocket.all.length).toBe(2);
      FakeSocket.all[1].drop(); // that attempt fails: a new, later-capped countdown
      const next = store.getState().conn.retryAt!;
      expect(next - Date.now()).toBeLessThanOrEqual(500);
      vi.advanceTimersByTime(next - Date.now());
      FakeSocket.all[2].welcome();
      expect(store.getState().conn).toMatchObject({ state: 'open', retryAt: null });
    } finally {
      vi.useRealTimers();
    }
  });
  it('a large room: the count from presence_count; its member list subscribed only while shown, unsubscribed when hidden', async () => {
    const ws = FakeSocket.all[0];
    const members = () => ws.frames().filter((f) => f.type === 'members' || f.type === 'members_unsubscribe');
    const answer = (f: { id?: string }, large: boolean, subscribed: boolean) =>
      ws.receive({ type: 'members', re: f.id, room: 'general', members: [{ id: 'u1', name: 'ann', online: true }], total: 500, large, subscribed });
    for (const f of members()) answer(f, true, false); // the first fetch of general's list: a large room
    await flush();
    expect(store.getState().largeRooms.get('general')).toBe(500);
    ws.receive({ type: 'presence_count', room: 'general', count: 501, large: true });
    expect(store.getState()).toMatchObject({ onlineTotal: 501 });
    const before = members().length;
    store.showMembers('general');
    const sub = members().slice(before);
    expect(sub).toMatchObject([{ type: 'members', room: 'general', subscribe: true }]);
    answer(sub[0], true, true);
    await flush();
    store.showMembers(null);
    expect(members().slice(before + 1)).toMatchObject([{ type: 'members_unsubscribe', room: 'general' }]);
    // Small again: the list is fetched again (without a subscription) and the count comes from it.
    const n = members().length;
    ws.receive({ type: 'presence_count', room: 'general', count: 80, large: false });
    expect(store.getState().largeRooms.has('general')).toBe(false);
    expect(members().slice(n)).toMatchObject([{ type: 'members', room: 'general' }]);
    expect(members()[n].subscribe).toBeUndefined();
  });
  describe('message changes', () => {
    const msg = (seq: number, extra: object = {}) => ({ type: 'msg', room: 'general', seq, id: `m${seq}`, uid: 'u2', user: 'ben', text: `t${seq}`, ts: seq, ...extra });
    const change = (seq: number, c: object, uid = 'u2') => ({ type: 'msg', room: 'general', seq, id: `c${seq}`, uid, user: uid === 'u1' ? 'ann' : 'ben', text: '', deleted: true, ts: 1000 + seq, change: c });
    const answerNewest = (ws: FakeSocket, messages: object[] = []) => {
      const newest = ws.frames().find((f) => f.type === 'history')!;
      ws.receive({ type: 'history', re: newest.id, room: 'general', messages, hasMore: false });
    };
    const messages = () => store.getState().timelines.get('general')!.messages;

    it('a change event is not added as a message: its target changes in place (edit, reaction, removal)', async () => {
      const ws = FakeSocket.all[0];
      answerNewest(ws);
      ws.receive({ type: 'batch', events: [msg(1), msg(2), change(3, { kind: 'edit', target: 1, text: 'edited' })] });
      await flush();
      expect(messages().map((m) => m.seq)).toEqual([1, 2]);
      expect(messages()[0]).toMatchObject({ text: 'edited', edited: 1003, v: 3 });
      ws.receive(change(4, { kind: 'react', target: 1, emoji: '👍', on: true }, 'u1'));
      ws.receive(change(5, { kind: 'remove', target: 2 }));
      await flush();
      expect(messages().map((m) => m.seq)).toEqual([1, 2]);
      expect(messages()[0].reactions).toEqual([{ emoji: '👍', count: 1, uids: ['u1'] }]);
      expect(messages()[1]).toMatchObject({ text: '', deleted: true, v: 5 });
      expect(store.getState().rooms.find((r) => r.id === 'general')).toMatchObject({ lastSeq: 5 });
      // A reaction does not stop its author's typing indicator (it is no message of theirs).
      ws.receive({ type: 'typing', room: 'general', uid: 'u2', user: 'ben' });
      ws.receive(change(6, { kind: 'react', target: 1, emoji: '👍', on: true }));
      await flush();
      expect(store.getState().typing.get('general')).toMatchObject([{ user: 'ben' }]);
    });

    it("the SDK's updated state replaces the message; an older state does not", async () => {
      const ws = FakeSocket.all[0];
      answerNewest(ws);
      ws.receive(msg(1));
      await flush();
      const before = messages()[0];
      ws.receive(change(2, { kind: 'edit', target: 1, text: 'once' }));
      ws.receive(change(3, { kind: 'edit', target: 1, text: 'twice' }));
      await flush();
      expect(messages()).toHaveLength(1);
      expect(messages()[0]).toMatchObject({ text: 'twice', v: 3 });
      expect(messages()[0]).not.toBe(before);
      // The same state again (a replay after a reconnect, say) changes nothing, not even the object.
      const now = messages()[0];
      ws.receive(change(3, { kind: 'edit', target: 1, text: 'twice' }));
      await flush();
      expect(messages()[0]).toBe(now);
    });

    it('a history page with change events shows only the messages, each in its current state', async () => {
      const ws = FakeSocket.all[0];
      answerNewest(ws, [
        msg(1, { text: 'final', edited: 1004, v: 4, reactions: [{ emoji: '🎉', count: 1, uids: ['u1'] }] }),
        msg(2, { replyTo: 1 }),
        change(3, { kind: 'edit', target: 1, text: 'first edit' }),
        change(4, { kind: 'edit', target: 1, text: 'final' }),
        change(5, { kind: 'react', target: 1, emoji: '🎉', on: true }, 'u1'),
      ]);
      await flush();
      expect(messages().map((m) => m.seq)).toEqual([1, 2]);
      expect(messages().some((m) => m.change)).toBe(false);
      expect(messages()[0]).toMatchObject({ text: 'final', edited: 1004, reactions: [{ emoji: '🎉', count: 1 }] });
      expect(messages()[1]).toMatchObject({ replyTo: 1 });
    });

    it('edit, remove and react go out as their frames and resolve on the ack; a refusal rejects with the reason', async () => {
      const ws = FakeSocket.all[0];
      answerNewest(ws, [msg(1, { uid: 'u1', user: 'ann' })]);
      await flush();
      const frame = (type: string) => ws.frames().filter((f) => f.type === type).at(-1)!;
      const edited = store.edit('general', 1, 'better');
      expect(frame('edit')).toMatchObject({ room: 'general', target: 1, text: 'better' });
      ws.receive({ type: 'ack', id: frame('edit').id, room: 'general', seq: 2, ts: 2000 });
      await edited;
      const reacted = store.react('general', 1, '👍', true);
      expect(frame('react')).toMatchObject({ room: 'general', target: 1, emoji: '👍', on: true });
      ws.receive({ type: 'ack', id: frame('react').id, room: 'general', seq: 3, ts: 3000 });
      await reacted;
      const removed = store.remove('general', 1);
      expect(frame('remove')).toMatchObject({ room: 'general', target: 1 });
      ws.receive({ type: 'error', re: frame('remove').id, code: 'not_author', message: 'only its author can change a message' });
      await expect(removed).rejects.toThrow('only its author can change a message');
    });

    it('a reply: the composer target, the frame carries replyTo, the target is cleared, the sent message keeps it', async () => {
      const ws = FakeSocket.all[0];
      answerNewest(ws, [msg(1)]);
      await flush();
      store.setReply('general', 1);
      expect(store.getState().replying.get('general')).toBe(1);
      store.send('general', 'right', { replyTo: 1 });
      expect(store.getState().replying.has('general')).toBe(false);
      expect(store.getState().pending.get('general')).toMatchObject([{ text: 'right', replyTo: 1 }]);
      const f = ws.frames().filter((x) => x.type === 'send').at(-1)!;
      expect(f).toMatchObject({ text: 'right', replyTo: 1 });
      ws.receive({ type: 'ack', id: f.id, room: 'general', seq: 2, ts: 2000 });
      await flush();
      expect(messages()[1]).toMatchObject({ seq: 2, text: 'right', replyTo: 1 });
    });

    it('a quoted message older than the loaded history is fetched once, and follows its changes', async () => {
      // Signed in to a room with 50 messages already: live events continue after seq 50.
      store.signOut();
      FakeSocket.all = [];
      const signedIn = store.signIn({ kind: 'guest', name: 'ann' });
      FakeSocket.all[0].welcome([{ id: 'general', kind: 'global', lastSeq: 50, lastRead: 50, members: 1 }]);
      await signedIn;
      const ws = FakeSocket.all[0];
      answerNewest(ws, [msg(50, { replyTo: 7 })]);
      await flush();
      store.loadQuote('general', 7);
      store.loadQuote('general', 7);
      const asks = ws.frames().filter((f) => f.type === 'history' && f.after !== undefined);
      expect(asks).toMatchObject([{ room: 'general', after: 6, limit: 1 }]);
      ws.receive({ type: 'history', re: asks[0].id, room: 'general', messages: [msg(7, { text: 'the original' })], hasMore: true });
      await flush();
      expect(store.getState().quotes.get('general')?.get(7)).toMatchObject({ text: 'the original' });
      ws.receive(change(51, { kind: 'edit', target: 7, text: 'the original, edited' }));
      await flush();
      expect(store.getState().quotes.get('general')?.get(7)).toMatchObject({ text: 'the original, edited', v: 51 });
      expect(messages().map((m) => m.seq)).toEqual([50]);
    });

    it('jumping to an unloaded message loads older pages until it is there, within the page bound', async () => {
      const ws = FakeSocket.all[0];
      const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => msg(a + i));
      const newest = ws.frames().find((f) => f.type === 'history')!;
      ws.receive({ type: 'history', re: newest.id, room: 'general', messages: range(41, 50), hasMore: true });
      await flush();
      const found = store.loadUntil('general', 25);
      for (const [a, b] of [
        [31, 40],
        [21, 30],
      ]) {
        await vi.waitFor(() => expect(ws.frames().filter((f) => f.type === 'history' && f.before === a + 10)).toHaveLength(1));
        const ask = ws.frames().filter((f) => f.type === 'history' && f.before === a + 10)[0];
        ws.receive({ type: 'history', re: ask.id, room: 'general', messages: range(a, b), hasMore: true });
      }
      expect(await found).toBe(true);
      expect(messages()[0].seq).toBe(21);
      // Bounded: with no pages allowed it gives up at once.
      expect(await store.loadUntil('general', 5, 0)).toBe(false);
    });
  });
});
