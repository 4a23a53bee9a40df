/**
 * Room ids and user names that are also names of Object.prototype members (`constructor` and
 * `tostring` are valid room names; `__proto__`, `toString` can come in a link): the store keeps
 * per-room state in Maps, the URL is checked, and the page renders a sane view for each, never a
 * blank page (a render that throws).
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import type { RoomInfo } from '../../../src/protocol/types.js';
import { ChatLayout } from '../components/ChatLayout.js';
import { FakeSocket } from './fake-socket.js';
import { StoreContext } from './react.js';
import { isRoomId, roomFromHash } from './room-ref.js';
import { ChatStore } from './store.js';

const RESERVED = ['__proto__', 'constructor', 'prototype', 'toString', 'tostring', 'hasOwnProperty', 'hasownproperty', 'valueOf', 'valueof', 'isPrototypeOf', '__defineGetter__'];
const flush = () => new Promise((r) => setTimeout(r, 0));
const room = (id: string, kind: RoomInfo['kind'] = 'public', lastSeq = 0): RoomInfo => ({ id, kind, lastSeq, lastRead: 0, members: 2 });

describe('room in the URL', () => {
  it('keeps valid room ids and drops what cannot be one', () => {
    expect(roomFromHash('#room=constructor')).toBe('constructor');
    expect(roomFromHash('#room=valueof')).toBe('valueof');
    expect(roomFromHash('#room=general')).toBe('general');
    expect(roomFromHash('#room=dm%3Au1%3Au2')).toBe('dm:u1:u2');
    for (const bad of ['#room=__proto__', '#room=toString', '#room=hasOwnProperty', '#room=__defineGetter__', '#room=%E0%A4%A', '#room=dm:a', '#room=', '#x=1', '']) {
      expect(roomFromHash(bad), bad).toBeNull();
    }
    expect(isRoomId('prototype')).toBe(true);
    expect(isRoomId('__proto__')).toBe(false);
  });
});

describe('reserved names in the store and the page', () => {
  let store: ChatStore | undefined;
  afterEach(() => store?.signOut());

  async function signIn(rooms: RoomInfo[]): Promise<{ store: ChatStore; ws: FakeSocket }> {
    FakeSocket.all = [];
    const s = new ChatStore({ url: 'ws://test/ws', WebSocket: FakeSocket as unknown as new (url: string) => WebSocket });
    store = s;
    const signedIn = s.signIn({ kind: 'guest', name: 'ann' });
    FakeSocket.all[0].welcome([room('general', 'global'), ...rooms]);
    await signedIn;
    return { store: s, ws: FakeSocket.all[0] };
  }
  const render = (s: ChatStore) =>
    renderToStaticMarkup(
      <StoreContext.Provider value={s}>
        <ChatLayout />
      </StoreContext.Provider>,
    );

  it('a link to a room you are not in shows the join prompt or general, never a broken page', async () => {
    const { store: s } = await signIn([]);
    for (const name of RESERVED) {
      s.openRoom(name);
      const html = render(s);
      if (isRoomId(name)) {
        expect(s.getState().active).toBe(name);
        expect(html).toContain(`You are not a member of <strong>#${name}</strong>`);
      } else {
        expect(s.getState().active, name).toBe('general');
        expect(html).toContain('Messages in #general');
      }
    }
  });

  it('rooms named constructor / tostring / valueof work like any other room', async () => {
    const names = ['constructor', 'tostring', 'valueof', 'hasownproperty', 'prototype'];
    const { store: s, ws } = await signIn(names.map((n) => room(n, 'public', 1)));
    for (const name of names) {
      s.openRoom(name);
      const h = ws.frames().filter((f) => f.type === 'history' && f.room === name);
      expect(h, name).toHaveLength(1);
      ws.receive({ type: 'history', re: h[0].id, room: name, messages: [{ type: 'msg', room: name, seq: 1, id: '__proto__', uid: 'u2', user: 'constructor', text: 'first', ts: 1 }], hasMore: false });
      ws.receive({ type: 'msg', room: name, seq: 2, id: 'toString', uid: 'u3', user: 'toString', text: 'second', ts: 2 });
      ws.receive({ type: 'typing', room: name, uid: 'u2', user: 'constructor' });
      ws.receive({ type: 'presence', room: name, online: [{ id: 'u4', name: 'valueOf' }], offline: [] });
      await flush();
      const t = s.getState().timelines.get(name)!;
      expect(t.messages.map((m) => m.text), name).toEqual(['first', 'second']);
      expect(s.getState().typing.get(name)?.map((x) => x.user)).toEqual(['constructor']);
      s.send(name, 'mine');
      expect(s.getState().pending.get(name)).toMatchObject([{ text: 'mine', status: 'pending' }]);
      const html = render(s);
      expect(html).toContain(`Messages in #${name}`);
      expect(html).not.toContain('You are not a member');
    }
    // Presence and typing for rooms nobody loaded (or that are not rooms) change nothing and break nothing.
    ws.receive({ type: 'presence', room: '__proto__', online: [{ id: 'u5', name: 'x1' }], offline: [] });
    ws.receive({ type: 'typing', room: '__proto__', uid: 'u5', user: 'x1' });
    ws.receive({ type: 'member', room: 'constructor', user: { id: 'u6', name: 'hasOwnProperty' }, action: 'joined' });
    await flush();
    expect(Object.getPrototypeOf(s.getState().typing)).toBe(Map.prototype);
    expect(render(s)).toContain('Messages in #prototype');
  });
});
