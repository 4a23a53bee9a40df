/**
 * k6-like ramp stages: "30s:1000,60s:1000,10s:0" = go linearly from 0 to 1000 connected clients in
 * 30 s, hold 1000 for 60 s, go down to 0 in 10 s. The target at time t interpolates linearly from
 * the previous stage's target (0 before the first stage) to the stage's target.
 */
import { OptionError, parseDurationMs, parseInteger } from './units.js';

export interface RampStage {
  durationMs: number;
  target: number;
}

export function parseRamp(raw: string): RampStage[] {
  const stages = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = /^([^:]+):\s*(\d+)$/.exec(s);
      if (!m) throw new OptionError(`--ramp: stage "${s}" is not <duration>:<clients>, e.g. 30s:1000`);
      return { durationMs: parseDurationMs(m[1], '--ramp'), target: parseInteger(m[2], '--ramp clients', 0) };
    });
  if (stages.length === 0) throw new OptionError('--ramp: no stages (expected e.g. 30s:1000,60s:1000,10s:0)');
  if (stages.every((s) => s.target === 0)) throw new OptionError('--ramp: every stage targets 0 clients');
  if (totalMs(stages) <= 0) throw new OptionError('--ramp: the stages last 0 s');
  return stages;
}

export function totalMs(stages: RampStage[]): number {
  return stages.reduce((a, s) => a + s.durationMs, 0);
}

export function peak(stages: RampStage[]): number {
  return stages.reduce((a, s) => Math.max(a, s.target), 0);
}

/** Clients that should be connected `t` ms after the start (0 after the last stage ends... of a 0 stage). */
export function targetAt(stages: RampStage[], t: number): number {
  let from = 0;
  let at = 0;
  for (const s of stages) {
    if (t < at + s.durationMs) {
      const f = s.durationMs > 0 ? (t - at) / s.durationMs : 1;
      return Math.round(from + (s.target - from) * Math.max(0, f));
    }
    at += s.durationMs;
    from = s.target;
  }
  return from;
}

export function formatRamp(stages: RampStage[]): string {
  return stages.map((s) => `${s.durationMs / 1000}s:${s.target}`).join(',');
}
