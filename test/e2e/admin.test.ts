/**
 * The admin page end to end in Chromium: an account the operator made an admin (`scale-chat admin grant`)
 * signs in, opens Administration from the sidebar, sees live stats and rooms, deletes a message (the
 * other user's page marks it deleted at once), bans a user (their page says they were banned and they
 * cannot join again), unbans, sees the audit log; a non-admin's page says "Administrators only" with the operator's
 * command that grants the role (`scale-chat admin grant eve`), and the API answers 403.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { grantAdmin } from '../helpers/admin.js';
import type { TestServer } from '../helpers/server.js';
import { e2eSkip, guest, launchBrowser, openPage, pageErrors, send, startWebServer, type Person } from './browser.js';

const skip = e2eSkip();
if (skip) console.log(`# admin page e2e: ${skip}`);

async function register(browser: Browser, srv: TestServer, name: string): Promise<Person> {
  const { context, page } = await openPage(browser, srv.http + '/');
  await page.getByRole('radio', { name: 'Register' }).click();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('log').waitFor();
  return { context, page, name };
}

const stat = (page: Page, id: string) => page.locator(`[data-stat="${id}"] .stat-value`);

describe('web UI: administration', { skip }, () => {
  let browser: Browser;
  let srv: TestServer;
  const people: Person[] = [];

  before(async () => {
    srv = await startWebServer({ ratePerSec: 1000, rateBurst: 1000 });
    browser = await launchBrowser();
  });
  after(async () => {
    for (const p of people) await p.context.close().catch(() => {});
    await browser?.close();
    await srv?.cleanup();
  });

  it('an admin sees stats, deletes a message, bans and unbans a user; a non-admin is refused', async () => {
    const boss = await register(browser, srv, 'boss');
    people.push(boss);
    await grantAdmin(srv.dataDir, 'boss'); // as the operator does on the server host: no restart, no reload
    const ann = await guest(browser, srv, 'ann');
    const spam = await guest(browser, srv, 'spammer');
    people.push(ann, spam);

    await send(spam.page, 'buy cheap stuff');
    const row = ann.page.locator('.list .msg', { hasText: 'buy cheap stuff' });
    await row.waitFor();
    const seq = await row.getAttribute('data-seq');
    assert.ok(seq);

    // The admin opens Administration from the sidebar: live stats and the rooms table.
    const admin = await boss.context.newPage();
    await admin.goto(srv.http + '/');
    await admin.getByRole('log').waitFor();
    await admin.getByRole('link', { name: 'Administration' }).click();
    await admin.getByRole('heading', { name: 'Administration' }).waitFor();
    await stat(admin, 'online').filter({ hasText: /^[3-9]$/ }).waitFor();
    assert.equal(await stat(admin, 'nodes').textContent(), '1');
    assert.equal(await admin.locator('[data-room="general"] [data-col="members"]').textContent(), await stat(admin, 'online').textContent());
    // Stats refresh by themselves: a new message shows in the count without a reload.
    const before = Number(await stat(admin, 'messages').textContent());
    await send(ann.page, 'one more');
    await stat(admin, 'messages').filter({ hasText: String(before + 1) }).waitFor();

    // Delete the spam message: everyone's page marks it deleted at once.
    await admin.getByLabel('Room', { exact: true }).fill('general');
    await admin.getByLabel('Message number (seq)').fill(seq);
    await admin.getByRole('button', { name: 'Delete message' }).click();
    await admin.getByRole('status').filter({ hasText: `Deleted message general#${seq}: done` }).waitFor();
    await ann.page.locator(`.list .msg[data-seq="${seq}"]`, { hasText: 'This message was deleted' }).waitFor();
    assert.equal(await ann.page.locator('.list .msg-text', { hasText: 'buy cheap stuff' }).count(), 0);

    // Ban: the spammer's page says so and offers to sign in again; joining with that name is refused.
    await admin.getByLabel('User name').fill('spammer');
    await admin.getByLabel('Reason (for a ban)').fill('selling things');
    await admin.getByRole('button', { name: 'Ban' }).click();
    await spam.page.getByRole('status').filter({ hasText: /banned by an administrator: selling things/ }).waitFor();
    await admin.locator('[data-ban]', { hasText: 'spammer' }).waitFor();
    await spam.page.getByRole('button', { name: 'Sign in again' }).click();
    await spam.page.getByLabel('Pick a name').fill('spammer');
    await spam.page.getByRole('button', { name: 'Join as guest' }).click();
    await spam.page.getByRole('alert').filter({ hasText: 'this name is banned' }).waitFor();

    // Unban; the audit log lists every action, newest first.
    await admin.locator('[data-ban]', { hasText: 'spammer' }).getByRole('button', { name: 'Unban' }).click();
    await admin.getByText('No one is banned.').waitFor();
    const audit = admin.getByRole('table', { name: 'Audit log' });
    await audit.locator('tbody tr').first().filter({ hasText: 'unban' }).waitFor();
    const actions = await audit.locator('tbody tr td:nth-child(3)').allTextContents();
    assert.deepEqual(actions.slice(0, 3), ['unban', 'ban', 'delete_message']);
    await spam.page.getByRole('button', { name: 'Join as guest' }).click();
    await spam.page.getByRole('log').waitFor();

    // A non-admin (a guest, or a second account) sees no link; the page and the API refuse.
    assert.equal(await ann.page.getByRole('link', { name: 'Administration' }).count(), 0);
    const eve = await register(browser, srv, 'eve');
    people.push(eve);
    const adminCalls: string[] = [];
    eve.page.on('request', (rq) => {
      if (rq.url().includes('/admin/api/')) adminCalls.push(rq.url());
    });
    await eve.page.goto(srv.http + '/admin');
    // One clear sentence, from one request (no refresh loop of 403s in the console).
    // ... that says how the role is granted: the operator's command, with her name, ready to paste.
    const denied = eve.page.getByRole('alert').filter({ hasText: 'Administrators only: eve is not an administrator.' });
    await denied.waitFor();
    assert.equal(
      (await denied.textContent())?.trim(),
      'Administrators only: eve is not an administrator. An operator grants the role on the server host with scale-chat admin grant eve.',
    );
    assert.equal(await denied.locator('code').textContent(), 'scale-chat admin grant eve');
    assert.equal((await eve.page.getByRole('alert').allTextContents()).join(' ').match(/administrators only/gi)?.length, 1, 'said once');
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(adminCalls.length, 1, `admin API requests of a non-admin page: ${adminCalls.join(', ')}`);
    const token = await eve.page.evaluate(() => JSON.parse(localStorage.getItem('scale-chat.session') ?? '{}').token as string);
    const r = await fetch(`${srv.http}/admin/api/stats`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 403);
    assert.equal(((await r.json()) as { error: string }).error, 'forbidden');

    // A guest is told that only an account can be granted the role, and how.
    await ann.page.goto(srv.http + '/admin');
    const guestDenied = ann.page.getByRole('alert').filter({ hasText: 'Administrators only: ann is a guest' });
    await guestDenied.waitFor();
    assert.match((await guestDenied.textContent()) ?? '', /only an account can be an administrator\. Register an account; an operator then grants it the role on the server host with scale-chat admin grant NAME\.$/);

    for (const p of [boss.page, admin, ann.page, spam.page, eve.page]) assert.deepEqual(pageErrors(p), []);
  });
});
