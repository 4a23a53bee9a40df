/**
 * The account panel (docs/protocol.md 4.5): change the password (current, new, confirm), sign out
 * everywhere, delete the account (password, with a clear warning). Opened from the sidebar. Guests
 * only get "sign out everywhere" (they have no password). Other sessions of the user are signed out
 * by the server; this tab stays signed in after a password change, and goes back to the sign-in form
 * after signing out everywhere or deleting the account (web/src/chat/store.ts).
 */
import { useState, type FormEvent } from 'react';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../../src/protocol/rules.js';
import { useChat, useStore } from '../chat/react.js';
import { describeError } from '../chat/errors.js';

/** What is wrong with the change-password form, or null. */
export function passwordFormProblem(current: string, next: string, confirm: string): string | null {
  if (!current) return 'Enter your current password.';
  if (next.length < PASSWORD_MIN || next.length > PASSWORD_MAX) return `The new password must be ${PASSWORD_MIN}-${PASSWORD_MAX} characters.`;
  if (next !== confirm) return 'The new password and its confirmation differ.';
  if (next === current) return 'The new password is the same as the current one.';
  return null;
}

type Busy = null | 'password' | 'signout' | 'delete';

export function AccountPanel({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const me = useChat((s) => s.me);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [deletePassword, setDeletePassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState<Busy>(null);
  const account = Boolean(me?.account);

  const run = async (what: Exclude<Busy, null>, fn: () => Promise<void>, ok?: string) => {
    setBusy(what);
    setError(null);
    setDone(null);
    try {
      await fn();
      if (ok) setDone(ok);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  };

  const changePassword = (e: FormEvent) => {
    e.preventDefault();
    const problem = passwordFormProblem(current, next, confirm);
    if (problem) return setError(problem);
    void run(
      'password',
      async () => {
        await store.changePassword(current, next);
        setCurrent('');
        setNext('');
        setConfirm('');
      },
      'Password changed. Your other sessions were signed out.',
    );
  };

  const deleteAccount = (e: FormEvent) => {
    e.preventDefault();
    if (!deletePassword) return setError('Enter your password to delete the account.');
    void run('delete', () => store.deleteAccount(deletePassword));
  };

  return (
    <section className="side-form account-panel" role="dialog" aria-label="Account" data-testid="account-panel">
      <div className="row">
        <strong>Account: {me?.name}</strong>
        <button type="button" className="ghost" onClick={onClose} aria-label="Close account panel">
          ✕
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {done && (
        <p className="muted small" role="status">
          {done}
        </p>
      )}
      {account ? (
        <form onSubmit={changePassword} aria-label="Change password">
          <label>
            Current password
            <input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} maxLength={1024} />
          </label>
          <label>
            New password
            <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} maxLength={1024} />
          </label>
          <label>
            Confirm new password
            <input type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} maxLength={1024} />
          </label>
          <button type="submit" disabled={busy !== null}>
            {busy === 'password' ? 'Changing…' : 'Change password'}
          </button>
        </form>
      ) : (
        <p className="muted small">Guests have no password. Signing out everywhere ends this guest identity for good.</p>
      )}
      <div>
        <p className="muted small">Sign out of every tab and device where you are signed in, this one too.</p>
        <button type="button" className="ghost wide" disabled={busy !== null} onClick={() => void run('signout', () => store.signOutEverywhere())}>
          {busy === 'signout' ? 'Signing out…' : 'Sign out everywhere'}
        </button>
      </div>
      {account && (
        <form onSubmit={deleteAccount} aria-label="Delete account">
          <p className="form-error small">
            Deleting your account cannot be undone. You are signed out everywhere and removed from your rooms. Your messages stay,
            under your name, which nobody can take.
          </p>
          <label>
            Password
            <input type="password" autoComplete="current-password" value={deletePassword} onChange={(e) => setDeletePassword(e.target.value)} maxLength={1024} />
          </label>
          <button type="submit" className="danger" disabled={busy !== null}>
            {busy === 'delete' ? 'Deleting…' : 'Delete my account'}
          </button>
        </form>
      )}
    </section>
  );
}
