import { describe, expect, it } from 'vitest';
import { RecentCache } from '../../src/store/recent-cache.js';
import { prng } from '../support/prng.js';

describe('RecentCache', () => {
  it('agrees with a plain list model through many adds, evictions and drops (past the compaction threshold)', () => {
    const rnd = prng(7);
    const limit = 64 * 1024;
    const cache = new RecentCache(limit);
    let model: Array<{ offset: number; buf: Buffer }> = [];
    let modelBytes = 0;
    let end = 0;
    for (let i = 0; i < 20_000; i++) {
      const len = 1 + Math.floor(rnd() * 300);
      const buf = Buffer.alloc(len, i & 0xff);
      const run = { offset: end, buf };
      end += len;
      cache.add(run);
      model.push(run);
      modelBytes += len;
      while (modelBytes > limit && model.length > 1) modelBytes -= model.shift()!.buf.length;
      if (i % 997 === 0) {
        const cut = model[Math.floor(model.length / 3)].offset;
        cache.dropBefore(cut);
        while (model.length && model[0].offset < cut) modelBytes -= model.shift()!.buf.length;
      }
      if (i % 101 === 0) {
        const oldest = model[0].offset;
        expect(cache.covers(oldest)).toBe(true);
        expect(cache.covers(oldest - 1)).toBe(false);
        for (let k = 0; k < 5; k++) {
          const at = oldest + Math.floor(rnd() * (end - oldest));
          const m = model.findLast((r) => r.offset <= at)!;
          const rel = at - m.offset;
          expect(cache.upTo(at, 50)).toEqual(m.buf.subarray(rel, rel + Math.min(50, m.buf.length - rel)));
          expect(cache.exact(m.offset, m.buf.length)).toEqual(m.buf);
        }
        if (oldest > 0) expect(cache.upTo(oldest - 1, 10)).toBeUndefined();
      }
    }
    cache.clear();
    expect(cache.covers(end - 1)).toBe(false);
    model = [];
  });
});
