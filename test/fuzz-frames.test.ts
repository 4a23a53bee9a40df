/**
 * A structure-aware fuzzer of client frames and hellos against a real server (in this process).
 *
 * Frames are mutations of valid frames of every client frame type of src/protocol/schema.ts: wrong
 * types, huge and negative numbers, deep nesting, long strings, prototype keys, null bytes, lone
 * surrogates, invisible characters, broken JSON, binary frames, invalid UTF-8, oversized frames.
 * What must hold, as a client would notice it:
 *   - every frame with a request id gets exactly one answer (`re` = its id, or an `ack` with that id),
 *     the reply or an `error` with a documented code (src/protocol/codes.ts), never `internal`;
 *     `typing`/`read`/`pong` get no reply (at most an error without `re`); frames without a usable
 *     id get their error without `re`; `rate_limited` carries `re` and `retryAfterMs`;
 *   - a connection is only closed with a documented code and for a reason the client caused:
 *     1009 after an oversized frame, 1007 after invalid UTF-8, 4010 after flooding a server at its
 *     default rate limits; a hello is answered by `welcome` or by an error and the close code
 *     `handshakeCloseCode` documents for it;
 *   - meanwhile a healthy pair chats in a private room: every send is acknowledged and received by
 *     the other, in order;
 *   - no error-level server log line (a crash of a request), and afterwards the server holds no
 *     leftover connections and its memory stayed bounded.
 *
 * Seeded: FUZZ_SEED=<n> replays a run (the seed is printed; the interleaving of connections still
 * varies). FUZZ_FRAMES / FUZZ_HELLOS scale it; FUZZ_DEBUG=1 prints when each loop ends.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import WebSocket from 'ws';
import { CloseCode, ErrorCode, handshakeCloseCode } from '../src/protocol/codes.js';
import { clientFrameSchemas, type ClientFrameType } from '../src/protocol/schema.js';
import { textProblem } from '../src/protocol/text.js';
import type { AckFrame, JoinedFrame, MsgEvent, WelcomeFrame } from '../src/protocol/types.js';
import { RawClient } from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const FRAMES = Number(process.env.FUZZ_FRAMES ?? 18_000);
const HELLOS = Number(process.env.FUZZ_HELLOS ?? 3_000);
const MAX_FRAME = 64 * 1024;
const MAX_TEXT = 4000;
const ERROR_CODES = new Set<string>(Object.values(ErrorCode));
const CLOSE_CODES = new Set<number>(Object.values(CloseCode));
/** Frames a connection may have sent past the last one known processed (the server queues at most 256). */
const WINDOW = 48;

// ---------------------------------------------------------------- seeded randomness

function mulberry32(a: number): () => number {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

// ---------------------------------------------------------------- value pools

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'];
const WEIRD_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\ude00y',
  '\u200b',
  '\u200b\u2060\ufeff',
  '\u3164',
  '\u2800',
  '\u2028\u2029',
  '\u202eevil',
  '\t\n\r',
  '\u0007\u001b[2J',
  ...PROTO_KEYS,
  'general',
  'GENERAL',
  'dm:',
  'dm:a:b',
  'a'.repeat(64),
  'a'.repeat(65),
  'a'.repeat(129),
  'é',
  'e\u0301',
  '👍🏽',
  'שלום',
  '<img src=x onerror=alert(1)>',
  "' OR 1=1 --",
  '${jndi:ldap://x/a}',
  '../../etc/passwd',
  '%00%ff',
  '\\',
  '"',
  'null',
  'undefined',
  'NaN',
];
const WEIRD_NUMBERS = [0, -0, -1, 1, 1.5, -1.5, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), Number.MAX_SAFE_INTEGER, 1e-300, 2 ** 32, 2 ** 31 - 1, -(2 ** 31)];
/** Raw JSON number tokens JSON.stringify cannot produce (1e999 parses to Infinity). */
const RAW_TOKENS = ['1e999', '-1e999', '1E400', '-0.0', '1.0', '0.0000001e-400', '123456789012345678901234567890'];
/** Invalid JSON number-ish tokens. */
const BAD_TOKENS = ['NaN', 'Infinity', '0x10', '01', '+1', '.5', '1.', 'undefined', "'x'"];
const BAD_TEXTS = ['', ' ', 'null', 'true', '0', '"just a string"', '[]', '[1,2,3]', '{', '}', '{}', '{"type":', '{"type":null}', '{"type":"send"', '\u00ef\u00bb\u00bf{}', '{"a":1}{"b":2}', '[{"type":"ping","id":"x"}]'];

// ---------------------------------------------------------------- the frames

interface Ctx {
  rng: Rng;
  /** Unique ids on this connection. */
  nextId(): string;
  rooms: string[];
  users: string[];
  tokens: string[];
}

function room(c: Ctx): string {
  const r = c.rng;
  if (r.chance(0.6) && c.rooms.length) return r.pick(c.rooms);
  if (r.chance(0.5)) return `r${r.int(40)}`;
  return r.pick(WEIRD_STRINGS) || 'x';
}

function user(c: Ctx): string {
  const r = c.rng;
  if (r.chance(0.6) && c.users.length) return r.pick(c.users);
  return r.pick(WEIRD_STRINGS) || 'nobody';
}

function text(c: Ctx): string {
  const r = c.rng;
  switch (r.int(9)) {
    case 0:
      return r.pick(WEIRD_STRINGS);
    case 1:
      return 'x'.repeat(r.pick([3999, 4000, 4001, 10_000]));
    case 2:
      return `hi ${r.pick(WEIRD_STRINGS)} there`;
    case 3:
      return '\u200b'.repeat(1 + r.int(5));
    case 4:
      return `lone ${r.pick(['\ud800', '\udbff', '\udc00'])}`;
    default:
      return `fuzz message ${r.int(1e6)}`;
  }
}

function seq(c: Ctx): number {
  return c.rng.chance(0.7) ? c.rng.int(50) : c.rng.pick(WEIRD_NUMBERS);
}

function auth(c: Ctx): Record<string, unknown> {
  const r = c.rng;
  const name = r.chance(0.8) ? `h${r.int(1e9).toString(36)}` : r.pick(WEIRD_STRINGS);
  switch (r.int(20)) {
    case 0:
      return { kind: 'register', name, password: r.pick(['correct horse battery', 'short', 'x'.repeat(300)]) };
    case 1:
    case 2:
      return { kind: 'login', name, password: r.pick(['wrong password', '', 'x'.repeat(1025)]) };
    case 3:
    case 4:
    case 5:
    case 6:
      if (c.tokens.length) {
        const t = r.pick(c.tokens);
        // A valid token, or one with a flipped character (forged), or cut short.
        const k = r.int(3);
        return { kind: 'token', token: k === 0 ? t : k === 1 ? t.slice(0, -2) + (t.endsWith('A') ? 'BB' : 'AA') : t.slice(0, r.int(t.length)) };
      }
      return { kind: 'token', token: r.pick(WEIRD_STRINGS) || 'x' };
    default:
      return { kind: 'guest', name };
  }
}

/** A valid-looking frame of each client frame type (a type missing here fails to compile and the test). */
const BASES: { [T in ClientFrameType]: (c: Ctx) => Record<string, unknown> } = {
  hello: (c) => {
    const f: Record<string, unknown> = { type: 'hello', v: 1, auth: auth(c) };
    if (c.rng.chance(0.3)) f.resume = { [room(c)]: seq(c), general: seq(c) };
    if (c.rng.chance(0.3)) f.presence = c.rng.chance(0.5);
    return f;
  },
  send: (c) => ({ type: 'send', id: c.nextId(), room: room(c), text: text(c), ...(c.rng.chance(0.3) ? { replyTo: seq(c) } : {}) }),
  edit: (c) => ({ type: 'edit', id: c.nextId(), room: room(c), target: seq(c), text: text(c) }),
  remove: (c) => ({ type: 'remove', id: c.nextId(), room: room(c), target: seq(c) }),
  search: (c) => ({ type: 'search', id: c.nextId(), query: c.rng.pick(['hello', 'a b c', '"quoted" OR x', '*', 'NEAR(a b)', ':*&|!', text(c)]), ...(c.rng.chance(0.3) ? { room: room(c) } : {}), ...(c.rng.chance(0.2) ? { cursor: c.rng.pick(['x', 'WyJuIiwxLCJhIiwxXQ', c.rng.pick(WEIRD_STRINGS) || 'y']) } : {}), ...(c.rng.chance(0.2) ? { order: c.rng.pick(['best', 'newest', 'worst']) } : {}) }),
  react: (c) => ({ type: 'react', id: c.nextId(), room: room(c), target: seq(c), emoji: c.rng.pick(['👍', ':+1:', '🇫🇷', '1️⃣', 'x', '', '👍👍', ':nope:', c.rng.pick(WEIRD_STRINGS)]), on: c.rng.chance(0.7) }),
  join: (c) => ({ type: 'join', id: c.nextId(), room: room(c) }),
  leave: (c) => ({ type: 'leave', id: c.nextId(), room: room(c) }),
  create: (c) => ({ type: 'create', id: c.nextId(), room: c.rng.chance(0.7) ? `r${c.rng.int(40)}` : room(c), visibility: c.rng.pick(['public', 'private', 'public', 'secret']) }),
  invite: (c) => ({ type: 'invite', id: c.nextId(), room: room(c), user: user(c) }),
  rooms: (c) => ({ type: 'rooms', id: c.nextId() }),
  members: (c) => ({ type: 'members', id: c.nextId(), room: room(c), ...(c.rng.chance(0.3) ? { subscribe: c.rng.chance(0.7) } : {}) }),
  members_unsubscribe: (c) => ({ type: 'members_unsubscribe', id: c.nextId(), room: room(c) }),
  history: (c) => {
    const f: Record<string, unknown> = { type: 'history', id: c.nextId(), room: room(c) };
    if (c.rng.chance(0.4)) f.before = seq(c);
    if (c.rng.chance(0.4)) f.after = seq(c);
    if (c.rng.chance(0.5)) f.limit = c.rng.chance(0.7) ? 1 + c.rng.int(300) : c.rng.pick(WEIRD_NUMBERS);
    return f;
  },
  dm: (c) => ({ type: 'dm', id: c.nextId(), user: user(c) }),
  typing: (c) => ({ type: 'typing', room: room(c) }),
  read: (c) => ({ type: 'read', room: room(c), seq: seq(c) }),
  ping: (c) => ({ type: 'ping', id: c.nextId() }),
  pong: () => ({ type: 'pong' }),
  // Account changes: the fuzzing users are guests (forbidden); a valid signout_all ends the session (4015).
  password: (c) => ({ type: 'password', id: c.nextId(), current: c.rng.pick(['x', 'correct horse', c.rng.pick(WEIRD_STRINGS) || 'y']), next: c.rng.pick(['short', 'long enough pass', 'x'.repeat(300)]) }),
  signout_all: (c) => ({ type: 'signout_all', id: c.nextId() }),
  delete_account: (c) => ({ type: 'delete_account', id: c.nextId(), password: c.rng.pick(['x', 'correct horse', c.rng.pick(WEIRD_STRINGS) || 'y']) }),
};
const TYPES = Object.keys(clientFrameSchemas) as ClientFrameType[];

function weirdValue(c: Ctx, depth = 0): unknown {
  const r = c.rng;
  switch (r.int(depth > 1 ? 6 : 9)) {
    case 0:
      return r.pick(WEIRD_STRINGS);
    case 1:
      return r.pick(WEIRD_NUMBERS);
    case 2:
      return r.pick([null, true, false]);
    case 3:
      // Long strings at the top; short ones inside arrays and objects (frames stay near the size limit, not far past it).
      return 'z'.repeat(depth > 0 ? r.pick([10, 100]) : r.pick([100, 5000, 40_000]));
    case 4:
      return r.pick([[], {}, [1, 2], { a: 1 }, '1', 1]);
    case 5:
      return r.pick(PROTO_KEYS);
    case 6:
      return nested(r.pick([10, 500, 5000]), r.chance(0.5));
    case 7: {
      const o = Object.create(null) as Record<string, unknown>;
      for (let i = 0; i < 1 + r.int(4); i++) defineOwn(o, r.pick([...PROTO_KEYS, 'id', 'type', 'room']), weirdValue(c, depth + 1));
      return o;
    }
    default:
      return r.chance(0.3) ? Array.from({ length: 1000 }, (_, i) => i) : Array.from({ length: r.pick([1, 3, 30]) }, () => weirdValue(c, depth + 2));
  }
}

/** Deep nesting, as a placeholder JSON.stringify keeps (stringifying it for real overflows the stack); `wire` expands it. */
function nested(depth: number, arrays: boolean): unknown {
  return `\u0001NEST:${depth}:${arrays ? 'a' : 'o'}\u0001`;
}

/** The JSON text of a frame, with the nesting placeholders expanded. */
function wire(f: unknown): string {
  return JSON.stringify(f).replace(/"\\u0001NEST:(\d+):([ao])\\u0001"/g, (_, d: string, k: string) => {
    const n = Number(d);
    return k === 'a' ? '['.repeat(n) + '1' + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n);
  });
}

/** An own property, even for "__proto__" (JSON.stringify then writes it as a plain key). */
function defineOwn(o: object, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Applies 0-3 structural mutations to a frame object (in place) and returns it. */
function mutate(c: Ctx, f: Record<string, unknown>, keepId: boolean): Record<string, unknown> {
  const r = c.rng;
  const n = r.chance(0.35) ? 0 : 1 + r.int(3);
  for (let i = 0; i < n; i++) {
    const keys = Object.keys(f).filter((k) => !(keepId && (k === 'id' || k === 'type')));
    // Mutate the top level, or an object nested in it (hello's auth/resume).
    const inner = Object.values(f).filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v));
    const target = inner.length && r.chance(0.3) ? r.pick(inner) : f;
    const tkeys = target === f ? keys : Object.keys(target);
    switch (r.int(8)) {
      case 0:
      case 1:
        if (tkeys.length) {
          const k = r.pick(tkeys);
          let v = weirdValue(c);
          // A string id stays unique (an answer must be attributable); some are too long to be one.
          if (k === 'id' && typeof v === 'string' && v.length <= 64) v = `${v.slice(0, 40)}#${c.nextId()}`;
          target[k] = v;
        }
        break;
      case 2:
        if (tkeys.length) delete target[r.pick(tkeys)];
        break;
      case 3:
        defineOwn(target, r.pick([...PROTO_KEYS, 'extra', 'v', 'seq', 'kind', ...(keepId ? [] : ['id'])]), weirdValue(c));
        break;
      case 4:
        if (!keepId) f.type = r.pick([...TYPES, ...PROTO_KEYS, 'SEND', ' ping', '', 'batch', 'welcome', 'msg', 'ack', 'error', 42, null, ['send']]);
        break;
      case 5:
        if (tkeys.length) target[r.pick(tkeys)] = nested(r.pick([50, 2000, 10_000]), r.chance(0.5));
        break;
      case 6:
        if (tkeys.length) target[r.pick(tkeys)] = r.pick(WEIRD_STRINGS) + 'q'.repeat(r.pick([64, 4096, 30_000]));
        break;
      default:
        if (!keepId && r.chance(0.5)) f.id = r.chance(0.5) ? c.nextId() + 'x'.repeat(60) : r.pick([1, null, true, ['a'], { id: 'a' }]);
        break;
    }
  }
  return f;
}

type Payload = { text: string } | { binary: Buffer } | { rawText: Buffer };

/** Text-level mutations of the JSON (what no object can serialize to). */
function textMutate(c: Ctx, s: string): string {
  const r = c.rng;
  switch (r.int(7)) {
    case 0:
      return s.slice(0, r.int(s.length));
    case 1:
      return r.pick(BAD_TEXTS);
    case 2:
      // A number token JSON.stringify never writes (1e999 = Infinity), or an invalid one.
      return s.replace(/(:\s*)-?\d+(\.\d+)?/, `$1${r.chance(0.6) ? r.pick(RAW_TOKENS) : r.pick(BAD_TOKENS)}`);
    case 3:
      // A duplicated key: the last one wins in JSON.parse.
      return s.replace(/^\{/, `{"type":${JSON.stringify(r.pick(TYPES))},"id":${JSON.stringify(c.nextId())},`);
    case 4:
      return `  \n\t${s}\n `;
    case 5:
      return `${s}${r.pick([',', '}', ' x', '\u0000', '{}'])}`;
    default:
      return `{"__proto__":{"type":"ping","id":${JSON.stringify(c.nextId())}},${s.slice(1)}`;
  }
}

function payload(c: Ctx, f: Record<string, unknown>, allowTerminal: boolean): Payload {
  const r = c.rng;
  if (allowTerminal) {
    if (r.chance(0.004)) return { text: wire({ ...f, pad: 'p'.repeat(MAX_FRAME + 100) }) }; // 1009
    if (r.chance(0.004)) return { rawText: Buffer.concat([Buffer.from('{"type":"ping","id":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]) }; // 1007
  }
  if (r.chance(0.01)) return { binary: Buffer.from(wire(f)) };
  const s = wire(f);
  return { text: r.chance(0.08) ? textMutate(c, s) : s };
}

// ---------------------------------------------------------------- what the server must answer

type Expect =
  /** `sendText`: the text of a valid `send`, whose ack the text rules must allow. */
  | { kind: 're'; id: string; sendText?: string }
  /** An error without `re` must come (bad JSON, no usable id, binary). */
  | { kind: 'noRe' }
  /** No reply; at most an error without `re` (typing, read, pong); `id` must never come back. */
  | { kind: 'silent'; id?: string }
  | { kind: 'close'; code: number };

const SILENT = new Set(['typing', 'read', 'pong']);

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What the documented protocol promises for this payload on an authenticated connection. */
function expectOf(p: Payload): Expect {
  const wire = 'text' in p ? Buffer.from(p.text, 'utf8') : 'binary' in p ? p.binary : p.rawText;
  if (wire.length > MAX_FRAME) return { kind: 'close', code: CloseCode.tooLarge };
  if ('binary' in p) return { kind: 'noRe' };
  if ('rawText' in p) return { kind: 'close', code: CloseCode.invalidPayload };
  let raw: unknown;
  try {
    raw = JSON.parse(wire.toString('utf8'));
  } catch {
    return { kind: 'noRe' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { kind: 'noRe' };
  const o = raw as Record<string, unknown>;
  const id = Object.hasOwn(o, 'id') && typeof o.id === 'string' && o.id.length <= 64 ? o.id : undefined;
  const type = o.type;
  const valid = typeof type === 'string' && Object.hasOwn(clientFrameSchemas, type) && clientFrameSchemas[type as ClientFrameType].safeParse(raw).success;
  if (valid && SILENT.has(type as string)) return { kind: 'silent', id };
  if (id === undefined) return { kind: 'noRe' };
  return valid && type === 'send' ? { kind: 're', id, sendText: o.text as string } : { kind: 're', id };
}

// ---------------------------------------------------------------- a fuzzing connection

interface Stats {
  frames: number;
  hellos: number;
  replies: Map<string, number>;
  internal: number;
  closes: Map<number, number>;
  violations: string[];
  /** Frames built from each client frame type (before mutation). */
  bases: Map<string, number>;
}

const stats: Stats = { frames: 0, hellos: 0, replies: new Map(), internal: 0, closes: new Map(), violations: [], bases: new Map() };
function count(m: Map<string | number, number>, k: string | number): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}
function violation(what: string): void {
  if (stats.violations.length < 200) stats.violations.push(what);
}
const show = (s: string) => JSON.stringify(s.length > 300 ? s.slice(0, 300) + `...(${s.length} chars)` : s);
const showPayload = (p: Payload) => ('text' in p ? show(p.text) : 'binary' in p ? `<binary ${show(p.binary.toString())}>` : `<invalid UTF-8 ${p.rawText.toString('hex')}>`);

/** One WebSocket life of a fuzzing connection: what was sent, what came back. */
class Segment {
  readonly ws: WebSocket;
  /** Per request id: frames that must be answered, frames that may not be, answers got. */
  private readonly ids = new Map<string, { must: number; may: number; got: number; frame: string; sendText?: string }>();
  private noReMust = 0;
  private noReMay = 0;
  private noReGot = 0;
  private readonly noReFrames: string[] = [];
  sent = 0;
  /** Index of the latest frame whose answer came (frames are processed in order). */
  processed = 0;
  private readonly indexOf = new Map<string, number>();
  closed: { code: number } | null = null;
  welcome: WelcomeFrame | null = null;
  private waiters: (() => void)[] = [];
  expectedClose: number | null = null;
  /** A valid `signout_all` was sent: an `error token_revoked` (no `re`) and the close 4015 may follow. */
  revoked = false;

  constructor(
    url: string,
    readonly label: string,
  ) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data) => this.onMessage(data.toString()));
    this.ws.on('close', (code) => {
      this.closed = { code };
      this.wake();
    });
    this.ws.on('error', () => {});
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async until(cond: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (!cond()) {
      const left = end - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }

  private onMessage(raw: string): void {
    const f = JSON.parse(raw) as { type: string; events?: unknown[] };
    const events = (f.type === 'batch' ? f.events : [f]) as Record<string, unknown>[];
    for (const e of events) this.onEvent(e);
    this.wake();
  }

  private onEvent(e: Record<string, unknown>): void {
    if (e.type === 'welcome') {
      this.welcome = e as unknown as WelcomeFrame;
      return;
    }
    if (e.type === 'error') {
      const code = String(e.code);
      count(stats.replies, code);
      if (!ERROR_CODES.has(code)) violation(`${this.label}: undocumented error code ${show(JSON.stringify(e))}`);
      if (code === ErrorCode.internal) {
        stats.internal++;
        violation(`${this.label}: internal error ${show(JSON.stringify(e))} for ${show(this.frameOf(e.re))}`);
      }
      if (code === ErrorCode.rate_limited && typeof e.retryAfterMs !== 'number') violation(`${this.label}: rate_limited without retryAfterMs ${show(JSON.stringify(e))}`);
    }
    const re = e.type === 'ack' ? e.id : e.type === 'msg' ? undefined : e.re;
    if (typeof re === 'string') {
      if (e.type !== 'error') count(stats.replies, String(e.type));
      const t = this.ids.get(re);
      if (!t) {
        const key = `"id":${JSON.stringify(re)}`;
        const raw = this.recent.find((x) => x.includes(key));
        const inFrame = raw && show(raw.slice(Math.max(0, raw.indexOf(key) - 150), raw.indexOf(key) + 150));
        return violation(`${this.label}: an answer whose re is not the id of a frame: ${show(JSON.stringify(e))}${inFrame ? ` (that id is nested in a frame: ...${inFrame}...)` : ''}`);
      }
      t.got++;
      if (e.type === 'ack' && t.sendText !== undefined) {
        const problem = textProblem(t.sendText, MAX_TEXT);
        if (problem) violation(`${this.label}: acknowledged a text the rules refuse (${problem}): ${show(t.frame)}`);
      }
      if (t.got > t.must + t.may) violation(`${this.label}: ${t.got} answers to one frame ${show(t.frame)}: the last ${show(JSON.stringify(e))}`);
      this.processed = Math.max(this.processed, this.indexOf.get(re) ?? 0);
    } else if (e.type === 'error' && e.code === 'token_revoked' && this.revoked) {
      // Explained by our signout_all: the session ends (close 4015 next).
    } else if (e.type === 'error') {
      this.noReGot++;
      if (this.welcome && this.noReGot > this.noReMust + this.noReMay) {
        violation(`${this.label}: an error without re no frame explains: ${show(JSON.stringify(e))} (recent frames without id: ${this.noReFrames.slice(-3).map(show).join(', ') || 'none'})`);
      }
    }
  }

  private frameOf(re: unknown): string {
    return typeof re === 'string' ? (this.ids.get(re)?.frame ?? '?') : '(no re)';
  }

  /** The largest frame sent (bytes) and its text: the reproduction of an unexplained 1009. */
  largest = { bytes: 0, frame: '' };
  /** The last text frames sent. */
  private readonly recent: string[] = [];

  send(p: Payload, ex: Expect): void {
    this.sent++;
    const bytes = 'text' in p ? Buffer.byteLength(p.text) : 'binary' in p ? p.binary.length : p.rawText.length;
    if (bytes > this.largest.bytes) this.largest = { bytes, frame: showPayload(p) };
    if ('text' in p) this.recent.push(p.text);
    if (this.recent.length > 100) this.recent.shift();
    stats.frames++;
    const shown = showPayload(p);
    if (ex.kind === 're' || (ex.kind === 'silent' && ex.id !== undefined)) {
      const t = this.ids.get(ex.id!) ?? { must: 0, may: 0, got: 0, frame: shown };
      // A silent frame with an id may still be rate-limited: `rate_limited` carries the dropped frame's id.
      if (ex.kind === 're') {
        t.must++;
        t.sendText = ex.sendText;
      } else t.may++;
      this.ids.set(ex.id!, t);
      this.indexOf.set(ex.id!, this.sent);
    }
    if (ex.kind === 'noRe') {
      this.noReMust++;
      this.noReFrames.push(shown);
    } else if (ex.kind === 'silent') {
      this.noReMay++;
    } else if (ex.kind === 'close') {
      this.expectedClose = ex.code;
      this.noReFrames.push(shown);
    }
    if ('text' in p) this.ws.send(p.text);
    else if ('binary' in p) this.ws.send(p.binary, { binary: true });
    else this.ws.send(p.rawText, { binary: false });
  }

  /** Every frame that must be answered was. */
  settled(): boolean {
    for (const t of this.ids.values()) if (t.got < t.must) return false;
    return this.noReGot >= this.noReMust;
  }

  /** Checks the segment's accounting (after it ended or went quiet). `cut`: it was closed with frames in flight. */
  verify(cut: boolean): void {
    for (const t of this.ids.values()) {
      if (!cut && t.got < t.must) violation(`${this.label}: no answer to ${show(t.frame)}`);
    }
    if (!cut && this.noReGot < this.noReMust) {
      violation(`${this.label}: ${this.noReMust - this.noReGot} of ${this.noReMust} frames without a usable id got no error, e.g. ${this.noReFrames.slice(-3).map(show).join(', ')}`);
    }
  }
}

/** A fuzzing connection: reconnects (with its token) whenever the server closes it, and checks why it did. */
class Fuzzer {
  private seg!: Segment;
  private token: string | null = null;
  private n = 0;
  readonly ctx: Ctx;

  constructor(
    private readonly url: string,
    readonly label: string,
    private readonly name: string,
    private readonly rng: Rng,
    /** At default rate limits: only well-formed frames with a simple id first (what the limiter reads). */
    private readonly limited: boolean,
    shared: { rooms: string[]; users: string[]; tokens: string[] },
  ) {
    this.ctx = { rng, nextId: () => `${label}-${++this.n}`, rooms: shared.rooms, users: shared.users, tokens: shared.tokens };
  }

  private async connect(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const seg = new Segment(this.url, this.label);
      await seg.opened();
      const auth = this.token ? { kind: 'token', token: this.token } : { kind: 'guest', name: this.name };
      seg.ws.send(JSON.stringify({ type: 'hello', v: 1, auth, presence: this.rng.chance(0.5) }));
      stats.hellos++;
      const ok = await seg.until(() => seg.welcome !== null || seg.closed !== null, 10_000);
      if (seg.welcome) {
        this.token = seg.welcome.token;
        this.ctx.tokens.push(seg.welcome.token);
        this.seg = seg;
        return;
      }
      if (!ok) throw new Error(`${this.label}: no welcome within 10 s`);
      // Our signout_all's revocation can win against a close we caused meanwhile (1009...): a new guest then.
      if (seg.closed?.code === CloseCode.tokenRevoked) this.token = null;
      if (attempt > 20) throw new Error(`${this.label}: cannot reconnect (last close ${seg.closed?.code})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async run(budget: number, paceMs = 0): Promise<void> {
    await this.connect();
    for (let i = 0; i < budget; i++) {
      const seg = this.seg;
      // Keep the server's per-connection queue short: at most WINDOW frames past the last answered one,
      // and a ping (it is answered) after a run of frames that get no answer.
      if (seg.sent - seg.processed >= WINDOW) {
        if (!(await seg.until(() => seg.sent - seg.processed < WINDOW || seg.closed !== null, 10_000))) {
          violation(`${this.label}: ${seg.sent - seg.processed} frames unanswered for 10 s`);
          seg.processed = seg.sent;
        }
      }
      if (seg.closed) {
        await this.closedSegment(seg);
        continue;
      }
      const type = i % 8 === 7 ? 'ping' : this.rng.pick(TYPES);
      count(stats.bases, type);
      const f = mutate(this.ctx, BASES[type](this.ctx), this.limited);
      if (this.limited && typeof f.id !== 'string') f.id = this.ctx.nextId(); // typing/read/pong too: every frame is counted
      // At default limits the limiter reads the id from the raw text: keep it the first "id" of the frame.
      const p = this.limited ? { text: wire({ type: f.type, id: f.id, ...f }) } : payload(this.ctx, f, true);
      const ex = expectOf(p);
      seg.send(p, ex);
      // A valid signout_all is answered, then ends every session of the user: close 4015, token dead.
      if (ex.kind === 're' && 'text' in p && clientFrameSchemas.signout_all.safeParse(safeJson(p.text)).success) seg.revoked = true;
      if (ex.kind === 'close') {
        // The server must close with exactly this code; nothing more is sent on this connection.
        await seg.until(() => seg.closed !== null, 5000);
        if (!seg.closed) violation(`${this.label}: no close ${ex.code} after ${showPayload(p)}`);
        seg.ws.terminate();
        await seg.until(() => seg.closed !== null, 5000);
        await this.closedSegment(seg);
      }
      if (paceMs) await new Promise((r) => setTimeout(r, paceMs));
    }
    const seg = this.seg;
    if (!(await seg.until(() => seg.settled() || seg.closed !== null, 10_000))) seg.verify(false);
    else if (seg.closed) await this.closedSegment(seg);
    else seg.verify(false);
  }

  private async closedSegment(seg: Segment): Promise<void> {
    const code = seg.closed!.code;
    count(stats.closes, code);
    const explained = code === seg.expectedClose || (this.limited && code === CloseCode.flood) || (seg.revoked && code === CloseCode.tokenRevoked);
    if (!explained) {
      violation(`${this.label}: closed with ${code}${CLOSE_CODES.has(code) ? '' : ' (undocumented)'} after ${seg.sent} frames, no frame of ours explains it (largest frame ${seg.largest.bytes} bytes: ${seg.largest.frame})`);
    }
    seg.verify(true);
    // Signed out everywhere: a new guest. Also when our signout_all was sent but another close came first:
    // it may still commit, and then revokes a session signed in again with this token meanwhile.
    if (code === CloseCode.tokenRevoked || seg.revoked) this.token = null;
    await this.connect();
  }

  close(): void {
    this.seg?.ws.close();
  }
}

// ---------------------------------------------------------------- hellos on fresh connections

async function fuzzHello(url: string, c: Ctx): Promise<void> {
  const seg = new Segment(url, 'hello');
  // A hello may sign in with another fuzz client's token: that client's signout_all then revokes this
  // session too (error token_revoked without re, close 4015), which is the documented behaviour.
  seg.revoked = true;
  try {
    await seg.opened();
  } catch (err) {
    return violation(`hello: connection refused: ${(err as Error).message}`);
  }
  stats.hellos++;
  const r = c.rng;
  // Mostly hellos; sometimes another type first (handshake_required).
  const type = r.chance(0.9) ? 'hello' : r.pick(TYPES);
  count(stats.bases, type);
  const first = BASES[type](c);
  const p = payload(c, mutate(c, first, false), true);
  const errors: Record<string, unknown>[] = [];
  seg.ws.on('message', (d) => {
    const f = JSON.parse(d.toString()) as Record<string, unknown>;
    for (const e of (f.type === 'batch' ? f.events : [f]) as Record<string, unknown>[]) if (e.type === 'error') errors.push(e);
  });
  if ('text' in p) seg.ws.send(p.text);
  else if ('binary' in p) seg.ws.send(p.binary, { binary: true });
  else seg.ws.send(p.rawText, { binary: false });
  const done = await seg.until(() => seg.welcome !== null || seg.closed !== null, 8000);
  const shown = showPayload(p);
  if (!done) {
    violation(`hello: neither welcome nor close within 8 s for ${shown}`);
    seg.ws.terminate();
    return;
  }
  if (seg.welcome) {
    count(stats.replies, 'welcome');
    if (seg.welcome.token) c.tokens.push(seg.welcome.token);
    seg.ws.close();
    await seg.until(() => seg.closed !== null, 5000);
    return;
  }
  const code = seg.closed!.code;
  count(stats.closes, code);
  const ex = expectOf(p);
  if (ex.kind === 'close') {
    if (code !== ex.code) violation(`hello: closed ${code}, expected ${ex.code}, for ${shown}`);
    return;
  }
  const e = errors[0];
  if (!e) return violation(`hello: closed ${code} without an error frame for ${shown}`);
  const ecode = String(e.code);
  if (!ERROR_CODES.has(ecode)) violation(`hello: undocumented error code ${show(JSON.stringify(e))} for ${shown}`);
  if (ecode === ErrorCode.internal) {
    stats.internal++;
    violation(`hello: internal error for ${shown}`);
  }
  const want = handshakeCloseCode[ecode as ErrorCode] ?? CloseCode.protocolError;
  if (code !== want) violation(`hello: error ${ecode} closed with ${code}, documented ${want}, for ${shown}`);
}

// ---------------------------------------------------------------- the run

let srv: TestServer;
let limitedSrv: TestServer;
const serverErrors: string[] = [];

/** A logger that keeps the server's error-level lines (a request that crashed). */
function errorLogger() {
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        const o = JSON.parse(line) as { level: number; msg: string; err?: { message?: string; stack?: string } };
        if (o.level >= 50) serverErrors.push(`${o.msg}: ${o.err?.stack?.split('\n').slice(0, 4).join(' | ') ?? o.err?.message ?? line.slice(0, 300)}`);
      }
      cb();
    },
  });
  return pino({ level: 'warn' }, sink);
}

before(async () => {
  const common = { guestsPerMinute: 0, handshakeTimeoutMs: 3000 };
  srv = await startServer({ ...common, ratePerSec: 1_000_000, rateBurst: 1_000_000 }, undefined, { logger: errorLogger() });
  // The same fuzzing at the default rate limits (20 frames/s, burst 40): rate_limited, then 4010 closes.
  limitedSrv = await startServer({ ...common }, undefined, { logger: errorLogger() });
});
after(async () => {
  await srv?.cleanup();
  await limitedSrv?.cleanup();
});

interface Pair {
  a: RawClient;
  b: RawClient;
  room: string;
}

async function healthyPair(): Promise<Pair> {
  const a = (await RawClient.guest(srv.url, 'healthy-a')).c;
  const b = (await RawClient.guest(srv.url, 'healthy-b')).c;
  const room = 'healthy';
  const j = await a.request<JoinedFrame>({ type: 'create', id: 'hc', room, visibility: 'private' });
  assert.equal(j.type, 'joined', JSON.stringify(j));
  assert.equal((await a.request({ type: 'invite', id: 'hi', room, user: 'healthy-b' })).type, 'invited');
  await b.next((e) => e.type === 'room_added');
  return { a, b, room };
}

/** One side of the pair: sends one message every ~20 ms, each acknowledged within 5 s, until `stop`. */
async function chat(c: RawClient, room: string, tag: string, stop: () => boolean, sent: string[], problems: string[]): Promise<void> {
  let n = 0;
  while (!stop()) {
    const id = `${tag}-${++n}`;
    const t0 = Date.now();
    try {
      const r = await c.request<AckFrame>({ type: 'send', id, room, text: `${tag} says ${n}` }, 5000);
      if (r.type !== 'ack') problems.push(`${id}: ${JSON.stringify(r)}`);
      else sent.push(id);
      if (Date.now() - t0 > 3000) problems.push(`${id}: acknowledged after ${Date.now() - t0} ms`);
    } catch (err) {
      problems.push(`${id}: ${(err as Error).message}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

test(`fuzz-frames: mutated frames and hellos get documented answers; a healthy pair chats throughout (seed ${SEED})`, { timeout: 180_000 }, async () => {
  console.log(`fuzz-frames: seed ${SEED} (FUZZ_SEED=${SEED} replays this run)`);
  for (const t of TYPES) assert.ok(typeof BASES[t] === 'function', `a generator for client frame type "${t}"`);
  const started = Date.now();
  const heap0 = process.memoryUsage().heapUsed;
  const pair = await healthyPair();
  const handles0 = process.getActiveResourcesInfo().length;
  let done = false;
  const sentA: string[] = [];
  const sentB: string[] = [];
  const problems: string[] = [];
  const chats = [chat(pair.a, pair.room, 'a', () => done, sentA, problems), chat(pair.b, pair.room, 'b', () => done, sentB, problems)];

  const root = new Rng(SEED);
  const shared = { rooms: ['general', 'healthy', 'r1', 'r2', 'dm:u1:u2'], users: ['healthy-a', 'healthy-b', 'nobody-here'], tokens: [] as string[] };
  const fuzzers: Fuzzer[] = [];
  const runs: Promise<void>[] = [];
  const main = 4;
  const perMain = Math.round((FRAMES * 0.85) / main);
  for (let i = 0; i < main; i++) {
    const name = `fz${i}`;
    shared.users.push(name);
    const f = new Fuzzer(srv.url, `m${i}`, name, new Rng(SEED + 1 + i), false, shared);
    fuzzers.push(f);
    runs.push(f.run(perMain));
  }
  // At default limits: one floods (rate_limited, then 4010, reconnect, again), one goes a little over the rate.
  const flood = new Fuzzer(limitedSrv.url, 'l0', 'fzl0', new Rng(SEED + 11), true, { rooms: ['general', 'r1'], users: ['fzl1'], tokens: [] });
  const paced = new Fuzzer(limitedSrv.url, 'l1', 'fzl1', new Rng(SEED + 12), true, { rooms: ['general', 'r1'], users: ['fzl0'], tokens: [] });
  fuzzers.push(flood, paced);
  const flooding = Math.round(FRAMES * 0.15) - 200;
  runs.push(flood.run(flooding), paced.run(200, 30));
  // Fresh connections fuzzing the handshake, four at a time.
  const helloCtx: Ctx = { rng: new Rng(SEED + 99), nextId: (() => {
    let k = 0;
    return () => `h-${++k}`;
  })(), rooms: shared.rooms, users: shared.users, tokens: shared.tokens };
  let hellos = 0;
  const helloLoop = async () => {
    while (hellos < HELLOS) {
      hellos++;
      await fuzzHello(srv.url, helloCtx);
    }
  };
  runs.push(helloLoop(), helloLoop(), helloLoop(), helloLoop());
  // Rooms the fuzzers may address: some they create as they go.
  for (let i = 0; i < 10; i++) shared.rooms.push(`r${root.int(40)}`);

  if (process.env.FUZZ_DEBUG) runs.forEach((r, i) => void r.then(() => console.log(`fuzz-frames: loop ${i} done at ${((Date.now() - started) / 1000).toFixed(1)} s`)));
  const results = await Promise.allSettled(runs);
  done = true;
  await Promise.all(chats);
  for (const r of results) if (r.status === 'rejected') violation(`a fuzzing loop failed: ${(r.reason as Error).stack ?? r.reason}`);
  for (const f of fuzzers) f.close();

  // ---- the healthy pair: every send acknowledged and received by the other, in order
  assert.deepEqual(problems, [], 'the healthy pair was served throughout');
  assert.ok(sentA.length > 20 && sentB.length > 20, `the pair chatted: ${sentA.length} + ${sentB.length} messages`);
  const got = (c: RawClient, uid: string) => c.all<MsgEvent>('msg').filter((m) => m.room === pair.room && m.user === uid).map((m) => m.id);
  const until = Date.now() + 5000;
  while (Date.now() < until && (!got(pair.b, 'healthy-a').includes(sentA[sentA.length - 1]) || !got(pair.a, 'healthy-b').includes(sentB[sentB.length - 1]))) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(got(pair.b, 'healthy-a'), sentA, 'b received every message of a, in order, once');
  assert.deepEqual(got(pair.a, 'healthy-b'), sentB, 'a received every message of b, in order, once');

  // ---- the server: no crashed request, no leftover connection, bounded memory and handles
  const closedAll = async (s: TestServer, n: number) => {
    const until = Date.now() + 5000;
    while (s.app.connectionCount() > n && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    return s.app.connectionCount();
  };
  pair.a.close();
  pair.b.close();
  assert.equal(await closedAll(srv, 0), 0, 'every connection of the fuzzed server is gone');
  assert.equal(await closedAll(limitedSrv, 0), 0, 'every connection of the rate-limited server is gone');
  const heapGrowthMb = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
  const handles = process.getActiveResourcesInfo().length;
  assert.ok(heapGrowthMb < 300, `heap grew by ${heapGrowthMb.toFixed(0)} MB`);
  assert.ok(handles <= handles0 + 10, `active handles ${handles0} -> ${handles}: ${process.getActiveResourcesInfo().join(',')}`);

  const after = stats.frames;
  const byCode = Object.fromEntries([...stats.replies.entries()].sort((x, y) => y[1] - x[1]));
  const closes = Object.fromEntries(stats.closes);
  console.log(
    `fuzz-frames: ${stats.frames + stats.hellos} frames (${after} after hello, ${stats.hellos} hellos), ${serverErrors.length} crashes, ${stats.internal} internal, ` +
      `replies by code ${JSON.stringify(byCode)}, closes by code ${JSON.stringify(closes)}, healthy pair ${sentA.length}+${sentB.length} messages acked and delivered, ` +
      `${stats.violations.length} violations, ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${SEED}`,
  );
  assert.deepEqual(serverErrors, [], 'no request crashed on the server (error-level log lines)');
  if (stats.violations.length) {
    // Grouped: the first of each kind, with its frame, is the reproduction.
    const kinds = new Map<string, string[]>();
    for (const v of stats.violations) {
      const k = v.replace(/^[^:]*: /, '').replace(/"[^"]*"|\d+/g, '_').slice(0, 60);
      kinds.set(k, [...(kinds.get(k) ?? []), v]);
    }
    assert.fail(`${stats.violations.length} violations (seed ${SEED}):\n${[...kinds.values()].map((vs) => `  [${vs.length}x] ${vs[0]}`).join('\n')}`);
  }
  for (const t of TYPES) assert.ok((stats.bases.get(t) ?? 0) >= 10, `frames built from "${t}": ${stats.bases.get(t) ?? 0}`);
  assert.ok(stats.frames >= FRAMES * 0.95 && stats.hellos >= HELLOS, `at least ${FRAMES} frames after hello and ${HELLOS} hellos: ${stats.frames}, ${stats.hellos}`);
});
