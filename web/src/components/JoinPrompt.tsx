/** Shown for a room you are not in (e.g. opened from a link): join it if it is public. */
import { useState } from 'react';
import { isDmRoom } from '../../../src/protocol/index.js';
import { useStore } from '../chat/react.js';
import { describeError } from '../chat/errors.js';

export function JoinPrompt({ room }: { room: string }) {
  const store = useStore();
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="join-prompt">
      <p>You are not a member of {isDmRoom(room) ? 'this conversation' : <strong>#{room}</strong>}.</p>
      {!isDmRoom(room) && (
        <button
          type="button"
          className="primary"
          onClick={() => {
            setError(null);
            store.joinRoom(room).catch((err: unknown) => setError(describeError(err)));
          }}
        >
          Join #{room}
        </button>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="button" className="ghost" onClick={() => store.openRoom('general')}>
        Back to #general
      </button>
    </div>
  );
}
