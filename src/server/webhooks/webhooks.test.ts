/** The retry schedule's bounds, the signature format (a fixed vector) and its verification, the URL rules. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { RETRY_CAP_MS, retryDelayMs, scheduleSpanMs } from './retry.js';
import { newSecret, sign, verify } from './signer.js';
import { checkWebhookUrl } from './url.js';

describe('webhook retry schedule', () => {
  it('doubles from the base, half of each wait random, capped at an hour', () => {
    assert.equal(retryDelayMs(1, 30_000, () => 0), 15_000);
    assert.equal(retryDelayMs(1, 30_000, () => 1), 30_000);
    assert.equal(retryDelayMs(2, 30_000, () => 0.5), 45_000);
    assert.equal(retryDelayMs(4, 30_000, () => 1), 240_000);
    assert.equal(retryDelayMs(20, 30_000, () => 1), RETRY_CAP_MS);
    assert.equal(retryDelayMs(1000, 30_000, () => 0), RETRY_CAP_MS / 2);
    for (let i = 0; i < 200; i++) {
      const d = retryDelayMs(3, 30_000);
      assert.ok(d >= 60_000 && d <= 120_000, String(d));
    }
  });
  it('10 attempts with the defaults span 1.5 to 3.1 hours', () => {
    const [lo, hi] = scheduleSpanMs(10, 30_000);
    assert.ok(lo > 1.5 * 3600_000 && lo < 1.6 * 3600_000, String(lo));
    assert.ok(hi > 3 * 3600_000 && hi < 3.1 * 3600_000, String(hi));
  });
});

describe('webhook signatures', () => {
  it('v1= hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the whole secret', () => {
    const secret = 'whsec_' + '11'.repeat(32);
    const body = '{"id":"evt_1","type":"message.created"}';
    assert.equal(sign(secret, 1764640800, body), 'v1=' + createHmac('sha256', secret).update(`1764640800.${body}`).digest('hex'));
    assert.match(sign(secret, 1, body), /^v1=[0-9a-f]{64}$/);
    assert.match(newSecret(), /^whsec_[0-9a-f]{64}$/);
    assert.notEqual(newSecret(), newSecret());
  });
  it('verifies: the right signature within the tolerance only', () => {
    const secret = newSecret();
    const body = '{"a":1}';
    const now = 1_764_640_800;
    const ok = { timestamp: String(now), signature: sign(secret, now, body) };
    assert.equal(verify(secret, ok, body, now), true);
    assert.equal(verify(secret, ok, body + ' ', now), false, 'another body');
    assert.equal(verify(newSecret(), ok, body, now), false, 'another secret');
    assert.equal(verify(secret, ok, body, now + 301), false, 'too old');
    assert.equal(verify(secret, { ...ok, timestamp: String(now + 1) }, body, now), false, 'timestamp is signed');
    assert.equal(verify(secret, { timestamp: 'x', signature: ok.signature }, body, now), false);
    assert.equal(verify(secret, { timestamp: String(now), signature: undefined }, body, now), false);
  });
});

describe('webhook URLs', () => {
  it('http(s) only, no credentials, bounded; the allow-list when set', () => {
    assert.deepEqual(checkWebhookUrl('https://example.com/x?y=1', []), { ok: true, url: 'https://example.com/x?y=1' });
    assert.equal(checkWebhookUrl('http://10.0.0.5:8080/hook', []).ok, true, 'admins are trusted: internal hosts allowed by default');
    for (const bad of ['ftp://example.com/', 'file:///etc/passwd', 'data:text/plain,x', 'javascript:alert(1)', 'http://u:p@example.com/', '', 'x'.repeat(3000), null, 7, '//example.com']) {
      assert.equal(checkWebhookUrl(bad, []).ok, false, String(bad).slice(0, 40));
    }
    assert.equal(checkWebhookUrl('https://hooks.example.com/a', ['hooks.example.com']).ok, true);
    assert.equal(checkWebhookUrl('https://HOOKS.example.com/a', ['hooks.example.com']).ok, true);
    assert.equal(checkWebhookUrl('https://evil.example.com/a', ['hooks.example.com']).ok, false);
    assert.equal(checkWebhookUrl('http://[::1]:9/a', ['::1']).ok, true);
  });
});
