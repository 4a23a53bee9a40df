import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_TARGET_LENGTH, parseRequestTarget, type TargetResult } from './request-target.js';

function ok(raw: string) {
  const r = parseRequestTarget(raw);
  assert.ok(r.ok, `${JSON.stringify(raw)} accepted: ${r.ok ? '' : r.reason}`);
  return r.target;
}

function refused(raw: unknown, status = 400): void {
  const r = parseRequestTarget(raw);
  assert.equal(r.ok, false, `${JSON.stringify(raw)} refused`);
  assert.equal((r as Extract<TargetResult, { ok: false }>).status, status, JSON.stringify(raw));
}

test('request target: origin-form paths and queries are parsed, the path decoded once', () => {
  assert.deepEqual({ ...ok('/'), query: undefined }, { path: '/', segments: [''], rawPath: '/', rawQuery: '', query: undefined });
  assert.equal(ok('/healthz').path, '/healthz');
  assert.equal(ok('/ws?token=a&x=1').path, '/ws');
  assert.equal(ok('/ws?token=a&x=1').query.get('x'), '1');
  assert.equal(ok('/admin/api/audit?limit=5&before=').query.get('limit'), '5');
  assert.deepEqual(ok('/admin/api/ban/J%C3%BCrgen').segments, ['admin', 'api', 'ban', 'Jürgen']);
  assert.equal(ok('/%E2%9C%93').path, '/✓');
  // Decoded exactly once: %2525 is the text "%25".
  assert.equal(ok('/a%2525').path, '/a%25');
  assert.deepEqual(ok('/a//b/').segments, ['a', '', 'b', '']);
  // `//` is a valid (empty-segment) path here, never a host.
  assert.equal(ok('//').path, '//');
  assert.equal(ok('//evil.example/x').path, '//evil.example/x');
  // What browsers leave unencoded in a query is accepted.
  assert.equal(ok('/x?a[]={1}|^`\\').query.get('a[]'), '{1}|^`\\');
  assert.equal(ok('/x?q=a+b%20c').query.get('q'), 'a b c');
  assert.equal(ok("/dm:u1:u2/!$&'()*+,;=:@-._~").path, "/dm:u1:u2/!$&'()*+,;=:@-._~");
});

test('request target: every other form, bad encoding, NUL and dot segments are refused with 400', () => {
  for (const raw of [
    undefined,
    null,
    42,
    '',
    '*',
    'http://x/',
    'https://example.org:443/ws',
    'example.org:443',
    'x',
    '?a=1',
    '//[',
    '/[',
    '//[::1]/',
    '/a b',
    '/a\tb',
    '/a\u0000b',
    '/a\u007fb',
    '/ü',
    '/\u2028',
    '/a\\b',
    '/a"b',
    '/<script>',
    '/a{b}',
    '/a|b',
    '/a^b',
    '/a`b',
    '/x#frag',
    '/%',
    '/%2',
    '/%zz',
    '/a%g0',
    '/admin/api/%',
    '/ws?x=%',
    '/ws?x=%zz',
    '/x?a b',
    '/x?\u00e9',
    '/%00',
    '/a%00b',
    '/x?a=%00',
    '/%0a',
    '/%7F',
    '/%C3',
    '/%C3%28',
    '/%ED%A0%80', // UTF-16 surrogate as UTF-8: not UTF-8
    '/%FF',
    '/..%2f..%2fetc/passwd',
    '/a%2Fb',
    '/..',
    '/../etc/passwd',
    '/assets/../../etc/passwd',
    '/a/./b',
    '/%2e%2e/x',
    '/.%2E',
  ]) {
    refused(raw);
  }
});

test('request target: longer than the bound is 414', () => {
  ok('/' + 'a'.repeat(MAX_TARGET_LENGTH - 1));
  refused('/' + 'a'.repeat(MAX_TARGET_LENGTH), 414);
  refused('/' + 'a'.repeat(1_000_000), 414);
  assert.equal(parseRequestTarget('/abcdef', 4).ok, false);
});

test('request target: never throws, whatever the input (seeded fuzz)', () => {
  let seed = 0x5eed;
  const rnd = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const alphabet = ['/', '%', '?', '#', '.', ':', '[', ']', '@', '+', '=', '&', 'a', 'Z', '0', '9', 'f', 'F', '2', 'e', '\u0000', ' ', '\\', 'é', '\ud800', '✓', '*'];
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const len = Math.floor(rnd() * 24);
    let s = rnd() < 0.9 ? '/' : '';
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    const r = parseRequestTarget(s);
    if (r.ok) {
      accepted++;
      // What is accepted is consistent: decoded path starts with '/', segments are its parts, no NUL, no dot segment.
      assert.equal(r.target.path[0], '/');
      assert.deepEqual(r.target.segments, r.target.path.split('/').slice(1));
      assert.ok(!r.target.path.includes('\u0000'));
      assert.ok(!r.target.segments.includes('..'));
    } else {
      assert.ok(r.status === 400 || r.status === 414);
      assert.ok(r.reason.length > 0);
    }
  }
  assert.ok(accepted > 100, `some random targets are valid (${accepted})`);
});
