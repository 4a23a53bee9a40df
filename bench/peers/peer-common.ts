/**
 * What the peer servers (ws-naive-server.ts, socketio.ts) share: flag reading, a two-line Prometheus
 * /metrics body (CPU seconds and RSS, the unprefixed names the load generator's scraper reads for
 * non-scale-chat targets) and a bounded lifetime tied to the process that started them.
 */
import { fstatSync } from 'node:fs';

/** `--name value` from argv, else `def`. */
export function argOf(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

/** An integer flag in [min, max]; exits with a clear message otherwise. */
export function intArg(name: string, def: number, min: number, max: number): number {
  const raw = argOf(name, String(def));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`--${name}: an integer in ${min}..${max}, got "${raw}"\n`);
    process.exit(2);
  }
  return n;
}

/** Prometheus text exposition of this process's CPU time and resident memory. */
export function metricsText(): string {
  const cpu = process.cpuUsage();
  return (
    '# TYPE process_cpu_seconds_total counter\n' +
    `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}\n` +
    '# TYPE process_resident_memory_bytes gauge\n' +
    `process_resident_memory_bytes ${process.memoryUsage.rss()}\n`
  );
}

/**
 * Exits on SIGTERM/SIGINT, after `maxLifetimeS` whatever happens, and, when stdin is a pipe (a
 * runner started this process), when that pipe closes: the runner went away.
 */
export function exitWithParent(maxLifetimeS: number): void {
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  let piped = false;
  try {
    piped = fstatSync(0).isFIFO();
  } catch {
    piped = false;
  }
  if (piped) {
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }
  setTimeout(stop, maxLifetimeS * 1000).unref();
}
