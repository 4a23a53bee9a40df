/**
 * A lighter decoder of server frames for the load generator, plugged into the SDK through
 * `ChatClientOptions.decodeFrame`. It yields the same events as `decodeServerFrame` (JSON.parse),
 * but a `msg` event is read lazily: `room` and `seq` (all the SDK's ordering and dedup needs, and
 * all the generator's loss accounting needs) are read by position when the frame arrives; `id`,
 * `uid`, `user`, `text` and `ts` are parsed from the frame text on first access. A load generator
 * that receives millions of msgs/s and reads the text of a sample of them (latency, event rows)
 * never pays for building the rest (docs/loadtest.md has the measurements).
 *
 * Why reading by position is safe: the server serializes events with the one encoder of server
 * events (src/protocol/encode.ts: `msgEvent` fixes the key order of msg events, `encodeEvent`
 * serializes, `BATCH_HEAD`/`BATCH_SEP`/`BATCH_TAIL` frame batches):
 *   {"type":"msg","room":R,"seq":N,"id":S,"uid":S,"user":S,"text":S,"ts":N}
 *   {"type":"ack","id":S,"room":R,"seq":N,"ts":N}
 * and a batch is `{"type":"batch","events":[e1,e2,...]}` joined from serialized events
 * (src/loadtest/fastframe.test.ts fails when that encoder and this decoder drift). In JSON a
 * raw `"` that is not preceded by a backslash always delimits a string, so `{"type":"` can only
 * be the start of an event object (the next one of a batch: msg events contain no nested object)
 * and `,"text":"` only the text key of a msg. `ping` events are read by position too. Every key
 * read eagerly is checked; a frame holding any other event type, or any deviation from the layout,
 * goes to JSON.parse whole, and a lazy field that does not match the layout is taken from
 * JSON.parse of that one event: results are those of the reference decoder (the unit test compares
 * both on random and hostile frames). A msg with any field after `ts` (a tombstone, a change event,
 * a reply, an edited or reacted message: ../protocol/changes.ts) sends its frame to JSON.parse whole.
 * What is not checked eagerly is the tail of a msg event
 * (after seq): it is read when a lazy field is; a nested object there would have to start with
 * `{"type":"` right after a comma and look like a msg, ack or ping to be mistaken for an event.
 */
import { decodeServerFrame } from '../protocol/codec.js';
import { BATCH_HEAD, BATCH_SEP, BATCH_TAIL } from '../protocol/encode.js';
import type { AckFrame, MsgEvent, ServerEvent } from '../protocol/types.js';

const MSG_HEAD = '{"type":"msg","room":"';
const ACK_HEAD = '{"type":"ack","id":"';
const PING_HEAD = '{"type":"ping","ts":';
const EVENT_START = '{"type":"';
const TEXT_KEY = ',"text":"';
const QUOTE = 34;
const COMMA = BATCH_SEP.charCodeAt(0);
const BACKSLASH = 92;
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = BATCH_TAIL.charCodeAt(0);
const TS_KEY = ',"ts":';

/** Whether the event ending at `end` (exclusive, after its `}`) ends with `,"ts":<digits>}`: `msgEvent` writes every optional field after ts. */
function endsWithTs(text: string, end: number): boolean {
  let i = end - 2;
  const last = i;
  while (i >= 0) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i--;
  }
  return i < last && text.startsWith(TS_KEY, i - TS_KEY.length + 1);
}

/** Thrown internally when the layout is not the expected one: the caller falls back to JSON.parse. */
const MISMATCH = Symbol('mismatch');

/**
 * How often the layout did not match (counted on the fallback only): frames parsed whole, msg tails
 * parsed by JSON.parse. The drift test (fastframe.test.ts) checks that what the encoder
 * writes never falls back.
 */
export const fallbacks = { frames: 0, tails: 0 };

interface Tail {
  id: string;
  uid: string;
  user: string;
  text: string;
  ts: number;
}

/** The read position of the functions below (one shared cursor, no object per event). */
const cur = { p: 0 };

function expect(s: string, lit: string): void {
  if (!s.startsWith(lit, cur.p)) throw MISMATCH;
  cur.p += lit.length;
}

/** A string whose opening quote was already consumed; leaves cur.p after the closing quote. */
function str(s: string): string {
  const start = cur.p;
  const q = s.indexOf('"', start);
  if (q < 0) throw MISMATCH;
  const raw = s.slice(start, q);
  if (raw.indexOf('\\') === -1) {
    cur.p = q + 1;
    return raw;
  }
  // Escapes: find the real closing quote, then let JSON.parse unescape the literal.
  let i = start;
  for (;;) {
    const c = s.charCodeAt(i);
    if (Number.isNaN(c)) throw MISMATCH;
    if (c === BACKSLASH) i += 2;
    else if (c === QUOTE) break;
    else i++;
  }
  cur.p = i + 1;
  return JSON.parse(s.slice(start - 1, i + 1)) as string;
}

/** A non-negative integer as the server writes seq and ts; anything else is left to JSON.parse. */
function int(s: string): number {
  const first = cur.p;
  let i = first;
  let n = 0;
  for (;;) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57 || Number.isNaN(c)) break;
    n = n * 10 + (c - 48);
    i++;
  }
  if (i === first || (s.charCodeAt(first) === 48 && i - first > 1) || i - first > 15) throw MISMATCH;
  cur.p = i;
  return n;
}

/**
 * A `msg` event whose `room` and `seq` are plain fields and whose other fields are parsed from the
 * frame on first access (accessors on the prototype; `toJSON()` gives the plain object).
 */
export class LazyMsg implements MsgEvent {
  readonly type = 'msg' as const;
  private tail: Tail | undefined;

  constructor(
    readonly room: string,
    readonly seq: number,
    /** The frame text, the start of this event in it, where its `"id"` key starts, and its end. */
    private readonly src: string,
    private readonly start: number,
    private readonly rest: number,
    private readonly end: number,
  ) {}

  get id(): string {
    return (this.tail ?? this.parseTail()).id;
  }
  get uid(): string {
    return (this.tail ?? this.parseTail()).uid;
  }
  get user(): string {
    return (this.tail ?? this.parseTail()).user;
  }
  get text(): string {
    return (this.tail ?? this.parseTail()).text;
  }
  get ts(): number {
    return (this.tail ?? this.parseTail()).ts;
  }

  /**
   * Up to `n` characters of the text, read without parsing the other fields (the load generator's
   * latency stamp). Falls back to `text` when the head contains an escape.
   */
  textHead(n: number): string {
    if (this.tail) return this.tail.text.slice(0, n);
    const k = this.src.indexOf(TEXT_KEY, this.rest);
    if (k < 0 || k > this.end) return this.text.slice(0, n);
    const from = k + TEXT_KEY.length;
    const q = this.src.indexOf('"', from);
    const head = this.src.slice(from, Math.min(q < 0 ? from : q, from + n));
    return head.indexOf('\\') === -1 ? head : this.text.slice(0, n);
  }

  toJSON(): MsgEvent {
    const { id, uid, user, text, ts } = this.tail ?? this.parseTail();
    return { type: 'msg', room: this.room, seq: this.seq, id, uid, user, text, ts };
  }

  private parseTail(): Tail {
    let tail: Tail;
    const s = this.src;
    try {
      cur.p = this.rest;
      expect(s, '"id":"');
      const id = str(s);
      expect(s, ',"uid":"');
      const uid = str(s);
      expect(s, ',"user":"');
      const user = str(s);
      expect(s, ',"text":"');
      const text = str(s);
      expect(s, ',"ts":');
      const ts = int(s);
      if (cur.p !== this.end - 1 || s.charCodeAt(cur.p) !== CLOSE_BRACE) throw MISMATCH;
      tail = { id, uid, user, text, ts };
    } catch (err) {
      if (err !== MISMATCH) throw err;
      fallbacks.tails++;
      const ev = JSON.parse(s.slice(this.start, this.end)) as MsgEvent;
      tail = { id: ev.id, uid: ev.uid, user: ev.user, text: ev.text, ts: ev.ts };
    }
    this.tail = tail;
    return tail;
  }
}

/** Decodes frames; remembers the last room id so consecutive msgs of a room share one string. */
export class FastDecoder {
  private lastRoom = '';

  /**
   * Decodes one server text frame into its events, like `decodeServerFrame`: frames made only of
   * `msg`/`ack` events (alone or batched) are read by position, anything else by JSON.parse.
   * Throws (like JSON.parse) on a frame that is not JSON.
   */
  decode(text: string): ServerEvent[] {
    try {
      return this.fast(text);
    } catch (err) {
      if (err !== MISMATCH) throw err;
      fallbacks.frames++;
      return decodeServerFrame(text);
    }
  }

  private fast(text: string): ServerEvent[] {
    if (!text.startsWith(BATCH_HEAD)) {
      const end = text.length;
      return [this.event(text, 0, end)];
    }
    const out: ServerEvent[] = [];
    let pos = BATCH_HEAD.length;
    const last = text.length - 2;
    if (text.charCodeAt(last) !== CLOSE_BRACKET || text.charCodeAt(last + 1) !== CLOSE_BRACE) throw MISMATCH;
    for (;;) {
      // The next event starts at the next `{"type":"` (searching for the rare `{` is fast), after a comma.
      const next = text.indexOf(EVENT_START, pos + 1);
      if (next >= 0 && text.charCodeAt(next - 1) !== COMMA) throw MISMATCH;
      const end = next < 0 ? last : next - 1;
      out.push(this.event(text, pos, end));
      if (next < 0) return out;
      pos = next;
    }
  }

  /** The event occupying text[start, end). */
  private event(text: string, start: number, end: number): ServerEvent {
    if (text.charCodeAt(end - 1) !== CLOSE_BRACE) throw MISMATCH;
    if (text.startsWith(MSG_HEAD, start)) {
      cur.p = start + MSG_HEAD.length;
      const prev = this.lastRoom;
      let room: string;
      if (prev.length > 0 && text.startsWith(prev, cur.p) && text.charCodeAt(cur.p + prev.length) === QUOTE) {
        room = prev;
        cur.p += prev.length + 1;
      } else {
        room = str(text);
        // Reused only when the raw text is the room id itself (no escapes).
        if (room.indexOf('"') === -1 && room.indexOf('\\') === -1) this.lastRoom = room;
      }
      expect(text, ',"seq":');
      const seq = int(text);
      expect(text, ',');
      if (cur.p >= end) throw MISMATCH;
      // Only a plain message is lazy: one that ends with its `"ts":N}` (a tombstone, a reply, an edited or
      // reacted message and a change event have fields after ts: LazyMsg has none of them): else parsed whole.
      if (!endsWithTs(text, end)) throw MISMATCH;
      return new LazyMsg(room, seq, text, start, cur.p, end);
    }
    if (text.startsWith(PING_HEAD, start)) {
      cur.p = start + PING_HEAD.length;
      const ts = int(text);
      if (cur.p !== end - 1) throw MISMATCH;
      return { type: 'ping', ts };
    }
    if (text.startsWith(ACK_HEAD, start)) {
      cur.p = start + ACK_HEAD.length;
      const id = str(text);
      expect(text, ',"room":"');
      const room = str(text);
      expect(text, ',"seq":');
      const seq = int(text);
      expect(text, ',"ts":');
      const ts = int(text);
      if (cur.p !== end - 1) throw MISMATCH;
      const ack: AckFrame = { type: 'ack', id, room, seq, ts };
      return ack;
    }
    throw MISMATCH;
  }
}
