/**
 * Splits message text into plain text and links, so the UI renders every part as a React text node
 * or an <a> element it builds itself (never HTML). Only http(s) URLs become links (`www.` gets
 * https://); anything else, `javascript:` included, stays text.
 */

export type Segment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
/** Punctuation that ends a sentence rather than the URL. */
const TRAILING = /[.,;:!?'"\]}>*_~]+$/;

/** Drops trailing punctuation, and a trailing ")" unless the URL has a matching "(". */
function trimUrl(raw: string): string {
  let s = raw;
  for (;;) {
    const before = s;
    s = s.replace(TRAILING, '');
    if (s.endsWith(')') && (s.match(/\(/g)?.length ?? 0) < (s.match(/\)/g)?.length ?? 0)) s = s.slice(0, -1);
    if (s === before) return s;
  }
}

/** The safe href for a URL-looking string, or null when it is not a valid http(s) URL. */
export function safeHref(text: string): string | null {
  const candidate = /^www\./i.test(text) ? `https://${text}` : text;
  try {
    const url = new URL(candidate);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.href;
  } catch {
    return null;
  }
}

export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  const push = (t: string) => {
    if (!t) return;
    const prev = out[out.length - 1];
    if (prev?.kind === 'text') prev.text += t;
    else out.push({ kind: 'text', text: t });
  };
  for (const m of text.matchAll(URL_RE)) {
    const start = m.index ?? 0;
    const url = trimUrl(m[0]);
    const href = url.length > 'www.'.length ? safeHref(url) : null;
    push(text.slice(last, start));
    if (href) out.push({ kind: 'link', text: url, href });
    else push(url);
    last = start + url.length;
  }
  push(text.slice(last));
  return out;
}
