/**
 * Message changes in the web UI end to end (real Chromium, real server): two people in general. Ann
 * edits her message inline and Ben sees the new text and "(edited)" live; Ben replies to it (the reply
 * quotes it, and the quote jumps to it); reactions are chips that count, show who reacted and toggle
 * yours; Ann deletes a message after confirming and Ben sees "This message was deleted". After a
 * server restart on the same data, Ben's page shows the same final state (reconnected, and reloaded:
 * history pages carry change events, never shown as messages). A newcomer whose page has not loaded
 * the quoted message sees its quote anyway, and jumping to it loads older pages until it is there.
 * A screenshot of Ben's page is taken every run: into docs/ only with UPDATE_SCREENSHOTS=1 (else a temp dir).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../../src/client/index.js';
import { tempDir } from '../helpers/server.js';
import { REPO_ROOT, e2eSkip, guest, guestScene, pageErrors, send, startWebServer, type Person } from './browser.js';

const skip = e2eSkip();
if (skip) console.log(`# web UI e2e: ${skip}`);

const SHOTS_DIR = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(REPO_ROOT, 'docs') : mkdtempSync(path.join(os.tmpdir(), 'scale-chat-shots-'));
/** Small history pages, so that a few hundred messages are many pages (the jump test); no rate limit in the way. */
const SERVER = { historyPageMax: 20, ratePerSec: 500, rateBurst: 1000 };

const row = (page: Page, seq: number): Locator => page.locator(`.list .msg[data-seq="${seq}"]`);
const rowWith = (page: Page, text: string): Locator => page.locator('.list .msg', { has: page.locator('.msg-text', { hasText: text }) });
const seqOf = async (l: Locator): Promise<number> => Number(await l.getAttribute('data-seq'));
const chip = (page: Page, seq: number, emoji: string): Locator => row(page, seq).locator(`.reactions button[data-emoji="${emoji}"]`);

/** Text of a message row's text (without the "(edited)" mark). */
const textOf = async (page: Page, seq: number) => ((await row(page, seq).locator('.msg-text').textContent()) ?? '').trim();

describe('web UI: editing, deleting, replying and reacting', { skip }, () => {
  const dir = tempDir();
  const scene = guestScene(['ann', 'ben'], { server: SERVER, dataDir: dir });
  let ann: Person;
  let ben: Person;
  /** The seqs of the scene: the edited message, Ben's reply, the deleted message. */
  let first = 0;
  let reply = 0;
  let gone = 0;

  before(() => ({ ann, ben } = scene.guests));

  it('edit inline (Escape cancels, Shift+Enter is a new line, Enter saves): the other page shows the new text and "(edited)" live', async () => {
    await send(ann.page, 'helo evryone');
    const mine = rowWith(ann.page, 'helo evryone');
    await mine.locator('[data-status="sent"]').waitFor();
    first = await seqOf(mine);
    await rowWith(ben.page, 'helo evryone').waitFor();
    // Only your own messages can be edited or deleted.
    assert.equal(await row(ben.page, first).getByRole('button', { name: 'Edit your message' }).count(), 0);
    assert.equal(await row(ben.page, first).getByRole('button', { name: 'Delete your message' }).count(), 0);

    await row(ann.page, first).getByRole('button', { name: 'Edit your message' }).click();
    const editor = row(ann.page, first).getByRole('textbox', { name: 'New text of your message' });
    await editor.waitFor();
    assert.equal(await editor.inputValue(), 'helo evryone', 'the editor starts with the text');
    assert.equal(await editor.evaluate((el) => el === document.activeElement), true, 'the editor has the focus');
    await editor.fill('not this');
    await editor.press('Escape');
    await editor.waitFor({ state: 'detached' });
    assert.equal(await textOf(ann.page, first), 'helo evryone', 'Escape cancels');

    await row(ann.page, first).getByRole('button', { name: 'Edit your message' }).click();
    await editor.fill('hello');
    await editor.press('Shift+Enter');
    await editor.pressSequentially('everyone');
    assert.equal(await editor.inputValue(), 'hello\neveryone', 'Shift+Enter makes a new line, not a save');
    await editor.fill('hello everyone');
    await editor.press('Enter');
    await editor.waitFor({ state: 'detached' });

    const edited = row(ben.page, first).locator('time.edited');
    await edited.waitFor();
    assert.equal(await textOf(ben.page, first), 'hello everyone');
    assert.equal((await edited.textContent())?.trim(), '(edited)');
    const title = (await edited.getAttribute('title')) ?? '';
    assert.match(title, /\d/, `the tooltip gives the time of the edit: ${title}`);
    const when = Date.parse((await edited.getAttribute('datetime')) ?? '');
    assert.ok(Math.abs(Date.now() - when) < 60_000, 'the edit time is now');
    await row(ann.page, first).locator('time.edited').waitFor();
    assert.equal(await textOf(ann.page, first), 'hello everyone');
  });

  it('reply: the composer says whom it answers (× cancels), the reply quotes the original, and the quote jumps to it', async () => {
    await row(ben.page, first).getByRole('button', { name: 'Reply to ann' }).click();
    const bar = ben.page.locator('.composer .reply-bar');
    await bar.waitFor();
    assert.equal((await bar.locator('.reply-what').textContent())?.trim(), 'Replying to ann: hello everyone');
    assert.equal(await ben.page.locator('#composer-input').evaluate((el) => el === document.activeElement), true, 'the composer has the focus');
    await bar.getByRole('button', { name: 'Cancel the reply' }).click();
    await bar.waitFor({ state: 'detached' });

    await row(ben.page, first).getByRole('button', { name: 'Reply to ann' }).click();
    await bar.waitFor();
    await send(ben.page, 'hi ann, welcome');
    await bar.waitFor({ state: 'detached' });
    const sent = rowWith(ben.page, 'hi ann, welcome');
    await sent.locator('[data-status="sent"]').waitFor();
    reply = await seqOf(sent);
    for (const page of [ben.page, ann.page]) {
      const quote = row(page, reply).locator('.quote');
      await quote.waitFor();
      assert.equal(await quote.getAttribute('data-reply-to'), String(first));
      assert.equal((await quote.locator('.quote-author').textContent())?.trim(), 'ann');
      assert.equal((await quote.locator('.quote-text').textContent())?.trim(), 'hello everyone');
    }
    await row(ann.page, reply).locator('.quote').click();
    await row(ann.page, first).and(ann.page.locator('[data-flash]')).waitFor();
  });

  it('reactions: a chip with the count; yours is pressed; clicking it toggles yours; its title says who', async () => {
    await row(ann.page, first).getByRole('button', { name: 'Add a reaction' }).click();
    const picker = row(ann.page, first).getByRole('group', { name: 'Pick a reaction' });
    await picker.waitFor();
    assert.deepEqual(await picker.getByRole('button').evaluateAll((els) => els.map((e) => e.getAttribute('data-emoji'))), ['👍', '❤️', '😂', '🎉', '😮', '😢', '👀', '🚀']);
    await picker.getByRole('button', { name: 'React with thumbs up' }).click();
    await picker.waitFor({ state: 'detached' });

    const benChip = chip(ben.page, first, '👍');
    await benChip.filter({ hasText: '👍 1' }).waitFor();
    assert.equal(await benChip.getAttribute('aria-pressed'), 'false', 'not pressed for ben: not his reaction');
    assert.equal(await benChip.getAttribute('title'), 'ann reacted with 👍');
    await chip(ann.page, first, '👍').and(ann.page.locator('[aria-pressed="true"]')).waitFor();

    await benChip.click();
    await benChip.filter({ hasText: '👍 2' }).and(ben.page.locator('[aria-pressed="true"]')).waitFor();
    assert.equal(await benChip.getAttribute('title'), 'ann and you reacted with 👍');
    await chip(ann.page, first, '👍').filter({ hasText: '👍 2' }).waitFor();
    assert.equal(await chip(ann.page, first, '👍').getAttribute('title'), 'you and ben reacted with 👍');

    // Toggling off and on again, by keyboard: the chip is a button.
    await benChip.focus();
    await ben.page.keyboard.press('Enter');
    await benChip.filter({ hasText: '👍 1' }).and(ben.page.locator('[aria-pressed="false"]')).waitFor();
    await ben.page.keyboard.press('Space');
    await benChip.filter({ hasText: '👍 2' }).and(ben.page.locator('[aria-pressed="true"]')).waitFor();

    // The picker by keyboard: it opens on its first emoji, Escape closes it and gives the focus back.
    const react = row(ben.page, reply).getByRole('button', { name: 'Add a reaction' });
    await react.focus();
    await ben.page.keyboard.press('Enter');
    const benPicker = row(ben.page, reply).getByRole('group', { name: 'Pick a reaction' });
    await benPicker.waitFor();
    assert.equal(await benPicker.getByRole('button', { name: 'React with thumbs up' }).evaluate((el) => el === document.activeElement), true);
    await ben.page.keyboard.press('Escape');
    await benPicker.waitFor({ state: 'detached' });
    assert.equal(await react.evaluate((el) => el === document.activeElement), true, 'focus back on React');

    // A second emoji from the picker, on the reply.
    await row(ann.page, reply).getByRole('button', { name: 'Add a reaction' }).click();
    await row(ann.page, reply).getByRole('button', { name: 'React with rocket' }).click();
    await chip(ben.page, reply, '🚀').filter({ hasText: '🚀 1' }).waitFor();
  });

  it('delete after confirming: the other page shows "This message was deleted"', async () => {
    await send(ann.page, 'oops, wrong room');
    const mine = rowWith(ann.page, 'oops, wrong room');
    await mine.locator('[data-status="sent"]').waitFor();
    gone = await seqOf(mine);
    await row(ben.page, gone).waitFor();

    // By keyboard: the actions show while focus is in them; Escape (or No) keeps the message.
    await ann.page.mouse.move(0, 0);
    const del = row(ann.page, gone).getByRole('button', { name: 'Delete your message' });
    await del.focus();
    assert.equal(await row(ann.page, gone).locator('.msg-actions').evaluate((el) => getComputedStyle(el).opacity), '1', 'focused actions are visible');
    await ann.page.keyboard.press('Enter');
    const no = row(ann.page, gone).getByRole('button', { name: 'No, keep the message' });
    await no.waitFor();
    assert.equal(await no.evaluate((el) => el === document.activeElement), true, 'the confirmation starts on No');
    await ann.page.keyboard.press('Escape');
    await no.waitFor({ state: 'detached' });
    await del.click();
    await no.click();
    assert.equal(await textOf(ann.page, gone), 'oops, wrong room', 'No keeps it');
    await row(ann.page, gone).getByRole('button', { name: 'Delete your message' }).click();
    await row(ann.page, gone).getByRole('button', { name: 'Yes, delete the message' }).click();

    for (const page of [ben.page, ann.page]) {
      await row(page, gone).locator('.deleted', { hasText: 'This message was deleted' }).waitFor();
      assert.equal(await page.getByText('oops, wrong room').count(), 0);
      assert.equal(await row(page, gone).getByRole('button', { name: /Reply to/ }).count(), 0, 'a deleted message has no actions');
    }
    assert.deepEqual(pageErrors(ann.page), []);
    assert.deepEqual(pageErrors(ben.page), []);
  });

  it('after a server restart the page shows the same final state, reconnected and reloaded; change events are never rows', async () => {
    const check = async (when: string) => {
      await row(ben.page, gone).locator('.deleted', { hasText: 'This message was deleted' }).waitFor();
      assert.equal(await textOf(ben.page, first), 'hello everyone', `${when}: the edited text`);
      assert.equal((await row(ben.page, first).locator('time.edited').textContent())?.trim(), '(edited)', `${when}: (edited)`);
      await chip(ben.page, first, '👍').filter({ hasText: '👍 2' }).and(ben.page.locator('[aria-pressed="true"]')).waitFor();
      assert.equal(await chip(ben.page, reply, '🚀').textContent(), '🚀 1', `${when}: the reply's reaction`);
      assert.equal((await row(ben.page, reply).locator('.quote-text').textContent())?.trim(), 'hello everyone', `${when}: the quote`);
      // Only the three messages are rows: the edits, reactions and the removal (all with their own seqs) are not.
      const seqs = await ben.page.locator('.list .msg[data-seq]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
      assert.deepEqual(seqs, [first, reply, gone], `${when}: rows`);
    };

    const port = scene.srv.port;
    await scene.srv.stop();
    await ben.page.locator('.banner[data-state="reconnecting"]').waitFor();
    scene.srv = await startWebServer({ ...SERVER, port }, dir);
    await ben.page.locator('.banner').waitFor({ state: 'detached', timeout: 20_000 });
    await ann.page.locator('.banner').waitFor({ state: 'detached', timeout: 20_000 });
    await check('reconnected');

    await ben.page.reload();
    await ben.page.getByRole('log').waitFor();
    await check('reloaded');

    const shot = path.join(SHOTS_DIR, 'chat-changes.png');
    await row(ben.page, first).hover();
    await ben.page.screenshot({ path: shot });
    console.log(`screenshot: ${shot}`);
    assert.deepEqual(pageErrors(ben.page), []);
  });

  it('a quote of a message older than the loaded history shows it anyway; jumping there loads older pages until it is loaded', async () => {
    const cid = new ChatClient({ url: scene.srv.url, WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'], auth: { kind: 'guest', name: 'cid' } });
    await cid.connect();
    try {
      const original = await cid.send('general', 'the far original');
      for (let i = 0; i < 150; i++) await cid.send('general', `filler ${i + 1}`);
      await cid.send('general', 'answering the far one', { replyTo: original.seq });

      const dan = await guest(scene.browser, scene.srv, 'dan');
      try {
        const answer = rowWith(dan.page, 'answering the far one');
        await answer.waitFor();
        assert.equal(await row(dan.page, original.seq).count(), 0, 'the original is not loaded');
        const quote = answer.locator('.quote');
        await quote.locator('.quote-text', { hasText: 'the far original' }).waitFor();
        assert.equal((await quote.locator('.quote-author').textContent())?.trim(), 'cid');
        await quote.click();
        const target = row(dan.page, original.seq);
        await target.and(dan.page.locator('[data-flash]')).waitFor({ timeout: 20_000 });
        assert.equal(await textOf(dan.page, original.seq), 'the far original');
        const box = await target.boundingBox();
        const list = await dan.page.getByRole('log').boundingBox();
        assert.ok(box && list && box.y >= list.y && box.y + box.height <= list.y + list.height, 'the original is scrolled into view');
        assert.deepEqual(pageErrors(dan.page), []);
      } finally {
        await dan.context.close();
      }
    } finally {
      cid.close();
    }
  });
});
