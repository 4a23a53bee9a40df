/**
 * Errors of the HTTP API: `{error: {code, message}}` with a string code of src/protocol/codes.ts and the
 * HTTP status that goes with it. A refusal of the chat's handlers (hub/handlers.ts `Refusal`, or an
 * `error` frame the pipeline answered with) keeps its code; its status comes from STATUS.
 */
import { ErrorCode } from '../../protocol/codes.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { issues?: { path: (string | number)[]; message: string }[]; retryAfterMs?: number; allow?: string } = {},
  ) {
    super(message);
  }
}

/** The HTTP status of each chat refusal code (anything else: 400). */
const STATUS = new Map<string, number>([
  [ErrorCode.not_member, 403],
  [ErrorCode.forbidden, 403],
  [ErrorCode.read_only, 403],
  [ErrorCode.banned, 403],
  [ErrorCode.no_such_room, 404],
  [ErrorCode.no_such_user, 404],
  [ErrorCode.no_such_message, 404],
  [ErrorCode.room_exists, 409],
  [ErrorCode.id_conflict, 409],
  [ErrorCode.name_taken, 409],
  [ErrorCode.rate_limited, 429],
  [ErrorCode.limit_exceeded, 429],
  [ErrorCode.unavailable, 503],
  [ErrorCode.internal, 500],
  [ErrorCode.auth_failed, 401],
  [ErrorCode.key_revoked, 401],
  [ErrorCode.token_invalid, 401],
  [ErrorCode.token_expired, 401],
  [ErrorCode.token_revoked, 401],
]);

export function refusalError(code: string, message: string, retryAfterMs?: number): ApiError {
  return new ApiError(STATUS.get(code) ?? 400, code, message, retryAfterMs !== undefined ? { retryAfterMs } : {});
}
