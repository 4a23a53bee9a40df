/**
 * The admin page (/admin): live stats refreshed every few seconds, rooms with member counts and
 * reset/delete/read-only, kick/ban/unban, message deletion, the log level, API keys and the audit log.
 * Uses the chat's saved session token; the server decides who is an admin (403 for everyone else).
 */
import { useCallback, useEffect, useState } from 'react';
import type { AdminMeResponse, AdminAuditEntry, AdminAuditResponse, AdminBan, AdminBansResponse, AdminRoom, AdminRoomsResponse, AdminStats, LogLevelResponse } from '../../../src/protocol/admin.js';
import { AdminApiError, adminCall } from './api.js';
import { AuditPanel, LogLevelPanel, MessagePanel, RoomsPanel, StatCard, UsersPanel, type Act } from './panels.js';
import { ApiKeysPanel } from './ApiKeysPanel.js';
import { WebhooksPanel } from './WebhooksPanel.js';
import './admin.css';

const REFRESH_MS = 3000;

interface Data {
  stats: AdminStats;
  rooms: AdminRoom[];
  bans: AdminBan[];
  audit: AdminAuditEntry[];
  level: string;
}

/** The one message for a page you may not see, ending with the command that would change that (an operator's). */
interface Denied {
  text: string;
  /** How the role is granted: `scale-chat admin grant NAME` on the server host (docs/operations.md 6.1). */
  command?: string;
}

function deniedText(status: number, user?: AdminMeResponse['user']): Denied {
  if (status === 401) return { text: 'Administrators only: sign in to the chat first, with an administrator account.' };
  if (user && !user.account) {
    return {
      text: `Administrators only: ${user.name} is a guest, and only an account can be an administrator. Register an account; an operator then grants it the role on the server host with`,
      command: 'scale-chat admin grant NAME',
    };
  }
  // Names are letters, digits, _ - . (protocol rules): safe to paste into a shell as they are.
  return {
    text: `Administrators only: ${user ? `${user.name} is` : 'you are'} not an administrator. An operator grants the role on the server host with`,
    command: `scale-chat admin grant ${user ? user.name : 'NAME'}`,
  };
}

const fmtRate = (r: number | null) => (r === null ? '…' : r < 10 ? r.toFixed(1) : String(Math.round(r)));

export function AdminPage() {
  const [data, setData] = useState<Data | null>(null);
  const [denied, setDenied] = useState<Denied | null>(null);
  const [status, setStatus] = useState<{ text: string; ok: boolean } | null>(null);

  /** Who is signed in: asked once, first (GET me answers everyone); only an administrator's page loads data. */
  const [who, setWho] = useState<AdminMeResponse | null>(null);

  const load = useCallback(async () => {
    try {
      const [stats, rooms, bans, audit, level] = await Promise.all([
        adminCall<AdminStats>('GET', 'stats'),
        adminCall<AdminRoomsResponse>('GET', 'rooms'),
        adminCall<AdminBansResponse>('GET', 'bans'),
        adminCall<AdminAuditResponse>('GET', 'audit?limit=50'),
        adminCall<LogLevelResponse>('GET', 'log-level'),
      ]);
      setData({ stats, rooms: rooms.rooms, bans: bans.bans, audit: audit.entries, level: level.level });
      setDenied(null);
    } catch (err) {
      if (err instanceof AdminApiError && (err.status === 401 || err.status === 403)) setDenied(deniedText(err.status));
      else setStatus({ text: `Could not refresh: ${(err as Error).message}`, ok: false });
    }
  }, []);

  useEffect(() => {
    let live = true;
    adminCall<AdminMeResponse>('GET', 'me').then(
      (me) => {
        if (!live) return;
        setWho(me);
        if (!me.admin) setDenied(deniedText(403, me.user));
      },
      (err) => {
        if (!live) return;
        if (err instanceof AdminApiError && (err.status === 401 || err.status === 403)) setDenied(deniedText(err.status));
        else setStatus({ text: `Could not load: ${(err as Error).message}`, ok: false });
      },
    );
    return () => {
      live = false;
    };
  }, []);

  // Only an administrator's page loads and refreshes; a refused refresh (the role was taken away) stops it.
  useEffect(() => {
    if (!who?.admin || denied) return;
    void load();
    const t = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(t);
  }, [who, denied, load]);

  const act: Act = useCallback(
    async (label, run) => {
      try {
        await run();
        setStatus({ text: `${label}: done`, ok: true });
        await load();
        return true;
      } catch (err) {
        setStatus({ text: `${label}: ${(err as Error).message}`, ok: false });
        return false;
      }
    },
    [load],
  );

  return (
    <main className="admin-page">
      <header className="admin-header">
        <h1>Administration</h1>
        <a href="/">Back to the chat</a>
      </header>
      {denied ? (
        <p className="banner error" role="alert">
          {/* One flex item (.banner is a flex row): the sentence wraps as text, the command inside it. */}
          <span>
            {denied.text}
            {denied.command ? (
              <>
                {' '}
                <code className="admin-command">{denied.command}</code>.
              </>
            ) : null}
          </span>
        </p>
      ) : !data ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <p className={`admin-status ${status ? (status.ok ? 'ok' : 'error') : ''}`} role="status" aria-live="polite">
            {status?.text ?? ''}
          </p>
          <section aria-labelledby="stats-h">
            <h2 id="stats-h">Live</h2>
            <div className="stats">
              <StatCard id="nodes" label="nodes" value={String(data.stats.nodes.length)} />
              <StatCard id="connections" label={`connections (node ${data.stats.node})`} value={String(data.stats.connections)} />
              <StatCard id="online" label="users online" value={String(data.stats.onlineUsers)} />
              <StatCard id="rooms" label="rooms" value={String(data.stats.rooms)} />
              <StatCard id="messages" label="messages sent" value={String(data.stats.messages)} />
              <StatCard id="rate" label="msgs/s" value={fmtRate(data.stats.msgsPerSec)} />
            </div>
          </section>
          <div className="admin-grid">
            <RoomsPanel rooms={data.rooms} act={act} />
            <UsersPanel bans={data.bans} act={act} />
            <MessagePanel act={act} />
            <LogLevelPanel level={data.level} act={act} />
            <ApiKeysPanel act={act} />
          </div>
          <WebhooksPanel act={act} />
          <AuditPanel entries={data.audit} />
        </>
      )}
    </main>
  );
}
