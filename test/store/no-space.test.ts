/**
 * A failed append leaves no trace, and a full disk is survivable: the store refuses writes with
 * SERVICE_NOT_AVAILABLE from the first write that fails for lack of space, keeps serving reads, accepts
 * writes again once space is back, shuts down and restarts on the full disk, and never loses an
 * acknowledged message. Runs on the memory fixture, whose write hook injects ENOSPC.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRecord } from '../../src/codec/message-record.js';
import { DISK_FULL_PROBE_INTERVAL_MS } from '../../src/store/disk-space-guard.js';
import type { MemFile, MemoryStoreFiles } from '../../src/store/store-files.js';
import type { DefaultMessageStore } from '../../src/store/default-message-store.js';
import type { MessageInner } from '../../src/codec/message.js';
import { memoryFixture, msg, type Fixture } from './helpers.js';

let fx: Fixture | undefined;
afterEach(() => {
  fx?.cleanup();
  fx = undefined;
});

const noSpace = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/** Bodies of queue `topic/queueId` from offset 0, in queue order. */
function bodies(s: DefaultMessageStore, topic: string, queueId = 0): string[] {
  const out: string[] = [];
  for (let off = 0; ; ) {
    const r = s.getMessage('g', topic, queueId, off, 32);
    if (r.status !== 'FOUND') break;
    for (const b of r.buffers) out.push(decodeRecord(b).body.toString());
    off = r.nextBeginOffset;
  }
  return out;
}

/** A message whose born host throws when the encoder reads it (after planning has read it once). */
function throwsWhileEncoding(topic: string, body: string): MessageInner {
  const m = msg(topic, 0, body);
  let reads = 0;
  m.bornHost = {
    port: 1,
    get ip(): string {
      if (++reads > 1) throw new RangeError('injected: encoder failed');
      return '10.0.0.9';
    },
  };
  return m;
}

describe('an append that throws is rolled back', () => {
  it('takes back log space and queue offsets, even across a segment roll, and keeps later sends readable after restarts', async () => {
    fx = memoryFixture();
    let s = fx.open();
    await s.start();
    const acked: string[] = [];
    const put = async (body: string) => {
      const r = await s.putMessage(msg('R', 0, body));
      expect(r.status).toBe('PUT_OK');
      expect(r.appendResult!.logicsOffset).toBe(acked.length);
      acked.push(body);
    };
    await put('a');
    // A batch whose third message fails: the first two were already encoded and had queue offsets.
    const batch = [msg('R', 0, 'x1'), msg('R', 0, 'x2'), throwsWhileEncoding('R', 'x3')];
    const failed = await s.putMessages(batch);
    expect(failed.status).toBe('UNKNOWN_ERROR');
    expect(failed.remark).toMatch(/rolled back/);
    await put('b');
    // Fill the 64 KiB segment nearly full, then fail a large append that would roll to the next segment.
    while (s.getMaxPhyOffset() < 60 * 1024) await put(`f${acked.length}`.padEnd(900, '.'));
    const big = throwsWhileEncoding('R', 'y'.repeat(8000));
    expect((await s.putMessage(big)).status).toBe('UNKNOWN_ERROR');
    await put('c'.repeat(8000));
    await put('d');
    expect(bodies(s, 'R')).toEqual(acked);
    await s.shutdown();

    s = fx.open();
    await s.start();
    expect(bodies(s, 'R')).toEqual(acked);
    await put('e');
    s.abandon(); // killed: the next start runs the crash recovery
    s = fx.open();
    await s.start();
    expect(bodies(s, 'R')).toEqual(acked);
    await s.shutdown();
  });
});

describe('disk full (injected ENOSPC)', () => {
  it('refuses writes with SERVICE_NOT_AVAILABLE from the first failed write, serves reads, resumes when space is back', async () => {
    fx = memoryFixture();
    const files = fx.files as MemoryStoreFiles;
    let now = 1_800_000_000_000;
    const s = fx.open({}, () => now);
    await s.start();
    expect((await s.putMessage(msg('F', 0, 'a'))).status).toBe('PUT_OK');
    let writes = 0;
    files.beforeWrite = (f: MemFile) => {
      if (f.path.includes('commitlog')) {
        writes++;
        throw noSpace();
      }
    };
    files.usage = { totalBytes: 100e6, freeBytes: 0, availableBytes: 0 };
    const first = await s.putMessage(msg('F', 0, 'b'));
    expect(first.status).toBe('SERVICE_NOT_AVAILABLE');
    expect(first.remark).toBe('CL:  1.00 CQ:  1.00 INDEX:  1.00');
    expect(writes).toBe(1);
    // Later sends are refused up front: no write is even tried while the disk is full.
    for (let i = 0; i < 5; i++) expect((await s.putMessage(msg('F', 0, `n${i}`))).status).toBe('SERVICE_NOT_AVAILABLE');
    expect(writes).toBe(1);
    expect(bodies(s, 'F')).toEqual(['a']);
    // Space comes back: within one probe interval writes are accepted, at the offsets the failures left free.
    files.beforeWrite = undefined;
    files.usage = { totalBytes: 100e6, freeBytes: 50e6, availableBytes: 50e6 };
    expect((await s.putMessage(msg('F', 0, 'early'))).status).toBe('SERVICE_NOT_AVAILABLE');
    now += DISK_FULL_PROBE_INTERVAL_MS;
    const back = await s.putMessage(msg('F', 0, 'c'));
    expect(back.status).toBe('PUT_OK');
    expect(back.appendResult!.logicsOffset).toBe(1);
    expect(bodies(s, 'F')).toEqual(['a', 'c']);
    await s.shutdown();
  });

  it('acknowledges a send whose ConsumeQueue write failed, writes the units later, and keeps the checkpoint behind them', async () => {
    fx = memoryFixture();
    const files = fx.files as MemoryStoreFiles;
    let s = fx.open();
    await s.start();
    expect((await s.putMessage(msg('Q', 0, 'a'))).status).toBe('PUT_OK');
    files.beforeWrite = (f: MemFile) => {
      if (f.path.includes('consumequeue')) throw noSpace();
    };
    expect((await s.putMessage(msg('Q', 0, 'b'))).status).toBe('PUT_OK');
    expect(bodies(s, 'Q')).toEqual(['a']); // stored, not yet readable
    await new Promise((r) => setTimeout(r, 150)); // periodic queue flushes fail too
    files.beforeWrite = undefined;
    await new Promise((r) => setTimeout(r, 150)); // the next periodic flush writes the units, no send needed
    expect(bodies(s, 'Q')).toEqual(['a', 'b']);
    s.abandon();
    s = fx.open();
    await s.start();
    expect(bodies(s, 'Q')).toEqual(['a', 'b']);
    expect((await s.putMessage(msg('Q', 0, 'c'))).status).toBe('PUT_OK');
    expect(bodies(s, 'Q')).toEqual(['a', 'b', 'c']);
    await s.shutdown();
  });

  it('shuts down on a full disk, keeps the abort marker, and restarts on it with every acknowledged message', async () => {
    fx = memoryFixture({ maxHashSlotNum: 500_000, maxIndexNum: 2_000 });
    const files = fx.files as MemoryStoreFiles;
    let s = fx.open();
    await s.start();
    const acked: string[] = [];
    for (let i = 0; i < 50; i++) {
      const body = `m${i}`;
      expect((await s.putMessage(msg('S', 0, body, { keys: `k${i}`, uniqKey: `u${i}` }))).status).toBe('PUT_OK');
      acked.push(body);
    }
    let failedWrites = 0;
    files.beforeWrite = () => {
      failedWrites++;
      throw noSpace();
    };
    await s.shutdown(); // must finish although every write fails
    expect(failedWrites).toBeGreaterThan(0);
    expect(files.exists(`${fx.config.storePathRootDir}/abort`)).toBe(true);

    // Restart with the disk still full: recovery (index repair included) must not need new space.
    let written = 0;
    files.beforeWrite = (_f, buf) => {
      if (buf.length > 0) {
        written += buf.length;
        throw noSpace();
      }
    };
    s = fx.open();
    await s.start();
    expect(bodies(s, 'S')).toEqual(acked);
    expect(s.queryMessage('S', 'k7', 32, 0, Number.MAX_SAFE_INTEGER).messageCount).toBe(1);
    expect(written).toBeLessThan(64 * 1024); // the slot table alone is 2 MB
    files.beforeWrite = undefined;
    await s.shutdown();
    s = fx.open();
    await s.start();
    expect(bodies(s, 'S')).toEqual(acked);
    expect(s.queryMessage('S', 'k49', 32, 0, Number.MAX_SAFE_INTEGER).messageCount).toBe(1);
    await s.shutdown();
  });
});

describe('a ConsumeQueue sync that fails', () => {
  it('is tried again by the next queue flush', async () => {
    fx = memoryFixture();
    const files = fx.files as MemoryStoreFiles;
    const s = fx.open();
    await s.start();
    let failures = 0;
    files.beforeSync = (f: MemFile) => {
      if (f.path.includes('consumequeue') && failures++ === 0) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
    };
    expect((await s.putMessage(msg('Y', 0, 'a'))).status).toBe('PUT_OK');
    await new Promise((r) => setTimeout(r, 300)); // several queue flushes (50 ms apart here)
    expect(failures).toBeGreaterThan(1);
    const cq = [...files.files.values()].find((f) => f.path.includes('consumequeue/Y/0/'))!;
    expect(cq.durable.length).toBeGreaterThanOrEqual(20); // the unit reached the disk after the failed sync
    files.beforeSync = undefined;
    await s.shutdown();
  });
});
