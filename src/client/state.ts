/**
 * The connection state machine, kept in one place so every transition is explicit and checked.
 *
 *   idle ──connect()──> connecting ──welcome──> open
 *     │                    │  │                  │
 *     │                    │  └─transient close──┴──> reconnecting ──welcome──> open
 *     │                    │                             (backoff, new socket, hello with token+resume)
 *     └──close()──> closed <── terminal close / close() from any state but closed
 *
 * - 'connecting' is the first attempt only; once a connection has failed or dropped the client
 *   stays 'reconnecting' (across any number of attempts) until a welcome arrives.
 * - 'closed' is terminal: a ChatClient is not reused (create a new one, e.g. from session()).
 *   It carries the error when the close was not the user's close() (auth failed, token expired,
 *   protocol violation...).
 */
import type { ChatError } from './errors.js';

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StateChange {
  from: ConnectionState;
  to: ConnectionState;
  /** Human-readable cause, e.g. 'connect()', 'welcome', 'closed 1012', 'watchdog', 'close()'. */
  reason: string;
  /** Set when `to` is 'closed' and the close was not requested by the user. */
  error?: ChatError;
}

export const TRANSITIONS: Readonly<Record<ConnectionState, readonly ConnectionState[]>> = {
  idle: ['connecting', 'closed'],
  connecting: ['open', 'reconnecting', 'closed'],
  open: ['reconnecting', 'closed'],
  reconnecting: ['open', 'closed'],
  closed: [],
};

export function canTransition(from: ConnectionState, to: ConnectionState): boolean {
  return TRANSITIONS[from].includes(to);
}

export class StateMachine {
  private current: ConnectionState = 'idle';
  private terminalError: ChatError | undefined;

  constructor(private readonly onChange: (change: StateChange) => void) {}

  get state(): ConnectionState {
    return this.current;
  }

  /** The error 'closed' was entered with (undefined for a user close or when not closed). */
  get error(): ChatError | undefined {
    return this.terminalError;
  }

  /**
   * Moves to `next` and notifies. A move to the current state is a no-op (returns false);
   * any other transition not in TRANSITIONS throws (it is a bug in the client).
   */
  set(next: ConnectionState, reason: string, error?: ChatError): boolean {
    const from = this.current;
    if (next === from) return false;
    if (!canTransition(from, next)) throw new Error(`invalid state transition ${from} -> ${next} (${reason})`);
    this.current = next;
    if (next === 'closed') this.terminalError = error;
    const change: StateChange = { from, to: next, reason };
    if (next === 'closed' && error) change.error = error;
    this.onChange(change);
    return true;
  }
}
