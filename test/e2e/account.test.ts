/**
 * Account management in the web UI end to end (real Chromium, real server): one account signed in in two
 * browser contexts. Changing the password in the first signs the second out with a clear message (the
 * first stays signed in, and still is after a reload: its new token was saved); the old password is then
 * refused and the new one signs in. Deleting the account from the second signs out both, and the name
 * can no longer sign in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { e2eSkip, launchBrowser, openPage, pageErrors, startWebServer } from './browser.js';

const skip = e2eSkip();
if (skip) console.log(`# web UI e2e: ${skip}`);

const PW = 'first secret 123';
const PW2 = 'second secret 456';

async function signIn(page: Page, mode: 'Register' | 'Log in', name: string, password: string): Promise<void> {
  await page.getByRole('radio', { name: mode }).click();
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: mode === 'Register' ? 'Create account' : 'Log in' }).click();
}

describe('web UI: account management', { skip }, () => {
  let browser: Browser;
  let srv: TestServer;
  const pages: { context: { close(): Promise<void> }; page: Page }[] = [];
  const open = async () => {
    const p = await openPage(browser, srv.http + '/');
    pages.push(p);
    return p.page;
  };

  before(async () => {
    srv = await startWebServer({ ratePerSec: 500, rateBurst: 1000 });
    browser = await launchBrowser();
  });
  after(async () => {
    for (const p of pages) await p.context.close().catch(() => {});
    await browser?.close();
    await srv?.cleanup();
  });

  it('change password in one session signs the other out; old password refused, new one works; delete account signs out everywhere', async () => {
    const a = await open();
    await signIn(a, 'Register', 'carol', PW);
    await a.getByRole('log').waitFor();
    const b = await open();
    await signIn(b, 'Log in', 'carol', PW);
    await b.getByRole('log').waitFor();

    // Change the password in A: the form checks the confirmation first.
    await a.getByTestId('account-button').click();
    const panel = a.getByTestId('account-panel');
    await panel.getByLabel('Current password').fill(PW);
    await panel.getByLabel('New password', { exact: true }).fill(PW2);
    await panel.getByLabel('Confirm new password').fill('something else');
    await panel.getByRole('button', { name: 'Change password' }).click();
    await panel.getByRole('alert').filter({ hasText: 'differ' }).waitFor();
    await panel.getByLabel('Confirm new password').fill(PW2);
    await panel.getByRole('button', { name: 'Change password' }).click();
    await panel.getByRole('status').filter({ hasText: 'Password changed' }).waitFor();

    // B is back at the sign-in form, told why.
    await b.getByRole('alert').filter({ hasText: 'signed out' }).waitFor();
    assert.ok(((await b.getByRole('alert').textContent()) ?? '').includes('password was changed'));
    assert.equal(await b.getByRole('log').count(), 0);
    // A stays signed in, also after a reload (the new token was saved).
    await a.reload();
    await a.getByRole('log').waitFor();

    // The old password is refused, the new one signs in.
    await signIn(b, 'Log in', 'carol', PW);
    await b.getByRole('alert').filter({ hasText: 'wrong name or password' }).waitFor();
    await signIn(b, 'Log in', 'carol', PW2);
    await b.getByRole('log').waitFor();

    // Delete the account from B (wrong password first): both pages end at the sign-in form.
    await b.getByTestId('account-button').click();
    const del = b.getByRole('form', { name: 'Delete account' });
    assert.ok(((await del.textContent()) ?? '').includes('cannot be undone'));
    await del.getByLabel('Password').fill('not my password');
    await del.getByRole('button', { name: 'Delete my account' }).click();
    await b.getByTestId('account-panel').getByRole('alert').filter({ hasText: 'wrong password' }).waitFor();
    await del.getByLabel('Password').fill(PW2);
    await del.getByRole('button', { name: 'Delete my account' }).click();
    await b.getByRole('alert').filter({ hasText: 'account was deleted' }).waitFor();
    await a.getByRole('alert').filter({ hasText: 'account was deleted' }).waitFor();
    assert.equal(await a.getByRole('log').count(), 0);

    // The account is gone: the name does not sign in, and is not free to register.
    await signIn(a, 'Log in', 'carol', PW2);
    await a.getByRole('alert').filter({ hasText: 'wrong name or password' }).waitFor();
    await signIn(a, 'Register', 'carol', PW2);
    await a.getByRole('alert').filter({ hasText: 'exists' }).waitFor();
    for (const p of [a, b]) assert.deepEqual(pageErrors(p), []);
  });
});
