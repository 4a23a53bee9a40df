/**
 * Top level: the sign-in form, the "connecting" screen, or the chat; keeps the room in the URL hash.
 * A room is `#room=<id>`; a DM is `#dm=<peer name>`, which opens (or first creates) your DM with
 * that person.
 */
import { useEffect, useRef } from 'react';
import { useChat, useStore } from '../chat/react.js';
import { ChatLayout } from './ChatLayout.js';
import { ConnectionBanner } from './ConnectionBanner.js';
import { SignIn } from './SignIn.js';
import { GLOBAL_ROOM } from '../../../src/protocol/rules.js';
import type { RoomInfo } from '../../../src/protocol/types.js';
import { dmFromHash, hashOf, roomFromHash } from '../chat/room-ref.js';
import type { ChatStore } from '../chat/store.js';

/** Keeps the room on screen in the URL (replaced, not pushed: the back button leaves the chat). */
function writeHash(active: string, rooms: readonly RoomInfo[]): void {
  const hash = hashOf(active, rooms);
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

export function App() {
  const store = useStore();
  const phase = useChat((s) => s.phase);
  const active = useChat((s) => s.active);
  const rooms = useChat((s) => s.rooms);
  const restoring = useChat((s) => s.restoring);
  /** A `#dm=` link being resolved: the URL is left alone meanwhile. */
  const resolving = useRef(false);

  useEffect(() => {
    const sync = () => syncFromHash(store, resolving);
    sync();
    window.addEventListener('hashchange', sync);
    return () => window.removeEventListener('hashchange', sync);
  }, [store]);

  // Signed in: a `#dm=` link opened before can be resolved now.
  useEffect(() => {
    if (phase === 'ready' && dmFromHash(location.hash)) syncFromHash(store, resolving);
  }, [phase, store]);

  useEffect(() => {
    if (phase === 'ready' && !resolving.current) writeHash(active, rooms);
  }, [phase, active, rooms]);

  if (phase === 'ready') return <ChatLayout />;
  if (phase === 'signing-in' && restoring) {
    return (
      <div className="center-screen">
        <ConnectionBanner />
        <p className="muted">Signing in…</p>
      </div>
    );
  }
  return <SignIn />;
}

function syncFromHash(store: ChatStore, resolving: { current: boolean }): void {
  const state = store.getState();
  const peer = dmFromHash(location.hash);
  if (peer !== null) {
    if (state.phase !== 'ready' || resolving.current) return;
    const known = state.rooms.find((r) => r.kind === 'dm' && r.peer?.name.toLowerCase() === peer.toLowerCase());
    if (known) {
      if (known.id !== state.active) store.openRoom(known.id);
      writeHash(known.id, state.rooms);
      return;
    }
    resolving.current = true;
    store.openDm(peer).then(
      (room) => {
        resolving.current = false;
        writeHash(room.id, store.getState().rooms);
      },
      (err: unknown) => {
        resolving.current = false;
        store.notify(`Could not open a conversation with ${peer}: ${err instanceof Error ? err.message : String(err)}`);
        store.openRoom(GLOBAL_ROOM);
        writeHash(GLOBAL_ROOM, store.getState().rooms);
      },
    );
    return;
  }
  if (!location.hash.startsWith('#room=')) return;
  // A link to something that cannot be a room (`#room=__proto__`) shows general, and the URL says so.
  const room = roomFromHash(location.hash) ?? GLOBAL_ROOM;
  if (room !== state.active) store.openRoom(room);
  if (store.getState().phase === 'ready') writeHash(store.getState().active, store.getState().rooms);
}
