/**
 * Which WebSocket constructor a ChatClient uses: the one passed in `options.WebSocket`, else the
 * runtime's global one (browsers, Deno, Bun, Node 22+). Node 20 has no global WebSocket: a bot there
 * passes the `ws` package's (`import WebSocket from 'ws'`), an optional peer dependency of the SDK,
 * never imported by it, so the browser bundle stays free of it.
 */
import type { WebSocketConstructor } from './types.js';

export function resolveWebSocket(given: WebSocketConstructor | undefined): WebSocketConstructor {
  if (given) return given;
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof global === 'function') return global;
  throw new TypeError(
    'ChatClient: this runtime has no global WebSocket (Node 20): install the ws package and pass it, ' +
      "e.g. `import WebSocket from 'ws'; new ChatClient({ url, auth, WebSocket })`",
  );
}
