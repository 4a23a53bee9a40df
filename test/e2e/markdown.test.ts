/**
 * Message formatting in the web UI end to end (real Chromium, real server): the safe Markdown subset
 * renders as elements (bold, italic, strike, code, code blocks, quotes, lists, http(s) links with
 * rel="noopener noreferrer nofollow"), while headings, images, raw HTML, `javascript:` and data: links
 * stay text and nothing runs (no page error, no dialog, no <img>/<script> element from a message).
 * Hostile inputs (1000-deep quotes, 4000 asterisks) render without freezing the page. A message that
 * mentions you is highlighted, with the mention itself marked. Emoji render in colour (a screenshot).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { REPO_ROOT, e2eSkip, guestScene, pageErrors, rowWith, send, type Person } from './browser.js';

const skip = e2eSkip();
if (skip) console.log(`# web UI e2e: ${skip}`);

const SHOTS_DIR = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(REPO_ROOT, 'docs') : mkdtempSync(path.join(os.tmpdir(), 'scale-chat-shots-'));


describe('web UI: Markdown formatting and mentions', { skip }, () => {
  const scene = guestScene(['ann', 'ben'], { server: { ratePerSec: 200, rateBurst: 400 } });
  let ann: Person;
  let ben: Person;
  before(() => ({ ann, ben } = scene.guests));

  it('renders the subset as elements, typed with Shift+Enter for new lines', async () => {
    const box = ann.page.locator('#composer-input');
    await box.fill('fmt1 **bold** *it* ~~gone~~ `a<b>` [docs](https://example.com/d)');
    await box.press('Enter');
    // A multi-line message: Shift+Enter adds lines, Enter sends.
    await box.fill('');
    for (const [i, line] of ['fmt2 list:', '- one', '- two', '', '> quoted', '', '```', 'let x = <y>;', '```'].entries()) {
      if (i > 0) await box.press('Shift+Enter');
      await box.pressSequentially(line);
    }
    assert.equal(await ben.page.locator('.list .msg-text', { hasText: 'fmt2' }).count(), 0, 'Shift+Enter did not send');
    await box.press('Enter');

    const one = rowWith(ben.page, 'fmt1').locator('.msg-text');
    await one.waitFor();
    assert.equal(await one.locator('strong').textContent(), 'bold');
    assert.equal(await one.locator('em').textContent(), 'it');
    assert.equal(await one.locator('del').textContent(), 'gone');
    assert.equal(await one.locator('code').textContent(), 'a<b>');
    const link = one.locator('a');
    assert.equal(await link.getAttribute('href'), 'https://example.com/d');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer nofollow');
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.textContent(), 'docs');

    const two = rowWith(ben.page, 'fmt2').locator('.msg-text');
    await two.waitFor();
    assert.deepEqual(await two.locator('ul > li').allTextContents(), ['one', 'two']);
    assert.equal(await two.locator('blockquote').textContent(), 'quoted');
    assert.equal(await two.locator('pre code').textContent(), 'let x = <y>;');
  });

  it('keeps markup, images, headings and unsafe links as text; nothing runs', async () => {
    const evil = [
      'xss1 <script>alert(1)</script>',
      'xss2 <img src=x onerror=alert(2)>',
      'xss3 [click](javascript:alert(3)) and [data](data:text/html;base64,PHNjcmlwdD5hbGVydCg0KTwvc2NyaXB0Pg==)',
      'xss4 ![pic](https://example.com/p.png) <b onmouseover=alert(5)>b</b>',
      '# xss5 heading',
      'xss6 [<img src=x onerror=alert(6)>](https://example.com/ok)',
    ];
    for (const t of evil) await send(ann.page, t);
    await rowWith(ben.page, 'xss6').waitFor();
    for (const page of [ann.page, ben.page]) {
      const list = page.locator('.list');
      assert.equal(await list.locator('.msg-text img, .msg-text script, .msg-text b, .msg-text h1').count(), 0, 'no element from markup');
      assert.equal(await rowWith(page, 'xss1').locator('.msg-text').textContent(), 'xss1 <script>alert(1)</script>');
      assert.equal(await rowWith(page, 'xss2').locator('.msg-text').textContent(), 'xss2 <img src=x onerror=alert(2)>');
      assert.equal(await rowWith(page, 'xss3').locator('.msg-text a').count(), 0, 'javascript: and data: links are text');
      assert.match((await rowWith(page, 'xss3').locator('.msg-text').textContent()) ?? '', /\[click\]\(javascript:alert\(3\)\)/);
      assert.equal(await rowWith(page, 'xss5').locator('.msg-text').textContent(), '# xss5 heading');
      // Every link in the list is http(s).
      for (const href of await list.locator('.msg-text a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''))) assert.match(href, /^https?:\/\//);
      assert.equal(await rowWith(page, 'xss6').locator('.msg-text a').textContent(), '<img src=x onerror=alert(6)>');
    }
    // Give an injected handler a moment to fire, had one been created.
    await ben.page.waitForTimeout(300);
    assert.deepEqual(pageErrors(ben.page), [], 'no alert() ran and nothing threw');
    assert.deepEqual(pageErrors(ann.page), []);
  });

  it('renders hostile nesting and emphasis bombs without freezing the page', async () => {
    await send(ann.page, `bomb1 ${'> '.repeat(1000)}deep`);
    await send(ann.page, `bomb2 ${'*'.repeat(3900)}`);
    await send(ann.page, 'after the bombs');
    const t0 = Date.now();
    await rowWith(ben.page, 'after the bombs').waitFor();
    assert.ok(Date.now() - t0 < 10_000);
    const quotes = await rowWith(ben.page, 'deep').locator('blockquote').count();
    assert.ok(quotes <= 20, `nesting is capped (${quotes} quotes)`);
    // The page still answers.
    assert.equal(await ben.page.evaluate(() => 1 + 1), 2);
    assert.deepEqual(pageErrors(ben.page), []);
  });

  it('a message that mentions you is highlighted; the mention is marked', async () => {
    await send(ann.page, 'hey @ben, see **this** 🎉👍🚀');
    const row = rowWith(ben.page, 'see this');
    await row.waitFor();
    await row.locator('.mention.mention-me', { hasText: '@ben' }).waitFor();
    assert.match((await row.getAttribute('class')) ?? '', /\bmentions-me\b/);
    // The author's own view marks the mention but does not highlight the row.
    const own = rowWith(ann.page, 'see this');
    await own.locator('.mention', { hasText: '@ben' }).waitFor();
    assert.doesNotMatch((await own.getAttribute('class')) ?? '', /\bmentions-me\b/);
    assert.equal(await own.locator('.mention-me').count(), 0);
    // Emoji render as colour glyphs (fonts-noto-color-emoji): look at the screenshot.
    await row.screenshot({ path: path.join(SHOTS_DIR, 'screenshot-markdown-mention.png') });
    const width = await row.locator('.msg-text').evaluate((el) => {
      const r = document.createRange();
      const text = el.lastChild!;
      r.selectNodeContents(text);
      return r.getBoundingClientRect().width;
    });
    assert.ok(width > 20, 'the emoji take room (rendered, not blank)');
  });
});
