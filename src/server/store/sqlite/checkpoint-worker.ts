/**
 * The WAL checkpointer's thread (see checkpointer.ts): its own connection to the database file, a
 * PASSIVE checkpoint every `intervalMs` (it copies committed pages back into the database file without
 * waiting for or blocking the writer), and a final one on `close`. Runs in a worker thread so that the
 * copy and its fsync never stall the server's event loop.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new Database(file);
db.pragma('busy_timeout = 5000');

function checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): void {
  try {
    const [r] = db.pragma(`wal_checkpoint(${mode})`) as { busy: number; log: number; checkpointed: number }[];
    parentPort!.postMessage({ type: 'checkpointed', ...r });
  } catch (err) {
    parentPort!.postMessage({ type: 'error', message: (err as Error).message });
  }
}

const timer = setInterval(() => checkpoint('PASSIVE'), intervalMs);
parentPort!.on('message', (m: { type: string }) => {
  if (m.type !== 'close') return;
  clearInterval(timer);
  checkpoint('TRUNCATE');
  db.close();
  parentPort!.postMessage({ type: 'closed' });
  parentPort!.close();
});
