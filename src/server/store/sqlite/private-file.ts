/** The SQLite database file holds password hashes and the token secret: it is created private. */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

/**
 * Creates the database's directory (0700, with missing parents) and file (0600) when missing, independent of
 * the umask; warns about an existing directory or database file (-wal, -shm included) open to group/others.
 */
export function preparePrivateFile(file: string, log?: Pick<Logger, 'warn'>): void {
  const dir = path.dirname(file);
  const warn = (p: string, mode: number, what: string) =>
    log?.warn(
      { path: p, mode: '0' + (mode & 0o777).toString(8) },
      `${what} is accessible by group or others (it holds password hashes and the token secret): chmod ${what === 'data directory' ? '700' : '600'} it`,
    );
  let dirStat: fs.Stats | undefined;
  try {
    dirStat = fs.statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!dirStat) {
    // Every directory this creates is private (mkdir's mode is masked by the umask: chmod after).
    const first = fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
    if (first) {
      for (let d = dir; ; d = path.dirname(d)) {
        fs.chmodSync(d, PRIVATE_DIR);
        if (d === first || d === path.dirname(d)) break;
      }
    }
  } else if (dirStat.mode & 0o077) {
    warn(dir, dirStat.mode, 'data directory');
  }
  let fd: number | undefined;
  try {
    // O_EXCL: only a file this call creates gets its mode set; an existing one is checked instead.
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, PRIVATE_FILE);
    fs.fchmodSync(fd, PRIVATE_FILE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    let st: fs.Stats;
    try {
      st = fs.statSync(f);
    } catch {
      continue;
    }
    if (st.mode & 0o077) warn(f, st.mode, 'database file');
  }
}
