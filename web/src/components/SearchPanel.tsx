/**
 * Message search (docs/protocol.md 6.16): a query, filters (this room or all your rooms, author, a
 * day range), newest or best first, and paging with "More results". Each result shows its room,
 * author, time and a snippet with the matched words marked (React elements around the server's
 * highlight ranges: the text stays text). Activating a result opens its room and jumps to the
 * message, loading history until it is there (the same jump as a reply's quote).
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { RoomInfo, SearchHit } from '../../../src/protocol/types.js';
import { useChat, useStore } from '../chat/react.js';
import { describeError } from '../chat/errors.js';
import { formatFull, formatTime, roomTitle } from '../lib/format.js';
import { snippetParts } from '../lib/highlight.js';

interface Run {
  query: string;
  opts: { room?: string; from?: string; before?: number; after?: number; order: 'newest' | 'best' };
}

/** Local midnight of a `yyyy-mm-dd` day, plus `days`; undefined when empty or invalid. */
function dayStart(value: string, days = 0): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return undefined;
  const t = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days).getTime();
  return Number.isFinite(t) ? t : undefined;
}

function Snippet({ hit }: { hit: SearchHit }) {
  return (
    <span className="result-text">
      {snippetParts(hit.text, hit.highlights).map((p, i) => (p.mark ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </span>
  );
}

export function SearchPanel({ room, onClose, onOpened }: { room: string; onClose(): void; onOpened(): void }) {
  const store = useStore();
  const rooms = useChat((s) => s.rooms);
  const [query, setQuery] = useState('');
  const [scope, setScope] = useState<'room' | 'all'>('all');
  const [from, setFrom] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [order, setOrder] = useState<'newest' | 'best'>('newest');
  const [results, setResults] = useState<SearchHit[] | null>(null);
  const [next, setNext] = useState<string | undefined>();
  const [run, setRun] = useState<Run | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const seq = useRef(0);
  useEffect(() => input.current?.focus(), []);

  const roomName = (id: string) => {
    const r: RoomInfo | undefined = rooms.find((x) => x.id === id);
    return r ? (r.kind === 'dm' ? roomTitle(r) : `#${r.id}`) : `#${id}`;
  };

  const go = (r: Run, cursor?: string) => {
    const mine = ++seq.current;
    setBusy(true);
    setError(null);
    store.search(r.query, { ...r.opts, ...(cursor ? { cursor } : {}) }).then(
      (page) => {
        if (seq.current !== mine) return;
        setBusy(false);
        setResults((prev) => (cursor && prev ? [...prev, ...page.results] : page.results));
        setNext(page.next);
      },
      (err) => {
        if (seq.current !== mine) return;
        setBusy(false);
        setError(describeError(err));
      },
    );
  };

  const submit = (e?: FormEvent, orderNow = order) => {
    e?.preventDefault();
    if (!query.trim()) return;
    const opts: Run['opts'] = { order: orderNow };
    if (scope === 'room') opts.room = room;
    if (from.trim()) opts.from = from.trim();
    const after = dayStart(since);
    const before = dayStart(until, 1);
    if (after !== undefined) opts.after = after - 1;
    if (before !== undefined) opts.before = before;
    const r = { query: query.trim(), opts };
    setRun(r);
    setResults(null);
    setNext(undefined);
    go(r);
  };

  return (
    <aside
      className="side-panel search-panel"
      aria-label="Search messages"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <div className="side-top">
        <h2>Search</h2>
        <button type="button" className="ghost" onClick={onClose} aria-label="Close the search">
          ×
        </button>
      </div>
      <form className="search-form" onSubmit={submit} role="search">
        <div className="search-row">
          <label htmlFor="search-query" className="sr-only">
            Search for
          </label>
          <input id="search-query" ref={input} type="search" value={query} maxLength={200} placeholder="Words to find" onChange={(e) => setQuery(e.target.value)} />
          <button type="submit" className="primary" disabled={!query.trim()}>
            Search
          </button>
        </div>
        <div className="search-filters">
          <label>
            In{' '}
            <select value={scope} onChange={(e) => setScope(e.target.value === 'room' ? 'room' : 'all')} aria-label="Where to search">
              <option value="all">all my rooms</option>
              <option value="room">{`this room (${roomName(room)})`}</option>
            </select>
          </label>
          <label>
            From <input type="text" value={from} onChange={(e) => setFrom(e.target.value)} placeholder="anyone" aria-label="From user" size={10} />
          </label>
          <label>
            After <input type="date" value={since} onChange={(e) => setSince(e.target.value)} aria-label="On or after day" />
          </label>
          <label>
            Before <input type="date" value={until} onChange={(e) => setUntil(e.target.value)} aria-label="On or before day" />
          </label>
          <div className="order-toggle" role="group" aria-label="Order">
            {(['newest', 'best'] as const).map((o) => (
              <button
                key={o}
                type="button"
                className={order === o ? 'chip mine' : 'chip'}
                aria-pressed={order === o}
                onClick={() => {
                  setOrder(o);
                  if (run) submit(undefined, o);
                }}
              >
                {o === 'newest' ? 'Newest' : 'Best match'}
              </button>
            ))}
          </div>
        </div>
      </form>
      <div className="side-body">
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {results && (
          <p className="muted small" role="status">
            {results.length === 0 ? 'No messages found.' : `${results.length}${next ? '+' : ''} result${results.length === 1 ? '' : 's'}`}
          </p>
        )}
        {results && results.length > 0 && (
          <ol className="results" aria-label="Results">
            {results.map((hit) => (
              <li key={`${hit.room} ${hit.seq}`}>
                <button
                  type="button"
                  className="result"
                  data-room={hit.room}
                  data-seq={hit.seq}
                  onClick={() => {
                    store.jumpTo(hit.room, hit.seq);
                    onOpened();
                  }}
                >
                  <span className="result-meta">
                    <span className="result-room">{roomName(hit.room)}</span> <span className="author">{hit.user}</span>{' '}
                    {hit.bot && (
                      <>
                        <span className="bot-badge" title="A bot: sent by an application with an API key">
                          bot
                        </span>{' '}
                      </>
                    )}
                    <time dateTime={new Date(hit.ts).toISOString()} title={formatFull(hit.ts)}>
                      {new Date(hit.ts).toLocaleDateString()} {formatTime(hit.ts)}
                    </time>
                  </span>
                  <Snippet hit={hit} />
                </button>
              </li>
            ))}
          </ol>
        )}
        {busy && <p className="muted">Searching…</p>}
        {!busy && next && run && (
          <button type="button" className="link more-results" onClick={() => go(run, next)}>
            More results
          </button>
        )}
      </div>
    </aside>
  );
}
