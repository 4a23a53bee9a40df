/**
 * A raw WebSocket test client (no SDK): sends exactly what a test writes, records every event
 * (batches flattened) and every close, and waits for events by predicate.
 */
import WebSocket from 'ws';
import type { ServerEvent, WelcomeFrame } from '../../src/protocol/types.js';

export class RawClient {
  readonly events: ServerEvent[] = [];
  frames = 0;
  closed: { code: number; reason: string } | null = null;
  private cursor = 0;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      this.frames++;
      const f = JSON.parse(data.toString()) as ServerEvent | { type: 'batch'; events: ServerEvent[] };
      if (isBinary) throw new Error('server sent a binary frame');
      if (f.type === 'batch') this.events.push(...f.events);
      else this.events.push(f);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    ws.on('error', () => {});
  }

  static open(url: string, opts: WebSocket.ClientOptions = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, opts);
      const c = new RawClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  /** Opens, says hello as a guest (or with `auth`), and returns the welcome. */
  static async guest(url: string, name: string, extra: Record<string, unknown> = {}): Promise<{ c: RawClient; welcome: WelcomeFrame }> {
    const c = await RawClient.open(url);
    c.send({ type: 'hello', v: 1, auth: { kind: 'guest', name }, ...extra });
    const welcome = (await c.next((e) => e.type === 'welcome' || e.type === 'error')) as WelcomeFrame;
    if (welcome.type !== 'welcome') throw new Error(`hello refused: ${JSON.stringify(welcome)}`);
    return { c, welcome };
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  /** Next event (after the previous `next`) matching `pred`; events skipped over stay in `events`. */
  async next<T extends ServerEvent = ServerEvent>(pred: (e: ServerEvent) => boolean = () => true, timeoutMs = 5000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.events.length) {
        const e = this.events[this.cursor++];
        if (pred(e)) return e as T;
      }
      if (this.closed) throw new Error(`closed (${this.closed.code} ${this.closed.reason}) while waiting`);
      const left = until - Date.now();
      if (left <= 0) throw new Error('timed out waiting for an event');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Sends a request with `id` and waits for its reply (`re` = id, or `ack` with that id). */
  async request<T extends ServerEvent = ServerEvent>(frame: { type: string; id: string } & Record<string, unknown>, timeoutMs = 5000): Promise<T> {
    this.send(frame);
    return this.next<T>((e) => ('re' in e && e.re === frame.id) || (e.type === 'ack' && e.id === frame.id), timeoutMs);
  }

  /** Waits for the server to close; returns the close code. */
  async waitClose(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    const until = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > until) throw new Error('timed out waiting for close');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.closed;
  }

  /** Events seen so far of a type. */
  all<T extends ServerEvent>(type: T['type']): T[] {
    return this.events.filter((e) => e.type === type) as T[];
  }

  close(): void {
    this.ws.close();
  }
}
