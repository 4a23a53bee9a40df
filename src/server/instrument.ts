/**
 * Timing decorators: wrap any Store or Bus implementation so every operation is observed in a
 * histogram labelled by operation and result, without the implementations knowing about metrics.
 */
import type { Histogram } from 'prom-client';

type OpHistogram = Histogram<'op' | 'result'>;

/** Returns a proxy of `target` whose methods are timed (promises until they settle). */
export function instrument<T extends object>(target: T, hist: OpHistogram, skip: ReadonlySet<string> = new Set()): T {
  const cache = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string' || skip.has(prop)) return value;
      let wrapped = cache.get(prop);
      if (!wrapped) {
        const fn = value as (...args: unknown[]) => unknown;
        wrapped = (...args: unknown[]) => {
          const t0 = performance.now();
          const done = (result: 'ok' | 'error') => hist.observe({ op: prop, result }, (performance.now() - t0) / 1000);
          let out: unknown;
          try {
            out = fn.apply(obj, args);
          } catch (err) {
            done('error');
            throw err;
          }
          if (out instanceof Promise) {
            return out.then(
              (v) => {
                done('ok');
                return v;
              },
              (err) => {
                done('error');
                throw err;
              },
            );
          }
          done('ok');
          return out;
        };
        cache.set(prop, wrapped);
      }
      return wrapped;
    },
  });
}
