/**
 * Idempotency of `append`, as both backends decide it: a client id (uid, id) already used is answered
 * with its original; the repeat is a conflict (`id_conflict`) when it is not the same message.
 */
import { createHash } from 'node:crypto';
import { fingerprint } from './changes.js';
import type { NewMessage, StoredMessage } from './store.js';

/**
 * The fingerprint idempotency records keep of a message's text: SHA-256 of its UTF-8 bytes (PostgreSQL
 * computes the same with `sha256(convert_to(text, 'UTF8'))`).
 */
export function textHash(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The original of a client id already used, as a store compares a repeat with it (both stores). */
export interface Original {
  message: StoredMessage;
  /**
   * `undefined`: `message.text` is the original text. A Buffer: `textHash` of the original text (the message
   * was tombstoned or reset away). `null`: unknown (a tombstone from before the records existed): any text matches.
   */
  hash: Buffer | null | undefined;
}

/** True when a repeat of a client id is not the same message (another room or another text): `id_conflict`. */
export function isConflict(o: Original, sent: NewMessage): boolean {
  if (o.message.room !== sent.room) return true;
  // A change event is never edited or removed: its row is the original.
  if (o.message.change || sent.change) return fingerprint(o.message) !== fingerprint(sent);
  if (o.hash === undefined) return o.message.text !== sent.text;
  return o.hash !== null && !o.hash.equals(textHash(sent.text));
}
