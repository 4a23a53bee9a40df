/** Members of the room on screen with who is online (live), and inviting people to it. */
import { plural } from '../lib/plural.js';
import { useEffect } from 'react';
import { GLOBAL_ROOM } from '../../../src/protocol/rules.js';
import type { RoomInfo } from '../../../src/protocol/types.js';
import { useChat, useStore } from '../chat/react.js';
import { InviteForm } from './InviteForm.js';
import { UserList } from './UserList.js';

export function MembersPanel({ room, open, onClose }: { room: RoomInfo; open: boolean; onClose: () => void }) {
  const members = useChat((s) => s.members.get(room.id));
  const large = useChat((s) => s.largeRooms.get(room.id));
  const store = useStore();
  const online = members?.filter((m) => m.online).length ?? 0;
  const global = room.id === GLOBAL_ROOM;
  // Shown: opened, or always there on wide screens (styles.css shows the panel above 1100px). A large
  // room's list is subscribed to only while shown (store.showMembers); elsewhere its count shows.
  const shown = open || (typeof matchMedia === 'function' && matchMedia('(min-width: 1101px)').matches);
  useEffect(() => {
    store.showMembers(shown ? room.id : null);
  }, [store, shown, room.id, large !== undefined]);
  useEffect(() => () => store.showMembers(null), [store]);
  return (
    <aside className="members" aria-label="Members" data-open={open}>
      <div className="members-top">
        <h2 className="section-title">{global ? 'Online in general' : 'Members'}</h2>
        <button type="button" className="ghost close-members" onClick={onClose} aria-label="Close members">
          ✕
        </button>
      </div>
      {members ? (
        <>
          <p className="muted small pad" data-testid="room-online">
            {large !== undefined ? `${large} online` : global ? `${members.length} online` : `${online} online · ${plural(members.length, 'member')}`}
          </p>
          <UserList users={members} label={`Members of ${room.id}`} />
        </>
      ) : (
        <p className="muted small pad">Loading…</p>
      )}
      {(room.kind === 'private' || room.kind === 'public') && <InviteForm room={room.id} />}
    </aside>
  );
}
