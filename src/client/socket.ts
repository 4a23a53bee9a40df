/**
 * One WebSocket at a time, for ChatClient: opening with the injected constructor, JSON framing,
 * un-batching of server frames, the watchdog, and a generation counter so that events of a socket
 * that was dropped are ignored (no handler is ever nulled: the `ws` package throws on an 'error'
 * event without a listener).
 *
 * Watchdog: any frame re-arms it; after heartbeatMs * 2 + graceMs of silence the socket is closed
 * with 4502 and reported lost, without waiting for a close handshake that may never come.
 *
 * Reply probe: a connection that went silent while something waits for an answer (a frame with an
 * `id`: a send or a request) need not wait for the heartbeat. After probeMs without any frame since
 * that write, an app-level `ping` goes out; after probeMs more of silence the socket is lost the same
 * way (4502, "watchdog (no reply)"), so a node that was paused or cut off costs 2 * probeMs, not
 * 2 * heartbeatMs. Any frame from the server ends the probe: a slow answer on a live link is not a
 * dead link.
 */
import { CloseCode } from '../protocol/codes.js';
import type { ClientFrame } from '../protocol/schema.js';
import { decodeServerFrame } from '../protocol/server-frame.js';
import type { ServerEvent } from '../protocol/types.js';
import type { WebSocketConstructor, WebSocketLike } from './types.js';

export interface SocketHandlers {
  /** The socket opened: time to send hello. */
  open(): void;
  /** One server event (batches are already flattened). */
  event(ev: ServerEvent): void;
  /** The socket is gone (closed by the server, failed to connect, or watchdog). Not called after drop(). */
  lost(code: number, reason: string): void;
  /** The server sent a frame that is not JSON. */
  badFrame(): void;
}

export class Socket {
  private ws: WebSocketLike | null = null;
  private gen = 0;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  /** The reply probe's timer, and whether its ping went out (see the header). */
  private probe: ReturnType<typeof setTimeout> | undefined;
  private probed = false;
  /** Expected server heartbeat interval (updated from welcome). */
  heartbeatMs: number;

  constructor(
    private readonly ctor: WebSocketConstructor,
    private readonly url: string,
    private readonly graceMs: number,
    heartbeatMs: number,
    private readonly on: SocketHandlers,
    /** Frame decoder (ChatClientOptions.decodeFrame). */
    private readonly decode: (data: string) => ServerEvent[] = decodeServerFrame,
    /** The reply probe (0: off) and the ping frame it sends. */
    private readonly probeMs = 0,
    private readonly probeFrame: () => ClientFrame = () => ({ type: 'ping', id: 'probe' }),
  ) {
    this.heartbeatMs = heartbeatMs;
  }

  /** Generation of the current socket: compare before/after calling out to detect a drop. */
  get generation(): number {
    return this.gen;
  }

  /** Opens a new socket (dropping any current one). Throws if the constructor throws (bad URL). */
  open(): void {
    this.drop(CloseCode.normal, 'replaced');
    const gen = this.gen;
    const ws = new this.ctor(this.url);
    this.ws = ws;
    ws.onopen = () => gen === this.gen && this.on.open();
    ws.onmessage = (ev) => gen === this.gen && this.onData(ev.data);
    ws.onclose = (ev) => gen === this.gen && this.lost(ev.code, ev.reason || `closed ${ev.code}`);
    ws.onerror = () => {}; // a close event follows
    this.armWatchdog();
  }

  /** Writes a frame; false when there is no socket or it refuses (a close event will follow). */
  send(frame: ClientFrame): boolean {
    if (!this.ws) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      if ('id' in frame && this.probeMs > 0 && this.probe === undefined) this.armProbe();
      return true;
    } catch {
      return false;
    }
  }

  /** Forgets the current socket (its later events are ignored) and closes it with `code`. */
  drop(code: number, reason: string): void {
    const ws = this.ws;
    this.gen++;
    this.ws = null;
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.endProbe();
    if (!ws) return;
    try {
      ws.close(code, reason);
    } catch {
      /* already closing */
    }
  }

  armWatchdog(): void {
    clearTimeout(this.watchdog);
    const gen = this.gen;
    this.watchdog = setTimeout(() => {
      if (gen !== this.gen) return;
      this.drop(CloseCode.heartbeatTimeout, 'no frame from the server');
      this.on.lost(CloseCode.heartbeatTimeout, 'watchdog');
    }, this.heartbeatMs * 2 + this.graceMs);
  }

  private armProbe(): void {
    const gen = this.gen;
    this.probe = setTimeout(() => {
      if (gen !== this.gen) return;
      if (!this.probed) {
        this.probed = true;
        this.send(this.probeFrame());
        this.armProbe();
        return;
      }
      this.drop(CloseCode.heartbeatTimeout, 'no reply from the server');
      this.on.lost(CloseCode.heartbeatTimeout, 'watchdog (no reply)');
    }, this.probeMs);
  }

  private endProbe(): void {
    clearTimeout(this.probe);
    this.probe = undefined;
    this.probed = false;
  }

  private lost(code: number, reason: string): void {
    this.drop(CloseCode.normal, reason);
    this.on.lost(code, reason);
  }

  private onData(data: unknown): void {
    this.armWatchdog();
    this.endProbe();
    if (typeof data !== 'string') return; // binary frames are not part of the protocol
    let events: ServerEvent[];
    try {
      events = this.decode(data);
    } catch {
      this.on.badFrame();
      return;
    }
    const gen = this.gen;
    for (const ev of events) {
      if (gen !== this.gen) return; // dropped by a handler (close(), lost...)
      if (ev && typeof ev === 'object') this.on.event(ev);
    }
  }
}
