/**
 * Writing a message: Enter sends, Shift+Enter starts a new line; typing is signalled to the room.
 * A reply (the Reply action of a message) shows above the box as "Replying to <name>: <snippet>",
 * with × (or Escape) to cancel; the message sent then carries `replyTo`.
 */
import { useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { RoomInfo } from '../../../src/protocol/types.js';
import { useChat, useStore } from '../chat/react.js';
import { indexOfSeq } from '../chat/timeline.js';
import type { ChatState } from '../chat/types.js';
import { roomTitle } from '../lib/format.js';
import { quoteView } from '../lib/reactions.js';
import { useAutoGrow } from '../lib/auto-grow.js';

/** The message a reply answers, from the loaded history or the fetched quotes (a part of the state: stable). */
function findMessage(s: ChatState, room: string, seq: number | undefined) {
  if (seq === undefined) return undefined;
  const list = s.timelines.get(room)?.messages;
  const i = list ? indexOfSeq(list, seq) : -1;
  return list && i >= 0 ? list[i] : s.quotes.get(room)?.get(seq);
}

function ReplyBar({ room, seq, onCancel }: { room: string; seq: number; onCancel(): void }) {
  const target = useChat((s) => findMessage(s, room, seq));
  const view = quoteView(target);
  return (
    <div className="reply-bar" id="reply-bar" data-reply-to={seq}>
      <span className="reply-what">
        {view.kind === 'message' ? (
          <>
            Replying to <strong>{view.user}</strong>: <span className="reply-snippet">{view.text}</span>
          </>
        ) : (
          <>Replying to {view.kind === 'deleted' ? 'a deleted message' : 'an earlier message'}</>
        )}
      </span>
      <button type="button" className="reply-cancel" onClick={onCancel} aria-label="Cancel the reply" title="Cancel the reply">
        ×
      </button>
    </div>
  );
}

export function Composer({ room }: { room: RoomInfo }) {
  const store = useStore();
  const max = useChat((s) => s.limits?.maxTextLength ?? 4000);
  const [text, setText] = useState('');
  const replyTo = useChat((s) => s.replying.get(room.id));
  const input = useRef<HTMLTextAreaElement>(null);
  const over = text.length > max;
  const target = room.kind === 'dm' ? roomTitle(room) : `#${room.id}`;

  useAutoGrow(input, text);

  const send = () => {
    if (!text.trim() || over) return;
    store.send(room.id, text, replyTo === undefined ? {} : { replyTo });
    setText('');
  };

  const cancelReply = () => {
    store.setReply(room.id, null);
    input.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    } else if (e.key === 'Escape' && replyTo !== undefined) {
      e.preventDefault();
      e.stopPropagation();
      cancelReply();
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    send();
    input.current?.focus();
  };

  return (
    <form className="composer" onSubmit={onSubmit}>
      {replyTo !== undefined && <ReplyBar room={room.id} seq={replyTo} onCancel={cancelReply} />}
      <label htmlFor="composer-input" className="sr-only">
        Message {target}
      </label>
      <textarea
        id="composer-input"
        ref={input}
        rows={1}
        value={text}
        placeholder={`Message ${target}`}
        aria-describedby={replyTo !== undefined ? 'reply-bar composer-hint' : 'composer-hint'}
        aria-invalid={over}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim()) store.typing(room.id);
        }}
        onKeyDown={onKeyDown}
      />
      <button type="submit" className="primary send" disabled={!text.trim() || over}>
        Send
      </button>
      <span id="composer-hint" className={over ? 'hint form-error' : 'hint muted'}>
        {text.length > max - 200 ? `${text.length}/${max}` : 'Enter to send, Shift+Enter for a new line'}
      </span>
    </form>
  );
}
