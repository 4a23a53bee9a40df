/** Public rooms you are not in, to join. */
import { plural } from '../lib/plural.js';
import { useState } from 'react';
import { useChat, useStore } from '../chat/react.js';
import { describeError } from '../chat/errors.js';

export function BrowseRooms() {
  const store = useStore();
  const publicRooms = useChat((s) => s.publicRooms);
  const rooms = useChat((s) => s.rooms);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const toggle = async () => {
    if (open) return setOpen(false);
    setOpen(true);
    setError(null);
    try {
      await store.refreshPublicRooms();
    } catch (err) {
      setError(describeError(err));
    }
  };

  const mine = new Set(rooms.map((r) => r.id));
  const joinable = publicRooms.filter((r) => !mine.has(r.id));
  return (
    <section aria-label="Browse rooms">
      <button type="button" className="ghost wide" onClick={toggle} aria-expanded={open}>
        {open ? '− Browse rooms' : '+ Browse rooms'}
      </button>
      {open && (
        <div className="browse">
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          {joinable.length === 0 && !error && <p className="muted small pad">No other public rooms yet.</p>}
          <ul className="room-list">
            {joinable.map((r) => (
              <li key={r.id} className="browse-item">
                <span className="room-name"># {r.id}</span>
                <span className="muted small">{plural(r.members, 'member')}</span>
                <button
                  type="button"
                  onClick={() => store.joinRoom(r.id).catch((err: unknown) => setError(describeError(err)))}
                  aria-label={`Join ${r.id}`}
                >
                  Join
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
