/** One row of the message list: a day separator, the list's top edge, or a message (grouped or not). */
import { memo } from 'react';
import type { Row } from '../lib/rows.js';
import { shortId } from '../../../src/client/index.js';
import { formatFull, formatTime } from '../lib/format.js';
import { Avatar } from './Avatar.js';
import { MessageText } from './MessageText.js';

interface Actions {
  onRetry(id: string): void;
  onDiscard(id: string): void;
  onLoadOlder(): void;
}

interface Props extends Actions {
  row: Row;
  roomLabel: string;
  /** Your name and id (pending rows are yours). */
  meName: string;
  meId: string;
  loading: boolean;
  error?: string;
}

function Status({ row, onRetry, onDiscard }: { row: Row } & Omit<Actions, 'onLoadOlder'>) {
  if (row.kind === 'msg') {
    return row.own ? (
      <span className="status sent" title="Sent" aria-label="sent" data-status="sent">
        ✓
      </span>
    ) : null;
  }
  if (row.kind !== 'pending') return null;
  const p = row.pending;
  if (p.status === 'pending') {
    return (
      <span className="status pending" title="Sending…" aria-label="sending" data-status="pending">
        ◷
      </span>
    );
  }
  return null; // failed: see Failed below the text
}

function Failed({ error, onRetry, onDiscard }: { error?: string; onRetry(): void; onDiscard(): void }) {
  return (
    <div className="failed" data-status="failed" role="alert">
      <strong>Not sent</strong>
      {error ? <span>: {error}</span> : null}{' '}
      <button type="button" className="link" onClick={onRetry}>
        Retry
      </button>
      <button type="button" className="link" onClick={onDiscard}>
        Discard
      </button>
    </div>
  );
}

/**
 * The author's name; its tooltip gives the user id. A user who does not hold the name now (a guest
 * who left, whose name someone else took) gets a short id beside it: same name, different person.
 */
function Author({ user, uid, namesake }: { user: string; uid: string; namesake: boolean }) {
  return (
    <>
      <span className="author" title={`${user} (user id ${uid})`} data-uid={uid}>
        {user}
      </span>
      {namesake && (
        <>
          {' '}
          <span className="namesake" data-testid="namesake" title={`Not the ${user} of now: an earlier user with the same name (user id ${uid})`}>
            ~{shortId(uid)}
          </span>
        </>
      )}
    </>
  );
}

function Item({ row, roomLabel, meName, meId, loading, error, onRetry, onDiscard, onLoadOlder }: Props) {
  if (row.kind === 'day') {
    return (
      <div className="day-sep" role="separator" aria-label={row.label}>
        <span>{row.label}</span>
      </div>
    );
  }
  if (row.kind === 'edge') {
    if (!row.more) return <div className="edge muted">This is the beginning of {roomLabel}.</div>;
    return (
      <div className="edge muted">
        {error ? (
          <>
            <span className="form-error">Could not load history: {error}</span>{' '}
            <button type="button" className="link" onClick={onLoadOlder}>
              Retry
            </button>
          </>
        ) : loading ? (
          'Loading older messages…'
        ) : (
          <button type="button" className="link" onClick={onLoadOlder}>
            Load older messages
          </button>
        )}
      </div>
    );
  }
  const user = row.kind === 'msg' ? row.msg.user : meName;
  const uid = row.kind === 'msg' ? row.msg.uid : meId;
  const namesake = row.kind === 'msg' && row.namesake;
  const text = row.kind === 'msg' ? row.msg.text : row.pending.text;
  const ts = row.kind === 'msg' ? row.msg.ts : row.pending.createdAt;
  const own = row.kind === 'pending' || row.own;
  return (
    <article
      className={`msg${row.head ? ' head' : ' cont'}${own ? ' own' : ''}${row.kind === 'pending' ? ' unsent' : ''}`}
      data-seq={row.kind === 'msg' ? row.msg.seq : undefined}
      aria-label={row.head ? undefined : `${user}${namesake ? ` ~${shortId(uid)}` : ''} at ${formatTime(ts)}`}
    >
      <div className="gutter">
        {row.head ? (
          <Avatar name={user} uid={uid} />
        ) : (
          <time className="hover-time" dateTime={new Date(ts).toISOString()} title={formatFull(ts)}>
            {formatTime(ts)}
          </time>
        )}
      </div>
      <div className="msg-body">
        {row.head && (
          <div className="msg-meta">
            <Author user={user} uid={uid} namesake={namesake} />{' '}
            <time dateTime={new Date(ts).toISOString()} title={formatFull(ts)}>
              {formatTime(ts)}
            </time>
          </div>
        )}
        <div className="msg-text">
          {row.kind === 'msg' && row.msg.deleted ? <span className="muted deleted">message deleted by an administrator</span> : <MessageText text={text} />}
        </div>
        {row.kind === 'pending' && row.pending.status === 'failed' && (
          <Failed error={row.pending.error} onRetry={() => onRetry(row.pending.id)} onDiscard={() => onDiscard(row.pending.id)} />
        )}
      </div>
      <Status row={row} onRetry={onRetry} onDiscard={onDiscard} />
    </article>
  );
}

/** Re-renders only when what the row shows changed (rows are rebuilt on every list change). */
export const MessageRow = memo(Item, (a, b) => {
  if (a.row.key !== b.row.key || a.row.kind !== b.row.kind || a.meName !== b.meName || a.meId !== b.meId) return false;
  if (a.row.kind === 'msg' && b.row.kind === 'msg') {
    return a.row.msg === b.row.msg && a.row.head === b.row.head && a.row.own === b.row.own && a.row.namesake === b.row.namesake;
  }
  if (a.row.kind === 'pending' && b.row.kind === 'pending') return a.row.pending === b.row.pending && a.row.head === b.row.head;
  if (a.row.kind === 'edge' && b.row.kind === 'edge') return a.row.more === b.row.more && a.loading === b.loading && a.error === b.error && a.roomLabel === b.roomLabel;
  if (a.row.kind === 'day' && b.row.kind === 'day') return a.row.label === b.row.label;
  return false;
});
