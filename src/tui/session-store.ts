/**
 * The session file: what makes a restarted client the same user, resuming where it left off.
 *
 * One JSON file (default `$XDG_CONFIG_HOME/scale-chat/session.json`, else
 * `~/.config/scale-chat/session.json`) holding one entry per server URL: the session token, who it
 * belongs to, the last seen seq per room (sent as `hello.resume`, so the server replays what was
 * missed while the client was not running) and the room that was shown. Written atomically
 * (temporary file + rename) with mode 0600: the token is a credential.
 *
 * A missing file is an empty store; an unreadable or corrupt one is reported and ignored (the user
 * signs in again and the file is rewritten), never a crash.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export interface SavedSession {
  name: string;
  userId: string;
  account: boolean;
  token: string;
  tokenExpiresAt: number;
  resume: Record<string, number>;
  room?: string;
}

interface FileShape {
  version: 1;
  /** By server URL (a Map: the keys come from a file, `__proto__` included). Written as an object. */
  sessions: Map<string, SavedSession>;
}

export function defaultSessionFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(homedir(), '.config');
  return path.join(base, 'scale-chat', 'session.json');
}

function isSession(v: unknown): v is SavedSession {
  const s = v as SavedSession;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.name === 'string' &&
    typeof s.userId === 'string' &&
    typeof s.token === 'string' &&
    typeof s.account === 'boolean' &&
    typeof s.tokenExpiresAt === 'number' &&
    typeof s.resume === 'object' &&
    s.resume !== null &&
    Object.values(s.resume).every((n) => Number.isSafeInteger(n) && n >= 0) &&
    (s.room === undefined || typeof s.room === 'string')
  );
}

export class SessionStore {
  /** Set when the file existed but could not be used (shown to the user once). */
  readonly problem: string | undefined;
  private data: FileShape;

  constructor(readonly file: string) {
    const { data, problem } = SessionStore.read(file);
    this.data = data;
    this.problem = problem;
  }

  private static read(file: string): { data: FileShape; problem?: string } {
    const data: FileShape = { version: 1, sessions: new Map() };
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown; sessions?: unknown } | null;
      if (parsed?.version !== 1 || typeof parsed.sessions !== 'object' || parsed.sessions === null) throw new Error('unknown format');
      for (const [url, s] of Object.entries(parsed.sessions)) if (isSession(s)) data.sessions.set(url, s);
      return { data };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return { data, problem: e.code === 'ENOENT' ? undefined : `ignoring session file ${file}: ${e.message}` };
    }
  }

  get(url: string): SavedSession | undefined {
    return this.data.sessions.get(url);
  }

  /** Saves (or, with undefined, forgets) the session for `url`. Throws on write errors. */
  set(url: string, session: SavedSession | undefined): void {
    // Re-read first: another client (another server URL) may have written its entry meanwhile.
    this.data = SessionStore.read(this.file).data;
    if (session) this.data.sessions.set(url, session);
    else this.data.sessions.delete(url);
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    // Object.fromEntries defines own data properties: a `__proto__` key stays data.
    const shape = { version: 1, sessions: Object.fromEntries(this.data.sessions) };
    writeFileSync(tmp, JSON.stringify(shape, null, 2) + '\n', { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }
}
