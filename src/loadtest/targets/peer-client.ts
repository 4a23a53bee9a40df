/**
 * What the peer targets' load clients share (./ws-naive.ts, ./socketio.ts): one raw `ws` connection
 * with the generator's socket options (no compression, no UTF-8 validation, optional source
 * address), requests waiting for their reply with a timeout, and the connection life reported to
 * the generator. Peers have no resume: a connection lost after the handshake closes the client for
 * good (an error the run reports), it does not reconnect.
 */
import WebSocket from 'ws';
import type { MsgEvent } from '../../protocol/types.js';
import type { ClientHooks, ClientSpec, IncomingMsg, LoadClient } from './types.js';

/** A rejection with an error code (what `codeOf` reads). */
export class PeerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A msg decoded by JSON.parse seen through IncomingMsg (the slow path of the peer decoders). */
export class PlainMsg implements IncomingMsg {
  constructor(private readonly m: Pick<MsgEvent, 'room' | 'seq' | 'id' | 'user' | 'text'>) {}
  get room(): string {
    return this.m.room;
  }
  get seq(): number {
    return this.m.seq;
  }
  get id(): string {
    return this.m.id;
  }
  get user(): string {
    return this.m.user;
  }
  textHead(n: number): string {
    return this.m.text.slice(0, n);
  }
}

interface Waiter {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export abstract class PeerClient implements LoadClient {
  private ws: WebSocket | null = null;
  private readonly waiters = new Map<string | number, Waiter>();
  private closedForGood = false;
  private lastError = '';
  private connectWaiter: { resolve(): void; reject(e: Error): void } | null = null;

  constructor(
    protected readonly spec: ClientSpec,
    protected readonly hooks: ClientHooks,
  ) {}

  /** The WebSocket URL to dial for the URL the user gave. */
  protected abstract socketUrl(url: string): string;
  /** The connection is open: start the handshake (call `handshakeDone` when it completes). */
  protected abstract onSocketOpen(): void;
  /** One received text frame (`hooks.frame()` was already called). */
  protected abstract onText(text: string): void;

  connect(): Promise<void> {
    if (this.ws) return Promise.reject(new PeerError('already_connected', 'connect() was already called'));
    return new Promise<void>((resolve, reject) => {
      this.connectWaiter = { resolve, reject };
      const options: WebSocket.ClientOptions = { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: 30_000, maxPayload: 64 * 1024 * 1024 };
      if (this.spec.sourceIp) options.localAddress = this.spec.sourceIp;
      if (this.spec.insecure) options.rejectUnauthorized = false;
      let ws: WebSocket;
      try {
        ws = new WebSocket(this.socketUrl(this.spec.url), options);
      } catch (err) {
        this.connectWaiter = null;
        this.closedForGood = true;
        const e = new PeerError('bad_url', (err as Error).message);
        this.hooks.state('closed', { resumed: false, reason: e.message, error: e.code });
        reject(e);
        return;
      }
      this.ws = ws;
      ws.on('open', () => this.onSocketOpen());
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        this.hooks.frame();
        if (isBinary) return this.fail('protocol_error', 'binary frame from a text protocol');
        try {
          this.onText(data.toString());
        } catch (err) {
          this.fail('protocol_error', `undecodable frame: ${(err as Error).message}`);
        }
      });
      ws.on('error', (err) => {
        this.lastError = (err as NodeJS.ErrnoException).code ?? err.message;
      });
      ws.on('close', (code) => this.onClose(code));
    });
  }

  /** Writes one text frame (dropped when the socket is not open: the caller's waiter times out or is rejected on close). */
  protected write(text: string): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  /** Sends `text` and waits for the reply settled under `key` (rejects with ack_timeout after ackTimeoutMs). */
  protected request<T>(key: string | number, text: string): Promise<T> {
    if (this.closedForGood || !this.ws) return Promise.reject(new PeerError('not_connected', 'the client is not connected'));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new PeerError('ack_timeout', `no reply within ${this.spec.ackTimeoutMs} ms`));
      }, this.spec.ackTimeoutMs);
      this.waiters.set(key, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.write(text);
    });
  }

  /** Settles the request waiting under `key` (false: nobody waits for it). */
  protected settle(key: string | number, value: unknown, error?: PeerError): boolean {
    const w = this.waiters.get(key);
    if (!w) return false;
    this.waiters.delete(key);
    clearTimeout(w.timer);
    if (error) w.reject(error);
    else w.resolve(value);
    return true;
  }

  /** The handshake completed: the client is open. */
  protected handshakeDone(): void {
    this.hooks.state('open', { resumed: false, reason: 'connected' });
    const w = this.connectWaiter;
    this.connectWaiter = null;
    w?.resolve();
  }

  /** A protocol violation or refused handshake: close for good with this error. */
  protected fail(code: string, message: string): void {
    if (this.closedForGood) return;
    this.finish(code, message);
    this.ws?.close(1002, code.slice(0, 100));
  }

  private onClose(code: number): void {
    if (this.closedForGood) return;
    const error = this.connectWaiter ? (this.lastError || `close_${code}`) : `close_${code}`;
    this.finish(error, `connection closed (${code})${this.lastError ? ` ${this.lastError}` : ''}`);
  }

  private finish(code: string, message: string): void {
    this.closedForGood = true;
    for (const [key, w] of this.waiters) {
      clearTimeout(w.timer);
      this.waiters.delete(key);
      w.reject(new PeerError('connection_lost', message));
    }
    this.hooks.state('closed', { resumed: false, reason: message, error: code });
    const cw = this.connectWaiter;
    this.connectWaiter = null;
    cw?.reject(new PeerError(code, message));
  }

  abstract joinRoom(room: string): Promise<void>;
  abstract send(room: string, text: string, id: string): Promise<number>;

  openDm(): Promise<string> {
    return Promise.reject(new PeerError('unsupported', 'peer targets have no direct messages'));
  }

  /** Peers have no resume: nothing to carry over. */
  session(): unknown {
    return undefined;
  }

  close(): void {
    if (this.closedForGood) return;
    this.closedForGood = true;
    for (const [key, w] of this.waiters) {
      clearTimeout(w.timer);
      this.waiters.delete(key);
      w.reject(new PeerError('closed', 'client closed'));
    }
    const cw = this.connectWaiter;
    this.connectWaiter = null;
    cw?.reject(new PeerError('closed', 'client closed'));
    this.hooks.state('closed', { resumed: false, reason: 'closed by the client' });
    this.ws?.close(1000);
  }
}
