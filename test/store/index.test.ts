/**
 * IndexFile and QUERY_MESSAGE support, on memory and real files, with tiny index sizes so files roll.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRecord, readInt64 } from '../../src/codec/message-record.js';
import type { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { indexKeyHash, indexKeyHashOf } from '../../src/store/index-file.js';
import { javaStringHash } from '../../src/codec/message-properties.js';
import { FIXTURES, msg, type Fixture } from './helpers.js';

const bodies = (r: { buffers: Buffer[] }) => r.buffers.map((b) => decodeRecord(b).body.toString());

describe('index key hash', () => {
  it('hashing topic#key from the topic\'s hash equals hashing the built key (IndexService#buildKey)', () => {
    const topics = ['TopicTest', 'BenchRepl128', '%RETRY%group', '中文主题', ''];
    const keys = ['k', 'AC1100000000018B4AAC2', 'key with spaces', '键', 'x'.repeat(300)];
    for (const t of topics) for (const k of keys) expect(indexKeyHashOf(javaStringHash(t), k)).toBe(indexKeyHash(`${t}#${k}`));
  });
});

describe.each(FIXTURES)('index on %s', (_name, make) => {
  let fx: Fixture;
  const live: DefaultMessageStore[] = [];
  async function open(o = {}, now?: () => number): Promise<DefaultMessageStore> {
    const s = fx.open(o, now);
    live.push(s);
    await s.start();
    return s;
  }
  afterEach(async () => {
    for (const s of live.splice(0)) await s.shutdown();
    fx?.cleanup();
  });

  it('finds messages by KEYS entries and UNIQ_KEY, per topic, in a time range', async () => {
    fx = make();
    let t = 1_700_000_000_000;
    const s = await open({}, () => t);
    await s.putMessage(msg('IdxA', 0, 'one', { keys: 'order-1 customer-9', uniqKey: 'U1' }));
    t += 5000;
    await s.putMessage(msg('IdxA', 1, 'two', { keys: 'order-2 customer-9', uniqKey: 'U2' }));
    await s.putMessage(msg('IdxB', 0, 'other topic', { keys: 'order-1' }));
    await s.putMessage(msg('IdxA', 0, 'rolled back', { keys: 'order-1', sysFlag: 0xc }));
    await s.putMessage(msg('IdxA', 0, 'prepared', { keys: 'half-1', sysFlag: 0x4 }));
    const all = [0, Number.MAX_SAFE_INTEGER] as const;
    expect(bodies(s.queryMessage('IdxA', 'order-1', 32, ...all))).toEqual(['one']);
    expect(bodies(s.queryMessage('IdxA', 'customer-9', 32, ...all))).toEqual(['one', 'two']);
    expect(bodies(s.queryMessage('IdxA', 'U2', 32, ...all))).toEqual(['two']);
    expect(bodies(s.queryMessage('IdxB', 'order-1', 32, ...all))).toEqual(['other topic']);
    expect(bodies(s.queryMessage('IdxA', 'half-1', 32, ...all))).toEqual(['prepared']);
    expect(bodies(s.queryMessage('IdxA', 'customer-9', 32, 1_700_000_004_000, Number.MAX_SAFE_INTEGER))).toEqual(['two']);
    expect(bodies(s.queryMessage('IdxA', 'customer-9', 1, ...all))).toHaveLength(1);
    expect(s.queryMessage('IdxA', 'nope', 32, ...all).messageCount).toBe(0);
    const r = s.queryMessage('IdxA', 'order-1', 32, ...all);
    expect(r.indexLastUpdatePhyoffset).toBeGreaterThan(0);
    expect(r.indexLastUpdateTimestamp).toBe(t);
  });

  it('writes the Java layout, rolls full files, and keeps answering across them and a restart', async () => {
    fx = make({ maxHashSlotNum: 8, maxIndexNum: 10 });
    let s = await open();
    for (let i = 0; i < 40; i++) await s.putMessage(msg('Roll', 0, `m${i}`, { keys: `k${i % 4}` }));
    expect(Number(s.getRuntimeInfo().indexFiles)).toBe(5); // 9 entries per file (entry 0 unused)
    expect(bodies(s.queryMessage('Roll', 'k1', 64, 0, Number.MAX_SAFE_INTEGER))).toEqual(
      Array.from({ length: 10 }, (_, k) => `m${k * 4 + 1}`),
    );
    await s.shutdown();
    const dir = path.join(fx.config.storePathRootDir, 'index');
    const names = fx.files.list(dir);
    expect(names).toHaveLength(5);
    expect(names[0]).toMatch(/^\d{17}$/);
    const first = fx.files.readSmall(path.join(dir, names[0]))!;
    expect(first.readInt32BE(36)).toBe(10); // indexCount: 1 + 9 entries
    expect(readInt64(first, 16)).toBe(0); // beginPhyOffset
    // Entry 1 is the first message's first key.
    const e1 = 40 + 8 * 4 + 20;
    expect(first.readInt32BE(e1)).toBe(indexKeyHash('Roll#k0'));
    expect(readInt64(first, e1 + 4)).toBe(0);
    expect(first.readInt32BE(e1 + 16)).toBe(0);
    // The slot of k0 holds the newest entry for it in this file.
    const slot = indexKeyHash('Roll#k0') % 8;
    expect(first.readInt32BE(40 + slot * 4)).toBeGreaterThan(1);
    s = await open({ maxHashSlotNum: 8, maxIndexNum: 10 });
    expect(bodies(s.queryMessage('Roll', 'k2', 64, 0, Number.MAX_SAFE_INTEGER))).toHaveLength(10);
    await s.putMessage(msg('Roll', 0, 'new', { keys: 'k2' }));
    expect(bodies(s.queryMessage('Roll', 'k2', 64, 0, Number.MAX_SAFE_INTEGER))).toContain('new');
  });

  it('rebuilds index entries after a crash and drops those past a torn log', async () => {
    fx = make({ flushIntervalCommitLog: 60_000, flushIntervalConsumeQueue: 60_000 });
    const s = await open();
    for (let i = 0; i < 30; i++) await s.putMessage(msg('Cr', 0, `m${i}`, { keys: `key${i}` }));
    const end = s.getMaxPhyOffset();
    s.abandon();
    live.pop();
    // Lose the index entirely except its (unflushed) file, and tear the last record.
    const seg = path.join(fx.config.storePathRootDir, 'commitlog', '0'.repeat(20));
    const f = fx.files.open(seg, false);
    f.truncate(end - 3);
    f.close();
    const s2 = await open();
    for (let i = 0; i < 29; i++) expect(bodies(s2.queryMessage('Cr', `key${i}`, 4, 0, Number.MAX_SAFE_INTEGER))).toEqual([`m${i}`]);
    expect(s2.queryMessage('Cr', 'key29', 4, 0, Number.MAX_SAFE_INTEGER).messageCount).toBe(0);
    await s2.putMessage(msg('Cr', 0, 'again', { keys: 'key29' }));
    expect(bodies(s2.queryMessage('Cr', 'key29', 4, 0, Number.MAX_SAFE_INTEGER))).toEqual(['again']);
  });

  it('is off with messageIndexEnable=false', async () => {
    fx = make({ messageIndexEnable: false });
    const s = await open();
    await s.putMessage(msg('Off', 0, 'x', { keys: 'k' }));
    expect(s.queryMessage('Off', 'k', 4, 0, Number.MAX_SAFE_INTEGER).messageCount).toBe(0);
    expect(fx.files.exists(path.join(fx.config.storePathRootDir, 'index'))).toBe(false);
  });
});
