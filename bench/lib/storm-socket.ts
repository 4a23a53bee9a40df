/**
 * The storm's two WebSocket transports under the SDK (which injects its WebSocket constructor):
 * `ws` (what the load generator uses), and a lean one. The lean transport: the browser API subset the SDK
 * injects (src/client/types.ts WebSocketLike: on{open,message,close,error}, send, close, readyState)
 * over a bare `net.Socket`, so that 10,000 clients per generator process cost the generator little
 * more than their sockets. The SDK above it (backoff, token hello with resume seqs, replay, resend,
 * dedup) is unchanged; only `ws` + `http.request` are replaced (each of their connection attempts
 * costs a ClientRequest, an HTTP parser, a random key and several streams: most of the generator's
 * CPU in a storm).
 *
 * What it does (RFC 6455, client side, as much as scale-chat needs):
 *  - the upgrade: `GET <path>` with a fixed Sec-WebSocket-Key (the server only checks its form; this
 *    client does not check Sec-WebSocket-Accept: it talks to the server under test on loopback), then
 *    any response but `101` is a failed attempt (`error` with the status, close 1006), and so is no
 *    `101` within 30 s (the `ws` transport's handshakeTimeout);
 *  - server frames (never masked): text (continuations joined), ping (answered with pong), pong,
 *    close (answered, code and reason reported); a frame it cannot read closes with 1002;
 *  - client frames: text and close, masked as the RFC requires, with the all-zero mask (the server
 *    accepts any mask; XOR with zero leaves the payload as it is, so nothing is copied for masking);
 *  - `close` events: the peer's close code, 1005 for a close frame without one, 1006 when the TCP
 *    connection ended without a close frame (refused, reset, server killed).
 */
import net from 'node:net';
import WebSocket from 'ws';
import type { WebSocketConstructor, WebSocketLike } from '../../src/client/index.js';

export type Transport = 'lean' | 'ws';

/** Told about each socket a client opens: the storm records attempts and why they failed. */
export interface SocketObserver {
  /** A socket was opened (a connection attempt starts); returns the attempt's handlers. */
  attempt(): { error(why: string): void; closed(code: number): void };
}

const KEY = 'c2NhbGUtY2hhdC1zdG9ybQ=='; // base64 of 16 bytes: "scale-chat-storm"
/** Connect + upgrade bound, as the `ws` transport's handshakeTimeout. */
const HANDSHAKE_TIMEOUT_MS = 30_000;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

function frame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + 4 + n);
  out[0] = 0x80 | opcode;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
  out.writeUInt32BE(0, head); // the mask key: zero
  payload.copy(out, head + 4);
  return out;
}

type Handler<E> = ((ev: E) => void) | null;

class LeanSocket implements WebSocketLike {
  readyState = 0;
  onopen: Handler<unknown> = null;
  onmessage: Handler<{ data: unknown }> = null;
  onclose: Handler<{ code: number; reason: string }> = null;
  onerror: Handler<unknown> = null;
  private readonly sock: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private upgraded = false;
  private fragments: Buffer[] = [];
  private closeCode = 1006;
  private closeReason = '';
  private readonly report: ReturnType<SocketObserver['attempt']>;

  constructor(url: string, localAddress: string, observer: SocketObserver) {
    const u = new URL(url);
    this.report = observer.attempt();
    this.sock = net.connect({ host: u.hostname, port: Number(u.port), localAddress });
    this.sock.setNoDelay(true);
    this.sock.setTimeout(HANDSHAKE_TIMEOUT_MS, () => this.fail(1006, 'handshake timeout'));
    this.sock.on('connect', () => {
      this.sock.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    this.sock.on('data', (d: Buffer) => this.onData(d));
    this.sock.on('error', (err: Error & { code?: string }) => {
      this.report.error(err.code ?? err.message.slice(0, 40));
      this.onerror?.(err);
    });
    this.sock.on('close', () => {
      this.readyState = CLOSED;
      this.report.closed(this.closeCode);
      this.onclose?.({ code: this.closeCode, reason: this.closeReason });
    });
  }

  send(data: string): void {
    if (this.readyState !== OPEN) throw new Error('not open');
    this.sock.write(frame(0x1, Buffer.from(data)));
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === OPEN) {
      const p = Buffer.allocUnsafe(2 + Buffer.byteLength(reason));
      p.writeUInt16BE(code, 0);
      p.write(reason, 2);
      this.sock.end(frame(0x8, p));
      this.readyState = CLOSING;
    } else if (this.readyState !== CLOSED) this.sock.destroy();
  }

  private fail(code: number, why: string): void {
    this.closeCode = code;
    this.closeReason = why;
    this.report.error(why);
    this.sock.destroy();
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    if (!this.upgraded) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(this.buf.toString('latin1', 0, Math.min(end, 64)))?.[1];
      if (status !== '101') return this.fail(1006, `HTTP ${status ?? '?'}`);
      this.upgraded = true;
      this.sock.setTimeout(0);
      this.buf = this.buf.subarray(end + 4);
      this.readyState = OPEN;
      this.onopen?.({});
    }
    this.readFrames();
  }

  private readFrames(): void {
    while (this.buf.length >= 2 && this.readyState !== CLOSED) {
      const b0 = this.buf[0];
      const b1 = this.buf[1];
      if (b1 & 0x80) return this.fail(1002, 'masked server frame');
      let len = b1 & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        at = 10;
      }
      if (this.buf.length < at + len) return;
      const payload = this.buf.subarray(at, at + len);
      this.buf = this.buf.subarray(at + len);
      this.onFrame(b0 & 0x80, b0 & 0x0f, payload);
    }
  }

  private onFrame(fin: number, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case 0x0:
      case 0x1: {
        this.fragments.push(payload);
        if (!fin) return;
        const text = this.fragments.length === 1 ? payload.toString() : Buffer.concat(this.fragments).toString();
        this.fragments = [];
        this.onmessage?.({ data: text });
        return;
      }
      case 0x8:
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.closeReason = payload.length > 2 ? payload.toString('utf8', 2) : '';
        if (this.readyState === OPEN) this.sock.end(frame(0x8, payload.subarray(0, 2)));
        this.readyState = CLOSING;
        return;
      case 0x9:
        if (this.readyState === OPEN) this.sock.write(frame(0xa, payload));
        return;
      case 0xa:
        return;
      default:
        this.fail(1002, `opcode ${opcode}`);
    }
  }
}

/** A WebSocket constructor for one client: its source address, its attempts told to `observer`. */
export function leanSocketClass(localAddress: string, observer: SocketObserver): WebSocketConstructor {
  return class extends LeanSocket {
    constructor(url: string) {
      super(url, localAddress, observer);
    }
  };
}

/** The `ws` package with the load generator's options (src/loadtest/targets/scale-chat.ts), attempts told to `observer`. */
export function wsSocketClass(localAddress: string, observer: SocketObserver): WebSocketConstructor {
  const options: WebSocket.ClientOptions = { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: 30_000, localAddress };
  return class extends WebSocket {
    constructor(url: string) {
      super(url, options);
      const report = observer.attempt();
      this.on('error', (err: Error & { code?: string }) => {
        const status = /server response: (\d+)/.exec(err.message)?.[1];
        report.error(err.code ?? (status ? `HTTP ${status}` : err.message.slice(0, 40)));
      });
      this.on('close', (code: number) => report.closed(code));
    }
  } as unknown as WebSocketConstructor;
}

export function socketClass(transport: Transport, localAddress: string, observer: SocketObserver): WebSocketConstructor {
  return transport === 'lean' ? leanSocketClass(localAddress, observer) : wsSocketClass(localAddress, observer);
}
