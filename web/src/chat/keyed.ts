/** Immutable updates of the store's per-room Maps (see ChatState in ./types.ts). */

/** A copy of `map` with `key` set to `value`. */
export function withKey<V>(map: ReadonlyMap<string, V>, key: string, value: V): ReadonlyMap<string, V> {
  return new Map(map).set(key, value);
}
