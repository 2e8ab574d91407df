/**
 * Retention (fileReservedTime at deleteWhen hours, disk pressure) and disk-full refusal,
 * with tiny segments, an injected clock and an injected free-space reader.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRecord } from '../../src/codec/message-record.js';
import type { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { MemoryStoreFiles } from '../../src/store/store-files.js';
import { FIXTURES, memoryFixture, msg, type Fixture } from './helpers.js';

const EVERY_HOUR = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0')).join(';');
const HOUR_MS = 3_600_000;

async function fill(s: DefaultMessageStore, n: number): Promise<void> {
  for (let i = 0; i < n; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, k) => s.putMessage(msg('Ret', (i + k) % 2, Buffer.alloc(1000, 1), { keys: `k${i + k}` }))));
  }
}

describe.each(FIXTURES)('retention on %s', (_name, make) => {
  let fx: Fixture;
  const live: DefaultMessageStore[] = [];
  afterEach(async () => {
    for (const s of live.splice(0)) await s.shutdown();
    fx?.cleanup();
  });

  it('deletes expired segments at deleteWhen, moves min offsets, and consumers are pointed past the gap', async () => {
    fx = make({ fileReservedTime: 0, deleteWhen: EVERY_HOUR, maxHashSlotNum: 16, maxIndexNum: 50 });
    let s = fx.open();
    live.push(s);
    await s.start();
    await fill(s, 400);
    const segsBefore = Number(s.getRuntimeInfo().commitLogSegments);
    expect(segsBefore).toBeGreaterThan(4);
    const r = s.runClean();
    expect(r.deletedSegments).toBe(segsBefore - 1);
    const minPhy = s.getMinPhyOffset();
    expect(minPhy).toBe((segsBefore - 1) * fx.config.mappedFileSizeCommitLog);
    for (const q of [0, 1]) {
      const min = s.getMinOffsetInQueue('Ret', q);
      expect(min).toBeGreaterThan(0);
      const tooSmall = s.getMessage('g', 'Ret', q, 0, 32);
      expect(tooSmall).toMatchObject({ status: 'OFFSET_TOO_SMALL', nextBeginOffset: min });
      const g = s.getMessage('g', 'Ret', q, min, 32);
      expect(g.status).toBe('FOUND');
      expect(decodeRecord(g.buffers[0]).physicalOffset).toBeGreaterThanOrEqual(minPhy);
    }
    expect(Number(s.getRuntimeInfo().indexFiles)).toBeLessThan(8);
    const mins = [s.getMinOffsetInQueue('Ret', 0), s.getMinOffsetInQueue('Ret', 1)];
    await s.shutdown();
    live.pop();
    s = fx.open();
    live.push(s);
    await s.start();
    expect(s.getMinPhyOffset()).toBe(minPhy);
    expect([s.getMinOffsetInQueue('Ret', 0), s.getMinOffsetInQueue('Ret', 1)]).toEqual(mins);
    expect((await s.putMessage(msg('Ret', 0, 'after'))).status).toBe('PUT_OK');
  });

  it('keeps unexpired segments', async () => {
    fx = make({ fileReservedTime: 72, deleteWhen: EVERY_HOUR });
    const s = fx.open();
    live.push(s);
    await s.start();
    await fill(s, 200);
    expect(s.runClean().deletedSegments).toBe(0);
    expect(s.getMinPhyOffset()).toBe(0);
  });
});

describe('disk protection (memory, injected clock and free space)', () => {
  let fx: Fixture;
  let s: DefaultMessageStore;
  afterEach(async () => {
    await s?.shutdown();
  });

  function setup(hourOfDeleteWhen: number) {
    fx = memoryFixture({ fileReservedTime: 72, deleteWhen: String(hourOfDeleteWhen).padStart(2, '0') });
    const files = fx.files as MemoryStoreFiles;
    const start = new Date(2026, 0, 10, 12, 0, 0).getTime(); // local noon
    let now = start;
    files.clock = () => now;
    s = fx.open({}, () => now);
    return { files, start, setNow: (t: number) => (now = t) };
  }
  const used = (files: MemoryStoreFiles, ratio: number) => {
    files.usage = { totalBytes: 1000, freeBytes: 1000 - ratio * 1000, availableBytes: 1000 - ratio * 1000 };
  };

  it('deletes expired segments only at a deleteWhen hour when the disk is fine', async () => {
    const { start, setNow } = setup(4);
    await s.start();
    await fill(s, 300);
    setNow(start + 73 * HOUR_MS); // 13:00 next-but-two day: expired, but not 04
    expect(s.runClean().deletedSegments).toBe(0);
    setNow(new Date(2026, 0, 14, 4, 30).getTime());
    expect(s.runClean().deletedSegments).toBeGreaterThan(0);
  });

  it('deletes expired segments at any hour above diskMaxUsedSpaceRatio, and unexpired ones above 85%', async () => {
    const { files, start, setNow } = setup(4);
    await s.start();
    await fill(s, 300);
    used(files, 0.8);
    expect(s.runClean().deletedSegments).toBe(0); // nothing expired yet
    used(files, 0.86);
    const forced = s.runClean();
    expect(forced.deletedSegments).toBeGreaterThan(0);
    expect(forced.diskFull).toBe(false);
    await fill(s, 300);
    used(files, 0.8);
    setNow(start + 73 * HOUR_MS);
    expect(s.runClean().deletedSegments).toBeGreaterThan(0);
  });

  it('refuses writes above 90% with SERVICE_NOT_AVAILABLE and accepts them again below', async () => {
    const { files } = setup(4);
    await s.start();
    expect((await s.putMessage(msg('Full', 0, 'a'))).status).toBe('PUT_OK');
    used(files, 0.95);
    expect(s.runClean().diskFull).toBe(true);
    const refused = await s.putMessage(msg('Full', 0, 'b'));
    expect(refused.status).toBe('SERVICE_NOT_AVAILABLE');
    // SendMessageProcessor#diskUtil: the used ratios of the CommitLog, ConsumeQueue and index disks.
    expect(refused.remark).toBe('CL:  0.95 CQ:  0.95 INDEX:  0.95');
    expect(s.getMessage('g', 'Full', 0, 0, 32).messageCount).toBe(1);
    used(files, 0.5);
    expect(s.runClean().diskFull).toBe(false);
    expect((await s.putMessage(msg('Full', 0, 'c'))).status).toBe('PUT_OK');
  });
});
