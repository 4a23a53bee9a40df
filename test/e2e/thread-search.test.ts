/**
 * Threads and search in the web UI end to end (real Chromium, real server). A message with replies
 * shows "N replies"; it opens the thread panel with the original and its replies, whose composer
 * replies to the original (the reply shows in the panel and, quoting it, in the conversation). On a
 * phone the panel is full-screen and closes with its button. Search: results with the matched words
 * marked, filters (author, this room), "More results" paging, newest/best; a result far back in
 * history opens its room and jumps to the message (older pages loaded until it is there).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../../src/client/index.js';
import type { TestServer } from '../helpers/server.js';
import { e2eSkip, guest, launchBrowser, pageErrors, type Person } from './browser.js';
import { startWebServer } from './browser.js';

const skip = e2eSkip();
if (skip) console.log(`# web UI e2e: ${skip}`);

/** Small history pages: the old message is many pages back. */
const SERVER = { historyPageMax: 20, ratePerSec: 1000, rateBurst: 2000 };

const rowWith = (page: Page, text: string): Locator => page.locator('.list .msg', { has: page.locator('.msg-text', { hasText: text }) }).last();

describe('web UI: thread panel and search', { skip }, () => {
  let browser: Browser;
  let srv: TestServer;
  let ann: Person;
  let cy: ChatClient;
  let original = 0;

  before(async () => {
    srv = await startWebServer(SERVER);
    browser = await launchBrowser();
    cy = new ChatClient({ url: srv.url, WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'], auth: { kind: 'guest', name: 'cy' } });
    await cy.connect();
    await cy.create('ops', 'public');
    // Far back in ops: the message search will find; then 120 more, then 25 that all match "pager".
    await cy.send('ops', 'the banana incident report is filed');
    for (let i = 0; i < 120; i++) await cy.send('ops', `filler ${i}`);
    for (let i = 0; i < 25; i++) await cy.send('ops', `pager alert number ${i}`);
    original = (await cy.send('general', 'Who can review the release notes?')).seq;
    await cy.send('general', 'I can, after lunch', { replyTo: original });
    await cy.send('general', 'me too', { replyTo: original });
    ann = await guest(browser, srv, 'ann');
  });
  after(async () => {
    cy?.close();
    await ann?.context.close().catch(() => {});
    await browser?.close();
    await srv?.cleanup();
  });

  it('"N replies" opens the thread; its composer replies to the original', async () => {
    const page = ann.page;
    const link = rowWith(page, 'Who can review').locator('.replies-link');
    await link.waitFor();
    assert.equal(await link.textContent(), '2 replies');
    await link.click();
    const panel = page.getByRole('complementary', { name: 'Thread' });
    await panel.waitFor();
    assert.match((await panel.locator('.thread-original').textContent()) ?? '', /Who can review the release notes\?/);
    assert.deepEqual(await panel.getByRole('listitem').locator('.msg-text').allTextContents(), ['I can, after lunch', 'me too']);

    const got: number[] = [];
    cy.on('message', (m) => {
      if (m.text === 'count me in' && m.replyTo !== undefined) got.push(m.replyTo);
    });
    await panel.getByLabel('Reply in the thread').fill('count me in');
    await panel.getByLabel('Reply in the thread').press('Enter');
    await panel.getByRole('listitem').filter({ hasText: 'count me in' }).waitFor();
    await page.waitForFunction(() => document.querySelector('.thread-panel [role="listitem"]:last-child .unsent') === null);
    assert.equal(await rowWith(page, 'Who can review').locator('.replies-link').textContent(), '3 replies');
    // In the conversation, the reply quotes the original.
    await rowWith(page, 'count me in').locator(`.quote[data-reply-to="${original}"]`).waitFor();
    const deadline = Date.now() + 5000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got, [original], 'the other user received a reply to the original');

    await panel.getByRole('button', { name: 'Close the thread' }).click();
    await panel.waitFor({ state: 'detached' });
  });

  it('on a phone the thread is full-screen with a close button', async () => {
    const page = ann.page;
    await page.setViewportSize({ width: 375, height: 740 });
    try {
      await rowWith(page, 'Who can review').locator('.replies-link').click();
      const panel = page.getByRole('complementary', { name: 'Thread' });
      await panel.waitFor();
      const box = await panel.boundingBox();
      assert.ok(box && box.x <= 0.5 && box.width >= 374 && box.height >= 739, `full screen (${JSON.stringify(box)})`);
      await panel.getByRole('button', { name: 'Close the thread' }).click();
      await panel.waitFor({ state: 'detached' });
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('search: marked words, author and room filters, paging, newest/best', async () => {
    const page = ann.page;
    // ann is not in ops yet: its messages are not searched.
    await page.getByRole('button', { name: 'Search messages' }).click();
    const panel = page.getByRole('complementary', { name: 'Search messages' });
    const query = panel.getByLabel('Search for');
    await query.fill('banana');
    await query.press('Enter');
    await panel.getByText('No messages found.').waitFor();

    await cy.invite('ops', 'ann');
    await page.locator('.sidebar a[data-room="ops"]').waitFor();
    await panel.getByRole('button', { name: 'Search', exact: true }).click();
    const results = panel.locator('.results .result');
    await results.first().waitFor();
    assert.equal(await results.count(), 1);
    assert.deepEqual(await results.first().locator('mark').allTextContents(), ['banana']);
    assert.match((await results.first().locator('.result-meta').textContent()) ?? '', /#ops\s+cy/);

    // From: nobody called ann wrote it.
    await panel.getByLabel('From user').fill('ann');
    await panel.getByRole('button', { name: 'Search', exact: true }).click();
    await panel.getByText('No messages found.').waitFor();
    await panel.getByLabel('From user').fill('');

    // Paging: 25 matches, 20 a page.
    await query.fill('pager');
    await query.press('Enter');
    await panel.getByText('20+ results').waitFor();
    await panel.getByRole('button', { name: 'More results' }).click();
    await panel.getByText('25 results').waitFor();
    assert.equal(await panel.getByRole('button', { name: 'More results' }).count(), 0);
    const newestFirst = await results.first().locator('.result-text').textContent();
    assert.equal(newestFirst, 'pager alert number 24');
    await panel.getByRole('button', { name: 'Best match' }).click();
    await panel.locator('.order-toggle [aria-pressed="true"]', { hasText: 'Best match' }).waitFor();
    await panel.getByText('20+ results').waitFor();

    // This room only (general): nothing about pagers there.
    await panel.getByLabel('Where to search').selectOption('room');
    await panel.getByRole('button', { name: 'Search', exact: true }).click();
    await panel.getByText('No messages found.').waitFor();
    await panel.getByLabel('Where to search').selectOption('all');
  });

  it('a result far back in history opens its room and jumps to the message', async () => {
    const page = ann.page;
    const panel = page.getByRole('complementary', { name: 'Search messages' });
    await panel.getByLabel('Search for').fill('banana');
    await panel.getByLabel('Search for').press('Enter');
    await panel.locator('.results .result').first().click();
    await page.locator('.room-title h1', { hasText: 'ops' }).waitFor();
    const target = rowWith(page, 'the banana incident report');
    await target.waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => {
      const el = [...document.querySelectorAll('.list .msg')].find((m) => m.textContent?.includes('banana incident'));
      const list = document.querySelector('.list')!.getBoundingClientRect();
      const r = el?.getBoundingClientRect();
      return !!r && r.top >= list.top && r.bottom <= list.bottom;
    });
    assert.equal(await target.getAttribute('data-flash'), 'true', 'the message is highlighted');
    assert.ok(Number(await page.locator('.list').getAttribute('data-count')) >= 140, 'older pages were loaded to reach it');
    assert.deepEqual(pageErrors(page), []);
  });
});
