/** Top level: the sign-in form, the "connecting" screen, or the chat; keeps the room in the URL hash. */
import { useEffect } from 'react';
import { useChat, useStore } from '../chat/react.js';
import { ChatLayout } from './ChatLayout.js';
import { ConnectionBanner } from './ConnectionBanner.js';
import { SignIn } from './SignIn.js';
import { GLOBAL_ROOM } from '../../../src/protocol/index.js';
import { roomFromHash } from '../chat/room-ref.js';

/** Keeps the room on screen in the URL (replaced, not pushed: the back button leaves the chat). */
function writeHash(active: string): void {
  const hash = `#room=${encodeURIComponent(active)}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

export function App() {
  const store = useStore();
  const phase = useChat((s) => s.phase);
  const active = useChat((s) => s.active);
  const restoring = useChat((s) => s.restoring);

  useEffect(() => {
    const sync = () => {
      if (!location.hash.startsWith('#room=')) return;
      // A link to something that cannot be a room (`#room=__proto__`) shows general, and the URL says so.
      const room = roomFromHash(location.hash) ?? GLOBAL_ROOM;
      if (room !== store.getState().active) store.openRoom(room);
      if (store.getState().phase === 'ready') writeHash(store.getState().active);
    };
    sync();
    window.addEventListener('hashchange', sync);
    return () => window.removeEventListener('hashchange', sync);
  }, [store]);

  useEffect(() => {
    if (phase === 'ready') writeHash(active);
  }, [phase, active]);

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
