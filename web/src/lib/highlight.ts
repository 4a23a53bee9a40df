/**
 * A search result's text cut into plain and marked parts from the server's highlight ranges
 * (`[start, end)` UTF-16 offsets, docs/protocol.md 6.16), shortened around the first mark. Ranges are
 * input from the network: out-of-order, overlapping or out-of-bounds ones are clamped or dropped.
 */
export interface Part {
  text: string;
  mark: boolean;
}

/** Characters kept before the first mark, and in all, when the text is long. */
const BEFORE = 40;
const WINDOW = 240;

export function snippetParts(text: string, highlights: readonly (readonly [number, number])[] | undefined): Part[] {
  const ranges: [number, number][] = [];
  for (const r of Array.isArray(highlights) ? highlights : []) {
    if (!Array.isArray(r)) continue;
    const a = Math.max(0, Math.min(text.length, Math.floor(Number(r[0]))));
    const b = Math.max(0, Math.min(text.length, Math.floor(Number(r[1]))));
    if (Number.isFinite(a) && Number.isFinite(b) && b > a) ranges.push([a, b]);
  }
  ranges.sort((x, y) => x[0] - y[0]);
  let start = 0;
  let end = text.length;
  if (text.length > WINDOW) {
    start = Math.max(0, (ranges[0]?.[0] ?? 0) - BEFORE);
    end = Math.min(text.length, start + WINDOW);
  }
  const parts: Part[] = [];
  const push = (t: string, mark: boolean) => {
    if (t) parts.push({ text: t, mark });
  };
  if (start > 0) push('…', false);
  let at = start;
  for (const [a0, b0] of ranges) {
    const a = Math.max(a0, at);
    const b = Math.min(b0, end);
    if (b <= a) continue;
    push(text.slice(at, a), false);
    push(text.slice(a, b), true);
    at = b;
  }
  push(text.slice(at, end), false);
  if (end < text.length) push('…', false);
  return parts;
}
