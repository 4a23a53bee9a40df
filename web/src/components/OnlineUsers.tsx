/** Everyone online right now (general's presence), updating live. */
import { GLOBAL_ROOM } from '../../../src/protocol/rules.js';
import { useChat } from '../chat/react.js';
import { UserList } from './UserList.js';

export function OnlineUsers() {
  const online = useChat((s) => s.members.get(GLOBAL_ROOM));
  const total = useChat((s) => s.onlineTotal);
  return (
    <section aria-labelledby="online-title">
      <h2 className="section-title" id="online-title">
        Online <span className="count" data-testid="online-total">{total}</span>
      </h2>
      {online ? <UserList users={online} label="Users online" /> : <p className="muted small pad">Loading…</p>}
    </section>
  );
}
