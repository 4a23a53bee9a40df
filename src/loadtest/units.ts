/** Small parsers shared by the load generator's options: durations, counts, IPv4 ranges. */

export class OptionError extends Error {}

/** "10", "10s", "500ms", "2m", "1h" -> milliseconds. A bare number is seconds. */
export function parseDurationMs(raw: string | number, what: string): number {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || raw < 0) throw new OptionError(`${what}: expected a duration, got ${raw}`);
    return raw * 1000;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(raw);
  if (!m) throw new OptionError(`${what}: expected a duration like 30s, 500ms, 2m or a number of seconds, got "${raw}"`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return n * factor;
}

/** A finite number within [min, max]. */
export function parseNumber(raw: string | number, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (String(raw).trim() === '' || !Number.isFinite(n)) throw new OptionError(`${what}: expected a number, got "${raw}"`);
  if (n < min || n > max) throw new OptionError(`${what}: must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function parseInteger(raw: string | number, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = parseNumber(raw, what, min, max);
  if (!Number.isInteger(n)) throw new OptionError(`${what}: expected a whole number, got ${n}`);
  return n;
}

function ipv4ToInt(ip: string, what: string): number {
  const parts = ip.trim().split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new OptionError(`${what}: "${ip}" is not an IPv4 address`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Source addresses: "127.0.0.1-127.0.0.8", "127.0.0.1-8", "127.0.0.1,127.0.0.2", or a mix.
 * At most 256 addresses (each gives ~28k ephemeral ports towards one server address).
 */
export function parseSourceIps(raw: string | string[]): string[] {
  const items = (Array.isArray(raw) ? raw : [raw]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const out: string[] = [];
  for (const item of items) {
    const dash = item.indexOf('-');
    if (dash < 0) {
      out.push(intToIpv4(ipv4ToInt(item, '--source-ips')));
      continue;
    }
    const from = item.slice(0, dash);
    let to = item.slice(dash + 1);
    if (/^\d{1,3}$/.test(to)) to = from.split('.').slice(0, 3).concat(to).join('.');
    const a = ipv4ToInt(from, '--source-ips');
    const b = ipv4ToInt(to, '--source-ips');
    if (b < a) throw new OptionError(`--source-ips: range "${item}" ends before it starts`);
    if (b - a >= 256) throw new OptionError(`--source-ips: range "${item}" has more than 256 addresses`);
    for (let n = a; n <= b; n++) out.push(intToIpv4(n));
  }
  if (out.length > 256) throw new OptionError('--source-ips: at most 256 addresses');
  return [...new Set(out)];
}

/** "12.3k"-style short numbers for the progress line and the summary table. */
export function short(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(2) + 'G';
  if (a >= 1e6) return (n / 1e6).toFixed(2) + 'M';
  if (a >= 1e4) return (n / 1e3).toFixed(1) + 'k';
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** Exit codes of `scale-chat loadtest` (documented in docs/loadtest.md and its --help); `thresholds`: a threshold or a default check failed. */
export const EXIT = { ok: 0, thresholds: 1, usage: 2, aborted: 3, interrupted: 130 } as const;
