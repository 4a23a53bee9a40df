/** Sign in as a guest (pick a name), log in, or register an account. */
import { useState, type FormEvent } from 'react';
import { PASSWORD_MAX, PASSWORD_MIN, isValidName } from '../../../src/protocol/rules.js';
import type { Auth } from '../../../src/protocol/schema.js';
import { useChat, useStore } from '../chat/react.js';
import { ConnectionBanner } from './ConnectionBanner.js';

type Mode = 'guest' | 'login' | 'register';

const MODES: { mode: Mode; label: string }[] = [
  { mode: 'guest', label: 'Guest' },
  { mode: 'login', label: 'Log in' },
  { mode: 'register', label: 'Register' },
];

export function SignIn() {
  const store = useStore();
  const serverError = useChat((s) => s.signInError);
  const phase = useChat((s) => s.phase);
  const [mode, setMode] = useState<Mode>('guest');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    if (mode !== 'login' && !isValidName(n)) {
      return setLocalError('Names are 2-24 letters, digits, "_", "-" or ".", starting with a letter or digit.');
    }
    if (mode === 'register' && (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX)) {
      return setLocalError(`Passwords are ${PASSWORD_MIN}-${PASSWORD_MAX} characters.`);
    }
    if (mode === 'login' && (!n || !password)) return setLocalError('Enter your name and password.');
    setLocalError(null);
    const auth: Auth = mode === 'guest' ? { kind: 'guest', name: n } : { kind: mode, name: n, password };
    setBusy(true);
    try {
      await store.signIn(auth);
    } finally {
      setBusy(false);
    }
  };

  const error = localError ?? serverError;
  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">scale-chat</h1>
        {phase === 'signing-in' && <ConnectionBanner />}
        <div className="tabs" role="radiogroup" aria-label="How to sign in">
          {MODES.map((m) => (
            <button
              key={m.mode}
              type="button"
              role="radio"
              aria-checked={mode === m.mode}
              className={mode === m.mode ? 'tab active' : 'tab'}
              onClick={() => {
                setMode(m.mode);
                setLocalError(null);
              }}
            >
              {m.label}
            </button>
          ))}
        </div>
        <label>
          {mode === 'guest' ? 'Pick a name' : 'Name'}
          <input
            name="name"
            autoComplete="username"
            autoFocus
            value={name}
            maxLength={64}
            onChange={(e) => setName(e.target.value)}
            required
          />
        </label>
        {mode !== 'guest' && (
          <label>
            Password
            <input
              name="password"
              type="password"
              autoComplete={mode === 'register' ? 'new-password' : 'current-password'}
              value={password}
              maxLength={PASSWORD_MAX}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
          </label>
        )}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button className="primary" type="submit" disabled={busy} aria-busy={busy}>
          {busy ? 'Signing in…' : mode === 'guest' ? 'Join as guest' : mode === 'login' ? 'Log in' : 'Create account'}
        </button>
        <p className="muted small">
          {mode === 'guest'
            ? 'Guest names are yours while you are online.'
            : 'Accounts keep their name; passwords are stored as argon2id hashes.'}
        </p>
      </form>
    </main>
  );
}
