/** Invite someone (by name) to the room: they see it in their sidebar at once. */
import { useState, type FormEvent } from 'react';
import { useStore } from '../chat/react.js';
import { describeError } from '../chat/errors.js';

export function InviteForm({ room }: { room: string }) {
  const store = useStore();
  const [name, setName] = useState('');
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    if (!n) return;
    try {
      const who = await store.invite(room, n);
      setNote({ ok: true, text: `${who} was added to ${room}.` });
      setName('');
    } catch (err) {
      setNote({ ok: false, text: describeError(err) });
    }
  };

  return (
    <form className="side-form" onSubmit={submit} aria-label={`Invite to ${room}`}>
      <label>
        Invite by name
        <div className="row">
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={64} placeholder="name" />
          <button type="submit">Invite</button>
        </div>
      </label>
      {note && (
        <p className={note.ok ? 'form-ok' : 'form-error'} role={note.ok ? 'status' : 'alert'}>
          {note.text}
        </p>
      )}
    </form>
  );
}
