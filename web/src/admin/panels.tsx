/** The admin page's panels: rooms, users (kick/ban/unban), message deletion, log level, audit log. */
import { useState, type FormEvent } from 'react';
import { LOG_LEVELS, type AdminAuditEntry, type AdminBan, type AdminRoom, type BanRequest, type DeleteMessageRequest, type KickRequest, type LogLevel, type ReadOnlyRequest, type SetLogLevelRequest } from '../../../src/protocol/admin.js';
import { adminCall } from './api.js';

/** Runs an admin call and reports the outcome on the page's status line. */
export type Act = (label: string, run: () => Promise<unknown>) => Promise<boolean>;

export function StatCard({ label, value, id }: { label: string; value: string; id: string }) {
  return (
    <div className="stat" data-stat={id}>
      <div className="stat-value">{value}</div>
      <div className="stat-label muted small">{label}</div>
    </div>
  );
}

/** A button that asks to be pressed twice (no browser dialogs). */
export function ConfirmButton({ label, onConfirm }: { label: string; onConfirm: () => void }) {
  const [armed, setArmed] = useState(false);
  return (
    <button
      type="button"
      className={armed ? 'danger' : undefined}
      onClick={() => (armed ? (setArmed(false), onConfirm()) : setArmed(true))}
      onBlur={() => setArmed(false)}
    >
      {armed ? `Confirm ${label.toLowerCase()}` : label}
    </button>
  );
}

export function RoomsPanel({ rooms, act }: { rooms: AdminRoom[]; act: Act }) {
  const enc = encodeURIComponent;
  return (
    <section aria-labelledby="rooms-h">
      <h2 id="rooms-h">Rooms</h2>
      <table className="admin-table" aria-label="Rooms">
        <thead>
          <tr>
            <th>Room</th>
            <th>Kind</th>
            <th>Members</th>
            <th>Messages</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {rooms.map((r) => (
            <tr key={r.id} data-room={r.id}>
              <td>
                {r.id} {r.readOnly && <span className="tag">read-only</span>}
              </td>
              <td>{r.kind}</td>
              <td data-col="members">{r.members}</td>
              <td>{r.lastSeq}</td>
              <td className="row-actions">
                <button type="button" onClick={() => void act(`${r.readOnly ? 'Writable' : 'Read-only'}: ${r.id}`, () => adminCall('POST', `rooms/${enc(r.id)}/read-only`, { readOnly: !r.readOnly } satisfies ReadOnlyRequest))}>
                  {r.readOnly ? 'Make writable' : 'Make read-only'}
                </button>
                <ConfirmButton label="Reset" onConfirm={() => void act(`Reset ${r.id}`, () => adminCall('POST', `rooms/${enc(r.id)}/reset`))} />
                {r.kind !== 'global' && <ConfirmButton label="Delete" onConfirm={() => void act(`Deleted ${r.id}`, () => adminCall('DELETE', `rooms/${enc(r.id)}`))} />}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function UsersPanel({ bans, act }: { bans: AdminBan[]; act: Act }) {
  const [user, setUser] = useState('');
  const [reason, setReason] = useState('');
  const submit = (e: FormEvent) => e.preventDefault();
  return (
    <section aria-labelledby="users-h">
      <h2 id="users-h">Users</h2>
      <form className="admin-form" onSubmit={submit}>
        <label>
          User name
          <input value={user} onChange={(e) => setUser(e.target.value)} autoComplete="off" required />
        </label>
        <label>
          Reason (for a ban)
          <input value={reason} onChange={(e) => setReason(e.target.value)} autoComplete="off" maxLength={500} />
        </label>
        <div className="row-actions">
          <button type="button" disabled={!user.trim()} onClick={() => void act(`Kicked ${user}`, () => adminCall('POST', 'kick', { user: user.trim() } satisfies KickRequest))}>
            Kick
          </button>
          <button
            type="button"
            className="danger"
            disabled={!user.trim()}
            onClick={() => void act(`Banned ${user}`, () => adminCall('POST', 'ban', { user: user.trim(), reason: reason.trim() } satisfies BanRequest)).then((ok) => ok && setReason(''))}
          >
            Ban
          </button>
        </div>
      </form>
      <h3>Bans</h3>
      {bans.length === 0 ? (
        <p className="muted small">No one is banned.</p>
      ) : (
        <ul className="ban-list" aria-label="Bans">
          {bans.map((b) => (
            <li key={b.nameKey} data-ban={b.nameKey}>
              <strong>{b.name}</strong> <span className="muted small">{b.reason || 'no reason given'} · {new Date(b.at).toLocaleString()}</span>{' '}
              <button type="button" onClick={() => void act(`Unbanned ${b.name}`, () => adminCall('DELETE', `ban/${encodeURIComponent(b.name)}`))}>
                Unban
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function MessagePanel({ act }: { act: Act }) {
  const [room, setRoom] = useState('general');
  const [seq, setSeq] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const n = Number(seq);
    void act(`Deleted message ${room}#${seq}`, () => adminCall('DELETE', 'message', { room: room.trim(), seq: n } satisfies DeleteMessageRequest)).then((ok) => ok && setSeq(''));
  };
  return (
    <section aria-labelledby="msg-h">
      <h2 id="msg-h">Delete a message</h2>
      <p className="muted small">Every client removes it; history keeps an empty tombstone so message numbers stay contiguous.</p>
      <form className="admin-form" onSubmit={submit}>
        <label>
          Room
          <input value={room} onChange={(e) => setRoom(e.target.value)} required />
        </label>
        <label>
          Message number (seq)
          <input value={seq} onChange={(e) => setSeq(e.target.value)} inputMode="numeric" pattern="[0-9]+" required />
        </label>
        <button type="submit" className="danger">
          Delete message
        </button>
      </form>
    </section>
  );
}

export function LogLevelPanel({ level, act }: { level: string; act: Act }) {
  return (
    <section aria-labelledby="log-h">
      <h2 id="log-h">Log level</h2>
      <label className="admin-form">
        This node's level (applies at once)
        <select value={level} onChange={(e) => void act(`Log level ${e.target.value}`, () => adminCall('PUT', 'log-level', { level: e.target.value as LogLevel } satisfies SetLogLevelRequest))}>
          {LOG_LEVELS.map((l) => (
            <option key={l}>{l}</option>
          ))}
        </select>
      </label>
    </section>
  );
}

export function AuditPanel({ entries }: { entries: AdminAuditEntry[] }) {
  return (
    <section aria-labelledby="audit-h">
      <h2 id="audit-h">Audit log</h2>
      <table className="admin-table" aria-label="Audit log">
        <thead>
          <tr>
            <th>Time</th>
            <th>Admin</th>
            <th>Action</th>
            <th>Target</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id}>
              <td>{new Date(e.at).toLocaleString()}</td>
              <td>{e.actor}</td>
              <td>{e.action}</td>
              <td>{e.target}</td>
              <td className="muted small">{e.detail === '{}' ? '' : e.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
