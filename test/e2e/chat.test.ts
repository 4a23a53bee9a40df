/**
 * The web UI end to end: real Chromium (playwright-core, /usr/bin/chromium), real server serving
 * web/dist, several people in separate browser contexts. What a user would notice: messages both
 * ways, a private room only its members can see, DMs only the two people can see, a reload that
 * keeps you signed in with the history, and markup in messages shown as text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { e2eSkip, guest, launchBrowser, messageTexts, openPage, openRoom, pageErrors, send, startWebServer, type Person } from './browser.js';

const skip = e2eSkip();
if (skip) console.log(`# web UI e2e: ${skip}`);

describe('web UI: chatting', { skip }, () => {
  let browser: Browser;
  let srv: TestServer;
  const people: Person[] = [];

  before(async () => {
    srv = await startWebServer();
    browser = await launchBrowser();
  });
  after(async () => {
    for (const p of people) await p.context.close().catch(() => {});
    await browser?.close();
    await srv?.cleanup();
  });

  const join = async (name: string) => {
    const p = await guest(browser, srv, name);
    people.push(p);
    return p;
  };

  it('two people chat in general in both directions, with typing and presence', async () => {
    const ann = await join('ann');
    const ben = await join('ben');
    // Presence: each sees the other online (live, without a reload).
    await ann.page.locator('.sidebar .user-list').getByText('ben').waitFor();
    await ben.page.locator('.sidebar .user-list').getByText('ann').waitFor();

    // Typing indicator, then the message.
    await ann.page.locator('#composer-input').fill('hello b');
    await ben.page.getByTestId('typing').filter({ hasText: 'ann is typing' }).waitFor();
    await ann.page.locator('#composer-input').fill('hello ben');
    await ann.page.locator('#composer-input').press('Enter');
    await ben.page.locator('.list .msg-text', { hasText: 'hello ben' }).waitFor();
    await ann.page.locator('.list .msg.own [data-status="sent"]').first().waitFor();
    assert.equal(await ann.page.locator('#composer-input').inputValue(), '', 'the composer is cleared after sending');

    await send(ben.page, 'hi ann, all good?');
    await ann.page.locator('.list .msg-text', { hasText: 'hi ann, all good?' }).waitFor();
    await send(ben.page, 'second from ben');
    await ann.page.locator('.list .msg-text', { hasText: 'second from ben' }).waitFor();

    assert.deepEqual(await messageTexts(ann.page), ['hello ben', 'hi ann, all good?', 'second from ben']);
    assert.deepEqual(await messageTexts(ben.page), ['hello ben', 'hi ann, all good?', 'second from ben']);
    // Consecutive messages of one author are grouped under one header.
    assert.equal(await ann.page.locator('.list .msg.head .author', { hasText: 'ben' }).count(), 1);
    assert.equal(await ann.page.locator('.list .day-sep', { hasText: 'Today' }).count(), 1);

    // Shift+Enter makes a new line instead of sending.
    const box = ann.page.locator('#composer-input');
    await box.fill('line one');
    await box.press('Shift+Enter');
    await box.pressSequentially('line two');
    await box.press('Enter');
    await ben.page.locator('.list .msg-text', { hasText: 'line two' }).waitFor();
    assert.equal((await ben.page.locator('.list .msg-text').last().textContent())?.trim(), 'line one\nline two');

    // Someone new comes online and leaves: the list follows.
    const cid = await join('cid');
    await ann.page.locator('.sidebar .user-list').getByText('cid').waitFor();
    await cid.context.close();
    people.splice(people.indexOf(cid), 1);
    await ann.page.locator('.sidebar .user-list').getByText('cid').waitFor({ state: 'detached' });
    assert.deepEqual(pageErrors(ann.page), []);
  });

  it('a private room: the invited person sees it, a third person can neither find nor read it', async () => {
    const [ann, ben] = people;
    const eve = await join('eve');
    await ann.page.getByRole('button', { name: '+ New room' }).click();
    await ann.page.getByLabel('Room name').fill('secret-plans');
    await ann.page.getByLabel('Private').check();
    await ann.page.getByRole('button', { name: 'Create' }).click();
    await ann.page.locator('.room-title h1', { hasText: 'secret-plans' }).waitFor();
    await send(ann.page, 'the cake is in the fridge');
    await ann.page.locator('.list .msg-text', { hasText: 'the cake is in the fridge' }).waitFor();

    await ann.page.getByLabel('Invite by name').fill('ben');
    await ann.page.getByRole('button', { name: 'Invite', exact: true }).click();
    await ann.page.getByText('ben was added to secret-plans.').waitFor();

    // ben: the room appears in the sidebar without a reload, with the history readable.
    await openRoom(ben.page, 'secret-plans');
    await ben.page.locator('.list .msg-text', { hasText: 'the cake is in the fridge' }).waitFor();
    await send(ben.page, 'noted');
    await ann.page.locator('.list .msg-text', { hasText: 'noted' }).waitFor();

    // eve: not in the sidebar, not in the public room list, and opening it by URL reveals nothing.
    assert.equal(await eve.page.locator('.sidebar a[data-room="secret-plans"]').count(), 0);
    await eve.page.getByRole('button', { name: '+ Browse rooms' }).click();
    await eve.page.getByText('No other public rooms yet.').waitFor();
    await eve.page.evaluate(() => (location.hash = '#room=secret-plans'));
    await eve.page.getByText('You are not a member of').waitFor();
    // A private room is not joinable by link: a clear note instead of a Join button that would fail.
    await eve.page.getByTestId('private-room').filter({ hasText: 'This room is private: ask a member to invite you' }).waitFor();
    assert.equal(await eve.page.getByRole('button', { name: 'Join #secret-plans' }).count(), 0);
    assert.equal(await eve.page.getByText('the cake is in the fridge').count(), 0);
    assert.equal(await eve.page.locator('.sidebar a[data-room="secret-plans"]').count(), 0);

    // Leaving: eve joins a public room and leaves it again.
    await openRoom(ann.page, 'general');
    await ann.page.getByRole('button', { name: '+ New room' }).click();
    await ann.page.getByLabel('Room name').fill('lobby');
    await ann.page.getByRole('button', { name: 'Create' }).click();
    await ann.page.locator('.room-title h1', { hasText: 'lobby' }).waitFor();
    await eve.page.getByRole('button', { name: '− Browse rooms' }).click();
    await eve.page.getByRole('button', { name: '+ Browse rooms' }).click();
    await eve.page.getByRole('button', { name: 'Join lobby' }).click();
    await eve.page.locator('.room-title h1', { hasText: 'lobby' }).waitFor();
    await ann.page.getByTestId('header-online').filter({ hasText: '2 of 2 online' }).waitFor();
    await eve.page.getByRole('button', { name: 'Leave' }).click();
    await eve.page.locator('.room-title h1', { hasText: 'general' }).waitFor();
    assert.equal(await eve.page.locator('.sidebar a[data-room="lobby"]').count(), 0);
    await ann.page.getByTestId('header-online').filter({ hasText: '1 of 1 online' }).waitFor();
  });

  it('a DM between two people, with an unread count, invisible to a third', async () => {
    const [ann, ben, eve] = people;
    await openRoom(ann.page, 'general');
    await ann.page.locator('.sidebar').getByRole('button', { name: 'Message ben (online)' }).click();
    await ann.page.locator('.room-title h1', { hasText: 'ben' }).waitFor();
    await send(ann.page, 'just between us');
    await ann.page.locator('.list .msg-text', { hasText: 'just between us' }).waitFor();
    const dmId = await ann.page.locator('.sidebar a[data-room^="dm:"]').getAttribute('data-room');
    assert.ok(dmId);

    // ben is in another room: the DM shows up with 1 unread.
    const link = ben.page.locator(`.sidebar a[data-room="${dmId}"]`);
    await link.locator('.badge', { hasText: '1' }).waitFor();
    assert.match((await link.textContent()) ?? '', /ann/);
    await link.click();
    await ben.page.locator('.list .msg-text', { hasText: 'just between us' }).waitFor();
    await link.locator('.badge').waitFor({ state: 'detached' });
    await send(ben.page, 'sure');
    await ann.page.locator('.list .msg-text', { hasText: 'sure' }).waitFor();

    assert.equal(await eve.page.locator('.sidebar a[data-room^="dm:"]').count(), 0);
    await eve.page.evaluate((id) => (location.hash = `#room=${encodeURIComponent(id)}`), dmId);
    await eve.page.getByText('You are not a member of this conversation').waitFor();
    assert.equal(await eve.page.getByText('just between us').count(), 0);
  });

  it('a reload keeps the session, the room and the history', async () => {
    const ann = people[0];
    await openRoom(ann.page, 'secret-plans');
    await ann.page.reload();
    await ann.page.getByRole('log').waitFor();
    assert.match((await ann.page.getByTestId('me').textContent()) ?? '', /^ann/);
    await ann.page.locator('.room-title h1', { hasText: 'secret-plans' }).waitFor();
    await ann.page.locator('.list .msg-text', { hasText: 'noted' }).waitFor();
    assert.deepEqual(await messageTexts(ann.page), ['the cake is in the fridge', 'noted']);
    await openRoom(ann.page, 'general');
    await ann.page.locator('.list .msg-text', { hasText: 'second from ben' }).waitFor();

    // Signing out forgets the session: a reload shows the sign-in form.
    await ann.page.getByRole('button', { name: 'Sign out' }).click();
    await ann.page.getByLabel('Pick a name').waitFor();
    await ann.page.reload();
    await ann.page.getByLabel('Pick a name').waitFor();
  });

  it('accounts: register, a wrong password is refused, log in; a guest name in use is refused', async () => {
    const { context, page } = await openPage(browser, srv.http + '/');
    try {
      await page.getByLabel('Pick a name').fill('ben');
      await page.getByRole('button', { name: 'Join as guest' }).click();
      await page.getByRole('alert').filter({ hasText: 'the name "ben" is in use' }).waitFor();

      await page.getByRole('radio', { name: 'Register' }).click();
      await page.getByLabel('Name').fill('rita');
      await page.getByLabel('Password').fill('short');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('alert').filter({ hasText: 'Passwords are 8-256 characters.' }).waitFor();
      await page.getByLabel('Password').fill('a long enough password');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByTestId('me').filter({ hasText: 'rita · account' }).waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();

      await page.getByRole('radio', { name: 'Log in' }).click();
      await page.getByLabel('Name').fill('rita');
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').filter({ hasText: 'wrong name or password' }).waitFor();
      await page.getByLabel('Password').fill('a long enough password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByTestId('me').filter({ hasText: 'rita · account' }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('markup in a message is shown as text; links are safe anchors', async () => {
    const [, ben, eve] = people;
    await openRoom(ben.page, 'general');
    await openRoom(eve.page, 'general');
    const evil = '<img src=x onerror=alert(1)>';
    await send(eve.page, evil);
    await send(eve.page, 'docs at https://example.com/a?b=1, not javascript:alert(2)');
    await ben.page.locator('.list .msg-text', { hasText: 'docs at' }).waitFor();
    const texts = await messageTexts(ben.page);
    assert.ok(texts.includes(evil), 'the injection string shows literally');
    assert.equal(await ben.page.locator('.list img').count(), 0, 'no <img> element was created');
    const links = ben.page.locator('.list .msg-text a');
    assert.equal(await links.count(), 1, 'only the http(s) URL is a link');
    assert.equal(await links.getAttribute('href'), 'https://example.com/a?b=1');
    assert.equal(await links.getAttribute('rel'), 'noopener noreferrer nofollow');
    assert.equal(await links.getAttribute('target'), '_blank');
    assert.deepEqual(pageErrors(ben.page), [], 'no alert() ran and nothing threw');
    assert.deepEqual(pageErrors(eve.page), []);
  });
});
