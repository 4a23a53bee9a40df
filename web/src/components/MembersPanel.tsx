/** Members of the room on screen with who is online (live), and inviting people to it. */
import { GLOBAL_ROOM, type RoomInfo } from '../../../src/protocol/index.js';
import { useChat } from '../chat/react.js';
import { InviteForm } from './InviteForm.js';
import { UserList } from './UserList.js';

export function MembersPanel({ room, open, onClose }: { room: RoomInfo; open: boolean; onClose: () => void }) {
  const members = useChat((s) => s.members.get(room.id));
  const online = members?.filter((m) => m.online).length ?? 0;
  const global = room.id === GLOBAL_ROOM;
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
            {global ? `${members.length} online` : `${online} online · ${members.length} members`}
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
