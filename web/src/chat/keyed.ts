/** Immutable updates of the store's per-room Maps (see ChatState in ./types.ts). */

/** A copy of `map` with `key` set to `value`. */
export function withKey<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> {
  return new Map(map).set(key, value);
}
