/**
 * Which URLs an endpoint may have. Administrators are trusted (they could run anything on the host), so
 * any host is allowed unless the operator lists some (`--webhook-allow-hosts`); the scheme is always
 * http or https (no file:, data:, gopher: ...), with no user name or password in it, at most 2048
 * characters. Checked when an endpoint is created or changed, and again before each request (the list may
 * have changed since).
 */
export const URL_MAX = 2048;

export type UrlCheck = { ok: true; url: string } | { ok: false; reason: string };

export function checkWebhookUrl(raw: unknown, allowHosts: readonly string[]): UrlCheck {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > URL_MAX) return { ok: false, reason: `"url" must be an http(s) URL of at most ${URL_MAX} characters` };
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, reason: '"url" is not a valid URL' };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { ok: false, reason: '"url" must use http or https' };
  if (u.username || u.password) return { ok: false, reason: '"url" must not carry a user name or password (the signature authenticates the server)' };
  if (!u.hostname) return { ok: false, reason: '"url" has no host' };
  if (allowHosts.length) {
    const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (!allowHosts.some((h) => h.toLowerCase() === host)) return { ok: false, reason: `host "${host}" is not in the allowed webhook hosts (--webhook-allow-hosts)` };
  }
  return { ok: true, url: u.href };
}
