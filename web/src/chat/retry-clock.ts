/**
 * When will the SDK try to reconnect? ChatClient does not announce its backoff delay, so the UI
 * observes it through the two things it injects: the WebSocket constructor and the `random` source.
 * After a connection is lost (a close event, or the SDK closing a silent socket) the SDK draws one
 * full-jitter delay, random() * backoffCap(attempt, backoff), synchronously in the same call; this
 * clock records that draw and recomputes the same delay from the exported backoffCap, counting
 * attempts the way the SDK does (reset by every welcome). A new socket means the attempt started.
 * Other random() draws (history-fill retries, made while open) are not inside a loss and are ignored.
 */
import { backoffCap, type BackoffOptions, type WebSocketConstructor, type WebSocketLike } from '../../../src/client/index.js';

type BrowserWebSocketCtor = new (url: string) => WebSocket;

export class RetryClock {
  /** When the next connection attempt starts (ms since epoch), or null when none is scheduled. */
  nextAttemptAt: number | null = null;
  onChange: () => void = () => {};
  private attempt = 0;
  private inLoss = false;

  constructor(
    readonly backoff: BackoffOptions,
    private readonly baseRandom: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** The `random` option for ChatClient. */
  readonly random = (): number => {
    const r = this.baseRandom();
    if (this.inLoss) {
      this.inLoss = false;
      this.nextAttemptAt = this.now() + r * backoffCap(this.attempt++, this.backoff);
      this.onChange();
    }
    return r;
  };

  /** A welcome arrived: the SDK's attempt counter is back to 0. */
  connected(): void {
    this.attempt = 0;
    this.inLoss = false;
    if (this.nextAttemptAt !== null) {
      this.nextAttemptAt = null;
      this.onChange();
    }
  }

  private lossBegins(): void {
    this.inLoss = true;
    // Only draws made in this same synchronous call count.
    queueMicrotask(() => (this.inLoss = false));
  }

  private attemptStarts(): void {
    this.inLoss = false;
    if (this.nextAttemptAt !== null) {
      this.nextAttemptAt = null;
      this.onChange();
    }
  }

  /** The `WebSocket` option for ChatClient: the browser's WebSocket, observed. */
  wrap(WS: BrowserWebSocketCtor): WebSocketConstructor {
    const clock = this;
    return class ObservedWebSocket implements WebSocketLike {
      onopen: WebSocketLike['onopen'] = null;
      onmessage: WebSocketLike['onmessage'] = null;
      onclose: WebSocketLike['onclose'] = null;
      onerror: WebSocketLike['onerror'] = null;
      private readonly ws: WebSocket;

      constructor(url: string) {
        clock.attemptStarts();
        this.ws = new WS(url);
        this.ws.onopen = (ev) => this.onopen?.(ev);
        this.ws.onmessage = (ev) => this.onmessage?.(ev);
        this.ws.onerror = (ev) => this.onerror?.(ev);
        this.ws.onclose = (ev) => {
          clock.lossBegins();
          this.onclose?.(ev);
        };
      }

      get readyState(): number {
        return this.ws.readyState;
      }

      send(data: string): void {
        this.ws.send(data);
      }

      close(code?: number, reason?: string): void {
        clock.lossBegins();
        this.ws.close(code, reason);
      }
    };
  }
}
