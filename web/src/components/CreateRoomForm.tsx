/** Create a public or private room. */
import { useState, type FormEvent } from 'react';
import { isValidRoomName } from '../../../src/protocol/rules.js';
import { useStore } from '../chat/react.js';
import { describeError } from '../chat/errors.js';

export function CreateRoomForm() {
  const store = useStore();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [visibility, setVisibility] = useState<'public' | 'private'>('public');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim().toLowerCase();
    if (!isValidRoomName(n)) return setError('Room names are 2-32 characters: a-z, 0-9, "_" or "-".');
    setBusy(true);
    setError(null);
    try {
      await store.createRoom(n, visibility);
      setName('');
      setVisibility('public');
      setOpen(false);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  if (!open) {
    return (
      <button type="button" className="ghost wide" onClick={() => setOpen(true)} aria-expanded="false">
        + New room
      </button>
    );
  }
  return (
    <form className="side-form" onSubmit={submit} aria-label="New room">
      <label>
        Room name
        <input value={name} onChange={(e) => setName(e.target.value)} autoFocus maxLength={32} placeholder="design" />
      </label>
      <fieldset className="inline">
        <legend className="sr-only">Visibility</legend>
        <label>
          <input type="radio" name="visibility" checked={visibility === 'public'} onChange={() => setVisibility('public')} /> Public
        </label>
        <label>
          <input type="radio" name="visibility" checked={visibility === 'private'} onChange={() => setVisibility('private')} /> Private
        </label>
      </fieldset>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="row">
        <button className="primary" type="submit" disabled={busy}>
          Create
        </button>
        <button type="button" className="ghost" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
