/**
 * The one parser of HTTP request targets (`req.url`), used by the HTTP routes, the WebSocket upgrade and
 * the admin API. It never throws: a target is either parsed or refused with a status to answer.
 *
 * Accepted: origin-form only, `/path` or `/path?query` (RFC 9112 3.2.1). Refused with 400: absolute-form
 * (`http://host/x`), authority-form (`host:443`), asterisk-form (`*`), anything not starting with `/`, a
 * fragment (`#`), characters outside RFC 3986 in the path (controls, space, non-ASCII bytes, `[ ] { } | \ ^`
 * backquote `"` `<` `>`), controls/space/non-ASCII in the query, malformed percent-encoding (`%`, `%zz`),
 * percent-encoding that is not UTF-8, a decoded NUL or control character, an encoded slash (`%2F`) and dot
 * segments (`/.`, `/..`, encoded or not: browsers remove them before sending). Refused with 414: a target over
 * `maxLength` characters.
 *
 * The path is percent-decoded here, once: `path` is the decoded path, `segments` its parts between slashes.
 * Nothing downstream decodes again (so `%2525` is the literal text `%25`, never `%`).
 */

/** Longest accepted request target (characters of `req.url`); longer: 414. */
export const MAX_TARGET_LENGTH = 4096;

export interface RequestTarget {
  /** Decoded path, starting with `/`. */
  readonly path: string;
  /** Decoded parts of the path between slashes (`/a//b/` -> `['a', '', 'b', '']`). */
  readonly segments: readonly string[];
  /** The path as sent (still percent-encoded). */
  readonly rawPath: string;
  /** The query as sent, without `?` ('' for none). */
  readonly rawQuery: string;
  /** The query's parameters (application/x-www-form-urlencoded). */
  readonly query: URLSearchParams;
}

export type TargetResult =
  | { ok: true; target: RequestTarget }
  | { ok: false; status: 400 | 414; reason: string };

// RFC 3986 pchar (unreserved, sub-delims, ':' '@') plus '/' and '%' (checked separately).
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
// In the query, browsers send some characters unencoded (WHATWG URL: `{ } | ^ [ ] \` backquote); any visible
// ASCII but '#' is accepted.
const QUERY_CHARS = /^[\x21\x22\x24-\x7e]*$/;
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;
// C0 controls and DEL, after decoding (NUL included).
const CONTROL = /[\u0000-\u001f\u007f]/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function refuse(status: 400 | 414, reason: string): TargetResult {
  return { ok: false, status, reason };
}

/** Percent-decodes `s` (already checked for `%HH` syntax) as UTF-8; null when the bytes are not UTF-8. */
function decode(s: string): string | null {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(c); // ASCII only: checked by PATH_CHARS / QUERY_CHARS
    }
  }
  try {
    return utf8.decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
}

function parse(raw: unknown, maxLength: number): TargetResult {
  if (typeof raw !== 'string' || raw === '') return refuse(400, 'empty request target');
  if (raw.length > maxLength) return refuse(414, `request target longer than ${maxLength} characters`);
  if (raw[0] !== '/') {
    if (raw === '*') return refuse(400, 'asterisk-form request target not supported');
    return refuse(400, 'request target must be a path (origin-form): absolute-form and authority-form are not supported');
  }
  if (raw.includes('#')) return refuse(400, 'fragment in the request target');
  const q = raw.indexOf('?');
  const rawPath = q === -1 ? raw : raw.slice(0, q);
  const rawQuery = q === -1 ? '' : raw.slice(q + 1);
  if (!PATH_CHARS.test(rawPath)) return refuse(400, 'invalid character in the path');
  if (!QUERY_CHARS.test(rawQuery)) return refuse(400, 'invalid character in the query');
  if (BAD_PERCENT.test(rawPath) || BAD_PERCENT.test(rawQuery)) return refuse(400, 'malformed percent-encoding');
  if (/%2f/i.test(rawPath)) return refuse(400, 'encoded slash in the path');
  const path = decode(rawPath);
  if (path === null) return refuse(400, 'percent-encoding in the path is not UTF-8');
  if (CONTROL.test(path)) return refuse(400, 'control character in the path');
  const segments = path.split('/').slice(1);
  if (segments.some((s) => s === '.' || s === '..')) return refuse(400, 'dot segment in the path');
  // The query is decoded by URLSearchParams (lenient: '+' is a space); only its validity is checked here.
  const decodedQuery = decode(rawQuery.replace(/\+/g, ' '));
  if (decodedQuery === null) return refuse(400, 'percent-encoding in the query is not UTF-8');
  if (decodedQuery.includes('\u0000')) return refuse(400, 'NUL in the query');
  return { ok: true, target: { path, segments, rawPath, rawQuery, query: new URLSearchParams(rawQuery) } };
}

/** Parses a request target (`req.url`). Never throws. */
export function parseRequestTarget(raw: unknown, maxLength = MAX_TARGET_LENGTH): TargetResult {
  try {
    return parse(raw, maxLength);
  } catch {
    // Not reachable by construction (the unit test fuzzes it); the guarantee is that no input throws.
    return refuse(400, 'invalid request target');
  }
}

/** The reason phrase of the statuses this module and the HTTP layer answer with. */
export const STATUS_TEXT: ReadonlyMap<number, string> = new Map([
  [400, 'Bad Request'],
  [403, 'Forbidden'],
  [404, 'Not Found'],
  [405, 'Method Not Allowed'],
  [408, 'Request Timeout'],
  [414, 'URI Too Long'],
  [431, 'Request Header Fields Too Large'],
  [503, 'Service Unavailable'],
]);
