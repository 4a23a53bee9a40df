/** Writing a message: Enter sends, Shift+Enter starts a new line; typing is signalled to the room. */
import { useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { RoomInfo } from '../../../src/protocol/index.js';
import { useChat, useStore } from '../chat/react.js';
import { roomTitle } from '../lib/format.js';

export function Composer({ room }: { room: RoomInfo }) {
  const store = useStore();
  const max = useChat((s) => s.limits?.maxTextLength ?? 4000);
  const [text, setText] = useState('');
  const input = useRef<HTMLTextAreaElement>(null);
  const over = text.length > max;
  const target = room.kind === 'dm' ? roomTitle(room) : `#${room.id}`;

  // Grow with the text, up to the CSS max-height.
  useLayoutEffect(() => {
    const el = input.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight}px`;
  }, [text]);

  const send = () => {
    if (!text.trim() || over) return;
    store.send(room.id, text);
    setText('');
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    send();
    input.current?.focus();
  };

  return (
    <form className="composer" onSubmit={onSubmit}>
      <label htmlFor="composer-input" className="sr-only">
        Message {target}
      </label>
      <textarea
        id="composer-input"
        ref={input}
        rows={1}
        value={text}
        placeholder={`Message ${target}`}
        aria-describedby="composer-hint"
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
