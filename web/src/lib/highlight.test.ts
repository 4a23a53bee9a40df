import { describe, expect, it } from 'vitest';
import { snippetParts } from './highlight.js';

describe('search snippets', () => {
  it('marks the highlight ranges', () => {
    expect(snippetParts('Launch on Friday', [[0, 6], [10, 16]])).toEqual([
      { text: 'Launch', mark: true },
      { text: ' on ', mark: false },
      { text: 'Friday', mark: true },
    ]);
  });

  it('survives bad ranges: overlapping, reversed, out of bounds, not numbers', () => {
    const bad = [[3, 1], [-5, 2], [1, 4], [2, 3], [10, 99], ['x', 'y']] as unknown as [number, number][];
    const parts = snippetParts('abcdef', bad);
    expect(parts.map((p) => p.text).join('')).toBe('abcdef');
    expect(parts.filter((p) => p.mark).map((p) => p.text)).toEqual(['ab', 'cd']);
  });

  it('shortens long texts around the first mark', () => {
    const text = `${'x'.repeat(1000)} needle ${'y'.repeat(1000)}`;
    const parts = snippetParts(text, [[1001, 1007]]);
    expect(parts[0]).toEqual({ text: '…', mark: false });
    expect(parts.find((p) => p.mark)?.text).toBe('needle');
    expect(parts.map((p) => p.text).join('').length).toBeLessThan(260);
  });
});
