/** The room kind as a small icon: # for rooms, a padlock for private rooms, @ for direct messages. */
import type { RoomKind } from '../../../src/protocol/types.js';

export function RoomIcon({ kind }: { kind: RoomKind | undefined }) {
  if (kind === 'private') {
    return (
      <svg className="room-icon lock" viewBox="0 0 16 16" width="13" height="13" aria-hidden="true" focusable="false">
        <path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="currentColor" strokeWidth="1.6" />
        <rect x="3" y="7" width="10" height="7" rx="1.5" fill="currentColor" />
      </svg>
    );
  }
  return (
    <span className="room-icon" aria-hidden="true">
      {kind === 'dm' ? '@' : '#'}
    </span>
  );
}
