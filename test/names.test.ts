/**
 * The server's name key (src/server/common/name-key.ts): look-alike names fold together (Unicode TR39
 * confusables after NFKC, in either case), distinct names stay distinct, the key is case-insensitive;
 * and re-keying of rows stored with the former key (src/server/store/rekey.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { legacyNameKey, NAME_KEY_VERSION, nameKey, skeleton } from '../src/server/common/name-key.js';
import { planRekey, type RekeyBanRow, type RekeyUserRow } from '../src/server/store/rekey.js';
import { isValidName } from '../src/protocol/rules.js';

const same = (a: string, b: string) => assert.equal(nameKey(a), nameKey(b), `${JSON.stringify(a)} and ${JSON.stringify(b)} should be one name`);
const differ = (a: string, b: string) => assert.notEqual(nameKey(a), nameKey(b), `${JSON.stringify(a)} and ${JSON.stringify(b)} should be two names`);

describe('nameKey: look-alikes are one name', () => {
  it('Cyrillic and Greek letters that look Latin, in small and capital forms', () => {
    same('mallory', 'm\u0430llory'); // Cyrillic а
    same('mallory', 'mall\u043Ery'); // Cyrillic о
    same('paypal', '\u0440\u0430ypal'); // Cyrillic р, а
    same('Bob', '\u0412ob'); // Cyrillic capital В looks like B (its small в does not look like b)
    same('HANK', '\u0397\u0391\u039D\u039A'); // Greek capitals Η Α Ν Κ
    same('hank', '\u0397\u0391\u039D\u039A');
    for (const n of ['m\u0430llory', 'Вob', 'ΗΑΝΚ']) assert.ok(isValidName(n), `${n} is a valid name: only the key stops it`);
  });

  it('fullwidth and other compatibility forms (NFKC), ligatures', () => {
    same('mallory', '\uFF4D\uFF41\uFF4C\uFF4C\uFF4F\uFF52\uFF59'); // ｍａｌｌｏｒｙ
    same('MALLORY', '\uFF2D\uFF21\uFF2C\uFF2C\uFF2F\uFF32\uFF39'); // ＭＡＬＬＯＲＹ
    same('fiona', '\uFB01ona'); // ﬁ ligature
    same('office', 'o\uFB03ce'); // ﬃ
    same('x2', 'x\u00B2'); // superscript two
  });

  it('rn looks like m; 1, I (capital i) and l look alike; 0 and O', () => {
    same('mallory', 'rnallory');
    same('RNALLORY', 'mallory');
    same('alice', 'a1ice');
    same('alice', 'aIice'); // capital I for l: the classic spoof
    same('AIICE', 'alice');
    same('b0b', 'bob');
    assert.equal(skeleton('rn'), skeleton('m'), 'the TR39 skeleton itself maps m to rn');
    assert.equal(skeleton('1'), skeleton('l'));
    assert.equal(skeleton('I'), skeleton('l'));
  });

  it('case-insensitive, in every script (a name and its other cases are one name)', () => {
    same('Alice', 'ALICE');
    same('ivan', 'IVAN');
    same('Straße', 'STRASSE');
    same('Мария', 'мария');
    same('ΜΑΡΙΑ', 'μαρια');
    same('Νίκος', 'ΝΊΚΟΣ');
    same('Zoë', 'ZOË');
    // Every letter or digit of the Basic Multilingual Plane: its upper and lower case give the same key.
    const broken: string[] = [];
    for (let cp = 0x30; cp < 0x10000; cp++) {
      if (cp >= 0xd800 && cp < 0xe000) continue;
      const c = String.fromCodePoint(cp);
      if (!/^[\p{L}\p{N}]$/u.test(c)) continue;
      const k = nameKey(c);
      if (nameKey(c.toUpperCase()) !== k || nameKey(c.toLowerCase()) !== k) broken.push(`U+${cp.toString(16)}`);
    }
    assert.deepEqual(broken, []);
  });

  it('different names stay different', () => {
    differ('alice', 'alicia');
    differ('bob', 'rob');
    differ('José', 'Jose'); // a diacritic is not a look-alike
    differ('Zoë', 'Zoe');
    differ('mallory', 'malory');
    differ('anna', 'arma');
    differ('vvolf', 'wolf'); // confusables.txt maps no sequence to w
    // Letters of ASCII keep apart but for l/i/I/1, O/0 and m/rn.
    const keys = new Map<string, string>();
    for (const c of 'abcdefghjkmnopqrstuvwxyz23456789') {
      const k = nameKey('x' + c);
      assert.ok(!keys.has(k), `${c} and ${keys.get(k)} share a key`);
      keys.set(k, c);
    }
  });

  it('the key is cheap and stable; the version names the table and the Unicode version', () => {
    const t = performance.now();
    for (let i = 0; i < 20_000; i++) nameKey(`user_${i}_Mаllory`);
    const ms = performance.now() - t;
    assert.ok(ms < 2000, `20,000 keys took ${ms} ms`);
    assert.equal(nameKey('Mallory'), nameKey('Mallory'));
    assert.match(NAME_KEY_VERSION, new RegExp(`^\\d+:[0-9a-f]{12}:${process.versions.unicode}$`));
    assert.equal(legacyNameKey('MÄLLORY'), 'mällory');
  });
});

describe('planRekey', () => {
  const user = (id: string, name: string, account: boolean): RekeyUserRow => ({ id, name, name_key: legacyNameKey(name), account });

  it('recomputes keys; of two accounts that now collide the older keeps the key, the newer a distinct one', () => {
    const users = [user('u1', 'mallory', true), user('u2', 'Bob', false), user('u3', 'm\u0430llory', true), user('u4', 'rnallory', true), user('u5', 'carol', true)];
    const plan = planRekey(users, []);
    const keyOf = new Map(users.map((u) => [u.id, u.name_key]));
    for (const a of [...plan.accounts, ...plan.guests]) keyOf.set(a.id, a.key);
    assert.equal(keyOf.get('u1'), nameKey('mallory'));
    assert.equal(keyOf.get('u2'), nameKey('Bob'));
    assert.equal(keyOf.get('u3'), 'm\u0430llory', 'the newer look-alike keeps its old key');
    assert.equal(keyOf.get('u4'), 'rnallory#u4', 'its old key is taken: old key + id');
    assert.equal(keyOf.get('u5'), nameKey('carol'));
    const accountKeys = ['u1', 'u3', 'u4', 'u5'].map((id) => keyOf.get(id));
    assert.equal(new Set(accountKeys).size, 4, 'account keys stay unique');
    assert.deepEqual(plan.conflicts.map((c) => [c.id, c.winnerId]), [['u3', 'u1'], ['u4', 'u1']]);
  });

  it('guests never conflict; bans are re-keyed, the newest of look-alike bans kept; nothing to do twice', () => {
    const users = [user('g1', 'mallory', false), user('g2', 'm\u0430llory', false)];
    const bans: RekeyBanRow[] = [
      { name_key: 'spammer', name: 'spammer', reason: 'old', banned_by: 'u1', created_at: 1 },
      { name_key: 'sp\u0430mmer', name: 'sp\u0430mmer', reason: 'new', banned_by: 'u1', created_at: 2 },
    ];
    const plan = planRekey(users, bans);
    assert.equal(plan.guests.length, 2);
    assert.deepEqual(plan.bans, [{ ...bans[1], name_key: nameKey('spammer') }]);
    const again = planRekey(
      users.map((u) => ({ ...u, name_key: nameKey(u.name) })),
      plan.bans!,
    );
    assert.deepEqual(again, { accounts: [], guests: [], bans: null, conflicts: [] });
  });
});
