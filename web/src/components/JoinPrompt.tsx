/**
 * Shown for a room you are not in (e.g. opened from a link). A public room can be joined. A private
 * room cannot (only a member can add you), and the server does not tell a non-member whether a room
 * is private or does not exist (docs/protocol.md 5.3), so a room that is not among the public rooms
 * gets "This room is private: ask a member to invite you" instead of a Join button that would fail.
 */
import { useEffect, useState } from 'react';
import { isDmRoom } from '../../../src/protocol/rules.js';
import { useChat, useStore } from '../chat/react.js';
import { describeError } from '../chat/errors.js';
import { ChatError } from '../../../src/client/index.js';

/** The `rooms` reply lists at most this many public rooms: a room missing from a full list may still be public. */
const PUBLIC_LIST_MAX = 200;

function PrivateNote({ room }: { room: string }) {
  return (
    <p className="private-note" data-testid="private-room">
      This room is private: ask a member to invite you. (Or there is no room <strong>#{room}</strong>.)
    </p>
  );
}

export function JoinPrompt({ room }: { room: string }) {
  const store = useStore();
  const publicRooms = useChat((s) => s.publicRooms);
  const [checked, setChecked] = useState(false);
  const [refused, setRefused] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const dm = isDmRoom(room);

  useEffect(() => {
    if (dm) return;
    let live = true;
    store.refreshPublicRooms().then(
      () => live && setChecked(true),
      () => live && setChecked(true),
    );
    return () => {
      live = false;
    };
  }, [room, dm, store]);

  const listed = publicRooms.some((r) => r.id === room);
  const canTry = listed || publicRooms.length >= PUBLIC_LIST_MAX;
  return (
    <div className="join-prompt">
      <p>You are not a member of {dm ? 'this conversation' : <strong>#{room}</strong>}.</p>
      {!dm && !checked && <p className="muted">Checking the room…</p>}
      {!dm && checked && (refused || !canTry) && <PrivateNote room={room} />}
      {!dm && checked && canTry && !refused && (
        <button
          type="button"
          className="primary"
          onClick={() => {
            setError(null);
            store.joinRoom(room).catch((err: unknown) => {
              if (err instanceof ChatError && err.code === 'no_such_room') setRefused(true);
              else setError(describeError(err));
            });
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
