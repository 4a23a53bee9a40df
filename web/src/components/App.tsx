/** Top level: the sign-in form, the "connecting" screen, or the chat; keeps the room in the URL hash. */
import { useEffect } from 'react';
import { useChat, useStore } from '../chat/react.js';
import { ChatLayout } from './ChatLayout.js';
import { ConnectionBanner } from './ConnectionBanner.js';
import { SignIn } from './SignIn.js';

function roomFromHash(): string | null {
  const m = /^#room=(.+)$/.exec(location.hash);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

export function App() {
  const store = useStore();
  const phase = useChat((s) => s.phase);
  const active = useChat((s) => s.active);
  const restoring = useChat((s) => s.restoring);

  useEffect(() => {
    const sync = () => {
      const room = roomFromHash();
      if (room && room !== store.getState().active) store.openRoom(room);
    };
    sync();
    window.addEventListener('hashchange', sync);
    return () => window.removeEventListener('hashchange', sync);
  }, [store]);

  useEffect(() => {
    if (phase !== 'ready') return;
    const hash = `#room=${encodeURIComponent(active)}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
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
