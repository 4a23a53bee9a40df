/**
 * The admin page's Webhooks section end to end in Chromium, against a real server and a real local HTTP
 * receiver: an admin adds an endpoint (the signing secret is shown once, and never again after the page
 * reloads), a chat message goes out to the receiver signed with that secret, and the delivery log shows
 * it delivered; disabling the endpoint shows on the page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { grantAdmin } from '../helpers/admin.js';
import { waitUntil } from '../helpers/binaries.js';
import type { TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.js';
import { e2eSkip, launchBrowser, openPage, pageErrors, send, startWebServer, type Person } from './browser.js';

const skip = e2eSkip();
if (skip) console.log(`# webhooks page e2e: ${skip}`);

describe('web UI: webhooks on the admin page', { skip }, () => {
  let browser: Browser;
  let srv: TestServer;
  let rx: Receiver;
  const people: Person[] = [];

  before(async () => {
    rx = await startReceiver();
    srv = await startWebServer({ webhookPollMs: 50, ratePerSec: 1000, rateBurst: 1000 });
    browser = await launchBrowser();
  });
  after(async () => {
    for (const p of people) await p.context.close().catch(() => {});
    await browser?.close();
    await srv?.cleanup();
    await rx?.close();
  });

  it('adds an endpoint, shows its secret once, and the log shows a delivery', async () => {
    const { context, page } = await openPage(browser, srv.http + '/');
    people.push({ context, page, name: 'boss' });
    await page.getByRole('radio', { name: 'Register' }).click();
    await page.getByLabel('Name', { exact: true }).fill('boss');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('log').waitFor();
    await grantAdmin(srv.dataDir, 'boss');

    const admin = await context.newPage();
    await admin.goto(srv.http + '/');
    await admin.getByRole('log').waitFor();
    await admin.getByRole('link', { name: 'Administration' }).click();
    await admin.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await admin.getByText('No webhook endpoints.').waitFor();

    const form = admin.getByRole('form', { name: 'Add a webhook endpoint' });
    await form.getByLabel('Endpoint URL').fill(rx.url('/e2e'));
    await form.getByLabel('Description').fill('from the browser');
    await form.getByLabel('message.created').check();
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    const shown = admin.locator('[data-webhook-secret] .secret');
    await shown.waitFor();
    const secret = (await shown.textContent()) ?? '';
    assert.match(secret, /^whsec_[0-9a-f]{64}$/);
    rx.secrets.set('/e2e', secret);
    const row = admin.locator('[data-webhook]', { hasText: rx.url('/e2e') });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /from the browser/);
    await admin.getByRole('button', { name: 'I have saved it' }).click();
    assert.equal(await admin.locator('[data-webhook-secret]').count(), 0);

    // A chat message goes out, signed with the secret the page showed.
    await send(page, 'hello, receiver');
    await waitUntil(() => rx.delivered('/e2e').size >= 1, 15_000, 'the message delivered');
    const [got] = [...rx.delivered('/e2e').values()];
    assert.equal(got.event.type, 'message.created');
    assert.equal((got.event.data as { text: string }).text, 'hello, receiver');
    assert.ok(rx.requests.every((q) => q.valid), 'signed with the secret shown on the page');

    // The delivery log shows it delivered.
    await row.getByRole('button', { name: 'Delivery log' }).click();
    const logRow = admin.locator(`[data-delivery="${got.event.id}"]`);
    await logRow.waitFor();
    await admin.locator(`[data-delivery="${got.event.id}"][data-state="delivered"]`).waitFor();
    assert.match((await logRow.textContent()) ?? '', /message\.created.*delivered.*1.*200/);
    await row.locator('[data-col="counts"]').filter({ hasText: '0 / 0 / 1' }).waitFor();

    // Reloaded: the secret is nowhere on the page any more.
    await admin.reload();
    await admin.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await row.waitFor();
    assert.equal((await admin.content()).includes(secret), false);

    // Disable: the page says so.
    await row.getByRole('button', { name: 'Disable' }).click();
    await row.locator('.tag', { hasText: 'disabled' }).waitFor();
    await row.getByRole('button', { name: 'Enable' }).waitFor();
    assert.deepEqual(pageErrors(admin), []);
  });
});
