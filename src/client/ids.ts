/**
 * Default id generator: a random per-client prefix plus a counter ("3f9a0c1b2e4d5a6f-1", "-2", ...).
 * Message ids must be unique per user across connections, tabs and devices (the server dedupes
 * resends by id), hence the 64-bit random prefix. Uses Web Crypto when present (browsers, Node >= 19),
 * Math.random otherwise.
 */

function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (c?.getRandomValues) c.getRandomValues(buf);
  else for (let i = 0; i < bytes; i++) buf[i] = Math.floor(Math.random() * 256);
  let s = '';
  for (const b of buf) s += b.toString(16).padStart(2, '0');
  return s;
}

export function createIdFactory(prefix: string = randomHex(8)): () => string {
  let n = 0;
  return () => `${prefix}-${(++n).toString(36)}`;
}
