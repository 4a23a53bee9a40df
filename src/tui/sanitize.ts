/**
 * Sanitizing text that came from the network before it reaches the terminal.
 *
 * Anything a server or another user sends (message text, names, room ids, error messages) may carry
 * escape sequences that would otherwise move the cursor, clear the screen, set the window title
 * (OSC 0), write to the clipboard (OSC 52), change colors, or flip the direction of text. We remove:
 *   - whole escape sequences: CSI (ESC [ ... final byte), OSC/DCS/SOS/PM/APC strings (up to BEL or
 *     ESC \), two-byte ESC sequences, and their 8-bit C1 forms (U+009B CSI, U+009D OSC, ...);
 *   - every remaining C0 control (U+0000-U+001F) except newline and tab, DEL (U+007F) and C1
 *     controls (U+0080-U+009F);
 *   - Unicode bidirectional overrides/isolates (U+202A-U+202E, U+2066-U+2069), which can make text
 *     read differently from what it is ("Trojan Source").
 * Tabs become spaces; newlines are kept by sanitizeText (messages may have several lines) and turned
 * into spaces by sanitizeInline (names, one-line fields).
 */

// ESC/C1-introduced strings terminated by BEL or ST (ESC \ or U+009C), or unterminated to the end.
const STRING_SEQ = /(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[\s\S]*?(?:\x07|\x1b\\|\x9c|$)/g;
// CSI: ESC [ (or U+009B), parameter bytes, intermediate bytes, one final byte.
const CSI_SEQ = /(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?/g;
// Other ESC sequences: ESC, intermediates, one final byte (e.g. ESC c = full reset, ESC ( B).
const ESC_SEQ = /\x1b[\x20-\x2f]*[\x30-\x7e]?/g;
// Remaining control characters (newline and tab handled separately) and bidi controls.
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** Removes terminal control sequences and control characters; keeps newlines, tabs become spaces. */
export function sanitizeText(text: string): string {
  return text
    .replace(STRING_SEQ, '')
    .replace(CSI_SEQ, '')
    .replace(ESC_SEQ, '')
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '    ')
    .replace(CONTROLS, '');
}

/** sanitizeText for one-line fields: newlines become spaces too. */
export function sanitizeInline(text: string): string {
  return sanitizeText(text).replace(/\n/g, ' ');
}
