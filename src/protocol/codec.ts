/**
 * The codec: client frames are decoded with schema validation (server side), server frames are
 * decoded and un-batched (client side). Browser-safe. Server events are encoded by ./encode.ts.
 */
import { ErrorCode } from './codes.js';
import { clientFrameSchemas, type ClientFrame, type ClientFrameType } from './schema.js';

export type DecodeResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: ErrorCode; message: string; re?: string };

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** Decodes and validates one client text frame. Never throws. */
export function decodeClientFrame(text: string): DecodeResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, code: ErrorCode.bad_json, message: 'frame is not valid JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, code: ErrorCode.bad_frame, message: 'frame must be a JSON object' };
  }
  const obj = raw as Record<string, unknown>;
  const re = typeof obj.id === 'string' && obj.id.length <= 64 ? obj.id : undefined;
  const type = obj.type;
  if (typeof type !== 'string') {
    return { ok: false, code: ErrorCode.bad_frame, message: 'frame has no string "type"', re };
  }
  if (!hasOwn(clientFrameSchemas, type)) {
    return { ok: false, code: ErrorCode.unknown_type, message: `unknown frame type "${type.slice(0, 32)}"`, re };
  }
  const parsed = clientFrameSchemas[type as ClientFrameType].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length ? issue.path.join('.') : type;
    return { ok: false, code: ErrorCode.bad_frame, message: `invalid "${type}" frame: ${where}: ${issue?.message ?? 'invalid'}`, re };
  }
  return { ok: true, frame: parsed.data as ClientFrame };
}

/** Encodes a client frame. */
export function encodeClientFrame(frame: ClientFrame): string {
  return JSON.stringify(frame);
}

// The client side's decoder lives in ./server-frame.ts (no schemas); re-exported for existing importers.
export { decodeServerFrame } from './server-frame.js';
