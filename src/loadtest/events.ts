/**
 * events.csv rows, one per message event (columns of the seed's load-test CSV plus room, seq and
 * latency): `message_id,sender_id,client_id,type,timestamp,room,seq,latency_us` with type Sent or
 * Received and timestamp in microseconds since the epoch. Each worker appends to its own part file
 * through a large buffer; the coordinator joins the parts under one header at the end.
 *
 * Sampling keeps whole messages: the sender decides (deterministically from the client index and
 * its message counter) and marks the text, so a sampled message has its Sent row and all of its
 * Received rows, and an unsampled one none.
 */
import { createReadStream, createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';

export const EVENTS_HEADER = 'message_id,sender_id,client_id,type,timestamp,room,seq,latency_us\n';
const FLUSH_AT = 256 * 1024;

/** RFC 4180 quoting, only when needed (ids and names of this generator never need it). */
function field(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 44 || c === 34 || c === 10 || c === 13) return `"${s.replace(/"/g, '""')}"`;
  }
  return s;
}

/** Is message `n` of client `i` in the sample? (a multiplicative hash, uniform enough). */
export function sampled(i: number, n: number, fraction: number): boolean {
  if (fraction >= 1) return true;
  if (fraction <= 0) return false;
  const h = (Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(n, 0x85ebca77)) >>> 0;
  return (Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0) / 4294967296 < fraction;
}

export class EventLog {
  private buf = '';
  private readonly out: WriteStream;
  sentRows = 0;
  receivedRows = 0;

  constructor(file: string) {
    this.out = createWriteStream(file, { flags: 'w' });
    this.out.on('error', () => {}); // reported by close()
  }

  sent(id: string, sender: string, us: number, room: string, seq: number | null): void {
    this.sentRows++;
    const s = field(sender);
    this.buf += `${field(id)},${s},${s},Sent,${us},${field(room)},${seq ?? ''},\n`;
    if (this.buf.length >= FLUSH_AT) this.flush();
  }

  received(id: string, sender: string, client: string, us: number, room: string, seq: number, latencyUs: number): void {
    this.receivedRows++;
    this.buf += `${field(id)},${field(sender)},${field(client)},Received,${us},${field(room)},${seq},${latencyUs}\n`;
    if (this.buf.length >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    if (this.buf) this.out.write(this.buf);
    this.buf = '';
  }

  async close(): Promise<void> {
    this.flush();
    this.out.end();
    if (!this.out.closed) await once(this.out, 'close');
    if (this.out.errored) throw this.out.errored;
  }
}

/** Writes `file` as the header followed by every part, then deletes the parts. */
export async function joinParts(file: string, parts: string[]): Promise<void> {
  const out = createWriteStream(file);
  out.write(EVENTS_HEADER);
  // A loop rather than pipeline() per part: each pipeline leaves listeners on `out`, and a run with
  // many child processes has more parts than a stream's listener limit. once() rejects on 'error'.
  for (const p of parts) {
    for await (const chunk of createReadStream(p)) {
      if (!out.write(chunk)) await once(out, 'drain');
    }
  }
  out.end();
  if (!out.closed) await once(out, 'close');
  if (out.errored) throw out.errored;
  for (const p of parts) rmSync(p, { force: true });
}
