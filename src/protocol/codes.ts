/**
 * Error codes (strings, carried by `error` frames) and WebSocket close codes.
 * One table, shared by the server and every client; docs/protocol.md mirrors it.
 *
 * Close-code ranges tell a client what to do:
 *   4000-4499  do NOT reconnect automatically: the same attempt would fail the same way
 *              (bad credentials, protocol violation, abuse). A user action is needed.
 *   4500-4999  reconnect with backoff and resume: the server had a transient reason.
 *   1000       normal closure (the client asked for it): stop.
 *   1001/1006/1011/1012/1013  transient (going away, abnormal, server error, restart, try later): reconnect.
 *   1002/1003/1007/1008/1009  protocol violations detected by the WebSocket layer: stop.
 */

export const ErrorCode = {
  /** The frame was not valid JSON. */
  bad_json: 'bad_json',
  /** Valid JSON, but not a valid frame (missing/wrong fields). */
  bad_frame: 'bad_frame',
  /** The `type` is not one this protocol version knows. */
  unknown_type: 'unknown_type',
  /** A binary frame was sent; the protocol is JSON text frames only. */
  binary_unsupported: 'binary_unsupported',
  /** A frame other than `hello` was sent before the handshake finished. */
  handshake_required: 'handshake_required',
  /** A second `hello` on an authenticated connection. */
  already_authenticated: 'already_authenticated',
  /** The handshake did not complete in time. */
  handshake_timeout: 'handshake_timeout',
  /** `hello.v` is not a protocol version this server speaks. */
  unsupported_version: 'unsupported_version',
  /** Name breaks the naming rules (length, characters). */
  name_invalid: 'name_invalid',
  /** Name is held by an online guest or by an account. */
  name_taken: 'name_taken',
  /** Wrong name or password. */
  auth_failed: 'auth_failed',
  /** Session token forged, malformed, or for a user that no longer exists. */
  token_invalid: 'token_invalid',
  /** Session token expired: log in again. */
  token_expired: 'token_expired',
  /**
   * The session was ended by an account change (docs/protocol.md 4.5): the password was changed, the user
   * signed out everywhere, or the account was deleted. A token issued before it no longer works; an open
   * connection gets this error just before the close 4015. Sign in again.
   */
  token_revoked: 'token_revoked',
  /** Too many failed logins for this name or address; wait `retryAfterMs`. */
  login_throttled: 'login_throttled',
  /** Password does not meet the rules (length). */
  password_invalid: 'password_invalid',
  /** No room with that id (or it is private and you are not a member: indistinguishable on purpose). */
  no_such_room: 'no_such_room',
  /** You are not a member of this room (or it does not exist): join it first. Never reveals whether a private room exists. */
  not_member: 'not_member',
  /** The action is not allowed for you (e.g. leaving `general`, inviting to a DM). */
  forbidden: 'forbidden',
  /** A room with that name already exists. */
  room_exists: 'room_exists',
  /** Room name breaks the naming rules. */
  room_invalid: 'room_invalid',
  /** No user with that name. */
  no_such_user: 'no_such_user',
  /**
   * This message id was already used by you for a different message (other room or text): ids must be
   * unique per user for good (use UUIDs). A resend of the same message gets the original ack instead.
   */
  id_conflict: 'id_conflict',
  /** Message text is empty or longer than the limit. */
  text_invalid: 'text_invalid',
  /** `target` (or `replyTo`) is not a message of that room: never sent, deleted, or a change event. */
  no_such_message: 'no_such_message',
  /** Only the author may edit a message (and only the author or an administrator remove it). */
  not_author: 'not_author',
  /** The server's edit window (`editWindowMs`) is over for this message. */
  edit_window_passed: 'edit_window_passed',
  /** Not an allowed reaction: one emoji (a single grapheme cluster) or a shortcode of the fixed set. */
  reaction_invalid: 'reaction_invalid',
  /** A search query without any word to look for, or a cursor that is not one this server gave. */
  search_invalid: 'search_invalid',
  /** The message already has the most distinct reactions allowed (20). */
  too_many_reactions: 'too_many_reactions',
  /** Too many frames: slow down for `retryAfterMs`. Sustained abuse closes with 4010. */
  rate_limited: 'rate_limited',
  /** The store is unavailable: the request was not carried out (a send was NOT acknowledged). Retry. */
  unavailable: 'unavailable',
  /** Unexpected server error: the request was not carried out. */
  internal: 'internal',
  /** This name is banned by an administrator: login, register, guest name and session token are refused (close 4013). */
  banned: 'banned',
  /** An administrator closed this connection (close 4012): sign in again to continue. */
  kicked: 'kicked',
  /** The room is read-only (set by an administrator): sends are refused; reading and history still work. */
  read_only: 'read_only',
  /** Too many open connections for this user or from this address (close 4504): close another tab or wait. */
  too_many_connections: 'too_many_connections',
  /**
   * A per-user or per-address abuse limit was reached (rooms created, rooms joined, invites, registrations):
   * the request was not carried out; `retryAfterMs` when the limit lifts with time. During the handshake
   * (registrations per address) the connection is closed with 4014.
   */
  limit_exceeded: 'limit_exceeded',
  /**
   * Sign-in with the application's own tokens (`hello {auth: {kind: "jwt"}}`, docs/protocol.md 4.6), each
   * closing the handshake with its own code: the token's `exp` has passed (ask the application for a new one);
   */
  jwt_expired: 'jwt_expired',
  /** the token is malformed, its signature is wrong, or its algorithm is not one the server allows; */
  jwt_invalid: 'jwt_invalid',
  /** its key id (`kid`) is in none of the server's keys (the key set was refetched: the key is gone or not yet published); */
  jwt_unknown_key: 'jwt_unknown_key',
  /** a claim is wrong or missing: issuer, audience, `sub`, `exp`, not yet valid (`nbf`), name, `rooms` or `roles` (the message names it); */
  jwt_claim_invalid: 'jwt_claim_invalid',
  /** this server is not configured for JWT sign-in (no jwt-secret, no jwt-jwks-url). */
  jwt_disabled: 'jwt_disabled',
  /**
   * The API key was revoked by an administrator (docs/api.md): the HTTP API answers 401, a WebSocket hello
   * with it is refused (close 4016), and the bot's open connections get this error just before the close 4016.
   */
  key_revoked: 'key_revoked',
  /** HTTP API (docs/api.md): the request is malformed (bad JSON, a field of the wrong type; `issues` lists them): 400. */
  bad_request: 'bad_request',
  /** HTTP API: no credential, or one that is not a valid API key: 401. */
  unauthorized: 'unauthorized',
  /** HTTP API: the API key lacks the scope this route needs: 403. */
  scope_missing: 'scope_missing',
  /** HTTP API: no such route: 404. */
  not_found: 'not_found',
  /** HTTP API: the request body is over the limit (64 KiB): 413. */
  body_too_large: 'body_too_large',
  /** HTTP API: the body is not `application/json`: 415. */
  unsupported_media_type: 'unsupported_media_type',
  /** HTTP API: the route exists, not with this method: 405. */
  method_not_allowed: 'method_not_allowed',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  /** Invalid UTF-8 in a text frame (sent by the WebSocket layer). */
  invalidPayload: 1007,
  /** Frame larger than `limits.maxFrameBytes` (sent by the WebSocket layer). */
  tooLarge: 1009,
  /** Server is draining for restart/shutdown: reconnect (to another node) and resume. */
  serviceRestart: 1012,
  /** This node reaches neither its store nor its bus (cut off from the cluster): reconnect (to another node) and resume. */
  tryAgainLater: 1013,

  // 4000-4499: do not reconnect without user action
  protocolError: 4000,
  handshakeRequired: 4001,
  unsupportedVersion: 4002,
  authFailed: 4003,
  tokenInvalid: 4004,
  tokenExpired: 4005,
  nameInvalid: 4006,
  nameTaken: 4007,
  loginThrottled: 4008,
  flood: 4010,
  passwordInvalid: 4011,
  /** An administrator kicked this user: every connection of the user is closed. A new sign-in is allowed. */
  kicked: 4012,
  /** The user's name was banned by an administrator (also the handshake close of a banned name or token). */
  banned: 4013,
  /** A handshake refused by an abuse limit (`limit_exceeded`: registrations per address): retry after `retryAfterMs`, not automatically. */
  limitExceeded: 4014,
  /** The session was revoked (`token_revoked`: password changed, signed out everywhere, account deleted): sign in again. */
  tokenRevoked: 4015,
  /** JWT sign-in refusals (docs/protocol.md 4.6): get a new token from the application, then sign in again. */
  jwtInvalid: 4020,
  jwtExpired: 4021,
  jwtUnknownKey: 4022,
  jwtClaimInvalid: 4023,
  jwtDisabled: 4024,
  /** The bot's API key was revoked (`key_revoked`): a new key is needed. */
  keyRevoked: 4016,

  // 4500-4999: reconnect with backoff, then resume
  slowConsumer: 4500,
  overloaded: 4501,
  /** Sent by a client's watchdog when it gives up on a silent server (the server terminates silent peers: 1006). */
  heartbeatTimeout: 4502,
  /** No `hello` (or its authentication) in time. Transient: a client whose hello was delayed by an
   *  overloaded network or server retries with backoff. (Protocol v1 drafts used 4009.) */
  handshakeTimeout: 4503,
  /** Too many connections for this user or from this address (`too_many_connections`): reconnect with backoff. */
  tooManyConnections: 4504,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** The close code a handshake error ends the connection with. */
export const handshakeCloseCode: Partial<Record<ErrorCode, CloseCode>> = {
  bad_json: CloseCode.protocolError,
  bad_frame: CloseCode.protocolError,
  unknown_type: CloseCode.protocolError,
  binary_unsupported: CloseCode.protocolError,
  handshake_required: CloseCode.handshakeRequired,
  unsupported_version: CloseCode.unsupportedVersion,
  auth_failed: CloseCode.authFailed,
  token_invalid: CloseCode.tokenInvalid,
  token_expired: CloseCode.tokenExpired,
  token_revoked: CloseCode.tokenRevoked,
  name_invalid: CloseCode.nameInvalid,
  name_taken: CloseCode.nameTaken,
  login_throttled: CloseCode.loginThrottled,
  handshake_timeout: CloseCode.handshakeTimeout,
  password_invalid: CloseCode.passwordInvalid,
  banned: CloseCode.banned,
  too_many_connections: CloseCode.tooManyConnections,
  limit_exceeded: CloseCode.limitExceeded,
  jwt_invalid: CloseCode.jwtInvalid,
  jwt_expired: CloseCode.jwtExpired,
  jwt_unknown_key: CloseCode.jwtUnknownKey,
  jwt_claim_invalid: CloseCode.jwtClaimInvalid,
  jwt_disabled: CloseCode.jwtDisabled,
  key_revoked: CloseCode.keyRevoked,
  unavailable: CloseCode.overloaded,
  internal: CloseCode.overloaded,
};

/** Should a client reconnect after the server closed with `code`? */
export function shouldReconnect(code: number): boolean {
  if (code >= 4500 && code <= 4999) return true;
  if (code >= 4000 && code <= 4499) return false;
  switch (code) {
    case 1000:
    case 1002:
    case 1003:
    case 1007:
    case 1008:
    case 1009:
      return false;
    default:
      return true; // 1001, 1005, 1006, 1011, 1012, 1013, 1014, ...
  }
}
