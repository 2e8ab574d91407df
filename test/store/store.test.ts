/**
 * One store test body, run against the in-memory fixture and real files (NATS-style).
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeOffsetMessageId } from '../../src/codec/message-id.js';
import { BLANK_MAGIC_CODE, decodeRecord, verifyRecord } from '../../src/codec/message-record.js';
import { javaStringHash, getProperty } from '../../src/codec/message-properties.js';
import type { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { FIXTURES, memoryFixture, msg, type Fixture } from './helpers.js';

describe.each(FIXTURES)('DefaultMessageStore on %s', (_name, make) => {
  let fx: Fixture;
  const stores: DefaultMessageStore[] = [];
  async function open(o: Parameters<Fixture['open']>[0] = {}, now?: () => number): Promise<DefaultMessageStore> {
    const s = fx.open(o, now);
    stores.push(s);
    await s.start();
    return s;
  }
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.shutdown();
    fx?.cleanup();
  });

  it('stores and reads back records byte for byte, with Java getMessage statuses', async () => {
    fx = make();
    const s = await open();
    expect(s.getMessage('g', 'T', 0, 0, 32).status).toBe('NO_MESSAGE_IN_QUEUE');
    const results = await Promise.all([0, 1, 2, 3, 4].map((i) => s.putMessage(msg('T', 0, `body-${i}`, { tags: 'A' }))));
    results.forEach((r, i) => {
      expect(r.status).toBe('PUT_OK');
      expect(r.appendResult!.logicsOffset).toBe(i);
      const id = decodeOffsetMessageId(r.appendResult!.msgId)!;
      expect(id.host).toEqual({ ip: '127.0.0.1', port: 10911 });
      expect(id.commitLogOffset).toBe(r.appendResult!.wroteOffset);
      expect(r.appendResult!.msgId).toMatch(/^[0-9A-F]{32}$/);
    });
    expect(s.getMaxOffsetInQueue('T', 0)).toBe(5);
    expect(s.getMinOffsetInQueue('T', 0)).toBe(0);

    const got = s.getMessage('g', 'T', 0, 1, 3);
    expect(got.status).toBe('FOUND');
    expect(got.messageCount).toBe(3);
    expect(got.nextBeginOffset).toBe(4);
    expect(got.maxOffset).toBe(5);
    const rec = decodeRecord(got.buffers[0]);
    expect(rec.body.toString()).toBe('body-1');
    expect(rec.queueOffset).toBe(1);
    expect(rec.topic).toBe('T');
    expect(rec.physicalOffset).toBe(results[1].appendResult!.wroteOffset);
    expect(rec.bornHost).toEqual({ ip: '10.0.0.7', port: 50123 });
    expect(s.lookMessageByOffset(rec.physicalOffset)).toEqual(got.buffers[0]);

    expect(s.getMessage('g', 'T', 0, 5, 32)).toMatchObject({ status: 'OFFSET_OVERFLOW_ONE', nextBeginOffset: 5 });
    expect(s.getMessage('g', 'T', 0, 9, 32)).toMatchObject({ status: 'OFFSET_OVERFLOW_BADLY', nextBeginOffset: 5 });
    expect(s.getMessage('g', 'T', 1, 3, 32)).toMatchObject({ status: 'NO_MESSAGE_IN_QUEUE', nextBeginOffset: 0 });
    const none = s.getMessage('g', 'T', 0, 0, 32, { isMatchedByConsumeQueue: () => false });
    expect(none).toMatchObject({ status: 'NO_MATCHED_MESSAGE', nextBeginOffset: 5, messageCount: 0 });
  });

  it('rejects illegal messages with the Java statuses', async () => {
    fx = make({ maxMessageSize: 1024 });
    const s = await open();
    expect((await s.putMessage(msg('x'.repeat(128), 0, 'b'))).status).toBe('MESSAGE_ILLEGAL');
    expect((await s.putMessage(msg('T', 0, Buffer.alloc(2000)))).status).toBe('MESSAGE_ILLEGAL');
    expect((await s.putMessage(msg('T', 0, 'ok'))).status).toBe('PUT_OK');
    expect((await s.putMessage(msg('../escape', 0, 'x'))).status).toBe('MESSAGE_ILLEGAL');
    expect((await s.putMessage(msg('..', 0, 'x'))).status).toBe('MESSAGE_ILLEGAL');
    s.deleteTopics(['..']);
    expect(s.getMaxOffsetInQueue('T', 0)).toBe(1);
  });

  it('gives PREPARED and ROLLBACK records queue offset 0 and keeps them out of the ConsumeQueue', async () => {
    fx = make();
    const s = await open();
    await s.putMessage(msg('T', 0, 'a'));
    const prepared = await s.putMessage(msg('T', 0, 'half', { sysFlag: 0x4 }));
    expect(prepared.appendResult!.logicsOffset).toBe(0);
    const commit = await s.putMessage(msg('T', 0, 'commit', { sysFlag: 0x8 }));
    expect(commit.appendResult!.logicsOffset).toBe(1);
    await s.putMessage(msg('T', 0, 'rb', { sysFlag: 0xc }));
    expect(s.getMaxOffsetInQueue('T', 0)).toBe(2);
    expect(decodeRecord(s.lookMessageByOffset(prepared.appendResult!.wroteOffset)!).body.toString()).toBe('half');
  });

  it('writes batches at consecutive queue offsets with comma-joined ids', async () => {
    fx = make();
    const s = await open();
    await s.putMessage(msg('B', 2, 'first'));
    const r = await s.putMessages([msg('B', 2, 'x'), msg('B', 2, 'y'), msg('B', 2, 'z')]);
    expect(r.status).toBe('PUT_OK');
    expect(r.appendResult!.logicsOffset).toBe(1);
    expect(r.appendResult!.msgNum).toBe(3);
    expect(r.appendResult!.msgId.split(',')).toHaveLength(3);
    const got = s.getMessage('g', 'B', 2, 1, 10);
    expect(got.buffers.map((b) => decodeRecord(b).body.toString())).toEqual(['x', 'y', 'z']);
    expect(got.buffers.map((b) => decodeRecord(b).queueOffset)).toEqual([1, 2, 3]);
  });

  it('rolls segments without splitting a record and keeps everything readable across a restart', async () => {
    fx = make();
    let s = await open();
    const body = Buffer.alloc(1000, 7);
    const puts: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) puts.push(s.putMessage(msg('R', i % 3, Buffer.concat([Buffer.from(`${i}:`), body]))));
    await Promise.all(puts);
    const logDir = path.join(fx.config.storePathRootDir, 'commitlog');
    const segs = fx.files.list(logDir);
    expect(segs.length).toBeGreaterThan(4);
    expect(segs[1]).toBe(String(64 * 1024).padStart(20, '0'));
    // Segments are preallocated to the configured size, like Java's MappedFiles; the first one's
    // records are followed by the filler: int32 remaining, int32 BLANK_MAGIC_CODE.
    const first = fx.files.open(path.join(logDir, segs[0]), false);
    expect(first.size()).toBe(64 * 1024);
    const whole = Buffer.alloc(64 * 1024);
    first.read(whole, 0, whole.length, 0);
    let p = 0;
    while (whole.readInt32BE(p + 4) !== BLANK_MAGIC_CODE) p += whole.readInt32BE(p);
    expect(whole.readInt32BE(p)).toBe(64 * 1024 - p);
    expect(64 * 1024 - p).toBeLessThan(1100 + 8);
    const maxPhy = s.getMaxPhyOffset();

    await s.shutdown();
    s = await open();
    expect(s.getMaxPhyOffset()).toBe(maxPhy);
    for (let q = 0; q < 3; q++) {
      expect(s.getMaxOffsetInQueue('R', q)).toBe(100);
      const bodies: string[] = [];
      let off = 0;
      while (off < 100) {
        const g = s.getMessage('g', 'R', q, off, 32);
        expect(g.status).toBe('FOUND');
        for (const b of g.buffers) bodies.push(decodeRecord(b).body.subarray(0, 4).toString().split(':')[0]);
        off = g.nextBeginOffset;
      }
      expect(bodies).toEqual(Array.from({ length: 100 }, (_, k) => String(k * 3 + q)));
    }
    const r = await s.putMessage(msg('R', 0, 'after restart'));
    expect(r.appendResult!.logicsOffset).toBe(100);
    expect(r.appendResult!.wroteOffset).toBe(maxPhy);
  });

  it('keeps the Java broker file sizes (preallocated segments, 4 KiB checkpoint)', async () => {
    fx = make();
    const s = await open();
    await s.putMessage(msg('Sz', 0, 'x', { keys: 'k' }));
    await s.shutdown();
    const root = fx.config.storePathRootDir;
    const size = (p: string) => {
      const f = fx.files.open(path.join(root, p), false);
      const n = f.size();
      f.close();
      return n;
    };
    expect(size(`commitlog/${'0'.repeat(20)}`)).toBe(fx.config.mappedFileSizeCommitLog);
    expect(size(`consumequeue/Sz/0/${'0'.repeat(20)}`)).toBe(fx.config.mappedFileSizeConsumeQueue);
    expect(size('checkpoint')).toBe(4096);
    const [indexName] = fx.files.list(path.join(root, 'index'));
    expect(size(`index/${indexName}`)).toBe(40 + fx.config.maxHashSlotNum * 4 + fx.config.maxIndexNum * 20);
    const s2 = await open();
    expect(decodeRecord(s2.getMessage('g', 'Sz', 0, 0, 1).buffers[0]).body.toString()).toBe('x');
  });

  it('serves old data from the files, several records per read, byte for byte', async () => {
    fx = make();
    const s = fx.open({}, undefined, { recentCacheBytes: 0 });
    stores.push(s);
    await s.start();
    const sent: string[][] = [[], [], []];
    await Promise.all(Array.from({ length: 240 }, (_, i) => {
      const body = `old-${i}-${'z'.repeat(i % 50)}`;
      sent[i % 3].push(body);
      return s.putMessage(msg('Old', i % 3, body, { tags: i % 2 ? 'A' : 'B' }));
    }));
    for (let q = 0; q < 3; q++) {
      const got: string[] = [];
      for (let off = 0; off < 80;) {
        const g = s.getMessage('g', 'Old', q, off, 7);
        expect(g.status).toBe('FOUND');
        for (const b of g.buffers) {
          expect(verifyRecord(b, 0, b.length)).toBeUndefined();
          got.push(decodeRecord(b).body.toString());
        }
        off = g.nextBeginOffset;
      }
      expect(got).toEqual(sent[q]);
      expect(s.lookMessageByOffset(decodeRecord(s.getMessage('g', 'Old', q, 5, 1).buffers[0]).physicalOffset)).toBeDefined();
    }
    const tagA = javaStringHash('A');
    const onlyA = s.getMessage('g', 'Old', 0, 0, 32, { isMatchedByConsumeQueue: (t) => t === tagA });
    expect(onlyA.buffers.every((b) => getProperty(decodeRecord(b).propertiesString, 'TAGS') === 'A')).toBe(true);
  });

  it('respects maxTransferCountOnMessageInMemory and maxTransferBytesOnMessageInMemory', async () => {
    fx = make({ maxTransferCountOnMessageInMemory: 4, maxTransferBytesOnMessageInMemory: 1024 });
    const s = await open();
    await Promise.all(Array.from({ length: 10 }, (_, i) => s.putMessage(msg('L', 0, `m${i}`))));
    expect(s.getMessage('g', 'L', 0, 0, 32)).toMatchObject({ status: 'FOUND', messageCount: 4, nextBeginOffset: 4 });
    await Promise.all(Array.from({ length: 10 }, () => s.putMessage(msg('M', 0, Buffer.alloc(400)))));
    const g = s.getMessage('g', 'M', 0, 0, 32);
    expect(g.messageCount).toBe(2);
    expect(g.bufferTotalSize).toBeLessThanOrEqual(1024);
  });

  it('finds offsets by store time and reports store timestamps', async () => {
    fx = make();
    let t = 1_000_000;
    const s = await open({}, () => t);
    for (let i = 0; i < 10; i++) {
      t = 1_000_000 + i * 100;
      await s.putMessage(msg('TT', 0, `m${i}`));
    }
    expect(s.getOffsetInQueueByTime('TT', 0, 0)).toBe(0);
    expect(s.getOffsetInQueueByTime('TT', 0, 1_000_250)).toBe(3);
    expect(s.getOffsetInQueueByTime('TT', 0, 1_000_300)).toBe(3);
    expect(s.getOffsetInQueueByTime('TT', 0, 2_000_000)).toBe(10);
    expect(s.getEarliestMessageTime('TT', 0)).toBe(1_000_000);
    expect(s.getMessageStoreTimeStamp('TT', 0, 4)).toBe(1_000_400);
    expect(s.getMessageStoreTimeStamp('TT', 0, 40)).toBe(-1);
  });

  it('deletes topics', async () => {
    fx = make();
    const s = await open();
    await s.putMessage(msg('D', 0, 'x'));
    await s.putMessage(msg('K', 0, 'y'));
    s.deleteTopics(['D']);
    expect(s.getMaxOffsetInQueue('D', 0)).toBe(0);
    expect(s.getMessage('g', 'D', 0, 0, 1).status).toBe('NO_MESSAGE_IN_QUEUE');
    expect(s.getMaxOffsetInQueue('K', 0)).toBe(1);
    expect(fx.files.exists(path.join(fx.config.storePathRootDir, 'consumequeue', 'D'))).toBe(false);
  });

  it('calls arrival listeners after dispatch with the new max offset', async () => {
    fx = make();
    const s = await open();
    const seen: Array<[string, number, number]> = [];
    s.onArrival((topic, q, off) => {
      seen.push([topic, q, off]);
      expect(s.getMaxOffsetInQueue(topic, q)).toBeGreaterThanOrEqual(off);
    });
    await s.putMessage(msg('A', 1, 'x'));
    await s.putMessage(msg('A', 1, 'y'));
    expect(seen).toEqual([['A', 1, 1], ['A', 1, 2]]);
  });

  it('acknowledges SYNC_FLUSH sends after the shared sync', async () => {
    fx = make({ flushDiskType: 'SYNC_FLUSH' });
    const s = await open();
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => s.putMessage(msg('S', i % 2, `s${i}`))));
    expect(rs.every((r) => r.status === 'PUT_OK')).toBe(true);
    expect(Number(s.getRuntimeInfo().flushedOffset)).toBe(s.getMaxPhyOffset());
  });

  it('cuts a torn tail and the units that point into it on restart', async () => {
    fx = make();
    let s = await open();
    for (let i = 0; i < 20; i++) await s.putMessage(msg('C', 0, `c${i}`));
    const maxPhy = s.getMaxPhyOffset();
    await s.shutdown();
    // Tear the last record: drop its last 5 bytes.
    const seg = path.join(fx.config.storePathRootDir, 'commitlog', '0'.repeat(20));
    const f = fx.files.open(seg, false);
    f.truncate(maxPhy - 5);
    f.close();
    s = await open();
    expect(s.getMaxOffsetInQueue('C', 0)).toBe(19);
    expect(s.getMaxPhyOffset()).toBeLessThan(maxPhy);
    const r = await s.putMessage(msg('C', 0, 'again'));
    expect(r.appendResult!.logicsOffset).toBe(19);
    expect(decodeRecord(s.getMessage('g', 'C', 0, 19, 1).buffers[0]).body.toString()).toBe('again');
  });

  it('rebuilds ConsumeQueue units missing after a crash', async () => {
    fx = make();
    let s = await open();
    for (let i = 0; i < 10; i++) await s.putMessage(msg('Q', 0, `q${i}`));
    await s.shutdown();
    const cqFile = path.join(fx.config.storePathRootDir, 'consumequeue', 'Q', '0', '0'.repeat(20));
    const f = fx.files.open(cqFile, false);
    f.truncate(20 * 4 + 7); // 4 whole units and a torn one
    f.close();
    s = await open();
    expect(s.getMaxOffsetInQueue('Q', 0)).toBe(10);
    const g = s.getMessage('g', 'Q', 0, 0, 32);
    expect(g.buffers.map((b) => decodeRecord(b).body.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `q${i}`));
  });

  it('gives a SCHEDULE_TOPIC unit the delivery time of its DELAY level (last one wins), the same live and rebuilt', async () => {
    fx = make();
    const t = 1_700_000_000_000;
    let s = await open({ messageDelayLevel: '1s 5s 10s' }, () => t);
    const topic = 'SCHEDULE_TOPIC_XXXX';
    const props = ['DELAY\u00013\u0002TAGS\u0001a', 'DELAY\u00011\u0002TAGS\u0001a\u0002DELAY\u00012', 'DELAY\u00010\u0002TAGS\u0001a', 'DELAY\u0001x\u0002TAGS\u0001a'];
    for (const p of props) {
      const r = await s.putMessage(msg(topic, 0, 'd', { propertiesString: p, tagsCode: javaStringHash('a') }));
      expect(r.status).toBe('PUT_OK');
    }
    const tagsCodes = (st: DefaultMessageStore): number[] => {
      const seen: number[] = [];
      st.getMessage('g', topic, 0, 0, 32, { isMatchedByConsumeQueue: (code) => (seen.push(code), true) });
      return seen;
    };
    const want = [t + 10_000, t + 5_000, javaStringHash('a'), javaStringHash('a')];
    expect(tagsCodes(s)).toEqual(want);
    await s.shutdown();
    const cqFile = path.join(fx.config.storePathRootDir, 'consumequeue', topic, '0', '0'.repeat(20));
    const f = fx.files.open(cqFile, false);
    f.truncate(0); // every unit rebuilt from the log
    f.close();
    s = await open({ messageDelayLevel: '1s 5s 10s' }, () => t);
    expect(tagsCodes(s)).toEqual(want);
  });
});

describe('memory fixture at the Java default sizes', () => {
  it('keeps preallocated 1 GiB segments sparse', async () => {
    const fx = memoryFixture({ mappedFileSizeCommitLog: 1024 ** 3, mappedFileSizeConsumeQueue: 6_000_000, maxHashSlotNum: 5_000_000, maxIndexNum: 20_000_000 });
    const rss0 = process.memoryUsage().rss;
    const s = fx.open();
    await s.start();
    await s.putMessage(msg('Big', 0, 'x', { keys: 'k' }));
    expect(s.queryMessage('Big', 'k', 1, 0, Number.MAX_SAFE_INTEGER).messageCount).toBe(1);
    await s.shutdown();
    expect(process.memoryUsage().rss - rss0).toBeLessThan(300 * 1024 * 1024);
  });
});
