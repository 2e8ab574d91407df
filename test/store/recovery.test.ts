/**
 * Recovery under injected faults: killed processes, power loss, torn and overwritten tails of the
 * CommitLog and of ConsumeQueue files, failed writes and hung syncs. Runs on memory and real files.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRecord, verifyRecord } from '../../src/codec/message-record.js';
import type { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { MemoryStoreFiles } from '../../src/store/store-files.js';
import type { PutMessageResult } from '../../src/store/types.js';
import { FIXTURES, memoryFixture, msg, type Fixture } from './helpers.js';
import { prng } from '../support/prng.js';


interface Sent {
  queueId: number;
  queueOffset: number;
  wroteOffset: number;
  size: number;
  body: string;
}

const QUEUES = 3;
/** No checkpoint gets written during these tests unless they flush it: recovery must then scan everything. */
const NO_TIMED_FLUSH = { flushIntervalCommitLog: 60_000, flushIntervalConsumeQueue: 60_000 };

async function load(s: DefaultMessageStore, n: number, rnd: () => number, tag: string): Promise<Sent[]> {
  const rs: Array<Promise<PutMessageResult>> = [];
  const bodies: string[] = [];
  for (let i = 0; i < n; i++) {
    const body = `${tag}-${i}-${'x'.repeat(Math.floor(rnd() * 600))}`;
    bodies.push(body);
    rs.push(s.putMessage(msg('Crash', i % QUEUES, body, { tags: i % 2 ? 'odd' : 'even', keys: `key${i}` })));
  }
  const results = await Promise.all(rs);
  return results.map((r, i) => {
    expect(r.status).toBe('PUT_OK');
    return { queueId: i % QUEUES, queueOffset: r.appendResult!.logicsOffset, wroteOffset: r.appendResult!.wroteOffset, size: r.appendResult!.wroteBytes, body: bodies[i] };
  });
}

/** Everything the store serves, per queue, checked record by record. */
function readAll(s: DefaultMessageStore): string[][] {
  const out: string[][] = [];
  for (let q = 0; q < QUEUES; q++) {
    const bodies: string[] = [];
    let off = s.getMinOffsetInQueue('Crash', q);
    expect(off).toBe(0);
    const max = s.getMaxOffsetInQueue('Crash', q);
    while (off < max) {
      const g = s.getMessage('g', 'Crash', q, off, 32);
      expect(g.status).toBe('FOUND');
      for (const b of g.buffers) {
        expect(verifyRecord(b, 0, b.length)).toBeUndefined();
        const d = decodeRecord(b);
        expect(d.queueOffset).toBe(bodies.length);
        bodies.push(d.body.toString());
      }
      off = g.nextBeginOffset;
    }
    out.push(bodies);
  }
  return out;
}

function expected(sent: Sent[], keep: (m: Sent) => boolean): string[][] {
  const out: string[][] = Array.from({ length: QUEUES }, () => []);
  for (const m of sent) if (keep(m)) out[m.queueId][m.queueOffset] = m.body;
  return out;
}

function lastFile(fx: Fixture, dir: string): string {
  const names = fx.files.list(dir);
  return path.join(dir, names[names.length - 1]);
}

describe.each(FIXTURES)('recovery on %s', (_name, make) => {
  let fx: Fixture;
  const live: DefaultMessageStore[] = [];
  async function open(o = {}): Promise<DefaultMessageStore> {
    const s = fx.open({ ...NO_TIMED_FLUSH, ...o });
    live.push(s);
    await s.start();
    return s;
  }
  afterEach(async () => {
    for (const s of live.splice(0)) await s.shutdown();
    fx?.cleanup();
  });

  it('keeps every acknowledged message when the process is killed (ASYNC_FLUSH: written before ack)', async () => {
    fx = make();
    const rnd = prng(1);
    const s = await open();
    const sent = await load(s, 400, rnd, 'k');
    s.abandon();
    const s2 = await open();
    expect(readAll(s2)).toEqual(expected(sent, () => true));
    const r = await s2.putMessage(msg('Crash', 0, 'after'));
    expect(r.appendResult!.logicsOffset).toBe(Math.ceil(400 / QUEUES));
  });

  it('writes a checkpoint and the abort marker as the Java broker does', async () => {
    fx = make();
    const s = await open();
    expect(fx.files.exists(path.join(fx.config.storePathRootDir, 'abort'))).toBe(true);
    await load(s, 50, prng(2), 'c');
    await s.shutdown();
    expect(fx.files.exists(path.join(fx.config.storePathRootDir, 'abort'))).toBe(false);
    const cp = fx.files.readSmall(path.join(fx.config.storePathRootDir, 'checkpoint'))!;
    expect(cp.length).toBe(4096);
    const phys = Number(cp.readBigInt64BE(0));
    expect(Math.abs(phys - Date.now())).toBeLessThan(60_000);
    expect(Number(cp.readBigInt64BE(8))).toBe(phys);
  });

  for (const kind of ['truncate log', 'overwrite log', 'truncate cq', 'overwrite cq'] as const) {
    it(`recovers from a ${kind} at random points`, async () => {
      const rounds = _name === 'memory' ? 12 : 4;
      for (let round = 0; round < rounds; round++) {
        fx = make();
        const rnd = prng(round * 7919 + kind.length);
        const s = await open();
        const sent = await load(s, 150 + Math.floor(rnd() * 150), rnd, `r${round}`);
        const logEnd = s.getMaxPhyOffset();
        const queueEnds = Array.from({ length: QUEUES }, (_, q) => s.getMaxOffsetInQueue('Crash', q) * 20);
        s.abandon();
        live.pop();
        let keep: (m: Sent) => boolean = () => true;
        if (kind.endsWith('log')) {
          const file = lastFile(fx, path.join(fx.config.storePathRootDir, 'commitlog'));
          const f = fx.files.open(file, false);
          const segStart = Number(path.basename(file));
          // Files are preallocated: tear within the written bytes (and now and then just past them).
          const at = Math.floor(rnd() * (logEnd - segStart + 16));
          if (kind === 'truncate log') f.truncate(at);
          else f.write(Buffer.from([Math.floor(rnd() * 256), Math.floor(rnd() * 256), Math.floor(rnd() * 256)]), at);
          f.close();
          const cut = segStart + at;
          keep = (m) => m.wroteOffset + m.size <= cut;
        } else {
          const q = Math.floor(rnd() * QUEUES);
          const file = lastFile(fx, path.join(fx.config.storePathRootDir, 'consumequeue', 'Crash', String(q)));
          const f = fx.files.open(file, false);
          const segStart = Number(path.basename(file));
          const at = Math.floor(rnd() * (queueEnds[q] - segStart + 8));
          if (kind === 'truncate cq') f.truncate(at);
          else f.write(Buffer.from([Math.floor(rnd() * 256), Math.floor(rnd() * 256)]), at);
          f.close();
        }
        const s2 = await open();
        const got = readAll(s2);
        const want = expected(sent, keep);
        for (let q = 0; q < QUEUES; q++) {
          // Everything that must survive did, in order; anything more is an intact later record (an overwrite may change nothing).
          expect(got[q].slice(0, want[q].length)).toEqual(want[q]);
          expect(got[q]).toEqual(expected(sent, () => true)[q].slice(0, got[q].length));
        }
        const r = await s2.putMessage(msg('Crash', 1, 'after'));
        expect(r.status).toBe('PUT_OK');
        expect(r.appendResult!.logicsOffset).toBe(got[1].length);
        expect(r.appendResult!.wroteOffset).toBe(s2.getMaxPhyOffset() - r.appendResult!.wroteBytes);
        await s2.shutdown();
        live.pop();
        fx.cleanup();
      }
    });
  }

  it('limits the recovery scan with the checkpoint after a clean shutdown', async () => {
    fx = make();
    let t = 1_700_000_000_000;
    const s = fx.open(NO_TIMED_FLUSH, () => (t += 100));
    await s.start();
    await load(s, 400, prng(3), 'cp');
    await s.shutdown();
    const s2 = await open();
    const info = s2.getRuntimeInfo();
    expect(Number(info.commitLogSegments)).toBeGreaterThan(2);
    expect(Number(info.lastRecoveryScannedBytes)).toBeLessThan(2 * fx.config.mappedFileSizeCommitLog);
  });

  it('after a crash scans from the checkpoint (minus 3 s), not from the start', async () => {
    fx = make();
    let t = 1_700_000_000_000;
    const s = fx.open(NO_TIMED_FLUSH, () => (t += 100));
    await s.start();
    const sent = await load(s, 400, prng(8), 'cc');
    const internals = s as unknown as { flusher: { syncLog(): Promise<number>; flushQueuesNow(): Promise<void> } };
    await internals.flusher.syncLog();
    await internals.flusher.flushQueuesNow();
    const more = await load(s, 30, prng(9), 'dd');
    s.abandon();
    const s2 = await open();
    const info = s2.getRuntimeInfo();
    expect(info.lastRecoveryAbnormal).toBe('true');
    expect(Number(info.lastRecoveryScannedBytes)).toBeGreaterThan(0);
    expect(Number(info.lastRecoveryScannedBytes)).toBeLessThan(s2.getMaxPhyOffset() / 2);
    expect(readAll(s2)).toEqual(expected([...sent, ...more], () => true));
  });
});

describe('power loss and I/O faults (memory)', () => {
  let fx: Fixture;
  afterEach(() => fx?.cleanup());

  it('SYNC_FLUSH keeps every acknowledged message through power loss', async () => {
    fx = memoryFixture({ flushDiskType: 'SYNC_FLUSH', ...NO_TIMED_FLUSH });
    const s = fx.open();
    await s.start();
    const sent = await load(s, 300, prng(4), 'p');
    // Unacknowledged tail: started but power fails before its sync.
    const late = s.putMessage(msg('Crash', 0, 'never acked'));
    s.abandon();
    (fx.files as MemoryStoreFiles).loseUnsynced();
    void late;
    const s2 = fx.open();
    await s2.start();
    expect(readAll(s2)).toEqual(expected(sent, () => true));
    await s2.shutdown();
  });

  it('ASYNC_FLUSH after power loss serves an intact prefix', async () => {
    fx = memoryFixture({ ...NO_TIMED_FLUSH });
    const s = fx.open();
    await s.start();
    const first = await load(s, 100, prng(5), 'a');
    await (s as unknown as { syncLog(): Promise<number> }).syncLog();
    await load(s, 100, prng(6), 'b');
    s.abandon();
    (fx.files as MemoryStoreFiles).loseUnsynced();
    const s2 = fx.open();
    await s2.start();
    const got = readAll(s2);
    const want = expected(first, () => true);
    for (let q = 0; q < QUEUES; q++) expect(got[q].slice(0, want[q].length)).toEqual(want[q]);
    await s2.shutdown();
  });

  it('answers FLUSH_DISK_TIMEOUT when the sync hangs, and the message is still stored', async () => {
    fx = memoryFixture({ flushDiskType: 'SYNC_FLUSH', syncFlushTimeout: 100 });
    const files = fx.files as MemoryStoreFiles;
    const s = fx.open();
    await s.start();
    const hung: Array<() => void> = [];
    files.beforeSync = () => new Promise<void>((r) => hung.push(r));
    const r = await s.putMessage(msg('Slow', 0, 'x'));
    expect(r.status).toBe('FLUSH_DISK_TIMEOUT');
    expect(s.getMaxOffsetInQueue('Slow', 0)).toBe(1);
    files.beforeSync = undefined;
    for (const release of hung) release();
    expect((await s.putMessage(msg('Slow', 0, 'y'))).status).toBe('PUT_OK');
    await s.shutdown();
  });

  it('fails a send whose write fails, and reuses its offsets', async () => {
    fx = memoryFixture();
    const files = fx.files as MemoryStoreFiles;
    const s = fx.open();
    await s.start();
    await s.putMessage(msg('W', 0, 'a'));
    files.beforeWrite = (f) => {
      if (f.path.includes('commitlog')) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    };
    const bad = await s.putMessage(msg('W', 0, 'b'));
    expect(bad.status).toBe('UNKNOWN_ERROR');
    files.beforeWrite = undefined;
    const good = await s.putMessage(msg('W', 0, 'c'));
    expect(good.status).toBe('PUT_OK');
    expect(good.appendResult!.logicsOffset).toBe(1);
    const g = s.getMessage('g', 'W', 0, 0, 10);
    expect(g.buffers.map((b) => decodeRecord(b).body.toString())).toEqual(['a', 'c']);
    await s.shutdown();
  });
});

describe('SYNC_FLUSH and the WAIT property', () => {
  it('does not hold a send with WAIT=false for the sync', async () => {
    const fx = memoryFixture({ flushDiskType: 'SYNC_FLUSH', syncFlushTimeout: 100 });
    const files = fx.files as MemoryStoreFiles;
    const s = fx.open();
    await s.start();
    const hung: Array<() => void> = [];
    files.beforeSync = () => new Promise<void>((r) => hung.push(r));
    const noWait = await s.putMessage(msg('W', 0, 'x', { propertiesString: 'WAIT\u0001false' }));
    expect(noWait.status).toBe('PUT_OK');
    const waits = await s.putMessage(msg('W', 0, 'y', { propertiesString: 'WAIT\u0001true' }));
    expect(waits.status).toBe('FLUSH_DISK_TIMEOUT');
    files.beforeSync = undefined;
    for (const r of hung) r();
    await s.shutdown();
  });
});

describe('queue and sync faults (memory)', () => {
  it('retries ConsumeQueue units whose write failed; the send is still acknowledged', async () => {
    const fx = memoryFixture();
    const files = fx.files as MemoryStoreFiles;
    const s = fx.open();
    await s.start();
    let failures = 1;
    files.beforeWrite = (f) => {
      if (f.path.includes('consumequeue') && failures-- > 0) throw new Error('EIO: injected');
    };
    expect((await s.putMessage(msg('Q', 0, 'a'))).status).toBe('PUT_OK');
    expect(s.getMessage('g', 'Q', 0, 0, 32).messageCount).toBe(0); // unit not written yet
    expect((await s.putMessage(msg('Q', 0, 'b'))).status).toBe('PUT_OK');
    const g = s.getMessage('g', 'Q', 0, 0, 32);
    expect(g.buffers.map((b) => decodeRecord(b).body.toString())).toEqual(['a', 'b']);
    files.beforeWrite = undefined;
    await s.shutdown();
  });

  it('answers FLUSH_DISK_TIMEOUT when fdatasync fails under SYNC_FLUSH, then refuses writes until restart', async () => {
    const fx = memoryFixture({ flushDiskType: 'SYNC_FLUSH' });
    const files = fx.files as MemoryStoreFiles;
    const s = fx.open();
    await s.start();
    files.beforeSync = () => {
      throw new Error('EIO: fsync failed');
    };
    expect((await s.putMessage(msg('F', 0, 'a'))).status).toBe('FLUSH_DISK_TIMEOUT');
    files.beforeSync = undefined;
    const refused = await s.putMessage(msg('F', 0, 'b'));
    expect(refused.status).toBe('SERVICE_NOT_AVAILABLE');
    expect(refused.remark).toMatch(/fdatasync failed/);
    expect(s.getMessage('g', 'F', 0, 0, 32).messageCount).toBe(1); // reads go on
    await s.shutdown();
    const s2 = fx.open();
    await s2.start();
    expect((await s2.putMessage(msg('F', 0, 'c'))).status).toBe('PUT_OK');
    await s2.shutdown();
  });
});
