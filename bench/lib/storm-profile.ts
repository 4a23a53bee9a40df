/**
 * Where a server's CPU went, from the `.cpuprofile` files `node --cpu-prof` writes on exit: self
 * time per function (samples × their time deltas, grouped by name, file and line) and per source
 * area (the repository's src/ file, a dependency package, node's internals, or V8's own
 * "(garbage collector)", "(program)", "(idle)"). "(idle)" is the event loop waiting: left out of
 * the shares so they are shares of the busy time. Samples can be limited to a window of
 * CLOCK_MONOTONIC (V8 stamps samples with it; `process.hrtime` reads it in any process), so the
 * server's startup is left out of a storm's profile.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  /** Share of the busy (non-idle) time, %. */
  pct: number;
}

export interface ProfileSummary {
  files: string[];
  busyMs: number;
  idleMs: number;
  functions: SelfTime[];
  areas: SelfTime[];
}

/** The area a script URL belongs to: `src/server/hub/x.ts`, `pkg:ws`, `node:internal`, or a V8 pseudo-node. */
function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `pkg:${pkg[1]}`;
  if (url.startsWith('node:')) return url;
  const own = /\/dist\/(src\/.+?)\.js$/.exec(url);
  return own ? `${own[1]}.ts` : path.basename(url);
}

function top(m: Map<string, number>, busy: number, n: number): SelfTime[] {
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: us / 1000, pct: busy > 0 ? (us / busy) * 100 : 0 }));
}

/** A span of CLOCK_MONOTONIC in microseconds: the clock of V8's profile timestamps, and of `process.hrtime` in any process. */
export interface MonoWindow {
  fromUs: number;
  toUs: number;
}

/** Microseconds of CLOCK_MONOTONIC now (comparable with profile timestamps). */
export function monoUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Summarizes every .cpuprofile in `dir` together, only samples inside `window` when given; null when there is none. */
export function summarizeProfiles(dir: string, window?: MonoWindow, n = 15): ProfileSummary | null {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (!files.length) return null;
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CpuProfile;
    const byId = new Map(p.nodes.map((nd) => [nd.id, nd]));
    let at = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      const nd = byId.get(p.samples[i]);
      // A sample's delta is the time since the previous sample: time spent in this sample's frame.
      const us = p.timeDeltas[i] ?? 0;
      at += us;
      if (!nd || (window && (at < window.fromUs || at > window.toUs))) continue;
      const { functionName, url, lineNumber } = nd.callFrame;
      if (functionName === '(idle)') {
        idle += us;
        continue;
      }
      busy += us;
      const area = areaOf(url, functionName);
      const key = url ? `${functionName || '(anonymous)'} ${area}:${lineNumber + 1}` : functionName || '(anonymous)';
      fns.set(key, (fns.get(key) ?? 0) + us);
      areas.set(area, (areas.get(area) ?? 0) + us);
    }
  }
  return { files, busyMs: busy / 1000, idleMs: idle / 1000, functions: top(fns, busy, n), areas: top(areas, busy, n) };
}
