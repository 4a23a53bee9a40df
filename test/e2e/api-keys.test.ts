/**
 * API keys and bots end to end in Chromium (docs/api.md): an admin creates a key on the admin page (the
 * key is shown once and copied with the Copy button), a backend publishes with it over HTTP, another
 * user's page shows the message with a "bot" badge beside the bot's name; revoking the key on the admin
 * page marks it revoked and the API refuses it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { grantAdmin } from '../helpers/admin.js';
import type { TestServer } from '../helpers/server.js';
import { e2eSkip, guest, launchBrowser, openPage, pageErrors, type Person } from './browser.js';

const skip = e2eSkip();
if (skip) console.log(`# api keys e2e: ${skip}`);

describe('web UI: API keys and bots', { skip }, () => {
  let browser: Browser;
  let srv: TestServer;
  const people: Person[] = [];

  before(async () => {
    const { startWebServer } = await import('./browser.js');
    srv = await startWebServer({ ratePerSec: 1000, rateBurst: 1000 });
    browser = await launchBrowser();
  });
  after(async () => {
    for (const p of people) await p.context.close().catch(() => {});
    await browser?.close();
    await srv?.cleanup();
  });

  it('an admin creates a key (shown once, copied), a bot publishes with it, the page shows a bot badge; revoking refuses it', async () => {
    const { context, page } = await openPage(browser, srv.http + '/');
    people.push({ context, page, name: 'keyboss' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.http });
    await page.getByRole('radio', { name: 'Register' }).click();
    await page.getByLabel('Name', { exact: true }).fill('keyboss');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('log').waitFor();
    await grantAdmin(srv.dataDir, 'keyboss');
    const ann = await guest(browser, srv, 'ann');
    people.push(ann);

    await page.goto(srv.http + '/admin');
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByLabel('Bot name').fill('deploybot');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('new-key');
    await shown.waitFor();
    const key = (await shown.locator('.key-text').textContent()) ?? '';
    assert.match(key, /^sck_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    await shown.getByRole('button', { name: 'Copy' }).click();
    await shown.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
    await page.locator('[data-key]', { hasText: 'deploybot' }).waitFor();
    // Shown once: after Done, and after a reload, the page has no way to show it again.
    await shown.getByRole('button', { name: 'Done' }).click();
    await page.reload();
    await page.locator('[data-key]', { hasText: 'deploybot' }).waitFor();
    assert.equal(await page.getByText(key).count(), 0);

    const r = await fetch(`${srv.http}/api/v1/rooms/general/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': 'deploy-42' },
      body: JSON.stringify({ text: 'Deploy 42 finished' }),
    });
    assert.equal(r.status, 201);
    const row = ann.page.locator('.list .msg', { hasText: 'Deploy 42 finished' });
    await row.waitFor();
    assert.equal(await row.locator('.author').textContent(), 'deploybot');
    assert.equal(await row.getByTestId('bot-badge').textContent(), 'bot');

    const line = page.locator('[data-key]', { hasText: 'deploybot' });
    await line.getByRole('button', { name: 'Revoke' }).click();
    await line.getByRole('button', { name: 'Confirm revoke' }).click();
    await line.locator('.tag', { hasText: 'revoked' }).waitFor();
    const again = await fetch(`${srv.http}/api/v1/online`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(again.status, 401);
    assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'key_revoked');
    for (const p of [page, ann.page]) assert.deepEqual(pageErrors(p), []);
  });
});
