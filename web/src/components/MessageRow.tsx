/**
 * One row of the message list: a day separator, the list's top edge, or a message (grouped or not).
 * A message shows, besides its text: the quote of the message it answers (a button that jumps there),
 * "(edited)", its reactions (chips that toggle yours), and on hover or focus its actions (reply,
 * react, and for your own: edit inline, delete after a confirmation). Everything from a message is
 * rendered as text nodes (see MessageText), never as markup.
 */
import { memo, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Row } from '../lib/rows.js';
import { shortId } from '../../../src/client/index.js';
import type { MsgEvent, Reaction } from '../../../src/protocol/types.js';
import { describeError } from '../chat/errors.js';
import { formatFull, formatTime } from '../lib/format.js';
import { REACTION_PICKS, quoteView, reactedBy, reactionGlyph, reactorsText } from '../lib/reactions.js';
import { Avatar } from './Avatar.js';
import { MessageText } from './MessageText.js';
import { mentionView } from '../lib/markdown.js';
import { plural } from '../lib/plural.js';

interface Actions {
  onRetry(id: string): void;
  onDiscard(id: string): void;
  onLoadOlder(): void;
}

/** What can be done to a message (all by seq); one object from the list, the same across renders. */
export interface MessageActions {
  /** Opens (seq) or closes (null) the inline editor. */
  setEditing(seq: number | null): void;
  saveEdit(seq: number, text: string): Promise<void>;
  remove(seq: number): Promise<void>;
  react(seq: number, emoji: string, on: boolean): Promise<void>;
  reply(seq: number): void;
  /** Scrolls to (loading older pages if needed) and highlights message `seq`. */
  jump(seq: number): void;
  /** The quoted message `seq` is not known: fetch it. */
  needQuote(seq: number): void;
  /** Opens the thread panel of message `seq` (its replies). */
  openThread?(seq: number): void;
}

interface Props extends Actions {
  row: Row;
  roomLabel: string;
  /** Your name and id (pending rows are yours). */
  meName: string;
  meId: string;
  loading: boolean;
  error?: string;
  actions?: MessageActions;
  /** This message is being edited. */
  editing?: boolean;
  /** This message was just jumped to: highlighted for a moment. */
  flash?: boolean;
  /** The message this one answers (current state); null: no such message; undefined: not known (yet). */
  quoted?: MsgEvent | null;
  /** How many of the loaded messages reply to this one. */
  replies?: number;
  /** Names of the users the UI knows (for who reacted). */
  names?: ReadonlyMap<string, string>;
  maxLength?: number;
}

const NO_NAMES: ReadonlyMap<string, string> = new Map();

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

/** The quoted message above a reply: its author and first words (or that it is gone); activating it jumps there. */
function Quote({ seq, quoted, actions }: { seq: number; quoted: MsgEvent | null | undefined; actions?: MessageActions }) {
  useEffect(() => {
    if (quoted === undefined) actions?.needQuote(seq);
  }, [quoted, seq, actions]);
  const view = quoteView(quoted);
  const label =
    view.kind === 'message' ? `In reply to ${view.user}: ${view.text}. Show that message` : view.kind === 'deleted' ? 'In reply to a deleted message. Show where it was' : 'In reply to an earlier message. Show it';
  return (
    <button type="button" className="quote" data-reply-to={seq} aria-label={label} title="Show the original message" onClick={() => actions?.jump(seq)}>
      {view.kind === 'message' ? (
        <>
          <span className="quote-author">{view.user}</span> <span className="quote-text">{view.text}</span>
        </>
      ) : (
        <span className="quote-text gone">{view.kind === 'deleted' ? 'deleted message' : 'an earlier message'}</span>
      )}
    </button>
  );
}

/** The inline editor of an own message: Enter saves, Shift+Enter is a new line, Escape cancels. */
function Editor({ msg, maxLength, actions, onDone }: { msg: MsgEvent; maxLength: number; actions: MessageActions; onDone(): void }) {
  const [text, setText] = useState(msg.text);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const box = useRef<HTMLTextAreaElement>(null);
  const id = `edit-${msg.seq}`;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight}px`;
  }, [text]);
  const over = text.length > maxLength;
  const close = () => {
    actions.setEditing(null);
    onDone();
  };
  const save = () => {
    if (saving) return;
    if (!text.trim()) return setError('A message cannot be empty: delete it instead.');
    if (over) return setError(`At most ${maxLength} characters.`);
    if (text === msg.text) return close();
    setSaving(true);
    setError(undefined);
    actions.saveEdit(msg.seq, text).then(close, (err) => {
      setSaving(false);
      setError(describeError(err));
    });
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close();
    } else if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      save();
    }
  };
  return (
    <div className="editor">
      <label htmlFor={id} className="sr-only">
        New text of your message
      </label>
      <textarea id={id} ref={box} rows={1} value={text} aria-invalid={over || undefined} aria-describedby={`${id}-hint`} disabled={saving} onChange={(e) => setText(e.target.value)} onKeyDown={onKeyDown} />
      <div className="editor-bar">
        <span id={`${id}-hint`} className="muted small">
          Enter to save, Escape to cancel, Shift+Enter for a new line
        </span>
        <button type="button" className="link" onClick={close} aria-label="Cancel editing">
          Cancel
        </button>
        <button type="button" className="primary small-button" onClick={save} disabled={saving} aria-label="Save the edit">
          Save
        </button>
      </div>
      {error && (
        <div className="form-error small" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

/** Reaction chips: the emoji and how many; yours pressed; activating one toggles yours. */
function Reactions({ msg, meId, names, actions, onError }: { msg: MsgEvent; meId: string; names: ReadonlyMap<string, string>; actions?: MessageActions; onError(e: string): void }) {
  const list = msg.reactions ?? [];
  if (list.length === 0) return null;
  const toggle = (r: Reaction, mine: boolean) => actions?.react(msg.seq, r.emoji, !mine).catch((err) => onError(describeError(err)));
  return (
    <div className="reactions" role="group" aria-label="Reactions">
      {list.map((r) => {
        const mine = reactedBy(r, meId);
        const glyph = reactionGlyph(r.emoji);
        const who = reactorsText(r, names, meId);
        return (
          <button
            key={r.emoji}
            type="button"
            className={mine ? 'chip mine' : 'chip'}
            data-emoji={r.emoji}
            aria-pressed={mine}
            aria-label={`${glyph} ${r.count}: ${who}. ${mine ? 'Remove your reaction' : 'Add your reaction'}`}
            title={`${who} reacted with ${glyph}`}
            onClick={() => toggle(r, mine)}
          >
            <span className="chip-emoji">{glyph}</span> <span className="chip-count">{r.count}</span>
          </button>
        );
      })}
    </div>
  );
}

/** The picker's fixed reactions; Escape closes it. */
function Picker({ msg, meId, actions, onClose, onError }: { msg: MsgEvent; meId: string; actions: MessageActions; onClose(refocus: boolean): void; onError(e: string): void }) {
  const first = useRef<HTMLButtonElement>(null);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    first.current?.focus();
    const away = (e: PointerEvent) => {
      if (root.current && !root.current.contains(e.target as Node) && !(e.target as Element).closest?.('[data-picker-toggle]')) onClose(false);
    };
    document.addEventListener('pointerdown', away);
    return () => document.removeEventListener('pointerdown', away);
  }, [onClose]);
  return (
    <div
      className="picker"
      role="group"
      aria-label="Pick a reaction"
      ref={root}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          onClose(true);
        }
      }}
    >
      {REACTION_PICKS.map(({ emoji, name }, i) => {
        const r = msg.reactions?.find((x) => x.emoji === emoji);
        const mine = !!r && reactedBy(r, meId);
        return (
          <button
            key={emoji}
            ref={i === 0 ? first : undefined}
            type="button"
            className={mine ? 'pick mine' : 'pick'}
            data-emoji={emoji}
            aria-pressed={mine}
            aria-label={`React with ${name}`}
            title={name}
            onClick={() => {
              onClose(true);
              actions.react(msg.seq, emoji, !mine).catch((err) => onError(describeError(err)));
            }}
          >
            {emoji}
          </button>
        );
      })}
    </div>
  );
}

/** Reply, react, edit and delete: shown on hover and while focus is inside the message. */
function Toolbar({
  msg,
  own,
  user,
  picking,
  onReply,
  onPick,
  onEdit,
  onDelete,
  reactButton,
}: {
  msg: MsgEvent;
  own: boolean;
  user: string;
  picking: boolean;
  onReply(): void;
  onPick(): void;
  onEdit(): void;
  onDelete(): void;
  reactButton: React.RefObject<HTMLButtonElement | null>;
}) {
  return (
    <div className="msg-actions" role="group" aria-label={`Actions for the message of ${user} at ${formatTime(msg.ts)}`}>
      <button type="button" onClick={onReply} aria-label={`Reply to ${user}`} title="Reply">
        Reply
      </button>
      <button type="button" ref={reactButton} onClick={onPick} aria-label="Add a reaction" aria-expanded={picking} title="React" data-picker-toggle="">
        React
      </button>
      {own && (
        <>
          <button type="button" onClick={onEdit} aria-label="Edit your message" title="Edit">
            Edit
          </button>
          <button type="button" onClick={onDelete} aria-label="Delete your message" title="Delete">
            Delete
          </button>
        </>
      )}
    </div>
  );
}

/** Asks before deleting; the focus starts on "No". */
function ConfirmDelete({ onYes, onNo }: { onYes(): void; onNo(): void }) {
  const no = useRef<HTMLButtonElement>(null);
  useEffect(() => no.current?.focus(), []);
  return (
    <div
      className="confirm"
      role="group"
      aria-label="Delete this message?"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          onNo();
        }
      }}
    >
      <span>Delete this message?</span>{' '}
      <button type="button" className="danger" onClick={onYes} aria-label="Yes, delete the message">
        Yes
      </button>{' '}
      <button type="button" ref={no} onClick={onNo} aria-label="No, keep the message">
        No
      </button>
    </div>
  );
}

/** A message (sent or pending) with its changes and actions, or the list's edge or a day separator. */
function Item(props: Props) {
  const { row } = props;
  if (row.kind === 'msg' || row.kind === 'pending') return <Message {...props} />;
  return <Edge {...props} />;
}

function Edge({ row, roomLabel, loading, error, onLoadOlder }: Props) {
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
  return null;
}

function Message({ row, meName, meId, onRetry, onDiscard, actions, editing = false, flash = false, quoted, replies, names = NO_NAMES, maxLength = 4000 }: Props) {
  const article = useRef<HTMLElement>(null);
  const reactButton = useRef<HTMLButtonElement>(null);
  const [picking, setPicking] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  if (row.kind !== 'msg' && row.kind !== 'pending') return null;
  const user = row.kind === 'msg' ? row.msg.user : meName;
  const uid = row.kind === 'msg' ? row.msg.uid : meId;
  const namesake = row.kind === 'msg' && row.namesake;
  const text = row.kind === 'msg' ? row.msg.text : row.pending.text;
  const ts = row.kind === 'msg' ? row.msg.ts : row.pending.createdAt;
  const own = row.kind === 'pending' || row.own;
  const msg = row.kind === 'msg' ? row.msg : undefined;
  const deleted = !!msg?.deleted;
  const replyTo = row.kind === 'msg' ? row.msg.replyTo : row.pending.replyTo;
  const act = msg && !deleted && actions ? actions : undefined;
  // A message that mentions you (by name, or the whole room) stands out; your own never does.
  const mentionsMe = !!msg && !own && !deleted && (!!msg.mentionAll || !!msg.mentions?.some((u) => u.id === meId));
  const closePicker = (refocus: boolean) => {
    setPicking(false);
    if (refocus) reactButton.current?.focus();
  };
  const remove = () => {
    setConfirming(false);
    if (msg && actions) actions.remove(msg.seq).catch((err) => setProblem(describeError(err)));
  };
  return (
    <article
      ref={article}
      tabIndex={act ? -1 : undefined}
      className={`msg${row.head ? ' head' : ' cont'}${own ? ' own' : ''}${row.kind === 'pending' ? ' unsent' : ''}${flash ? ' flash' : ''}${editing ? ' editing' : ''}${mentionsMe ? ' mentions-me' : ''}`}
      data-seq={msg?.seq}
      data-flash={flash || undefined}
      aria-label={row.head ? undefined : `${user}${namesake ? ` ~${shortId(uid)}` : ''}${msg?.bot ? ' (bot)' : ''} at ${formatTime(ts)}`}
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
            {msg?.bot && (
              <>
                <span className="bot-badge" data-testid="bot-badge" title="A bot: sent by an application with an API key">
                  bot
                </span>{' '}
              </>
            )}
            <time dateTime={new Date(ts).toISOString()} title={formatFull(ts)}>
              {formatTime(ts)}
            </time>
          </div>
        )}
        {replyTo !== undefined && !deleted && <Quote seq={replyTo} quoted={quoted} actions={actions} />}
        {editing && msg && act ? (
          <Editor msg={msg} maxLength={maxLength} actions={act} onDone={() => article.current?.focus()} />
        ) : (
          <div className="msg-line">
            <span className="msg-text">{deleted ? <span className="muted deleted">This message was deleted</span> : <MessageText text={text} mentions={mentionView(msg, meName)} />}</span>
            {msg?.edited !== undefined && !deleted && (
              <>
                {' '}
                <time className="edited muted" dateTime={new Date(msg.edited).toISOString()} title={formatFull(msg.edited)}>
                  (edited)
                </time>
              </>
            )}
          </div>
        )}
        {msg && !deleted && <Reactions msg={msg} meId={meId} names={names} actions={actions} onError={setProblem} />}
        {msg && replies !== undefined && replies > 0 && actions?.openThread && (
          <button type="button" className="link replies-link" data-replies={replies} onClick={() => actions.openThread?.(msg.seq)} aria-label={`${plural(replies, 'reply', 'replies')} to ${user}: open the thread`}>
            {plural(replies, 'reply', 'replies')}
          </button>
        )}
        {picking && msg && act && <Picker msg={msg} meId={meId} actions={act} onClose={closePicker} onError={setProblem} />}
        {confirming && act && <ConfirmDelete onYes={remove} onNo={() => (setConfirming(false), article.current?.focus())} />}
        {problem && (
          <div className="form-error small" role="alert">
            {problem}{' '}
            <button type="button" className="link" onClick={() => setProblem(undefined)} aria-label="Dismiss the error">
              OK
            </button>
          </div>
        )}
        {row.kind === 'pending' && row.pending.status === 'failed' && (
          <Failed error={row.pending.error} onRetry={() => onRetry(row.pending.id)} onDiscard={() => onDiscard(row.pending.id)} />
        )}
      </div>
      <Status row={row} onRetry={onRetry} onDiscard={onDiscard} />
      {act && msg && !editing && (
        <Toolbar
          msg={msg}
          own={own}
          user={user}
          picking={picking}
          reactButton={reactButton}
          onReply={() => act.reply(msg.seq)}
          onPick={() => setPicking((p) => !p)}
          onEdit={() => {
            setConfirming(false);
            act.setEditing(msg.seq);
          }}
          onDelete={() => setConfirming(true)}
        />
      )}
    </article>
  );
}

/** Re-renders only when what the row shows changed (rows are rebuilt on every list change). */
export const MessageRow = memo(Item, (a, b) => {
  if (a.row.key !== b.row.key || a.row.kind !== b.row.kind || a.meName !== b.meName || a.meId !== b.meId) return false;
  if (a.actions !== b.actions || a.editing !== b.editing || a.flash !== b.flash || a.quoted !== b.quoted || a.maxLength !== b.maxLength || a.replies !== b.replies) return false;
  if (a.row.kind === 'msg' && b.row.kind === 'msg') {
    // Names matter only for who reacted (the map changes with every new author or member).
    if (a.names !== b.names && b.row.msg.reactions?.length) return false;
    return a.row.msg === b.row.msg && a.row.head === b.row.head && a.row.own === b.row.own && a.row.namesake === b.row.namesake;
  }
  if (a.row.kind === 'pending' && b.row.kind === 'pending') return a.row.pending === b.row.pending && a.row.head === b.row.head;
  if (a.row.kind === 'edge' && b.row.kind === 'edge') return a.row.more === b.row.more && a.loading === b.loading && a.error === b.error && a.roomLabel === b.roomLabel;
  if (a.row.kind === 'day' && b.row.kind === 'day') return a.row.label === b.row.label;
  return false;
});
