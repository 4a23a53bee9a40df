/**
 * Reads a JSON request body, bounded and timed: the admin API and the HTTP API both read their bodies
 * with it. Never throws: the result says what went wrong, and each API answers it with its own codes.
 * - over `maxBytes` (by Content-Length before reading, or while reading): `too_large`, nothing more read;
 * - not complete within `timeoutMs` (or the client went away): `incomplete`;
 * - not JSON, or JSON that is not an object: `bad_json` / `not_object`.
 * An empty body is `{}`. Keys of the object are the client's: read them with Object.hasOwn or a schema,
 * never as an index into a plain object of ours.
 */
import type { IncomingMessage } from 'node:http';

export type JsonBody =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; reason: 'too_large' | 'incomplete' | 'bad_json' | 'not_object'; message: string };

export async function readJsonBody(req: IncomingMessage, maxBytes: number, timeoutMs = 10_000): Promise<JsonBody> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false, reason: 'too_large', message: `request body over ${maxBytes} bytes` };
  const chunks: Buffer[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const read = (async (): Promise<JsonBody | null> => {
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) return { ok: false, reason: 'too_large', message: `request body over ${maxBytes} bytes` };
        chunks.push(chunk);
      }
      return null;
    } catch {
      return { ok: false, reason: 'incomplete', message: 'the request body did not arrive completely' };
    }
  })();
  const late = new Promise<JsonBody>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: 'incomplete', message: `the request body did not arrive within ${timeoutMs} ms` }), timeoutMs);
    timer.unref();
  });
  const failed = await Promise.race([read, late]).finally(() => clearTimeout(timer));
  if (failed) return failed;
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return { ok: true, value: {} };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'bad_json', message: 'the request body is not valid JSON' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, reason: 'not_object', message: 'the request body must be a JSON object' };
  return { ok: true, value: v as Record<string, unknown> };
}
