/**
 * API keys on the admin page (docs/api.md): create one (a bot name and its scopes; the key is shown once,
 * with a Copy button: the server keeps only its hash), list them (scopes, created, last used, revoked)
 * and revoke one (asks twice; the bot's connections are closed at once on every node).
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { API_SCOPES, type AdminApiKey, type AdminApiKeysResponse, type ApiScope, type CreateApiKeyResponse } from '../../../src/protocol/admin.js';
import { adminCall } from './api.js';
import type { Act } from './panels.js';

const when = (t: number | undefined) => (t === undefined ? 'never' : new Date(t).toLocaleString());

export function ApiKeysPanel({ act }: { act: Act }) {
  const [keys, setKeys] = useState<AdminApiKey[]>([]);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Set<ApiScope>>(new Set(['publish']));
  const [shown, setShown] = useState<{ name: string; key: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [armed, setArmed] = useState<string | null>(null);

  const reload = useCallback(async () => {
    const r = await adminCall<AdminApiKeysResponse>('GET', 'keys');
    setKeys(r.keys);
  }, []);
  useEffect(() => {
    reload().catch(() => {});
  }, [reload]);

  const toggle = (s: ApiScope) =>
    setScopes((prev) => {
      const next = new Set(prev);
      if (next.has(s)) next.delete(s);
      else next.add(s);
      return next;
    });

  const create = (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    void act(`Created API key for ${n}`, async () => {
      const r = await adminCall<CreateApiKeyResponse>('POST', 'keys', { name: n, scopes: API_SCOPES.filter((s) => scopes.has(s)) });
      setShown({ name: r.apiKey.name, key: r.key });
      setCopied(false);
      setName('');
      await reload();
    });
  };
  const copy = () => {
    if (!shown) return;
    navigator.clipboard.writeText(shown.key).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  const revoke = (k: AdminApiKey) => void act(`Revoked API key ${k.name}`, () => adminCall('DELETE', `keys/${encodeURIComponent(k.id)}`).then(reload));

  return (
    <section aria-labelledby="keys-h" className="api-keys">
      <h2 id="keys-h">API keys</h2>
      <p className="muted small">Each key is a bot user of its name, for the HTTP API (/api/v1) and WebSocket. The key is shown once.</p>
      <form className="admin-form" onSubmit={create}>
        <label>
          Bot name
          <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" required maxLength={24} />
        </label>
        <fieldset className="scopes">
          <legend>Scopes</legend>
          {API_SCOPES.map((s) => (
            <label key={s} className="scope">
              <input type="checkbox" checked={scopes.has(s)} onChange={() => toggle(s)} /> {s}
            </label>
          ))}
        </fieldset>
        <div className="row-actions">
          <button type="submit" disabled={!name.trim() || scopes.size === 0}>
            Create key
          </button>
        </div>
      </form>
      {shown && (
        <div className="new-key" role="status" data-testid="new-key">
          <p>
            The key of <strong>{shown.name}</strong>, shown this once: copy it now.
          </p>
          <code className="key-text">{shown.key}</code>{' '}
          <button type="button" onClick={copy}>
            {copied ? 'Copied' : 'Copy'}
          </button>{' '}
          <button type="button" onClick={() => setShown(null)}>
            Done
          </button>
        </div>
      )}
      {keys.length === 0 ? (
        <p className="muted small">No API keys yet.</p>
      ) : (
        <table className="admin-table" aria-label="API keys">
          <thead>
            <tr>
              <th>Bot</th>
              <th>Scopes</th>
              <th>Created</th>
              <th>Last used</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id} data-key={k.id}>
                <td>
                  {k.name} <span className="muted small">{k.id}</span> {k.revokedAt !== undefined && <span className="tag">revoked</span>}
                </td>
                <td>{k.scopes.join(', ')}</td>
                <td>
                  {when(k.createdAt)} <span className="muted small">by {k.createdByName}</span>
                </td>
                <td>{when(k.lastUsedAt)}</td>
                <td className="row-actions">
                  {k.revokedAt === undefined && (
                    <button
                      type="button"
                      className={armed === k.id ? 'danger' : undefined}
                      onClick={() => (armed === k.id ? (setArmed(null), revoke(k)) : setArmed(k.id))}
                      onBlur={() => setArmed(null)}
                    >
                      {armed === k.id ? 'Confirm revoke' : 'Revoke'}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
