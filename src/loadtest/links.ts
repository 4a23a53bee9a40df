/**
 * Links from the coordinator to its workers: one in-process worker (--procs 1), or child processes
 * forked from the same CLI entry (`scale-chat loadtest --worker`) that talk over IPC with the
 * 'advanced' serialization (structured clone: typed arrays and big arrays of seqs travel cheaply).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromWorker, ToWorker, WorkerLink } from './ipc.js';
import { Worker } from './worker.js';

/** The CLI entry, resolved from this module (dist/src/loadtest -> dist/src/cli/main.js). */
export const CLI_ENTRY = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export function inProcessLink(): WorkerLink {
  let worker: Worker | null = null;
  let onMsg: (m: FromWorker) => void = () => {};
  let onExit: (why: string) => void = () => {};
  let dead = false;
  return {
    send(msg: ToWorker) {
      setImmediate(() => {
        if (dead) return;
        try {
          if (msg.type === 'init') {
            worker = new Worker(msg, (m) => setImmediate(() => !dead && onMsg(m)));
            worker.run();
          } else worker?.handle(msg);
        } catch (err) {
          dead = true;
          onMsg({ type: 'fatal', worker: 0, message: (err as Error).stack ?? String(err) });
          onExit('crashed');
        }
      });
    },
    onMessage(fn) {
      onMsg = fn;
    },
    onExit(fn) {
      onExit = fn;
    },
    kill() {
      if (dead) return;
      dead = true;
      worker?.handle({ type: 'abort' });
    },
  };
}

export function childLink(index: number): WorkerLink {
  const child: ChildProcess = fork(CLI_ENTRY, ['loadtest', '--worker'], {
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, SCALE_CHAT_LOADTEST_WORKER_INDEX: String(index) },
  });
  let onExit: (why: string) => void = () => {};
  child.on('exit', (code, signal) => onExit(signal ? `killed by ${signal}` : `exited with code ${code}`));
  child.on('error', (err) => onExit(`failed: ${err.message}`));
  return {
    send(msg) {
      if (child.connected) child.send(msg);
    },
    onMessage(fn) {
      child.on('message', (m) => fn(m as FromWorker));
    },
    onExit(fn) {
      onExit = fn;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
