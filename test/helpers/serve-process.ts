/**
 * `scale-chat serve` as a real child process, the way a person or a service manager runs it: resolves
 * once its "scale-chat is running" line is on stderr; stopped with SIGTERM like systemd or Kubernetes do.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export const cliMain = new URL('../../src/cli/main.js', import.meta.url).pathname;

export interface ServeProcess {
  child: ChildProcess;
  /** The "scale-chat is running: ..." line. */
  line: string;
  /** The port in that line. */
  port: number;
  /** Everything on stderr so far (the first 64 KiB). */
  stderr(): string;
}

/** Runs `command args` (e.g. node main.js serve ...), as another user when `as` says so, and waits for the running line (timeoutMs at most). */
export function startServeProcess(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 15_000, as: { uid?: number; gid?: number } = {}): Promise<ServeProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env, ...as });
  let err = '';
  let resolved = false;
  child.stdout!.resume();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no "scale-chat is running" line within ${timeoutMs} ms; stderr: ${err}`));
    }, timeoutMs);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      if (err.length < 64 * 1024) err += chunk;
      if (resolved) return;
      const line = err.split('\n').find((l) => l.startsWith('scale-chat is running'));
      if (line) {
        resolved = true;
        clearTimeout(timer);
        resolve({ child, line, port: Number(/:(\d+)\//.exec(line)?.[1]), stderr: () => err });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!resolved) reject(new Error(`serve exited with ${code} before it ran; stderr: ${err}`));
    });
  });
}

/** Sends `signal` and resolves with the exit code and how long the exit took (SIGKILL after killAfterMs). */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 15_000): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve({ code: child.exitCode, ms: 0 });
    const hard = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', (code) => {
      clearTimeout(hard);
      resolve({ code, ms: Date.now() - started });
    });
    child.kill(signal);
  });
}
