/**
 * One HTTP API request as the chat's handlers see a connection (hub/conn.ts HubConn): the bot user, the
 * one room the request is about (when the bot is a member), and the first reply or error a handler or
 * the message pipeline gives it, which the route turns into the HTTP response. It is never registered in
 * the hub (no `hub.enter`): it receives no room events, and nothing keeps it once answered.
 */
import type { ErrorCode } from '../../protocol/codes.js';
import type { ServerEvent } from '../../protocol/types.js';
import type { ConnUser, HubConn } from '../hub/conn.js';
import type { UserRecord } from '../store/store.js';

export type ApiReply = { kind: 'event'; event: ServerEvent } | { kind: 'raw'; data: Buffer } | { kind: 'error'; code: ErrorCode; message: string; retryAfterMs?: number };

let counter = 0;

export class ApiConn implements HubConn {
  readonly id: string;
  readonly user: ConnUser;
  readonly rooms = new Set<string>();
  readonly presence = false;
  private settle: ((r: ApiReply) => void) | null = null;
  private readonly answer: Promise<ApiReply>;

  constructor(nodeId: string, u: UserRecord, readonly ip: string) {
    this.id = `${nodeId}-api${++counter}`;
    this.user = { id: u.id, name: u.name, nameKey: u.nameKey, account: u.account, ...(u.bot ? { bot: true } : {}) };
    this.answer = new Promise((resolve) => (this.settle = resolve));
  }

  private done(r: ApiReply): void {
    const s = this.settle;
    this.settle = null;
    s?.(r);
  }

  /** The first reply, or `unavailable` after `timeoutMs` (the store did not answer in time). */
  reply(timeoutMs: number): Promise<ApiReply> {
    let t: NodeJS.Timeout | undefined;
    const late = new Promise<ApiReply>((resolve) => {
      t = setTimeout(() => resolve({ kind: 'error', code: 'unavailable', message: 'the server did not answer in time: retry (with the same idempotency key)' }), timeoutMs);
    });
    return Promise.race([this.answer, late]).finally(() => clearTimeout(t));
  }

  backlogged(): boolean {
    return false;
  }
  send(event: ServerEvent): void {
    this.done({ kind: 'event', event });
  }
  push(data: Buffer): void {
    this.done({ kind: 'raw', data });
  }
  deliver(): void {}
  hold(): void {}
  release(): void {}
  error(code: ErrorCode, message: string, _re?: string, retryAfterMs?: number): void {
    this.done({ kind: 'error', code, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  close(): void {}
}
