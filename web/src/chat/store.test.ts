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
});
