/**
 * The first thing `scale-chat serve` tells a person: the address to open once it listens. A wildcard
 * listen address (0.0.0.0, ::) is not one a browser can open, so it becomes `localhost`; an IPv6
 * address is bracketed; TLS gives https/wss; the scheme's own port is left out.
 */
import { isIP } from 'node:net';

export interface OpenUrls {
  /** The web UI (or the page saying how to build it): http(s)://host[:port]/ */
  http: string;
  /** The WebSocket endpoint: ws(s)://host[:port]/ws */
  ws: string;
}

const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]', '::0', '0:0:0:0:0:0:0:0']);

export function openUrls(host: string, port: number, tls: boolean): OpenUrls {
  const h = host.trim();
  let shown = WILDCARDS.has(h) ? 'localhost' : h;
  if (isIP(shown) === 6) shown = `[${shown}]`;
  const defaultPort = tls ? 443 : 80;
  const authority = port === defaultPort ? shown : `${shown}:${port}`;
  return { http: `${tls ? 'https' : 'http'}://${authority}/`, ws: `${tls ? 'wss' : 'ws'}://${authority}/ws` };
}

/** The one line printed once the server listens (to stderr: stdout stays a stream of JSON log lines). */
export function runningLine(host: string, port: number, tls: boolean, webUi: boolean): string {
  const u = openUrls(host, port, tls);
  return webUi
    ? `scale-chat is running: open ${u.http} (WebSocket clients: ${u.ws})`
    : `scale-chat is running: WebSocket clients connect to ${u.ws}; no web UI is built here (npm run build:web), ${u.http} says so`;
}
