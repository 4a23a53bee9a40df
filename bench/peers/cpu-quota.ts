/**
 * CPU quotas for the servers of `npm run bench:peers` (bench/peers.ts): one cgroup per bench run
 * (`<cpu controller mount>/scale-chat-bench-<pid>`) whose quota is set before each point and into
 * which each server is started, so every target's server gets the same share of a core (the
 * generator, outside it, gets the rest of the machine).
 *
 * Detection, from /proc/self/mounts: cgroup v2 (`cpu.max`) when a cgroup2 mount offers the `cpu`
 * controller (it is enabled in the root's cgroup.subtree_control if needed), else cgroup v1
 * (`cpu.cfs_quota_us` / `cpu.cfs_period_us`) on the mount of the `cpu` controller. Either one must
 * let us create a directory (root, a writable hierarchy); otherwise `openCpuCgroup` says why and the
 * bench falls back to pinning without a quota.
 *
 * The cgroup is removed by `remove()` (bench/peers.ts calls it on exit, errors and signals, after
 * killing its children); groups left by an earlier run that was killed with SIGKILL (their pid is
 * gone, no process inside) are removed when the next run opens its own.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const PERIOD_US = 100_000;
const PREFIX = 'scale-chat-bench-';

export interface CpuStat {
  /** Enforcement periods elapsed while something in the group ran. */
  periods: number;
  /** Periods in which the group used up its quota and was held back. */
  throttled: number;
  /** Time held back, ms. */
  throttledMs: number;
}

export interface CpuCgroup {
  version: 1 | 2;
  /** The group's directory. */
  dir: string;
  /** Sets the quota as a share of one core (0.25 = a quarter of a core per period). */
  setQuota(cores: number): void;
  /** The file a process writes its pid into to join the group. */
  procsFile: string;
  /** Pids in the group now. */
  pids(): number[];
  stat(): CpuStat;
  /** Removes the group (its processes must be gone; retries for up to `waitMs`). True when it is gone. */
  remove(waitMs?: number): boolean;
}

interface Mount {
  type: string;
  dir: string;
  options: string[];
}

function mounts(): Mount[] {
  try {
    return readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f.length >= 4)
      .map((f) => ({ type: f[2], dir: f[1].replace(/\\040/g, ' '), options: f[3].split(',') }));
  } catch {
    return [];
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPids(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Removes groups of earlier runs whose process is gone and which hold no process. */
function removeStale(base: string, procsName: string): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(PREFIX)) continue;
    const pid = Number(n.slice(PREFIX.length));
    if (!Number.isInteger(pid) || alive(pid)) continue;
    const dir = path.join(base, n);
    if (readPids(path.join(dir, procsName)).length > 0) continue;
    try {
      rmdirSync(dir);
      console.error(`bench:peers: removed ${dir}, left by an earlier run`);
    } catch {
      // not ours to fight over
    }
  }
}

function parseStat(text: string, version: 1 | 2): CpuStat {
  const kv = new Map(text.split('\n').filter(Boolean).map((l) => {
    const [k, v] = l.split(' ');
    return [k, Number(v)] as const;
  }));
  return {
    periods: kv.get('nr_periods') ?? 0,
    throttled: kv.get('nr_throttled') ?? 0,
    throttledMs: version === 2 ? (kv.get('throttled_usec') ?? 0) / 1000 : (kv.get('throttled_time') ?? 0) / 1e6,
  };
}

function makeGroup(version: 1 | 2, base: string): CpuCgroup {
  const dir = path.join(base, `${PREFIX}${process.pid}`);
  removeStale(base, 'cgroup.procs');
  if (!existsSync(dir)) mkdirSync(dir);
  const procsFile = path.join(dir, 'cgroup.procs');
  const group: CpuCgroup = {
    version,
    dir,
    procsFile,
    setQuota(cores: number) {
      const quota = Math.max(1000, Math.round(cores * PERIOD_US));
      if (version === 2) writeFileSync(path.join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
      else {
        writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
        writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(quota));
      }
    },
    pids: () => readPids(procsFile),
    stat: () => {
      try {
        return parseStat(readFileSync(path.join(dir, 'cpu.stat'), 'utf8'), version);
      } catch {
        return { periods: 0, throttled: 0, throttledMs: 0 };
      }
    },
    remove(waitMs = 3000) {
      const until = Date.now() + waitMs;
      for (;;) {
        if (!existsSync(dir)) return true;
        try {
          rmdirSync(dir);
          return true;
        } catch {
          if (Date.now() >= until) return false;
          sleepSync(50);
        }
      }
    },
  };
  // Check now that the quota files take a value: a read-only or foreign hierarchy fails here, not mid-sweep.
  try {
    group.setQuota(1);
  } catch (err) {
    group.remove(0);
    throw err;
  }
  return group;
}

/** The run's CPU cgroup, or why none could be made (then the bench pins without a quota). */
export function openCpuCgroup(): { group: CpuCgroup } | { why: string } {
  const all = mounts();
  const tried: string[] = [];
  for (const m of all.filter((x) => x.type === 'cgroup2')) {
    let controllers: string[] = [];
    try {
      controllers = readFileSync(path.join(m.dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
    } catch {
      // unreadable: not usable
    }
    if (!controllers.includes('cpu')) {
      tried.push(`cgroup v2 at ${m.dir} does not offer the cpu controller (it has: ${controllers.join(' ') || 'none'})`);
      continue;
    }
    try {
      const sub = path.join(m.dir, 'cgroup.subtree_control');
      if (!readFileSync(sub, 'utf8').split(/\s+/).includes('cpu')) writeFileSync(sub, '+cpu');
      return { group: makeGroup(2, m.dir) };
    } catch (err) {
      tried.push(`cgroup v2 at ${m.dir}: ${(err as Error).message}`);
    }
  }
  for (const m of all.filter((x) => x.type === 'cgroup' && x.options.includes('cpu'))) {
    try {
      return { group: makeGroup(1, m.dir) };
    } catch (err) {
      tried.push(`cgroup v1 cpu controller at ${m.dir}: ${(err as Error).message}`);
    }
  }
  if (tried.length === 0) tried.push('no cgroup v2 mount with the cpu controller and no cgroup v1 cpu controller is mounted');
  return { why: tried.join('; ') };
}

/**
 * The command that starts `argv` inside the group: a shell writes its own pid into cgroup.procs,
 * then execs the command, so the process and every thread it later starts run under the quota from
 * its first instruction.
 */
export function inGroup(group: CpuCgroup, argv: string[]): { cmd: string; args: string[] } {
  return { cmd: '/bin/sh', args: ['-c', 'f="$1"; shift; echo $$ > "$f" && exec "$@"', 'sh', group.procsFile, ...argv] };
}
