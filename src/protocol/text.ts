/**
 * Message text rules shared by the server (authoritative) and clients (early feedback). Browser-safe.
 *
 * A text is accepted when it is well-formed UTF-16 (no lone surrogate: what is acknowledged, delivered and
 * stored must be the same string, and a lone surrogate cannot survive UTF-8 storage), has no U+0000
 * (PostgreSQL text cannot hold it), and is not blank: made only of white space, controls or invisible
 * characters (default-ignorable code points such as U+200B, U+2060, U+FEFF, U+3164, and the braille blank U+2800).
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const BLANK = /^[\p{White_Space}\p{Cc}\p{Default_Ignorable_Code_Point}\u2800]*$/u;

/** True when `s` contains no lone surrogate. */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** True when nothing in `text` would be visible. */
export function isBlankText(text: string): boolean {
  return BLANK.test(text);
}

/** Why a message text is refused, or null when it is acceptable. `maxLength` counts UTF-16 code units. */
export function textProblem(text: string, maxLength: number): string | null {
  if (text.length > maxLength) return `text is longer than ${maxLength} characters`;
  if (!isWellFormed(text)) return 'text is not well-formed Unicode (a lone surrogate)';
  if (text.includes('\u0000')) return 'text contains U+0000';
  if (isBlankText(text)) return 'text is blank (only spaces or invisible characters)';
  return null;
}
