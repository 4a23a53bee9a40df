/**
 * Display width of text in a terminal, and wrapping/truncating to a number of columns.
 *
 * Text is split into grapheme clusters (Intl.Segmenter), so a letter with combining accents, a flag
 * or a ZWJ emoji sequence moves as one unit. A cluster's width is:
 *   2  for emoji shown as emoji (Emoji_Presentation, or a pictograph followed by VS16 / inside a
 *      ZWJ sequence, or a regional-indicator flag), and for East Asian Wide/Fullwidth characters
 *      (CJK, Hangul, kana, fullwidth forms: the ranges below);
 *   0  for clusters made only of combining marks, zero-width characters or controls;
 *   1  otherwise.
 * This matches what common terminals (and tmux) do for the common cases; exotic scripts may still
 * differ by a column, which only affects where a line breaks, never the content.
 * Input is expected to be sanitized (./sanitize.ts): no control characters.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** East Asian Wide (W) and Fullwidth (F) ranges, from Unicode's EastAsianWidth.txt (main blocks). */
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], // Hangul Jamo initial consonants
  [0x2e80, 0x303e], // CJK radicals, Kangxi, ideographic description, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK strokes...
  [0x3400, 0x4dbf], // CJK Unified Ideographs Extension A
  [0x4e00, 0x9fff], // CJK Unified Ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f], // Hangul Jamo Extended-A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6], // fullwidth signs
  [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff], // Tangut
  [0x1b000, 0x1b2ff], // kana supplement/extended, Nushu
  [0x1f200, 0x1f2ff], // enclosed ideographic supplement
  [0x20000, 0x2fffd], // CJK extensions B-F
  [0x30000, 0x3fffd], // CJK extension G and later
];

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\u200b\u1160-\u11ff\ufe00-\ufe0f]$/u;
const EMOJI_PRESENTATION = /\p{Emoji_Presentation}/u;
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
const REGIONAL_INDICATOR = /\p{Regional_Indicator}/u;

function isWide(cp: number): boolean {
  if (cp < 0x1100) return false;
  let lo = 0;
  let hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = WIDE[mid];
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
}

function codePointWidth(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (cp < 0x300) return 1; // fast path: Latin
  if (ZERO_WIDTH.test(ch)) return 0;
  return isWide(cp) ? 2 : 1;
}

/** Width in columns of one grapheme cluster. */
export function graphemeWidth(g: string): number {
  if (g.length === 1) return codePointWidth(g);
  if (EMOJI_PRESENTATION.test(g) || REGIONAL_INDICATOR.test(g)) return 2;
  if (PICTOGRAPHIC.test(g) && (g.includes('\ufe0f') || g.includes('\u200d'))) return 2;
  let w = 0;
  for (const ch of g) w = Math.max(w, codePointWidth(ch));
  return w;
}

/** The grapheme clusters of a string. */
export function graphemes(text: string): string[] {
  const out: string[] = [];
  for (const s of segmenter.segment(text)) out.push(s.segment);
  return out;
}

/** Display width of a string (no control characters expected). */
export function stringWidth(text: string): number {
  // Fast path for printable ASCII, the overwhelming majority of chat text.
  if (/^[\x20-\x7e]*$/.test(text)) return text.length;
  let w = 0;
  for (const s of segmenter.segment(text)) w += graphemeWidth(s.segment);
  return w;
}

/** The longest prefix of `text` that fits in `cols` columns, with an ellipsis when cut (if asked). */
export function truncate(text: string, cols: number, ellipsis = ''): string {
  if (cols <= 0) return '';
  if (stringWidth(text) <= cols) return text;
  const room = cols - stringWidth(ellipsis);
  let out = '';
  let w = 0;
  for (const g of graphemes(text)) {
    const gw = graphemeWidth(g);
    if (w + gw > room) break;
    out += g;
    w += gw;
  }
  return room >= 0 ? out + ellipsis : out;
}

/** Pads with spaces on the right to exactly `cols` columns (truncating if longer). */
export function padEnd(text: string, cols: number): string {
  const t = truncate(text, cols);
  return t + ' '.repeat(Math.max(0, cols - stringWidth(t)));
}

/**
 * Wraps one line of text to `cols` columns: breaks after spaces when possible, inside a word only
 * when the word alone is longer than a row. Spaces at a break are dropped. Returns at least one row.
 */
export function wrapLine(text: string, cols: number): string[] {
  const width = Math.max(1, cols);
  if (stringWidth(text) <= width) return [text];
  const rows: string[] = [];
  let row = '';
  let rowW = 0;
  // Tokens: runs of spaces and runs of non-spaces.
  for (const token of text.match(/ +|[^ ]+/g) ?? []) {
    const isSpace = token[0] === ' ';
    const tw = stringWidth(token);
    if (isSpace && rowW === 0 && rows.length > 0) continue; // no leading spaces on continuation rows
    if (rowW + tw <= width) {
      row += token;
      rowW += tw;
      continue;
    }
    if (isSpace) {
      // Break here: the spaces vanish at the end of the row.
      rows.push(row.trimEnd());
      row = '';
      rowW = 0;
      continue;
    }
    if (tw <= width && rowW > 0) {
      rows.push(row.trimEnd());
      row = token;
      rowW = tw;
      continue;
    }
    // A word longer than the space left: split it by graphemes.
    for (const g of graphemes(token)) {
      const gw = graphemeWidth(g);
      if (rowW + gw > width && rowW > 0) {
        rows.push(row.trimEnd());
        row = '';
        rowW = 0;
      }
      row += g;
      rowW += gw;
    }
  }
  if (row !== '' || rows.length === 0) rows.push(row.trimEnd());
  return rows;
}

/** Wraps text that may contain newlines: each line wrapped separately. */
export function wrapText(text: string, cols: number): string[] {
  return text.split('\n').flatMap((line) => wrapLine(line, cols));
}
