/**
 * HTML building blocks for the reports: escaping (every string from a run directory goes through
 * `esc`), number formatting, the page shell with inline CSS, tables, and charts embedded as PNG
 * data URIs so the page works offline and from a single file.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** A count: 1234567 -> "1,234,567"; null/undefined -> an en dash. */
export function fmtInt(n: number | null | undefined): string {
  return n === null || n === undefined ? '\u2013' : intFmt.format(n);
}

/** A measurement: up to two decimals, grouped: 1234.567 -> "1,234.57". */
export function fmtNum(n: number | null | undefined): string {
  return n === null || n === undefined ? '\u2013' : decFmt.format(n);
}

export function fmtPct(part: number, whole: number): string {
  return whole > 0 ? `${decFmt.format((100 * part) / whole)}%` : '\u2013';
}

/** A pre-rendered HTML fragment (already escaped), as opposed to text that still needs escaping. */
export class Html {
  constructor(readonly html: string) {}
}

export const raw = (html: string) => new Html(html);

function cell(v: string | number | Html): string {
  if (v instanceof Html) return v.html;
  return esc(typeof v === 'number' ? fmtNum(v) : v);
}

/** A table from a header row and body rows; strings are escaped, Html is inserted as is. */
export function table(head: (string | Html)[], rows: (string | number | Html)[][], cls = ''): string {
  return `<table${cls ? ` class="${esc(cls)}"` : ''}><thead><tr>${head.map((h) => `<th>${cell(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** A two-column key/value table. */
export function kvTable(rows: [string, string | number | Html][]): string {
  return `<table class="kv"><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${cell(v)}</td></tr>`).join('')}</tbody></table>`;
}

export function badge(ok: boolean, yes = 'PASS', no = 'FAIL'): Html {
  return raw(`<span class="badge ${ok ? 'ok' : 'bad'}">${esc(ok ? yes : no)}</span>`);
}

export interface EmbeddedChart {
  file: string;
  caption: string;
  png: Buffer;
}

export function figure(c: EmbeddedChart): string {
  return `<figure><img alt="${esc(c.caption)}" src="data:image/png;base64,${c.png.toString('base64')}"><figcaption>${esc(c.caption)} <span class="file">(${esc(c.file)})</span></figcaption></figure>`;
}

const CSS = `
body{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif;margin:0;color:#222;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555;font-size:14px;margin-bottom:12px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:0 0 12px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
td{font-variant-numeric:tabular-nums}thead th{background:#eef1f5}
table.kv th{background:#f3f5f8;font-weight:normal;color:#444;width:220px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:0 18px}
.badge{display:inline-block;padding:1px 8px;border-radius:3px;font-weight:bold;color:#fff}
.badge.ok{background:#2e7d32}.badge.bad{background:#c62828}
.alert{border-left:6px solid #c62828;background:#fdecea;padding:10px 14px;margin:12px 0}
.note{border-left:6px solid #f9a825;background:#fff8e1;padding:8px 14px;margin:8px 0;font-size:14px}
figure{margin:0 0 22px;background:#fff;border:1px solid #ddd;padding:8px}
figure img{width:100%;height:auto;display:block}
figcaption{font-size:13px;color:#555;margin-top:4px}.file{color:#888}
.scroll{overflow-x:auto}
table.compact td{white-space:nowrap}
main.wide{max-width:1500px}
`;

/** A complete, self-contained HTML document (no scripts, no external resources). */
export function page(title: string, body: string, wide = false): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body><main${wide ? ' class="wide"' : ''}>
${body}
<p class="meta">Written by scale-chat report at ${esc(new Date().toISOString())}.</p>
</main></body>
</html>
`;
}
