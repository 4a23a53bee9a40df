/**
 * Decoding of server frames on the client side: JSON, a `batch` flattened into its events. Apart from
 * the validating decoder of client frames (./codec.ts, zod), so that a client importing this never
 * loads the schemas: the SDK trusts the server it connected to and does not validate its frames.
 */
import type { ServerEvent, ServerFrame } from './types.js';

/**
 * Decodes one server text frame into its events (a `batch` is flattened).
 * Throws on invalid JSON: a server never sends it, so it is a fatal protocol error for the client.
 */
export function decodeServerFrame(text: string): ServerEvent[] {
  const frame = JSON.parse(text) as ServerFrame;
  if (frame.type === 'batch') return frame.events;
  return [frame];
}
