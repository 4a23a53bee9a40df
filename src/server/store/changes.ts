/**
 * Message changes as both stores decide them (docs/protocol.md 6.15): whether a change or a reply may
 * apply to its target, inside the same transaction that appends it. The state a change leaves on its
 * target is computed by the shared protocol function (src/protocol/changes.ts) on the SDK's side; the
 * stores write the same fields with SQL.
 */
import { MAX_REACTIONS_PER_MESSAGE } from '../../protocol/changes.js';
import type { MessageChange } from '../../protocol/types.js';
import type { AppendPolicy, NewMessage, Refusal, StoredMessage } from './store.js';

/** The target of a change or a reply, as a store reads it in the transaction. */
export interface TargetRow {
  uid: string;
  ts: number;
  deleted: boolean;
  /** The target is itself a change event (never a valid target). */
  isChange: boolean;
}

/**
 * Why `m` (a change or a reply) may not apply to `target` (null: no row at that seq in the room), or null.
 * `distinctReactions(emoji)`: how many distinct emoji the target has, and whether `emoji` is one of them
 * (read only for a react that turns an emoji on).
 */
export function refusal(
  m: NewMessage,
  target: TargetRow | null,
  policy: AppendPolicy,
  distinctReactions: () => { count: number; has: boolean },
): Refusal | null {
  const at = m.change?.target ?? m.replyTo;
  const none: Refusal = { code: 'no_such_message', message: `no message ${at} in room "${m.room}"` };
  if (!target || target.isChange) return none;
  const c: MessageChange | undefined = m.change;
  if (!c) return target.deleted ? none : null; // a reply to a deleted message has nothing to answer
  if (target.deleted) return none;
  switch (c.kind) {
    case 'edit':
      if (target.uid !== m.uid) return { code: 'not_author', message: 'only the author can edit a message' };
      if (policy.editWindowMs > 0 && m.ts - target.ts > policy.editWindowMs)
        return { code: 'edit_window_passed', message: `messages can be edited for ${Math.round(policy.editWindowMs / 60_000)} minutes after sending` };
      return null;
    case 'remove':
      return target.uid === m.uid || m.admin ? null : { code: 'not_author', message: 'only the author or an administrator can remove a message' };
    case 'react': {
      if (!c.on) return null;
      const r = distinctReactions();
      return !r.has && r.count >= MAX_REACTIONS_PER_MESSAGE ? { code: 'too_many_reactions', message: `a message has at most ${MAX_REACTIONS_PER_MESSAGE} different reactions` } : null;
    }
  }
}

/** The identity of a message for the idempotency check: its text, or its change (a repeat must be the same change). */
export function fingerprint(m: { text: string; change?: MessageChange }): string {
  return m.change ? `\u0000change:${JSON.stringify(m.change)}` : m.text;
}

/** The stored message a new row of `m` at `seq` is: a change is a tombstone carrying its change. */
export function changeEvent(m: NewMessage, seq: number): StoredMessage {
  const out: StoredMessage = { room: m.room, seq, id: m.id, uid: m.uid, user: m.user, text: m.change ? '' : m.text, ts: m.ts };
  if (m.change) {
    out.deleted = true;
    out.change = m.change;
  }
  if (m.replyTo !== undefined) out.replyTo = m.replyTo;
  if (m.bot) out.bot = true;
  return out;
}
