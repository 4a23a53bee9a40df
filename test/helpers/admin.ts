/**
 * Granting the admin role in tests as an operator does: `scale-chat admin grant NAME` against the data
 * dir a test server writes (a real child process), or the same code in-process on a second connection to
 * the server's SQLite file (quicker, for tests about something else).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAdmin, type AdminAction } from '../../src/cli/admin.js';
import { SqliteStore } from '../../src/server/store/sqlite/store.js';

/** dist/src/cli/main.js, from dist/test/helpers/admin.js. */
export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/src/cli/main.js admin ARGS...` (bounded: 30 s), with no SCALE_CHAT_* variables. */
export function adminCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SCALE_CHAT_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'admin', ...args], { env: { ...clean, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The CLI's own code, in this process, on the server's SQLite database. */
export async function adminInProcess(dataDir: string, action: AdminAction, name?: string): Promise<string[]> {
  const store = new SqliteStore(path.join(dataDir, 'scale-chat.db'));
  await store.init();
  try {
    return await runAdmin(store, action, name);
  } finally {
    await store.close();
  }
}

export async function grantAdmin(dataDir: string, name: string): Promise<void> {
  await adminInProcess(dataDir, 'grant', name);
}
