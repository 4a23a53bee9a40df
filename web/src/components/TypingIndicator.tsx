/** "alice is typing…" for the room on screen (entries expire a few seconds after the last signal). */
import type { Typist } from '../chat/types.js';
import { useChat } from '../chat/react.js';

const NONE: readonly Typist[] = [];

export function typingText(names: readonly string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} more are typing…`;
}

export function TypingIndicator({ room }: { room: string }) {
  const typists = useChat((s) => s.typing.get(room)) ?? NONE;
  return (
    <div className="typing" aria-live="polite" data-testid="typing">
      {typingText(typists.map((t) => t.user))}
    </div>
  );
}
