/**
 * The one error class the SDK rejects with. `code` is a protocol ErrorCode (from an `error` frame)
 * or one of the client-side codes:
 *   'timeout'       no reply / ack within requestTimeoutMs / ackTimeoutMs
 *   'closed'        the client is closed (close() was called, or a terminal close happened)
 *   'disconnected'  the connection dropped after a non-idempotent request (create, leave, invite)
 *                   was sent: it may or may not have been carried out, so it is not resent.
 * Terminal closes also carry the WebSocket `closeCode`.
 */
import type { ErrorCode } from '../protocol/codes.js';
import type { ErrorFrame } from '../protocol/types.js';

export type ChatErrorCode = ErrorCode | 'timeout' | 'closed' | 'disconnected';

export class ChatError extends Error {
  override readonly name = 'ChatError';
  readonly code: ChatErrorCode;
  /** For rate_limited / login_throttled / unavailable: wait this long before retrying. */
  readonly retryAfterMs?: number;
  /** For terminal connection failures: the WebSocket close code. */
  readonly closeCode?: number;

  constructor(code: ChatErrorCode, message: string, extra: { retryAfterMs?: number; closeCode?: number } = {}) {
    super(message);
    this.code = code;
    if (extra.retryAfterMs !== undefined) this.retryAfterMs = extra.retryAfterMs;
    if (extra.closeCode !== undefined) this.closeCode = extra.closeCode;
  }

  static fromFrame(frame: ErrorFrame, closeCode?: number): ChatError {
    return new ChatError(frame.code, frame.message, { retryAfterMs: frame.retryAfterMs, closeCode });
  }
}
