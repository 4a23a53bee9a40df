import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { MessageText } from './MessageText.js';
import { typingText } from './TypingIndicator.js';

describe('MessageText', () => {
  it('renders markup as text: no element is created from message content', () => {
    const html = renderToStaticMarkup(<MessageText text={'<img src=x onerror=alert(1)><script>alert(2)</script>'} />);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;');
  });

  it('renders links as safe anchors', () => {
    const html = renderToStaticMarkup(<MessageText text="read https://example.com/?q=a&b=c now" />);
    expect(html).toBe(
      'read <a href="https://example.com/?q=a&amp;b=c" target="_blank" rel="noopener noreferrer nofollow">https://example.com/?q=a&amp;b=c</a> now',
    );
  });
});

describe('typing indicator text', () => {
  it('names one, two, or two and a count', () => {
    expect(typingText([])).toBe('');
    expect(typingText(['alice'])).toBe('alice is typing…');
    expect(typingText(['alice', 'bob'])).toBe('alice and bob are typing…');
    expect(typingText(['alice', 'bob', 'cy', 'di'])).toBe('alice, bob and 2 more are typing…');
  });
});
