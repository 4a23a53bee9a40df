/**
 * Keys that come from the network or from storage (room ids, user names, message ids, JSON keys)
 * never index plain objects: `resume.constructor` is `Object`, `x.__proto__` is a prototype, and a
 * room named `constructor` or `tostring` is a valid room. The SDK keeps such data in Maps and reads
 * the few plain records it is given (options.resume, saved sessions) through these helpers.
 */

/** Whether `n` is a valid seq (a safe integer >= 0). */
export function isSeq(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/**
 * Resume positions from a plain record (options, a parsed session file): own keys only, valid seqs
 * only (anything else would have the handshake refused as a bad frame, locking the user out).
 */
export function resumeMap(rec: unknown): Map<string, number> {
  const out = new Map<string, number>();
  if (typeof rec !== 'object' || rec === null) return out;
  for (const [room, seq] of Object.entries(rec)) {
    if (room.length >= 1 && room.length <= 128 && isSeq(seq)) out.set(room, seq);
  }
  return out;
}

/**
 * A Map as a plain record for the wire or a JSON file. Object.fromEntries defines own data
 * properties, so even a `__proto__` key is kept as data (and serialized) instead of setting the
 * prototype. Read the result with Object.hasOwn, never with a bare `rec[key]`.
 */
export function toRecord<V>(map: ReadonlyMap<string, V>): Record<string, V> {
  return Object.fromEntries(map);
}

/** `rec[key]` only when `key` is an own property (not `constructor`, `toString`, `__proto__`...). */
export function ownValue<V>(rec: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return rec !== undefined && Object.hasOwn(rec, key) ? rec[key] : undefined;
}
