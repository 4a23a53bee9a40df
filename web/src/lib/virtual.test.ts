import { describe, expect, it } from 'vitest';
import { ListLayout } from './virtual.js';

describe('ListLayout', () => {
  const make = (n: number, h = 20) => {
    const l = new ListLayout();
    l.setRows(
      Array.from({ length: n }, (_, i) => `k${i}`),
      Array.from({ length: n }, () => h),
    );
    return l;
  };

  it('computes offsets from estimates, then from measurements', () => {
    const l = make(10);
    expect(l.total).toBe(200);
    expect(l.offsetOf(3)).toBe(60);
    expect(l.measure('k1', 50)).toBe(true);
    expect(l.measure('k1', 50)).toBe(false);
    expect(l.offsetOf(3)).toBe(90);
    expect(l.total).toBe(230);
  });

  it('finds the row at a position and the range to render', () => {
    const l = make(10_000);
    expect(l.indexAt(0)).toBe(0);
    expect(l.indexAt(19.9)).toBe(0);
    expect(l.indexAt(20)).toBe(1);
    expect(l.indexAt(1e9)).toBe(9999);
    const [start, end] = l.range(100_000, 800, 200);
    expect(start).toBe(4990);
    expect(end).toBe(5051);
  });

  it('keeps measurements by key when rows are prepended', () => {
    const l = make(3);
    l.measure('k0', 100);
    l.setRows(['a', 'b', 'k0', 'k1', 'k2'], [20, 20, 20, 20, 20]);
    expect(l.indexOf('k0')).toBe(2);
    expect(l.offsetOf(3)).toBe(140);
    l.resetMeasurements();
    expect(l.offsetOf(3)).toBe(60);
  });
});
