/**
 * DefaultMessageStore#truncateTo (controller mode: a slave cut back to the consistent point, a new master
 * dropping an undispatchable tail): the log, the queues, the index and the checkpoint, on memory and on files,
 * then appends after the cut and restarts, clean and killed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRecord } from '../../src/codec/message-record.js';
import type { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { MemoryStoreFiles } from '../../src/store/store-files.js';
import { FIXTURES, memoryFixture, msg, type Fixture } from './helpers.js';

const TOPIC = 'Cut';
const QUEUES = 3;
const SEGMENT = 64 * 1024;
/** No timed flush: what is durable after the cut is what truncateTo made durable. */
const NO_TIMED_FLUSH = { flushIntervalCommitLog: 60_000, flushIntervalConsumeQueue: 60_000 };

interface Sent {
  i: number;
  queueId: number;
  queueOffset: number;
  wroteOffset: number;
}

async function load(s: DefaultMessageStore, from: number, n: number): Promise<Sent[]> {
  const out: Sent[] = [];
  for (let i = from; i < from + n; i++) {
    // Three index entries a message (two keys and the unique key): maxIndexNum=400 rolls the index file.
    const r = await s.putMessage(msg(TOPIC, i % QUEUES, `body-${i}-${'x'.repeat(900 + (i % 7) * 50)}`, { keys: `k${i} kk${i}`, uniqKey: `U${i}` }));
    expect(r.status).toBe('PUT_OK');
    out.push({ i, queueId: i % QUEUES, queueOffset: r.appendResult!.logicsOffset, wroteOffset: r.appendResult!.wroteOffset });
  }
  return out;
}

/** Every message each queue serves, by body index, checking queue offsets run 0.. without holes. */
function readAll(s: DefaultMessageStore): number[][] {
  const out: number[][] = [];
  for (let q = 0; q < QUEUES; q++) {
    const got: number[] = [];
    let off = 0;
    const max = s.getMaxOffsetInQueue(TOPIC, q);
    while (off < max) {
      const g = s.getMessage('g', TOPIC, q, off, 32);
      expect(g.status).toBe('FOUND');
      for (const b of g.buffers) {
        const d = decodeRecord(b);
        expect(d.queueOffset).toBe(got.length);
        got.push(Number(/^body-(\d+)-/.exec(d.body.toString())![1]));
      }
      off = g.nextBeginOffset;
    }
    expect(s.getMessage('g', TOPIC, q, max, 32).status).toBe(max === 0 ? 'NO_MESSAGE_IN_QUEUE' : 'OFFSET_OVERFLOW_ONE');
    out.push(got);
  }
  return out;
}

const expected = (sent: Sent[]): number[][] => Array.from({ length: QUEUES }, (_, q) => sent.filter((m) => m.queueId === q).map((m) => m.i));
const found = (s: DefaultMessageStore, key: string): number => s.queryMessage(TOPIC, key, 32, 0, Date.now() + 60_000).messageCount;

describe.each(FIXTURES)('truncateTo on %s', (_name, make) => {
  let fx: Fixture;
  const live: DefaultMessageStore[] = [];
  async function open(): Promise<DefaultMessageStore> {
    const s = fx.open(NO_TIMED_FLUSH);
    live.push(s);
    await s.start();
    return s;
  }
  afterEach(async () => {
    for (const s of live.splice(0)) await s.shutdown();
    fx?.cleanup();
  });

  /** Writes 150 messages (about 3.5 segments, 450 index entries), cuts at message `cutAt`, checks, appends 10. */
  async function cutAndCheck(s: DefaultMessageStore, pickCut: (sent: Sent[]) => number): Promise<{ kept: Sent[]; cut: number }> {
    const sent = await load(s, 0, 150);
    expect(Number(s.getRuntimeInfo().commitLogSegments)).toBeGreaterThanOrEqual(3);
    const cut = pickCut(sent);
    const kept = sent.filter((m) => m.wroteOffset < cut);
    const gone = sent.filter((m) => m.wroteOffset >= cut);
    expect(kept.length).toBeGreaterThan(0);
    expect(gone.length).toBeGreaterThan(0);

    await expect(s.truncateTo(gone[0].wroteOffset + 1)).rejects.toThrow(/cannot truncate/);
    expect(s.getMaxPhyOffset()).toBe(sent[149].wroteOffset + s.lookMessageByOffset(sent[149].wroteOffset)!.length);

    await s.truncateTo(cut);
    expect(s.getMaxPhyOffset()).toBe(cut);
    for (let q = 0; q < QUEUES; q++) expect(s.getMaxOffsetInQueue(TOPIC, q)).toBe(kept.filter((m) => m.queueId === q).length);
    expect(readAll(s)).toEqual(expected(kept));
    expect(s.lookMessageByOffset(gone[0].wroteOffset)).toBeUndefined();
    expect(found(s, `k${kept.at(-1)!.i}`)).toBe(1);
    expect(found(s, `k${gone[0].i}`)).toBe(0);
    expect(found(s, `U${gone.at(-1)!.i}`)).toBe(0);
    // Cutting at or past the end again changes nothing.
    await s.truncateTo(cut + 5);
    expect(s.getMaxPhyOffset()).toBe(cut);

    // Appends continue at the cut, with the queue offsets the cut records had, and are indexed again.
    const more = await load(s, 1000, 10);
    expect(more[0].wroteOffset).toBe(cut);
    for (const m of more) expect(m.queueOffset).toBe([...kept, ...more].filter((x) => x.queueId === m.queueId && x.i < m.i).length);
    expect(found(s, 'k1000')).toBe(1);
    expect(found(s, 'kk1009')).toBe(1);
    const all = [...kept, ...more];
    expect(readAll(s)).toEqual(expected(all));
    return { kept: all, cut };
  }

  it('cuts in the middle of a segment, keeps appending there, and restarts (clean and killed) to the cut log', async () => {
    fx = make();
    const s = await open();
    // A record in the middle of the third segment: also before the second index file begins.
    const { kept } = await cutAndCheck(s, (sent) => sent.find((m) => m.wroteOffset > 2 * SEGMENT + 8000)!.wroteOffset);
    const end = s.getMaxPhyOffset();
    await s.shutdown();

    const s2 = await open();
    expect(s2.getMaxPhyOffset()).toBe(end);
    expect(readAll(s2)).toEqual(expected(kept));
    expect(found(s2, 'k1005')).toBe(1);
    expect(found(s2, 'k140')).toBe(0);
    s2.abandon();

    const s3 = await open();
    expect(s3.getRuntimeInfo().lastRecoveryAbnormal).toBe('true');
    expect(s3.getMaxPhyOffset()).toBe(end);
    expect(readAll(s3)).toEqual(expected(kept));
    const r = await s3.putMessage(msg(TOPIC, 0, 'body-2000-after'));
    expect(r.appendResult!.wroteOffset).toBe(end);
    expect(r.appendResult!.logicsOffset).toBe(kept.filter((m) => m.queueId === 0).length);
  });

  it('cuts at a segment boundary: later segments go, the boundary segment is empty, appends start there', async () => {
    fx = make();
    const s = await open();
    const { kept } = await cutAndCheck(s, () => 2 * SEGMENT);
    expect(Number(s.getRuntimeInfo().commitLogSegments)).toBe(3);
    s.abandon();
    const s2 = await open();
    expect(readAll(s2)).toEqual(expected(kept));
    expect(s2.getMaxPhyOffset()).toBe(kept.at(-1)!.wroteOffset + s2.lookMessageByOffset(kept.at(-1)!.wroteOffset)!.length);
  });

  it('a record only partly at the log end may be cut at its start; other bytes only unchecked (truncateInvalidMsg)', async () => {
    fx = make();
    const s = await open();
    const sent = await load(s, 0, 10);
    const at = sent[9].wroteOffset;
    const rec = s.lookMessageByOffset(at)!;
    // The bytes a slave has when its master died mid-record: appended raw, as replication writes them.
    const raw = (s as unknown as { commitLog: { appendRaw(offset: number, data: Buffer): boolean } }).commitLog;
    await s.truncateTo(at);
    for (const part of [rec.subarray(0, 40), rec.subarray(0, 5)]) {
      expect(raw.appendRaw(at, part)).toBe(true);
      await s.truncateTo(at);
      expect(s.getMaxPhyOffset()).toBe(at);
    }
    expect(raw.appendRaw(at, Buffer.alloc(100, 7))).toBe(true);
    await expect(s.truncateTo(at)).rejects.toThrow(/no record starts there/);
    await s.truncateTo(at, false);
    expect(s.getMaxPhyOffset()).toBe(at);
    expect(readAll(s)).toEqual(expected(sent.slice(0, 9)));
  });

  it('cuts everything when asked for offset 0, and the next start is an empty store', async () => {
    fx = make();
    const s = await open();
    await load(s, 0, 20);
    await s.truncateTo(0);
    expect(s.getMaxPhyOffset()).toBe(0);
    for (let q = 0; q < QUEUES; q++) expect(s.getMaxOffsetInQueue(TOPIC, q)).toBe(0);
    expect(found(s, 'k3')).toBe(0);
    s.abandon();
    const s2 = await open();
    expect(s2.getMaxPhyOffset()).toBe(0);
    expect(readAll(s2)).toEqual([[], [], []]);
  });
});

describe('truncateTo and durability (memory)', () => {
  let fx: Fixture | undefined;
  afterEach(() => fx?.cleanup());

  it('SYNC_FLUSH: the cut itself and the sends acknowledged after it survive power loss', async () => {
    fx = memoryFixture({ flushDiskType: 'SYNC_FLUSH', ...NO_TIMED_FLUSH });
    const s0 = fx.open();
    await s0.start();
    const sent = await load(s0, 0, 60);
    const cut = sent[20].wroteOffset;
    await s0.truncateTo(cut);
    s0.abandon();
    (fx.files as MemoryStoreFiles).loseUnsynced();
    const s = fx.open();
    await s.start();
    expect(s.getMaxPhyOffset()).toBe(cut);
    expect(readAll(s)).toEqual(expected(sent.slice(0, 20)));
    const more = await load(s, 500, 30);
    expect(more[0].wroteOffset).toBe(cut);
    s.abandon();
    (fx.files as MemoryStoreFiles).loseUnsynced();
    const s2 = fx.open();
    await s2.start();
    expect(readAll(s2)).toEqual(expected([...sent.slice(0, 20), ...more]));
    expect(found(s2, 'k510')).toBe(1);
    await s2.shutdown();
  });
});
