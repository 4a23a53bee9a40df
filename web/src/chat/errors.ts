/** Error texts shown to the user. */
import { ChatError } from '../../../src/client/index.js';

export function describeError(err: unknown): string {
  if (err instanceof ChatError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Why a message was not sent, in the user's terms (server refusals already are). */
export function sendFailure(err: unknown): string {
  if (err instanceof ChatError) {
    if (err.code === 'timeout') return 'the server did not confirm it in time';
    if (err.code === 'closed') return 'the connection was closed';
  }
  return describeError(err);
}
