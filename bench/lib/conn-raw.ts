/**
 * The lightest client a handshake benchmark can use: a plain TCP socket that writes a fixed HTTP
 * upgrade request (a constant Sec-WebSocket-Key: the server computes its accept value, this client
 * does not check it), waits for `101`, writes the first frames of ./conn-dialect.ts masked with a
 * zero key (allowed by RFC 6455 5.3: the key must be present, any value is accepted), and completes
 * when the dialect sees its ready frame in the bytes that follow. Server frames are read without
 * parsing WebSocket framing: the dialects look for markers (`"type":"welcome"`, `"type":"error"`)
 * that no frame header can contain, and a frame cut by a TCP read boundary is seen once the next
 * read is appended (the unparsed tail is kept, bounded). Used where `ws` itself would make the
 * generator the bottleneck (bench/handshakes.ts). The dialect's replies (ws-naive's `join` after the
 * welcome) are written the same way; a marker is searched for in everything read since the upgrade, so
 * a dialect must not mistake an earlier frame for a later one (theirs look for distinct markers).
 */
import net from 'node:net';
import type { Handshake } from './conn-dialect.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const MAX_TAIL = 256 * 1024;

/** A masked (zero key) client text frame. */
export function clientTextFrame(text: string): Buffer {
  const body = Buffer.from(text);
  const n = body.length;
  const head = n < 126 ? Buffer.from([0x81, 0x80 | n]) : n < 65536 ? Buffer.from([0x81, 0x80 | 126, n >> 8, n & 255]) : null;
  if (!head) throw new Error('frame too large for the raw client');
  return Buffer.concat([head, Buffer.alloc(4), body]);
}

export interface RawTarget {
  host: string;
  port: number;
  path: string;
}

export function rawTarget(url: string): RawTarget {
  const u = new URL(url);
  if (u.protocol !== 'ws:') throw new Error(`raw client: ws:// URLs only, got ${url}`);
  return { host: u.hostname, port: Number(u.port || 80), path: `${u.pathname}${u.search}` };
}

/** Dials once; `done(ok, code)` once the handshake is ready (the socket is then destroyed) or failed. */
export function dialRaw(t: RawTarget, hs: Handshake, localAddress: string | undefined, timeoutMs: number, done: (ok: boolean, code: string) => void): void {
  const request = `GET ${t.path} HTTP/1.1\r\nHost: ${t.host}:${t.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  const sock = net.connect({ host: t.host, port: t.port, localAddress, noDelay: true });
  let upgraded = false;
  let tail = '';
  let over = false;
  const finish = (ok: boolean, code: string) => {
    if (over) return;
    over = true;
    clearTimeout(timer);
    sock.destroy();
    done(ok, code);
  };
  const timer = setTimeout(() => finish(false, 'timeout'), timeoutMs);
  sock.on('connect', () => sock.write(request));
  sock.on('data', (chunk: Buffer) => {
    let text = tail + chunk.toString('latin1');
    if (!upgraded) {
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) {
        tail = text.length > MAX_TAIL ? '' : text;
        return;
      }
      if (!text.startsWith('HTTP/1.1 101')) return finish(false, `http_${text.slice(9, 12)}`);
      upgraded = true;
      for (const f of hs.open()) sock.write(clientTextFrame(f));
      text = text.slice(end + 4);
    }
    const step = hs.frame(text, (reply) => sock.write(clientTextFrame(reply)));
    if (step.kind === 'ready') return finish(true, '');
    if (step.kind === 'failed') return finish(false, step.code);
    tail = text.length > MAX_TAIL ? text.slice(-1024) : text;
  });
  sock.on('error', (e: NodeJS.ErrnoException) => finish(false, e.code ?? 'socket_error'));
  sock.on('close', () => finish(false, upgraded ? 'closed' : 'closed_before_upgrade'));
}
