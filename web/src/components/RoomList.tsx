/** Your rooms and direct messages, with unread and mention counts; links keep the room in the URL. */
import type { RoomInfo } from '../../../src/protocol/types.js';
import { useChat, useStore } from '../chat/react.js';
import { badgeCount, mentionCount, roomTitle, unreadCount } from '../lib/format.js';
import { isMuted, snapshot, subscribe } from '../chat/notifications.js';
import { useSyncExternalStore } from 'react';
import { RoomIcon } from './RoomIcon.js';

function RoomLink({ room, active }: { room: RoomInfo; active: boolean }) {
  const store = useStore();
  const unread = active ? 0 : unreadCount(room);
  const mentions = active ? 0 : mentionCount(room);
  useSyncExternalStore(subscribe, snapshot, snapshot);
  const muted = isMuted(room.id);
  const title = roomTitle(room);
  return (
    <li>
      <a
        href={`#room=${encodeURIComponent(room.id)}`}
        className={active ? 'room-link active' : unread ? 'room-link unread' : 'room-link'}
        aria-current={active ? 'page' : undefined}
        data-room={room.id}
        onClick={(e) => {
          e.preventDefault();
          store.openRoom(room.id);
        }}
      >
        <RoomIcon kind={room.kind} />
        <span className="room-name">{title}</span>
        {room.kind === 'private' && <span className="sr-only"> (private)</span>}
        {muted && (
          <span className="muted-mark" title="Notifications muted" aria-label="muted">
            🔕
          </span>
        )}
        {mentions > 0 && (
          <span className="badge mention-badge" data-testid="mention-badge" aria-label={`${badgeCount(mentions)} mentions`}>
            @{badgeCount(mentions)}
          </span>
        )}
        {unread > 0 && (
          <span className="badge" data-testid="unread-badge" aria-label={`${badgeCount(unread)} unread`}>
            {badgeCount(unread)}
          </span>
        )}
      </a>
    </li>
  );
}

export function RoomList() {
  const rooms = useChat((s) => s.rooms);
  const active = useChat((s) => s.active);
  const groups = rooms.filter((r) => r.kind !== 'dm');
  const dms = rooms.filter((r) => r.kind === 'dm');
  return (
    <nav aria-label="Your rooms">
      <h2 className="section-title">Rooms</h2>
      <ul className="room-list">
        {groups.map((r) => (
          <RoomLink key={r.id} room={r} active={r.id === active} />
        ))}
      </ul>
      <h2 className="section-title">Direct messages</h2>
      {dms.length === 0 ? (
        <p className="muted small pad">Pick someone under Online to message them.</p>
      ) : (
        <ul className="room-list">
          {dms.map((r) => (
            <RoomLink key={r.id} room={r} active={r.id === active} />
          ))}
        </ul>
      )}
    </nav>
  );
}
