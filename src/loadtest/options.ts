/**
 * The load generator's options, from four sources (later wins): defaults, a JSON/YAML scenario file
 * (`--scenario`), environment variables (SCALE_CHAT_LOADTEST_<NAME>, e.g. SCALE_CHAT_LOADTEST_CLIENTS),
 * command-line flags. Every value is validated here; the result is a plain serializable object that
 * is also what child processes receive.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { formatRamp, parseRamp, peak, totalMs, type RampStage } from './ramp.js';
import { parseBound, parseThresholds, type Bound, type Threshold } from './thresholds.js';
import { OptionError, parseDurationMs, parseInteger, parseNumber, parseSourceIps } from './units.js';

export const TARGET_KINDS = ['scale-chat', 'ws-naive', 'socketio'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export interface LoadOptions {
  name?: string;
  target: TargetKind;
  urls: string[];
  /** Prometheus endpoints scraped each second (empty: none). */
  metricsUrls: string[];
  /** Clients (for a ramp: the pool, at least the highest stage target). */
  clients: number;
  /** Group rooms (0: none; clients then only send DMs). */
  rooms: number;
  /** Members per room: a fixed size (min == max) or uniform in [min, max], drawn per room with the seed. */
  roomSize: { min: number; max: number };
  /** Messages per second per client. */
  rate: number;
  /** Message text length in characters (at least the ~16-character latency stamp). */
  msgSize: number;
  /** Fraction of sends that go to the client's DM partner instead of a group room. */
  dmRatio: number;
  /** Shares of sends that edit one of the client's recent messages, or toggle a reaction on one (scale-chat only). */
  editRatio: number;
  reactRatio: number;
  /** Sending time (without a ramp), or the total of the ramp stages. */
  durationMs: number;
  ramp: RampStage[] | null;
  /** New connections per second, over all processes. */
  connectRate: number;
  seed: number;
  procs: number;
  sourceIps: string[];
  out: string | null;
  /** Fraction of messages whose events go to events.csv; null: automatic (all of them for small runs). */
  eventsSample: number | null;
  /** The user's `--threshold`s (the default checks are added by `checksOf`, ./thresholds.ts). */
  thresholds: Threshold[];
  /** --max-loss: lost deliveries allowed (null: not given; the default check is loss==0). */
  maxLoss: Bound | null;
  /** --max-connect-failures: clients allowed to fail to connect (null: not given; the default check is connect_failures==0). */
  maxConnectFailures: Bound | null;
  cpu: string | null;
  /** Bound of the connect phase of a run without ramp (null: clients / connectRate + 30 s). */
  connectTimeoutMs: number | null;
  ackTimeoutMs: number;
  drainTimeoutMs: number;
  /** Unacknowledged sends allowed per client before a scheduled send is skipped (and counted). */
  maxInflight: number;
  insecure: boolean;
  quiet: boolean;
}

interface OptionDef {
  key: string;
  flag: string;
  arg?: string;
  help: string;
  default?: string;
  list?: boolean;
  bool?: boolean;
}

/** Every option: flag, env variable, scenario key; the CLI help is built from this table. */
export const OPTION_DEFS: OptionDef[] = [
  { key: 'scenario', flag: 'scenario', arg: '<file>', help: 'JSON or YAML scenario file with any of these options (flags and env win)' },
  { key: 'name', flag: 'name', arg: '<name>', help: 'a name for the run (kept in summary.json)' },
  { key: 'target', flag: 'target', arg: '<kind>', help: `server kind: ${TARGET_KINDS.join('|')}`, default: 'scale-chat' },
  { key: 'url', flag: 'url', arg: '<url...>', help: 'WebSocket URL(s) of the server or cluster nodes (repeat or comma-separate); clients spread over them', default: 'ws://127.0.0.1:8080/ws', list: true },
  { key: 'metricsUrl', flag: 'metrics-url', arg: '<url...>', help: 'Prometheus /metrics URL(s) scraped each second ("none" to disable; default: derived from --url)', list: true },
  { key: 'clients', flag: 'clients', arg: '<n>', help: 'number of clients (default 10; with --ramp: the highest stage target)' },
  { key: 'rooms', flag: 'rooms', arg: '<n>', help: 'number of group rooms (0: none, only DMs)', default: '1' },
  { key: 'roomSize', flag: 'room-size', arg: '<n|min-max>', help: 'members per room, fixed or uniform in min-max per room (default: clients / rooms)' },
  { key: 'rate', flag: 'rate', arg: '<msgs/s>', help: 'messages per second per client (0: connect only)', default: '1' },
  { key: 'msgSize', flag: 'msg-size', arg: '<chars>', help: 'message text length in characters (min 16)', default: '64' },
  { key: 'dmRatio', flag: 'dm-ratio', arg: '<0..1>', help: 'fraction of sends that are DMs to a partner client', default: '0' },
  { key: 'editRatio', flag: 'edit-ratio', arg: '<0..1>', help: 'fraction of sends that edit one of the client\'s recent messages (scale-chat; every member must end with the same state)', default: '0' },
  { key: 'reactRatio', flag: 'react-ratio', arg: '<0..1>', help: 'fraction of sends that toggle a reaction on one of the client\'s recent messages (scale-chat)', default: '0' },
  { key: 'duration', flag: 'duration', arg: '<time>', help: 'sending time, e.g. 60s or 2m (ignored with --ramp)', default: '10s' },
  { key: 'ramp', flag: 'ramp', arg: '<stages>', help: 'k6-like stages <time>:<clients>,... e.g. 30s:1000,60s:1000,10s:0' },
  { key: 'connectRate', flag: 'connect-rate', arg: '<n/s>', help: 'new connections per second (all processes together)', default: '1000' },
  { key: 'seed', flag: 'seed', arg: '<n>', help: 'seed of every random choice (default: random, printed)' },
  { key: 'procs', flag: 'procs', arg: '<n>', help: 'child processes to spread clients over (1: run in this process)', default: '1' },
  { key: 'sourceIps', flag: 'source-ips', arg: '<range>', help: 'source addresses, e.g. 127.0.0.1-127.0.0.8 (~28k ports each)' },
  { key: 'out', flag: 'out', arg: '<dir>', help: 'write events.csv, timeseries.csv and summary.json there' },
  { key: 'eventsSample', flag: 'events-sample', arg: '<0..1>', help: 'fraction of messages logged in events.csv (default: all when under ~2M events, else sampled)' },
  { key: 'threshold', flag: 'threshold', arg: '<exprs>', help: 'pass/fail thresholds, e.g. "p99<100ms,loss==0": exit code 1 when violated (one on loss, duplicates, out_of_order or connect_failures replaces that default check)', list: true },
  { key: 'maxLoss', flag: 'max-loss', arg: '<n|pct%>', help: 'lost deliveries allowed, a count or a % of the expected ones (default check without it: loss==0)' },
  { key: 'maxConnectFailures', flag: 'max-connect-failures', arg: '<n|pct%>', help: 'clients allowed to fail to connect, a count or a % of --clients (default check without it: connect_failures==0)' },
  { key: 'cpu', flag: 'cpu', arg: '<cpus>', help: 're-run pinned to these CPUs with taskset -c (e.g. 1 or 2-3)' },
  { key: 'connectTimeout', flag: 'connect-timeout', arg: '<time>', help: 'bound of the connect phase (default: clients / connect-rate + 30s)' },
  { key: 'ackTimeout', flag: 'ack-timeout', arg: '<time>', help: 'a send not acknowledged within this fails', default: '30s' },
  { key: 'drainTimeout', flag: 'drain-timeout', arg: '<time>', help: 'after sending ends, how long to wait for deliveries', default: '15s' },
  { key: 'maxInflight', flag: 'max-inflight', arg: '<n>', help: 'unacknowledged sends per client before sends are skipped (counted)', default: '1000' },
  { key: 'insecure', flag: 'insecure', help: 'accept any TLS certificate (wss:// with a self-signed certificate)', bool: true },
  { key: 'quiet', flag: 'quiet', help: 'no live progress, only the final table', bool: true },
];

const KEYS = new Set(OPTION_DEFS.map((d) => d.key));

/** SCALE_CHAT_LOADTEST_ + upper snake case of the key, e.g. SCALE_CHAT_LOADTEST_ROOM_SIZE. */
export function envName(key: string): string {
  return 'SCALE_CHAT_LOADTEST_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

function camel(k: string): string {
  return k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Reads a scenario file: a JSON or YAML mapping of option names (camelCase or kebab-case). */
export function readScenario(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new OptionError(`--scenario: cannot read ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new OptionError(`--scenario: ${file} is not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new OptionError(`--scenario: ${file} must hold a mapping of options`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    let key = camel(k);
    if (key === 'thresholds') key = 'threshold';
    if (key === 'urls') key = 'url';
    if (!KEYS.has(key) || key === 'scenario') throw new OptionError(`--scenario: ${file}: unknown option "${k}"`);
    out[key] = v;
  }
  return out;
}

function listOf(v: unknown): string[] {
  const arr = Array.isArray(v) ? v : [v];
  return arr.flatMap((x) => String(x).split(',')).map((s) => s.trim()).filter(Boolean);
}

/** ws://h:p/ws -> http://h:p/metrics (wss -> https). */
export function metricsUrlFor(wsUrl: string): string {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = '/metrics';
  u.search = '';
  return u.toString();
}

/**
 * Builds validated options from flags (commander's parsed values, keys = OPTION_DEFS keys) and the
 * environment. Throws OptionError with a message naming the option.
 */
export function resolveOptions(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env, random = Math.random): LoadOptions {
  const raw: Record<string, unknown> = {};
  const scenarioFile = (flags.scenario as string | undefined) ?? env[envName('scenario')];
  if (scenarioFile) Object.assign(raw, readScenario(scenarioFile));
  for (const d of OPTION_DEFS) {
    const e = env[envName(d.key)];
    if (e !== undefined && e !== '') raw[d.key] = d.bool ? !['0', 'false', 'no'].includes(e.toLowerCase()) : e;
  }
  for (const d of OPTION_DEFS) {
    const f = flags[d.key];
    if (f !== undefined) raw[d.key] = f;
  }
  for (const d of OPTION_DEFS) if (raw[d.key] === undefined && d.default !== undefined) raw[d.key] = d.default;
  const s = (k: string): string | undefined => (raw[k] === undefined || raw[k] === null ? undefined : String(raw[k]));

  const target = s('target') as TargetKind;
  if (!TARGET_KINDS.includes(target)) throw new OptionError(`--target: one of ${TARGET_KINDS.join(', ')}, got "${target}"`);
  const urls = listOf(raw.url);
  if (urls.length === 0) throw new OptionError('--url: at least one WebSocket URL');
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw new OptionError(`--url: "${u}" is not a URL`);
    }
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new OptionError(`--url: "${u}" must start with ws:// or wss://`);
  }
  const metricsRaw = raw.metricsUrl === undefined ? null : listOf(raw.metricsUrl);
  const metricsUrls = metricsRaw === null ? [...new Set(urls.map(metricsUrlFor))] : metricsRaw.includes('none') ? [] : metricsRaw;
  for (const u of metricsUrls) {
    if (!/^https?:\/\//.test(u)) throw new OptionError(`--metrics-url: "${u}" must be an http(s) URL`);
  }

  const ramp = s('ramp') ? parseRamp(s('ramp')!) : null;
  let clients = s('clients') !== undefined ? parseInteger(s('clients')!, '--clients', 1, 1_000_000) : ramp ? peak(ramp) : 10;
  if (ramp && clients < peak(ramp)) throw new OptionError(`--clients ${clients} is below the ramp's highest target ${peak(ramp)}`);
  if (ramp) clients = Math.max(clients, 1);
  const rooms = parseInteger(s('rooms')!, '--rooms', 0, clients);
  let roomSize = { min: 0, max: 0 };
  if (rooms > 0) {
    const rs = s('roomSize');
    if (rs === undefined) {
      const n = Math.ceil(clients / rooms);
      roomSize = { min: n, max: n };
    } else {
      const m = /^(\d+)\s*-\s*(\d+)$/.exec(rs);
      roomSize = m
        ? { min: parseInteger(m[1], '--room-size', 1, clients), max: parseInteger(m[2], '--room-size', 1, clients) }
        : { min: parseInteger(rs, '--room-size', 1, clients), max: parseInteger(rs, '--room-size', 1, clients) };
      if (roomSize.max < roomSize.min) throw new OptionError(`--room-size: "${rs}" ends before it starts`);
    }
  }
  const rate = parseNumber(s('rate')!, '--rate', 0, 100_000);
  const msgSize = parseInteger(s('msgSize')!, '--msg-size', 16, 1_000_000);
  const dmRatio = parseNumber(s('dmRatio')!, '--dm-ratio', 0, 1);
  if (rate > 0 && rooms === 0 && dmRatio === 0) throw new OptionError('--rooms 0 with --dm-ratio 0: there is nowhere to send (use --rate 0 for a connect-only run)');
  if (dmRatio > 0 && clients < 2) throw new OptionError('--dm-ratio needs at least 2 clients');
  const editRatio = parseNumber(s('editRatio')!, '--edit-ratio', 0, 1);
  const reactRatio = parseNumber(s('reactRatio')!, '--react-ratio', 0, 1);
  if (editRatio + reactRatio > 1) throw new OptionError('--edit-ratio plus --react-ratio: at most 1');
  if (editRatio + reactRatio > 0 && target !== 'scale-chat') throw new OptionError('--edit-ratio and --react-ratio need --target scale-chat (the peers have no message changes)');
  const durationMs = ramp ? totalMs(ramp) : parseDurationMs(s('duration')!, '--duration');
  if (durationMs <= 0) throw new OptionError('--duration: must be more than 0');
  const procs = parseInteger(s('procs')!, '--procs', 1, 64);
  const eventsSample = s('eventsSample') === undefined ? null : parseNumber(s('eventsSample')!, '--events-sample', 0, 1);
  const seed = s('seed') === undefined ? Math.floor(random() * 2 ** 31) : parseInteger(s('seed')!, '--seed', 0, 2 ** 53);

  return {
    name: s('name'),
    target,
    urls,
    metricsUrls,
    clients,
    rooms,
    roomSize,
    rate,
    msgSize,
    dmRatio,
    editRatio,
    reactRatio,
    durationMs,
    ramp,
    connectRate: parseNumber(s('connectRate')!, '--connect-rate', 1, 1_000_000),
    seed,
    procs,
    sourceIps: s('sourceIps') ? parseSourceIps(listOf(raw.sourceIps)) : [],
    out: s('out') ?? null,
    eventsSample,
    thresholds: raw.threshold === undefined ? [] : parseThresholds(listOf(raw.threshold)),
    maxLoss: s('maxLoss') === undefined ? null : parseBound(s('maxLoss')!, '--max-loss'),
    maxConnectFailures: s('maxConnectFailures') === undefined ? null : parseBound(s('maxConnectFailures')!, '--max-connect-failures'),
    cpu: s('cpu') ?? null,
    connectTimeoutMs: s('connectTimeout') === undefined ? null : parseDurationMs(s('connectTimeout')!, '--connect-timeout'),
    ackTimeoutMs: parseDurationMs(s('ackTimeout')!, '--ack-timeout'),
    drainTimeoutMs: parseDurationMs(s('drainTimeout')!, '--drain-timeout'),
    maxInflight: parseInteger(s('maxInflight')!, '--max-inflight', 1, 1_000_000),
    insecure: raw.insecure === true || raw.insecure === 'true',
    quiet: raw.quiet === true || raw.quiet === 'true',
  };
}

/** The `workload` object of summary.json. */
export function workloadOf(o: LoadOptions, eventsSample: number): Record<string, unknown> {
  return {
    clients: o.clients,
    rooms: o.rooms,
    roomSize: o.roomSize.min === o.roomSize.max ? o.roomSize.min : Math.round((o.roomSize.min + o.roomSize.max) / 2),
    roomSizeRange: [o.roomSize.min, o.roomSize.max],
    rate: o.rate,
    msgSize: o.msgSize,
    dmRatio: o.dmRatio,
    editRatio: o.editRatio,
    reactRatio: o.reactRatio,
    duration_s: o.durationMs / 1000,
    ramp: o.ramp ? formatRamp(o.ramp) : null,
    connectRate: o.connectRate,
    seed: o.seed,
    procs: o.procs,
    sourceIps: o.sourceIps,
    eventsSample,
  };
}
