/**
 * What a new user hit in the web UI, fixed (issue 14): a DM's address is readable (`#dm=ben`) and opens
 * the DM, which starts "This is the beginning of your conversation with ben."; member counts have the
 * right plural; an invite adds the person at once and tells them ("You were added to #team").
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { e2eSkip, guestScene, pageErrors, type Person } from './browser.js';

const skip = e2eSkip();
if (skip) console.log(`# web UI e2e: ${skip}`);

describe('web UI: polish a new user asked for', { skip }, () => {
  const scene = guestScene(['ann', 'ben']);
  let ann: Person;
  let ben: Person;
  before(() => ({ ann, ben } = scene.guests));

  it('a DM has a readable address that opens it, and starts with whom it is', async () => {
    await ann.page.locator('.sidebar').getByRole('button', { name: /^Message ben/ }).click();
    await ann.page.getByText('This is the beginning of your conversation with ben.').waitFor();
    assert.equal(await ann.page.evaluate(() => location.hash), '#dm=ben');
    // The address alone opens it (a reload, a pasted link).
    await ann.page.goto(scene.srv.http + '/#room=general');
    await ann.page.locator('.room-title h1', { hasText: 'general' }).waitFor();
    await ann.page.evaluate(() => (location.hash = '#dm=ben'));
    await ann.page.getByText('This is the beginning of your conversation with ben.').waitFor();
    assert.equal(await ann.page.evaluate(() => location.hash), '#dm=ben');
  });

  it('"1 member", not "1 members"; an invite adds at once and says so', async () => {
    await ann.page.evaluate(() => (location.hash = '#room=general'));
    await ann.page.getByRole('button', { name: '+ New room' }).click();
    await ann.page.getByLabel('Room name').fill('team');
    await ann.page.getByRole('button', { name: 'Create' }).click();
    await ann.page.locator('.room-title h1', { hasText: 'team' }).waitFor();

    await ben.page.getByRole('button', { name: '+ Browse rooms' }).click();
    const listed = ben.page.locator('li', { has: ben.page.getByRole('button', { name: 'Join team' }) });
    await listed.getByText('1 member', { exact: true }).waitFor();
    assert.equal(await ben.page.getByText('1 members').count(), 0);

    // ann invites ben: he is in at once, and told.
    const form = ann.page.getByRole('form', { name: 'Invite to team' });
    if (!(await form.isVisible())) await ann.page.getByRole('button', { name: 'Members' }).click();
    await form.getByRole('textbox').fill('ben');
    await form.getByRole('button', { name: 'Invite' }).click();
    await ben.page.getByRole('status').filter({ hasText: 'You were added to #team' }).waitFor();
    await ben.page.locator('.sidebar a[data-room="team"]').waitFor();
    await ann.page.getByTestId('header-online').filter({ hasText: '2 of 2 online' }).waitFor();
    for (const p of [ann.page, ben.page]) assert.deepEqual(pageErrors(p), []);
  });
});
