/**
 * The thread of a message: the original and its replies (the loaded messages whose `replyTo` is its
 * seq, docs/protocol.md 6.14, in order, with your replies still being sent), and a composer whose
 * messages reply to the original. A side panel on wide screens, full-screen with a close button on
 * phones; Escape closes it. "Show in conversation" jumps to the original in the message list.
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { MsgEvent, RoomInfo } from '../../../src/protocol/types.js';
import type { PendingMessage } from '../chat/types.js';
import { useChat, useStore } from '../chat/react.js';
import { emptyTimeline, indexOfSeq } from '../chat/timeline.js';
import { formatFull, formatTime, roomTitle } from '../lib/format.js';
import { mentionView } from '../lib/markdown.js';
import { plural } from '../lib/plural.js';
import { MessageText } from './MessageText.js';
import { useAutoGrow } from '../lib/auto-grow.js';

const NO_PENDING: readonly PendingMessage[] = [];

function Entry({ user, ts, text, deleted, meName, msg, sending }: { user: string; ts: number; text: string; deleted?: boolean; meName: string; msg?: MsgEvent; sending?: boolean }) {
  return (
    <div className={`thread-msg${sending ? ' unsent' : ''}`} data-seq={msg?.seq}>
      <div className="msg-meta">
        <span className="author">{user}</span>{' '}
        {msg?.bot && (
          <>
            <span className="bot-badge" title="A bot: sent by an application with an API key">
              bot
            </span>{' '}
          </>
        )}
        <time dateTime={new Date(ts).toISOString()} title={formatFull(ts)}>
          {formatTime(ts)}
        </time>
        {sending && <span className="muted small"> sending…</span>}
      </div>
      <div className="msg-text">{deleted ? <span className="muted deleted">This message was deleted</span> : <MessageText text={text} mentions={mentionView(msg, meName)} />}</div>
    </div>
  );
}

export function ThreadPanel({ room, seq, onClose }: { room: RoomInfo; seq: number; onClose(): void }) {
  const store = useStore();
  const timeline = useChat((s) => s.timelines.get(room.id)) ?? emptyTimeline;
  const quoted = useChat((s) => s.quotes.get(room.id)?.get(seq));
  const pending = useChat((s) => s.pending.get(room.id)) ?? NO_PENDING;
  const me = useChat((s) => s.me);
  const max = useChat((s) => s.limits?.maxTextLength ?? 4000);
  const [text, setText] = useState('');
  const input = useRef<HTMLTextAreaElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);

  const i = indexOfSeq(timeline.messages, seq);
  const original = i >= 0 ? timeline.messages[i] : quoted;
  useEffect(() => {
    if (original === undefined) store.loadQuote(room.id, seq);
  }, [original, room.id, seq, store]);
  const replies = useMemo(() => timeline.messages.filter((m) => m.replyTo === seq && !m.change && !m.deleted), [timeline.messages, seq]);
  const sending = pending.filter((p) => p.replyTo === seq);

  useEffect(() => input.current?.focus(), [seq]);
  useAutoGrow(input, text);

  const over = text.length > max;
  const send = () => {
    if (!text.trim() || over) return;
    store.send(room.id, text, { replyTo: seq });
    setText('');
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };
  const where = room.kind === 'dm' ? roomTitle(room) : `#${room.id}`;
  const meName = me?.name ?? '';

  return (
    <aside
      className="side-panel thread-panel"
      aria-label="Thread"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <div className="side-top">
        <h2>
          Thread <span className="muted small">in {where}</span>
        </h2>
        <button type="button" className="ghost" ref={closeButton} onClick={onClose} aria-label="Close the thread">
          ×
        </button>
      </div>
      <div className="side-body">
        <div className="thread-original">
          {original ? (
            <Entry user={original.user} ts={original.ts} text={original.text} deleted={original.deleted} meName={meName} msg={original} />
          ) : (
            <p className="muted">{original === null ? 'The original message is gone.' : 'Loading the original message…'}</p>
          )}
          <button type="button" className="link" onClick={() => store.jumpTo(room.id, seq)}>
            Show in conversation
          </button>
        </div>
        <div className="thread-count muted small" role="status">
          {plural(replies.length, 'reply', 'replies')}
        </div>
        <div className="thread-replies" role="list" aria-label="Replies">
          {replies.map((m) => (
            <div role="listitem" key={m.seq}>
              <Entry user={m.user} ts={m.ts} text={m.text} meName={meName} msg={m} />
            </div>
          ))}
          {sending.map((p) => (
            <div role="listitem" key={p.id}>
              <Entry user={meName} ts={p.createdAt} text={p.text} meName={meName} sending={p.status === 'pending'} />
              {p.status === 'failed' && (
                <div className="failed" role="alert">
                  <strong>Not sent</strong>
                  {p.error ? <span>: {p.error}</span> : null}{' '}
                  <button type="button" className="link" onClick={() => store.retry(room.id, p.id)}>
                    Retry
                  </button>
                </div>
              )}
            </div>
          ))}
        </div>
      </div>
      <form
        className="composer thread-composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
          input.current?.focus();
        }}
      >
        <label htmlFor="thread-input" className="sr-only">
          Reply in the thread
        </label>
        <textarea id="thread-input" ref={input} rows={1} value={text} placeholder="Reply…" aria-invalid={over} onChange={(e) => setText(e.target.value)} onKeyDown={onKeyDown} />
        <button type="submit" className="primary send" disabled={!text.trim() || over}>
          Reply
        </button>
      </form>
    </aside>
  );
}
