/**
 * The uniqueness key of a user name (look-alikes fold together). Pure: no state, no I/O (the online-name
 * registry that holds these keys is cluster state, src/server/cluster/name-registry.ts).
 *
 * The key is what makes two names "the same name": every check of a name (guests online, accounts,
 * bans, logins, invites and DMs by name, admin kick/ban) goes through `nameKey`. Names are still shown as
 * typed (NFC, `normalizeName` in src/protocol/rules.ts). The key is
 *
 *     skeleton(casefold(skeleton(uppercase(NFKC(name))))), then i -> l
 *
 * - NFKC folds compatibility forms: fullwidth `ｍａｌｌｏｒｙ` is `mallory`, the ligature `ﬁ` is `fi`.
 * - `skeleton` is the Unicode TR39 confusable skeleton (NFD, each code point replaced by its prototype
 *   from the Unicode confusables.txt table, NFD): Cyrillic `а` is Latin `a`, `rn` and `m` are one, `1`
 *   and `I` are `l`, `0` is `O`. The table comes from the `unhomoglyph` package (confusables.txt as a map).
 * - Case: upper-casing first, then the skeleton, then case folding, then the skeleton again, catches
 *   look-alikes in either case (Cyrillic capital `В` in `Вob` looks like `B`; its small `в` does not look
 *   like `b`; casefolding first would miss it) and keeps the key case-insensitive by construction
 *   (a name and its upper- or lower-case forms have the same upper case). As `I` (capital i) looks like
 *   `l`, a case-insensitive key cannot keep `i` and `l` apart: both are `l` in the key.
 *
 * The key depends on the confusables table and on the Unicode version of the runtime (NFKC, case
 * mapping): `NAME_KEY_VERSION` names both, and the stores re-key their rows when it changes
 * (src/server/store/rekey.ts). The browser bundle does not load this file (the table is ~100 KB): the
 * protocol's `nameKey` is a display-level case fold only.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

/** confusables.txt as {source code point: prototype sequence}. */
const CONFUSABLES = createRequire(import.meta.url)('unhomoglyph/data.json') as Record<string, string>;
const PROTOTYPE = new Map<string, string>(Object.entries(CONFUSABLES));

/** Bump when the algorithm below changes: stored keys are then recomputed at the next start. */
const ALGORITHM = 1;

/** Identifies the key function: algorithm, confusables table and Unicode version of the runtime. */
export const NAME_KEY_VERSION = `${ALGORITHM}:${createHash('sha256').update(JSON.stringify(CONFUSABLES)).digest('hex').slice(0, 12)}:${process.versions.unicode ?? '?'}`;

/** TR39 skeleton: NFD, each code point mapped to its confusable prototype, NFD. */
export function skeleton(s: string): string {
  let out = '';
  for (const ch of s.normalize('NFD')) out += PROTOTYPE.get(ch) ?? ch;
  return out.normalize('NFD');
}

/** Full case folding, near enough: `ß` -> `ss`, `ς` -> `σ`, `ſ` -> `s`. */
function casefold(s: string): string {
  return s.toUpperCase().toLowerCase();
}

/** The uniqueness key of a user name (see the top of this file). Cheap: a few normalizations and map look-ups. */
export function nameKey(name: string): string {
  // Lower then upper: the upper case of `ẞ` is itself, that of its lower case `ß` is `SS`.
  return skeleton(casefold(skeleton(name.normalize('NFKC').toLowerCase().toUpperCase()))).replace(/i/g, 'l');
}

/** The key before look-alikes were folded (NFC + lower case): only for re-keying rows stored with it. */
export function legacyNameKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}
