/**
 * summary.json of a load run: the zod schema of the shared contract between `scale-chat loadtest`
 * and `scale-chat report`, and a parser that turns every deviation into a clear ReportInputError.
 * Objects are loose (unknown keys are kept and ignored) so a newer generator can add fields.
 */
import { z } from 'zod';
import { ReportInputError } from './errors.js';

const count = z.number().finite().nonnegative();
/** A statistic that may be null when there was nothing to measure (e.g. no deliveries). */
const stat = z.number().finite().nullable();

export const summarySchema = z.looseObject({
  version: z.literal(1),
  name: z.string().optional(),
  startedAt: z.string(),
  endedAt: z.string(),
  target: z.looseObject({
    urls: z.array(z.string()),
    kind: z.enum(['scale-chat', 'ws-naive', 'socketio']),
  }),
  workload: z.looseObject({
    clients: count,
    rooms: count,
    roomSize: count,
    rate: z.number().finite().nonnegative(),
    msgSize: count,
    dmRatio: z.number().finite().min(0).max(1),
    duration_s: z.number().finite().nonnegative(),
    ramp: z.union([z.number(), z.string()]).nullable().optional(),
    connectRate: z.number().finite().nonnegative(),
    seed: z.union([z.number(), z.string()]),
    procs: count,
    sourceIps: z.union([count, z.array(z.string())]),
  }),
  connections: z.looseObject({
    target: count,
    peak: count,
    failures: count,
    connectMs: z.looseObject({ p50: stat, p99: stat, max: stat }),
  }),
  messages: z.looseObject({
    sent: count,
    acked: count,
    expectedDeliveries: count,
    delivered: count,
    lost: count,
    duplicates: count,
    outOfOrder: count,
  }),
  latencyMs: z.looseObject({
    count: count,
    mean: stat,
    p50: stat,
    p90: stat,
    p99: stat,
    p999: stat,
    max: stat,
  }),
  latencyCdf: z.array(z.looseObject({ percentile: z.number().finite().min(0).max(100), ms: z.number().finite().nonnegative() })),
  throughput: z.looseObject({
    deliveriesPerSec: z.number().finite().nonnegative(),
    sendPerSec: z.number().finite().nonnegative(),
    peakDeliveriesPerSec: z.number().finite().nonnegative(),
  }),
  reconnects: count,
  resumes: count,
  errors: z.record(z.string(), count),
  generator: z.looseObject({
    procs: count,
    cpuPct: z.number().finite().nonnegative(),
    bottleneck: z.boolean(),
    note: z.string().optional(),
  }),
  server: z.looseObject({
    cpuPct: z.number().finite().nonnegative().optional(),
    metrics: z.record(z.string(), z.number()).optional(),
  }),
  thresholds: z.array(z.looseObject({ expr: z.string(), ok: z.boolean(), actual: z.union([z.number(), z.string(), z.null()]) })),
  passed: z.boolean(),
  /** Why the generator stopped early, when it did (optional, written by scale-chat loadtest). */
  aborted: z.string().optional(),
});

export type RunSummary = z.infer<typeof summarySchema>;

/** Parses and validates the text of summary.json; `file` is used in error messages. */
export function parseSummary(text: string, file: string): RunSummary {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ReportInputError(`summary.json: ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const result = summarySchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.slice(0, 8).map((i) => `  ${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
    const more = result.error.issues.length > 8 ? `\n  ... and ${result.error.issues.length - 8} more` : '';
    throw new ReportInputError(`summary.json: ${file} does not match the run summary format (version 1):\n${problems.join('\n')}${more}`);
  }
  return result.data;
}
