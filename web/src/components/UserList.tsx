/** A list of people with online dots; choosing someone else opens a direct message with them. */
import { useState } from 'react';
import type { Member } from '../../../src/protocol/types.js';
import { useChat, useStore } from '../chat/react.js';
import { describeError } from '../chat/errors.js';
import { Avatar } from './Avatar.js';

export function UserList({ users, label }: { users: readonly Member[]; label: string }) {
  const store = useStore();
  const me = useChat((s) => s.me);
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <ul className="user-list" aria-label={label}>
        {users.map((u) => (
          <li key={u.id}>
            {u.id === me?.id ? (
              <span className="user self">
                <Avatar name={u.name} uid={u.id} size="small" />
                <span className={u.online ? 'dot on' : 'dot'} aria-hidden="true" />
                <span className="user-name">{u.name}</span>
                <span className="muted small">(you)</span>
              </span>
            ) : (
              <button
                type="button"
                className="user"
                title={`Message ${u.name}`}
                aria-label={`Message ${u.name}${u.online ? ' (online)' : ' (offline)'}`}
                onClick={() => {
                  setError(null);
                  store.openDm(u.name).catch((err: unknown) => setError(describeError(err)));
                }}
              >
                <Avatar name={u.name} uid={u.id} size="small" />
                <span className={u.online ? 'dot on' : 'dot'} aria-hidden="true" />
                <span className="user-name">{u.name}</span>
              </button>
            )}
          </li>
        ))}
      </ul>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}
