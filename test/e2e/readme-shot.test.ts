/**
 * The README's feature screenshot (docs/screenshot-features.png), taken the way a user gets there: in a
 * real Chromium against a real server, priya posts formatted code, sam replies to it mentioning her,
 * priya edits her message, both react, and sam's view is photographed. The test checks that what the
 * picture is meant to show is on screen: the code block, "(edited)", the reply quote, the mention marked
 * as priya's, the reaction chips with their counts, and a message a backend published through the HTTP API
 * with an API key, marked as from a bot. `UPDATE_SCREENSHOTS=1` writes it into docs/.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { adminCli } from '../helpers/admin.js';
import { REPO_ROOT, e2eSkip, guestScene, pageErrors, rowWith, send, type Person } from './browser.js';

const skip = e2eSkip();
if (skip) console.log(`# web UI e2e: ${skip}`);

const SHOTS_DIR = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(REPO_ROOT, 'docs') : mkdtempSync(path.join(os.tmpdir(), 'scale-chat-shots-'));

describe('web UI: the README feature screenshot', { skip }, () => {
  const scene = guestScene(['priya', 'sam'], { server: { ratePerSec: 200, rateBurst: 400 }, viewport: { width: 1100, height: 640 } });
  let priya: Person;
  let sam: Person;
  before(() => ({ priya, sam } = scene.guests));

  it('edits, a reply with a mention, reactions and formatted code, as the other user sees them', async () => {
    await send(sam.page, 'Is the **release** build ready?');
    await rowWith(priya.page, 'build ready').waitFor();
    await send(priya.page, 'Almost: start it with\n```\nnpm ci && npm start\n```\nthen open `http://localhost:8080`');
    const code = rowWith(sam.page, 'start it with');
    await code.locator('pre code').waitFor();

    // priya fixes her message; sam sees "(edited)".
    const seq = await rowWith(priya.page, 'start it with').getAttribute('data-seq');
    // By seq: while editing, the row shows an editor instead of its text.
    const mine = priya.page.locator(`.list .msg[data-seq="${seq}"]`);
    await mine.hover();
    await mine.getByRole('button', { name: 'Edit your message' }).click();
    const editor = mine.getByRole('textbox', { name: 'New text of your message' });
    await editor.fill('Ready: start it with\n```\nnpm ci && npm start\n```\nthen open `http://localhost:8080` and **share the link**');
    await editor.press('Enter');
    await code.locator('.edited').waitFor();

    // sam answers that message, mentioning priya.
    await code.hover();
    await code.getByRole('button', { name: 'Reply to priya' }).click();
    await send(sam.page, '@priya works here, thanks! ~~npm install~~ is gone from the docs too');
    const reply = rowWith(priya.page, 'works here');
    await reply.locator('.quote').waitFor();
    await reply.locator('.mention-me', { hasText: '@priya' }).waitFor();

    // Both react to the code message.
    for (const [page, emoji] of [[sam.page, 'thumbs up'], [priya.page, 'party popper']] as const) {
      const r = rowWith(page, 'start it with');
      await r.hover();
      await r.getByRole('button', { name: 'Add a reaction' }).click();
      const picker = r.getByRole('group', { name: 'Pick a reaction' });
      await picker.getByRole('button', { name: `React with ${emoji}` }).click();
      await picker.waitFor({ state: 'detached' });
    }
    await send(priya.page, 'Thanks @sam 🚀');
    // The CI's bot posts through the HTTP API (docs/api.md), with a key made on the server host.
    const made = await adminCli(['key', 'create', 'ci-bot', '--scopes', 'publish', '--data-dir', scene.srv.dataDir]);
    assert.equal(made.code, 0, made.stderr);
    const published = await fetch(`${scene.srv.http}/api/v1/rooms/general/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${made.stdout.split('\n')[0].trim()}`, 'content-type': 'application/json', 'idempotency-key': 'release-build-1' },
      body: JSON.stringify({ text: 'Release build **#42** passed: 840 tests, 0 skipped' }),
    });
    assert.equal(published.status, 201, await published.text());

    // sam's view: everything the picture shows is there.
    const view = sam.page;
    await rowWith(view, 'Thanks').locator('.mention-me', { hasText: '@sam' }).waitFor();
    await rowWith(view, 'Release build').getByTestId('bot-badge').waitFor();
    const chips = code.locator('.reactions button');
    await view.waitForFunction(() => document.querySelectorAll('.list .msg .reactions button').length >= 2);
    assert.equal(await code.locator('pre code').textContent(), 'npm ci && npm start');
    assert.equal(await code.locator('strong').textContent(), 'share the link');
    assert.equal(await rowWith(view, 'works here').locator('.quote .quote-author').textContent(), 'priya');
    assert.equal(await rowWith(view, 'works here').locator('.mention', { hasText: '@priya' }).count(), 1);
    assert.equal(await rowWith(view, 'works here').locator('del').textContent(), 'npm install');
    assert.ok((await chips.count()) >= 2, 'two reaction chips');
    await view.mouse.move(5, 600);
    await view.screenshot({ path: path.join(SHOTS_DIR, 'screenshot-features.png') });
    assert.deepEqual(pageErrors(view), []);
  });
});
