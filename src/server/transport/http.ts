/**
 * Plain HTTP routes beside the WebSocket endpoint: health, readiness, metrics, and the web UI's files.
 * Every response carries the security headers of `securityHeaders` (CSP, frame and sniffing protection,
 * referrer policy, HSTS with TLS); a request target that does not parse (request-target.ts) is answered
 * 400 or 414 before any route sees it.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline, type Duplex } from 'node:stream';
import { parseRequestTarget, STATUS_TEXT } from '../common/request-target.js';

export interface HttpDeps {
  ready(): boolean;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Directory of the built web UI, or '' for none. */
  webDir: string;
  /** The server speaks https/wss: responses carry Strict-Transport-Security. */
  tls?: boolean;
  /** The admin API (src/server/admin), for paths under /admin/api/. */
  admin?: { prefix: string; handle(req: IncomingMessage, res: ServerResponse): Promise<void> };
  /** The HTTP API for backends (src/server/api), for paths under /api/v1/. */
  api?: { prefix: string; handle(req: IncomingMessage, res: ServerResponse): Promise<void> };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

const NO_UI = `<!doctype html><meta charset="utf-8"><title>scale-chat</title>
<p>scale-chat is running. WebSocket endpoint: <code>/ws</code> (see docs/protocol.md). The web UI is not built on this server.</p>`;

/** A Host header that may be named in the CSP (a DNS name or an IP literal, optional port): nothing else is echoed. */
const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The headers every HTTP response carries. The web UI (web/dist, built by Vite) loads only its own
 * script and stylesheet files (no inline script or style element; React sets element styles through the
 * CSSOM, which CSP allows), an inline SVG favicon (`data:`), and opens its WebSocket to the page's own
 * host: `'self'` covers ws:/wss: of the same host in current browsers, the explicit `ws://host wss://host`
 * older ones.
 */
export function securityHeaders(host: string | undefined, tls: boolean): Record<string, string> {
  const ws = host && HOST_RE.test(host) ? ` ws://${host} wss://${host}` : '';
  const h: Record<string, string> = {
    'content-security-policy':
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
      `connect-src 'self'${ws}; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  };
  if (tls) h['strict-transport-security'] = 'max-age=31536000';
  return h;
}

export function createHttpHandler(deps: HttpDeps) {
  const root = deps.webDir ? path.resolve(deps.webDir) : '';
  const tls = Boolean(deps.tls);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Set before any route writes: writeHead (here and in the admin router) merges them in.
    for (const [k, v] of Object.entries(securityHeaders(req.headers.host, tls))) res.setHeader(k, v);
    const send = (status: number, type: string, body: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra }).end(body);
    };
    const parsed = parseRequestTarget(req.url);
    if (!parsed.ok) return send(parsed.status, 'text/plain; charset=utf-8', `${parsed.reason}\n`, { connection: 'close' });
    const target = parsed.target;
    try {
      if (deps.admin && target.path.startsWith(deps.admin.prefix)) return await deps.admin.handle(req, res);
      if (deps.api && target.path.startsWith(deps.api.prefix)) return await deps.api.handle(req, res);
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' });
      switch (target.path) {
        case '/healthz':
          return send(200, 'application/json', '{"status":"ok"}\n');
        case '/readyz':
          return deps.ready() ? send(200, 'application/json', '{"status":"ready"}\n') : send(503, 'application/json', '{"status":"not ready"}\n');
        case '/metrics': {
          let m;
          try {
            m = await deps.metrics();
          } catch (err) {
            return send(503, 'text/plain', `metrics unavailable: ${(err as Error).message}\n`);
          }
          return send(200, m.contentType, m.body);
        }
      }
      if (!root) return target.path === '/' ? send(200, TYPES['.html'], NO_UI) : send(404, 'text/plain', 'not found\n');
      // Static files; unknown paths fall back to index.html (single-page app). The path is decoded and free
      // of dot segments (request-target.ts); the check below keeps any file outside the root unreachable anyway.
      let file = path.resolve(root, '.' + target.path);
      if (!file.startsWith(root + path.sep) && file !== root) return send(404, 'text/plain', 'not found\n');
      if (!existsSync(file) || statSync(file).isDirectory()) file = path.join(root, 'index.html');
      if (!existsSync(file)) return send(404, 'text/plain', 'not found\n');
      const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
      const immutable = file.includes(`${path.sep}assets${path.sep}`);
      res.writeHead(200, { 'content-type': type, 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
      if (req.method === 'HEAD') return void res.end();
      // pipeline: a read error (file removed meanwhile) destroys the response instead of going unhandled.
      pipeline(createReadStream(file), res, () => {});
    } catch {
      if (!res.headersSent) send(500, 'text/plain', 'internal error\n');
      else res.destroy();
    }
  };
}

/** Timeouts and header limits of the HTTP(S) server (createServer options), from the config. */
export function httpServerOptions(c: { httpHeadersTimeoutMs: number; httpRequestTimeoutMs: number; httpKeepAliveTimeoutMs: number }) {
  return {
    // A request head (request line + headers, upgrades included) must be complete within headersTimeout,
    // the whole request within requestTimeout; Node checks every connectionsCheckingInterval (default 30 s:
    // far too coarse for a 10 s bound), so a slow sender is closed within timeout + interval.
    headersTimeout: c.httpHeadersTimeoutMs,
    requestTimeout: c.httpRequestTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(c.httpHeadersTimeoutMs / 4))),
    keepAliveTimeout: c.httpKeepAliveTimeoutMs,
    /** Bytes of request line + headers (Node's default, stated); more: 431. */
    maxHeaderSize: MAX_HEADER_BYTES,
  };
}

/** Largest request head in bytes; beyond it the server answers 431. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Most header lines read per request (Node's default is 2000); the rest are ignored. */
export const MAX_HEADERS_COUNT = 100;

/** A response written straight to the socket (no body: the request, maybe a HEAD, could not be read). */
function rawResponse(status: number, text: string): string {
  return `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nCache-Control: no-store\r\nContent-Length: 0\r\n\r\n`;
}

/** Ends a raw socket with `response`, then destroys it (at once if it cannot be flushed within a second). */
function endSocket(socket: Duplex, response: string): void {
  socket.on('error', () => socket.destroy());
  const t = setTimeout(() => socket.destroy(), 1000);
  t.unref();
  socket.end(response, () => {
    clearTimeout(t);
    socket.destroy();
  });
}

/**
 * The server's `clientError` handler: a request Node's parser refused (malformed request line or headers,
 * bad Content-Length, both Content-Length and chunked, ...), a head over MAX_HEADER_BYTES, or a request not
 * complete in time is answered 400, 431 or 408 when the socket can still take it, then closed.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const current = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  endSocket(socket, rawResponse(status, STATUS_TEXT.get(status)!));
}

/** The server's `connect` handler: CONNECT (a proxy method) is not served: 405, closed. */
export function refuseConnect(_req: IncomingMessage, socket: Duplex): void {
  endSocket(socket, rawResponse(405, 'Method Not Allowed'));
}
