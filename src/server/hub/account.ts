/**
 * The account requests (docs/protocol.md 4.5): `password`, `signout_all`, `delete_account`.
 * The store and token side is src/server/auth/account.ts; here: the reply, and telling the user's other
 * connections on every node. They are closed the way an admin kick closes them: an `error token_revoked`
 * published on the user's topic with a `close` control (4015), which the node holding each connection
 * carries out (hub.ts `deliver`).
 */
import { CloseCode, ErrorCode } from '../../protocol/codes.js';
import { GLOBAL_ROOM } from '../../protocol/rules.js';
import type { AccountDeletedFrame, ErrorFrame, MemberEvent, PasswordChangedFrame, SignedOutFrame } from '../../protocol/types.js';
import type { ClientFrameOf } from '../../protocol/schema.js';
import type { AccountResult, Accounts } from '../auth/account.js';
import { publishEvent, roomTopic, userTopic, type Bus } from '../bus/bus.js';
import type { HubConn } from './conn.js';

type AccountFrame = 'password' | 'signout_all' | 'delete_account';
export type AccountHandlers = { [T in AccountFrame]: (conn: HubConn, frame: ClientFrameOf<T>) => Promise<void> };

/** Makes the error a handler throws for a refusal (handlers.ts `Refusal`). */
export type MakeRefusal = (code: ErrorCode, message: string, retryAfterMs?: number) => Error;

export function createAccountHandlers(accounts: Accounts | undefined, bus: Bus, refuse: MakeRefusal): AccountHandlers {
  const value = <T>(r: AccountResult<T>): T => {
    if (!r.ok) throw refuse(r.code, r.message, r.retryAfterMs);
    return r.value;
  };
  const service = (): Accounts => {
    if (!accounts) throw refuse(ErrorCode.unavailable, 'account changes are not available on this server');
    return accounts;
  };
  /** Ends the user's sessions on every node: each gets `error token_revoked`, then close 4015. */
  const revoke = (uid: string, message: string, exceptConn?: string): void => {
    const ev: ErrorFrame = { type: 'error', code: ErrorCode.token_revoked, message };
    publishEvent(bus, userTopic(uid), ev, { control: { kind: 'close', code: CloseCode.tokenRevoked, reason: ErrorCode.token_revoked }, ...(exceptConn ? { excludeConn: exceptConn } : {}) });
  };
  const ipOf = (conn: HubConn): string => conn.ip ?? 'unknown';

  return {
    async password(conn, f) {
      const u = conn.user!;
      const { token, expiresAt } = value(await service().changePassword(u, f.current, f.next, ipOf(conn)));
      conn.send({ type: 'password_changed', re: f.id, token, tokenExpiresAt: expiresAt } satisfies PasswordChangedFrame);
      revoke(u.id, 'your password was changed in another session: sign in with the new password', conn.id);
    },

    async signout_all(conn, f) {
      const u = conn.user!;
      value(await service().signOutEverywhere(u));
      conn.send({ type: 'signed_out', re: f.id } satisfies SignedOutFrame);
      revoke(u.id, 'you signed out everywhere');
    },

    async delete_account(conn, f) {
      const u = conn.user!;
      const { rooms } = value(await service().deleteAccount(u, f.password, ipOf(conn)));
      conn.send({ type: 'account_deleted', re: f.id } satisfies AccountDeletedFrame);
      const user = { id: u.id, name: u.name };
      for (const room of rooms) {
        if (room === GLOBAL_ROOM) continue;
        publishEvent(bus, roomTopic(room), { type: 'member', room, user, action: 'left' } satisfies MemberEvent);
      }
      revoke(u.id, 'this account was deleted');
    },
  };
}
