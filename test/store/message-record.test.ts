import { describe, expect, it } from 'vitest';
import { MESSAGE_MAGIC_CODE, bodyCrc, decodeRecord, encodeRecord, planRecord, readPhysicalOffset, readQueueOffset, readStoreTimestamp, readTotalSize, recordLength, verifyRecord, type RecordPlan } from '../../src/codec/message-record.js';
import { javaStringHash, getProperty } from '../../src/codec/message-properties.js';
import { createOffsetMessageId, decodeOffsetMessageId } from '../../src/codec/message-id.js';
import { msg } from './helpers.js';

function encode(m: ReturnType<typeof msg>): Buffer {
  const plan = planRecord(m) as RecordPlan;
  const b = Buffer.alloc(plan.totalSize);
  encodeRecord(b, 0, m, plan, 42, 123_456_789_012, 1_700_000_000_123);
  return b;
}

describe('message record codec', () => {
  it('lays out an IPv4 record as the Java broker does', () => {
    const m = msg('TopicTest', 3, 'Hello', { tags: 'TagA', flag: 9, reconsumeTimes: 2, preparedTransactionOffset: 77 });
    const b = encode(m);
    expect(b.length).toBe(91 + 5 + 9 + m.propertiesString.length);
    expect(readTotalSize(b)).toBe(b.length);
    expect(b.readInt32BE(4)).toBe(MESSAGE_MAGIC_CODE);
    expect(b.readUInt32BE(4)).toBe(0xdaa320a7);
    expect(b.readInt32BE(12)).toBe(3);
    expect(b.readInt32BE(16)).toBe(9);
    expect(readQueueOffset(b)).toBe(42);
    expect(readPhysicalOffset(b)).toBe(123_456_789_012);
    expect([...b.subarray(48, 52)]).toEqual([10, 0, 0, 7]);
    expect(b.readInt32BE(52)).toBe(50123);
    expect(readStoreTimestamp(b)).toBe(1_700_000_000_123);
    expect(b.readInt32BE(84)).toBe(5);
    expect(b.subarray(88, 93).toString()).toBe('Hello');
    expect(b[93]).toBe(9);
    const d = decodeRecord(b);
    expect(d).toMatchObject({ topic: 'TopicTest', flag: 9, reconsumeTimes: 2, preparedTransactionOffset: 77, sysFlag: 0 });
    expect(d.bodyCrc).toBe(bodyCrc(Buffer.from('Hello')));
    expect(getProperty(d.propertiesString, 'TAGS')).toBe('TagA');
    expect(verifyRecord(b, 0, b.length)).toBeUndefined();
  });

  it('widens hosts for IPv6 and sets the host flags from the addresses', () => {
    const m = msg('T', 0, 'x', { bornHost: { ip: '2001:db8::1', port: 1 }, storeHost: { ip: '::ffff:192.168.1.2', port: 10911 } });
    const b = encode(m);
    const d = decodeRecord(b);
    expect(d.sysFlag & 0x30).toBe(0x10);
    expect(b.length).toBe(recordLength(0x10, 1, 1, 0));
    expect(d.bornHost).toEqual({ ip: '2001:db8:0:0:0:0:0:1', port: 1 });
    expect(d.storeHost).toEqual({ ip: '192.168.1.2', port: 10911 });
    const both = decodeRecord(encode(msg('T', 0, 'x', { bornHost: { ip: '::1', port: 2 }, storeHost: { ip: 'fe80::2', port: 3 } })));
    expect(both.sysFlag & 0x30).toBe(0x30);
    expect(both.storeHost.port).toBe(3);
    expect(both.body.toString()).toBe('x');
  });

  it('detects corruption', () => {
    const b = encode(msg('T', 0, 'payload'));
    const flipped = Buffer.from(b);
    flipped[90] ^= 1;
    expect(verifyRecord(flipped, 0, b.length)).toMatch(/CRC/);
    expect(verifyRecord(b, 0, b.length - 1)).toMatch(/size/);
    const badMagic = Buffer.from(b);
    badMagic[5] ^= 1;
    expect(verifyRecord(badMagic, 0, b.length)).toMatch(/magic/);
  });

  it('matches Java CRC32 and String.hashCode', () => {
    expect(bodyCrc(Buffer.from('123456789'))).toBe(0xcbf43926 & 0x7fffffff);
    expect(javaStringHash('abc')).toBe(96354);
    expect(javaStringHash('TagA')).toBe(2598919);
    expect(javaStringHash('Hello World')).toBe(-862545276); // Java: "Hello World".hashCode()
  });

  it('rejects over-long topics and properties', () => {
    expect(planRecord(msg('t'.repeat(128), 0, 'x'))).toMatchObject({ error: 'MESSAGE_ILLEGAL' });
    expect(planRecord(msg('T', 0, 'x', { propertiesString: 'é'.repeat(20000) }))).toMatchObject({ error: 'PROPERTIES_SIZE_EXCEEDED' });
    expect(planRecord(msg('T', 0, 'x', { propertiesString: 'a'.repeat(40000) }))).toMatchObject({ error: 'MESSAGE_ILLEGAL' });
  });
});

describe('offset message id', () => {
  it('round-trips IPv4 (32 hex) and IPv6 (56 hex)', () => {
    const id = createOffsetMessageId({ ip: '10.1.2.3', port: 10911 }, 0x1234567890);
    expect(id).toBe('0A010203' + '00002A9F' + '0000001234567890');
    expect(decodeOffsetMessageId(id)).toEqual({ host: { ip: '10.1.2.3', port: 10911 }, commitLogOffset: 0x1234567890 });
    const v6 = createOffsetMessageId({ ip: '2001:db8::5', port: 1 }, 7);
    expect(v6).toHaveLength(56);
    expect(decodeOffsetMessageId(v6)!.commitLogOffset).toBe(7);
    expect(decodeOffsetMessageId('XYZ')).toBeUndefined();
  });
});
