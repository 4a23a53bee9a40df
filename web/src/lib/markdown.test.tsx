import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { MARKDOWN_MAX_CHARS, Markdown, mentionView } from './markdown.js';

const html = (text: string, msg?: Parameters<typeof mentionView>[0], me?: string) =>
  renderToStaticMarkup(<Markdown text={text} mentions={mentionView(msg, me)} />);

/** No element or attribute that can run code or load anything may come out of message text. */
function assertInert(out: string) {
  // Text is escaped (`<` is `&lt;`), so every `<` in the output starts an element React built.
  const tags = out.match(/<[^>]*>/g) ?? [];
  for (const tag of tags) {
    expect(tag).toMatch(/^<\/?(p|strong|em|del|code|pre|blockquote|ul|ol|li|br|a|span)( |>|\/)/);
    expect(tag).not.toMatch(/\son[a-z]+\s*=/i);
    expect(tag).not.toMatch(/\ssrc=/i);
    expect(tag).not.toMatch(/href="(?!https?:)/i);
  }
}

describe('Markdown: the subset', () => {
  it('formats bold, italic, strike and inline code', () => {
    expect(html('a **b** *c* _d_ ~~e~~ `f<g>`')).toBe('a <strong>b</strong> <em>c</em> <em>d</em> <del>e</del> <code>f&lt;g&gt;</code>');
  });

  it('renders code blocks, quotes and lists as elements', () => {
    const out = html('> quoted\n\n- one\n- **two**\n\n3. three\n4. four\n\n```\n<b>x</b> **y**\n```');
    expect(out).toContain('<blockquote><p>quoted</p></blockquote>');
    expect(out).toContain('<ul><li>one</li><li><strong>two</strong></li></ul>');
    expect(out).toContain('<ol start="3"><li>three</li><li>four</li></ol>');
    expect(out).toContain('<pre><code>&lt;b&gt;x&lt;/b&gt; **y**</code></pre>');
  });

  it('shows headings, images, tables and rules as the text typed', () => {
    expect(html('# Title\n\nsecond')).toBe('<p class="md-plain"># Title</p><p>second</p>');
    expect(html('see ![cat](https://example.com/cat.png)')).toBe('see ![cat](<a href="https://example.com/cat.png" target="_blank" rel="noopener noreferrer nofollow">https://example.com/cat.png</a>)');
    expect(html('|a|b|\n|-|-|\n|1|2|')).toContain('<p class="md-plain">|a|b|\n|-|-|\n|1|2|</p>');
    expect(html('text\n\n---')).toContain('<p class="md-plain">---</p>');
  });

  it('keeps line breaks of one paragraph (the composer sends them with Shift+Enter)', () => {
    expect(html('line one\nline two')).toBe('line one\nline two');
  });

  it('links http(s) only, in a new tab, without access to the page', () => {
    expect(html('[docs](https://example.com/a?b=1&c=2)')).toBe('<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer nofollow">docs</a>');
    expect(html('go to www.example.com now')).toBe('go to <a href="https://www.example.com/" target="_blank" rel="noopener noreferrer nofollow">www.example.com</a> now');
    expect(html('<https://example.com>')).toContain('href="https://example.com/"');
  });
});

describe('Markdown: XSS', () => {
  const cases: [string, string][] = [
    ['script', '<script>alert(1)</script>'],
    ['img onerror', '<img src=x onerror=alert(1)>'],
    ['inline html in a paragraph', 'hi <b onmouseover="alert(1)">there</b>'],
    ['javascript: link', '[click](javascript:alert(1))'],
    ['javascript: with entities', '[click](&#106;avascript:alert(1))'],
    ['JaVaScRiPt: with spaces', '[click](  JaVaScRiPt:alert(1) )'],
    ['data: link', '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)'],
    ['vbscript: link', '[x](vbscript:msgbox(1))'],
    ['autolink javascript', '<javascript:alert(1)>'],
    ['reference link', '[x][1]\n\n[1]: javascript:alert(1)'],
    ['image with onerror title', '![x](https://e.com/a.png "onerror=alert(1)")'],
    ['html block', '<div onclick="alert(1)">\n\n*x*\n\n</div>'],
    ['svg', '<svg onload=alert(1)>'],
    ['iframe', '<iframe src="javascript:alert(1)"></iframe>'],
    ['link with html text', '[<img src=x onerror=alert(1)>](https://example.com)'],
    ['code with html', '`<script>alert(1)</script>`'],
  ];
  for (const [name, text] of cases) {
    it(`renders ${name} inert`, () => {
      const out = html(text);
      assertInert(out);
    });
  }

  it('shows markup literally', () => {
    expect(html('<script>alert(1)</script>')).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html('<img src=x onerror=alert(1)>')).toBe('<p class="md-plain">&lt;img src=x onerror=alert(1)&gt;</p>');
    expect(html('hi <img src=x onerror=alert(1)>')).toBe('hi &lt;img src=x onerror=alert(1)&gt;');
    expect(html('[click](javascript:alert(1))')).toBe('[click](javascript:alert(1))');
    expect(html('[x](data:text/html,hi)')).toBe('[x](data:text/html,hi)');
  });
});

describe('Markdown: bounded', () => {
  it('renders quotes nested 1000 deep without blowing the stack', () => {
    const text = `${'> '.repeat(1000)}deep`;
    const t0 = Date.now();
    const out = html(text);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(out).toContain('deep');
    expect((out.match(/<blockquote>/g) ?? []).length).toBeLessThanOrEqual(20);
  });

  it('renders lists nested 1000 deep', () => {
    const text = Array.from({ length: 1000 }, (_, i) => `${'  '.repeat(i)}- x${i}`).join('\n');
    const out = html(text);
    expect(out).toContain('x999');
    expect((out.match(/<ul>/g) ?? []).length).toBeLessThanOrEqual(20);
  });

  it('renders 100 KB of asterisks (and other emphasis bombs) quickly, as text', () => {
    for (const text of ['*'.repeat(100_000), '**a'.repeat(33_000), '_'.repeat(100_000), '['.repeat(100_000), '`'.repeat(100_000)]) {
      const t0 = Date.now();
      const out = html(text);
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(out.length).toBeGreaterThanOrEqual(text.length);
    }
  });

  it('formats texts up to the limit quickly even when they are emphasis bombs', () => {
    const text = '**a'.repeat(Math.floor(MARKDOWN_MAX_CHARS / 3));
    const t0 = Date.now();
    html(text);
    expect(Date.now() - t0).toBeLessThan(1500);
  });
});

describe('Markdown: mentions', () => {
  const msg = { mentions: [{ id: 'u1', name: 'Bob' }, { id: 'u2', name: 'carol' }] };

  it('highlights the names the server resolved, case-insensitively; mine is marked', () => {
    expect(html('hi @bob and @Carol, not @dave', msg, 'carol')).toBe(
      'hi <span class="mention">@bob</span> and <span class="mention mention-me">@Carol</span>, not @dave',
    );
  });

  it('highlights @room only when the server allowed it', () => {
    expect(html('@room lunch?', { mentionAll: true })).toBe('<span class="mention">@room</span> lunch?');
    expect(html('@room lunch?', {})).toBe('@room lunch?');
  });

  it('ends a name at sentence punctuation, and ignores e-mail addresses', () => {
    expect(html('thanks @bob.', msg)).toBe('thanks <span class="mention">@bob</span>.');
    expect(html('mail x@bob.com', msg)).toBe('mail x@bob.com');
  });

  it('leaves mentions inside code as code', () => {
    expect(html('`@bob`', msg)).toBe('<code>@bob</code>');
  });
});
