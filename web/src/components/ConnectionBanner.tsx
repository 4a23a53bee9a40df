/** Connection state for the user: connecting, reconnecting with a countdown, offline, or ended. */
import { useEffect, useState } from 'react';
import { useChat, useStore } from '../chat/react.js';

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

export function ConnectionBanner() {
  const store = useStore();
  const conn = useChat((s) => s.conn);
  const now = useNow(conn.state === 'reconnecting' && conn.retryAt !== null);

  let text: string | null = null;
  let tone = 'warn';
  if (conn.state === 'closed' && conn.error) {
    tone = 'error';
    text = `Disconnected: ${conn.error}`;
  } else if (conn.offline && conn.state !== 'open') {
    text = 'You are offline. Messages you send will go out when the connection is back.';
  } else if (conn.state === 'connecting') {
    text = 'Connecting…';
  } else if (conn.state === 'reconnecting') {
    const secs = conn.retryAt === null ? 0 : Math.ceil((conn.retryAt - now) / 1000);
    text = secs > 0 ? `Connection lost. Reconnecting in ${secs}s…` : 'Connection lost. Reconnecting…';
  }
  if (!text) return null;
  return (
    <div className={`banner ${tone}`} role="status" aria-live="polite" data-state={conn.state}>
      <span>{text}</span>
      {conn.state === 'closed' && (
        <button type="button" onClick={() => store.signOut()}>
          Sign in again
        </button>
      )}
    </div>
  );
}
