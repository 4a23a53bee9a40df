/** The room's title, who is online in it, and its actions (members, notifications, mute, leave); the menu button on phones. */
import { useState, useSyncExternalStore, type RefObject } from 'react';
import type { RoomInfo } from '../../../src/protocol/types.js';
import { useChat, useStore } from '../chat/react.js';
import { describeError } from '../chat/errors.js';
import { roomTitle } from '../lib/format.js';
import { isMuted, permission, requestPermission, setMuted, snapshot, subscribe } from '../chat/notifications.js';
import { RoomIcon } from './RoomIcon.js';

interface Props {
  room: RoomInfo | undefined;
  roomId: string;
  menuButton: RefObject<HTMLButtonElement | null>;
  drawerOpen: boolean;
  onMenu: () => void;
  membersOpen: boolean;
  onMembers: () => void;
}

export function RoomHeader({ room, roomId, menuButton, drawerOpen, onMenu, membersOpen, onMembers }: Props) {
  const store = useStore();
  const members = useChat((s) => s.members.get(roomId));
  // A large room: the count from presence_count (its list is live only while the members panel shows it).
  const large = useChat((s) => s.largeRooms.get(roomId));
  const [error, setError] = useState<string | null>(null);
  const online = members?.filter((m) => m.online).length;
  const title = room ? roomTitle(room) : roomId;
  const canLeave = room?.kind === 'public' || room?.kind === 'private';
  useSyncExternalStore(subscribe, snapshot, snapshot);
  const notify = permission();
  const muted = isMuted(roomId);

  return (
    <header className="room-header">
      <button
        type="button"
        className="ghost menu-button"
        ref={menuButton}
        onClick={onMenu}
        aria-label="Open rooms menu"
        aria-expanded={drawerOpen}
        aria-controls="sidebar"
      >
        ☰
      </button>
      <div className="room-title">
        <h1>
          <RoomIcon kind={room?.kind} /> {title}
          {room?.kind === 'private' && <span className="sr-only"> (private room)</span>}
        </h1>
        {room && members && (
          <span className="muted small" data-testid="header-online">
            {large !== undefined ? `${large} online` : room.kind === 'global' ? `${members.length} online` : `${online} of ${members.length} online`}
          </span>
        )}
      </div>
      {error && (
        <span className="form-error small" role="alert">
          {error}
        </span>
      )}
      {room && (
        <button type="button" className="ghost members-button" onClick={onMembers} aria-expanded={membersOpen} aria-label="Members">
          <span aria-hidden="true">👥</span>
          <span className="wide-only"> Members</span>
        </button>
      )}
      {room && notify === 'default' && (
        <button
          type="button"
          className="ghost"
          aria-label="Enable notifications"
          onClick={() => void requestPermission()}
          title="Show a notification for DMs and mentions while this tab is in the background"
        >
          <span aria-hidden="true">🔔</span>
          <span className="wide-only"> Enable notifications</span>
        </button>
      )}
      {room && (
        <button
          type="button"
          className="ghost"
          aria-pressed={muted}
          aria-label={muted ? 'Unmute' : 'Mute'}
          onClick={() => setMuted(roomId, !muted)}
          title={muted ? 'Notifications for this room are off' : 'Turn off notifications for this room'}
        >
          <span aria-hidden="true">{muted ? '🔕' : '🔔'}</span>
          <span className="wide-only"> {muted ? 'Unmute' : 'Mute'}</span>
        </button>
      )}
      {canLeave && (
        <button
          type="button"
          className="ghost"
          onClick={() => {
            setError(null);
            store.leaveRoom(roomId).catch((err: unknown) => setError(describeError(err)));
          }}
        >
          Leave
        </button>
      )}
    </header>
  );
}
