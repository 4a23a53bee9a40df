/**
 * Top self-time functions of a V8 `.cpuprofile` (what `node --cpu-prof` writes): each sample's time
 * (timeDeltas) goes to the node it landed in; nodes of one function (name, script, line) are summed;
 * `(idle)` is left out (shares are of the busy time; `(garbage collector)` and `(program)` stay in).
 * Script paths are shortened to the part after node_modules/ or the repo's dist/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  fn: string;
  where: string;
  ms: number;
  pct: number;
}

function shortUrl(url: string): string {
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) return u.slice(nm + 'node_modules/'.length);
  const d = u.indexOf('/dist/');
  return d >= 0 ? u.slice(d + 1) : u || '(native)';
}

/** The `limit` functions with the most self time; `pct` is of the busy time (all samples but `(idle)`). */
export function topSelfTime(profile: CpuProfile, limit = 25): { busyMs: number; rows: SelfTime[] } {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const acc = new Map<string, SelfTime>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    const n = byNode.get(profile.samples[i]);
    if (!n) continue;
    const cf = n.callFrame;
    const fn = cf.functionName || '(anonymous)';
    const where = cf.url ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${fn}|${where}`;
    const e = acc.get(key);
    if (e) e.ms += us / 1000;
    else acc.set(key, { fn, where, ms: us / 1000, pct: 0 });
  }
  const idleMs = [...acc.values()].filter((r) => r.fn === '(idle)').reduce((a, r) => a + r.ms, 0);
  const busyMs = total / 1000 - idleMs;
  const rows = [...acc.values()].filter((r) => r.fn !== '(idle)').sort((a, b) => b.ms - a.ms).slice(0, limit);
  for (const r of rows) r.pct = busyMs > 0 ? (r.ms * 100) / busyMs : 0;
  return { busyMs, rows };
}

/**
 * The main thread's profile in `dir` (Node names them CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile;
 * worker threads write their own, thread id > 0); the newest one when there are several.
 */
export function readProfile(dir: string): CpuProfile {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  const main = files.filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  const file = (main.length ? main : files).at(-1);
  if (!file) throw new Error(`no .cpuprofile in ${dir} (the server must exit normally to write it)`);
  return JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
}
