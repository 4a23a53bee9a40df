/**
 * The saved session: only the signed session token, in localStorage, so a reload signs the same
 * user in again. Storage can be unavailable (private modes, quotas): then nothing is kept.
 */

const KEY = 'scale-chat.session';

export interface SavedSession {
  token: string;
}

export function loadSession(storage: Storage | undefined = globalThis.localStorage): SavedSession | null {
  try {
    const raw = storage?.getItem(KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as SavedSession).token === 'string' && (parsed as SavedSession).token) {
      return { token: (parsed as SavedSession).token };
    }
  } catch {
    /* unreadable: treat as signed out */
  }
  return null;
}

export function saveSession(session: SavedSession, storage: Storage | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(KEY, JSON.stringify(session));
  } catch {
    /* storage full or disabled: the session lasts until the tab closes */
  }
}

export function clearSession(storage: Storage | undefined = globalThis.localStorage): void {
  try {
    storage?.removeItem(KEY);
  } catch {
    /* nothing to clear */
  }
}
