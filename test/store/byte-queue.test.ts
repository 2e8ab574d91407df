import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../src/store/ha/byte-queue.js';

describe('ByteQueue (the HA slave\'s read buffer)', () => {
  it('peeks and takes across chunk boundaries without losing or reordering a byte', () => {
    const all = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));
    for (const cut of [[1000], [1, 999], [12, 500, 488], [3, 3, 3, 991], [500, 500]]) {
      const q = new ByteQueue();
      let at = 0;
      for (const n of cut) {
        q.push(all.subarray(at, at + n));
        at += n;
      }
      const out: Buffer[] = [];
      for (const want of [12, 100, 7, 381, 500]) {
        expect(q.peek(Math.min(12, want)).equals(all.subarray(1000 - q.length, 1000 - q.length + Math.min(12, want)))).toBe(true);
        out.push(...q.take(want));
      }
      expect(q.length).toBe(0);
      expect(Buffer.concat(out).equals(all)).toBe(true);
    }
  });
});
