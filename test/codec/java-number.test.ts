/**
 * Integer.parseInt / Long.parseLong as the broker reads header fields and message properties, the exact
 * int64 codec of bornTimestamp, and planRecord refusing what a record cannot hold.
 */
import { describe, expect, it } from 'vitest';
import { clampToSafe, isInt64, parseJavaInt, parseJavaLong } from '../../src/protocol/java-number.js';
import { HeaderError, exactLong, int, long, optInt } from '../../src/remoting/header-fields.js';
import { readInt64Exact, writeInt64 } from '../../src/codec/int64.js';
import { decodeRecord, encodeRecord, planRecord, readBornTimestamp } from '../../src/codec/message-record.js';
import { delayLevelOf } from '../../src/broker/schedule/schedule-message-service.js';
import { timerDeliverMs } from '../../src/broker/schedule/timer-message-service.js';
import { msg } from '../store/helpers.js';

/**
 * Strings Java's parsers refuse, for both types; and two it takes (Character.digit knows every Unicode
 * decimal digit) that we refuse on purpose, since no client writes them: see java-number.ts.
 */
const REFUSED = ['', '+', '-', '--1', '+-1', ' 1', '1 ', '1.0', '1e3', '0x10', '1_000', 'NaN', 'Infinity', '\u00001'];
const NON_ASCII_DIGITS = ['\u0661', '\uff11'];

describe('Integer.parseInt', () => {
  it.each([
    ['0', 0], ['-0', 0], ['+7', 7], ['0007', 7], ['-00', 0], ['2147483647', 2147483647], ['-2147483648', -2147483648],
    ['000000000000000000000000002147483647', 2147483647],
  ])('%s is %d', (s, v) => {
    expect(Object.is(parseJavaInt(s), v)).toBe(true);
  });
  it.each([...REFUSED, ...NON_ASCII_DIGITS, '2147483648', '-2147483649', '9999999999', '99999999999999999999999999'])('%j is refused', (s) => {
    expect(parseJavaInt(s)).toBeUndefined();
  });
});

describe('Long.parseLong', () => {
  it.each([
    ['0', 0], ['-0', 0], ['1700000000000', 1700000000000], ['9007199254740991', 9007199254740991], ['-9007199254740991', -9007199254740991],
    ['9007199254740992', 9007199254740992n], ['9007199254740993', 9007199254740993n], ['-9007199254740993', -9007199254740993n],
    ['9223372036854775807', 9223372036854775807n], ['-9223372036854775808', -9223372036854775808n], ['+0009223372036854775807', 9223372036854775807n],
  ] as Array<[string, number | bigint]>)('%s is %s, a number exactly when it is safe', (s, v) => {
    expect(parseJavaLong(s)).toBe(v);
  });
  it.each([...REFUSED, ...NON_ASCII_DIGITS, '9223372036854775808', '-9223372036854775809', '1'.repeat(400)])('%j is refused', (s) => {
    expect(parseJavaLong(s)).toBeUndefined();
  });
});

describe('header fields', () => {
  it('refuse what Java refuses with its NumberFormatException text; a missing field is not an empty one', () => {
    expect(() => int({ q: '1e308' }, 'q')).toThrow(new HeaderError('java.lang.NumberFormatException: For input string: "1e308"'));
    expect(() => int({ q: '' }, 'q', 0)).toThrow('For input string: ""');
    expect(int({}, 'q', 5)).toBe(5);
    expect(() => int({}, 'q')).toThrow('the custom field <q> is null');
    expect(optInt({}, 'q')).toBeUndefined();
    expect(() => optInt({ q: '' }, 'q')).toThrow('NumberFormatException');
  });
  it('hold a Long as a safe number for offsets and exactly for bornTimestamp', () => {
    expect(long({ o: '9223372036854775807' }, 'o')).toBe(Number.MAX_SAFE_INTEGER);
    expect(long({ o: '-9223372036854775808' }, 'o')).toBe(Number.MIN_SAFE_INTEGER);
    expect(long({ o: '42' }, 'o')).toBe(42);
    expect(() => long({ o: '9223372036854775808' }, 'o')).toThrow('For input string: "9223372036854775808"');
    expect(exactLong({ g: '9223372036854775807' }, 'g')).toBe(9223372036854775807n);
    expect(exactLong({ g: '1700000000000' }, 'g')).toBe(1700000000000);
    expect(clampToSafe(-(2n ** 60n))).toBe(Number.MIN_SAFE_INTEGER);
  });
});

describe('int64 codec', () => {
  it.each([0, -1, 1700000000000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 53n) + 1n])(
    '%s round-trips exactly',
    (v) => {
      const b = Buffer.alloc(8);
      writeInt64(b, 0, v);
      expect(b.readBigInt64BE(0)).toBe(BigInt(v));
      // Safe values come back as numbers, the others as bigints.
      const back = readInt64Exact(b, 0);
      expect(BigInt(back)).toBe(BigInt(v));
      const safe = BigInt(v) >= BigInt(Number.MIN_SAFE_INTEGER) && BigInt(v) <= BigInt(Number.MAX_SAFE_INTEGER);
      expect(typeof back).toBe(safe ? 'number' : 'bigint');
    },
  );
  it('isInt64 takes integral doubles below 2^63 and bigints in range', () => {
    expect(isInt64(2 ** 62)).toBe(true);
    expect(isInt64(2 ** 63)).toBe(false);
    expect(isInt64(1e308)).toBe(false);
    expect(isInt64(1.5)).toBe(false);
    expect(isInt64(2n ** 63n)).toBe(false);
  });
});

describe('planRecord', () => {
  it('stores Long.MAX_VALUE as bornTimestamp and reads it back exactly', () => {
    const m = msg('T', 1, 'x', { bornTimestamp: 9223372036854775807n });
    const plan = planRecord(m);
    if ('error' in plan) throw new Error(plan.remark);
    const buf = Buffer.alloc(plan.totalSize);
    encodeRecord(buf, 0, m, plan, 3, 100, 1700000000000);
    expect(readBornTimestamp(buf)).toBe(9223372036854775807n);
    expect(decodeRecord(buf).bornTimestamp).toBe(9223372036854775807n);
  });
  it.each([
    ['bornTimestamp', { bornTimestamp: 1e308 }],
    ['bornTimestamp', { bornTimestamp: 2n ** 63n }],
    ['bornTimestamp', { bornTimestamp: 2 ** 63 }],
    ['queueId', { queueId: 2 ** 31 }],
    ['flag', { flag: -(2 ** 31) - 1 }],
    ['sysFlag', { sysFlag: 0.5 }],
    ['reconsumeTimes', { reconsumeTimes: Number.NaN }],
    ['preparedTransactionOffset', { preparedTransactionOffset: 1e19 }],
    ['bornHost port', { bornHost: { ip: '10.0.0.1', port: 2 ** 32 } }],
  ])('refuses an unencodable %s with MESSAGE_ILLEGAL', (name, extra) => {
    const plan = planRecord(msg('T', 0, 'x', extra));
    expect(plan).toEqual({ error: 'MESSAGE_ILLEGAL', remark: expect.stringContaining(name) });
  });
});

describe('delivery properties', () => {
  it('DELAY is an Integer.parseInt: malformed values are reported, not read as 0 or a prefix', () => {
    expect(delayLevelOf('TAGS\u0001a')).toBe(0);
    expect(delayLevelOf('DELAY\u0001+3')).toBe(3);
    expect(delayLevelOf('DELAY\u00013abc')).toEqual({ malformed: '3abc' });
    expect(delayLevelOf('DELAY\u00012147483648')).toEqual({ malformed: '2147483648' });
  });
  it('TIMER_* are Long.parseLong, TIMER_DELAY_SEC first, then TIMER_DELAY_MS, then TIMER_DELIVER_MS', () => {
    const now = 1_800_000_000_000;
    expect(timerDeliverMs('TIMER_DELIVER_MS\u00011\u0002TIMER_DELAY_MS\u0001250\u0002TIMER_DELAY_SEC\u00015', now)).toBe(now + 5000);
    expect(timerDeliverMs('TIMER_DELIVER_MS\u00011\u0002TIMER_DELAY_MS\u0001250', now)).toBe(now + 250);
    expect(timerDeliverMs('TIMER_DELAY_MS\u00011e3', now)).toEqual({ error: expect.stringContaining('TIMER_DELAY_MS=1e3') });
    expect(timerDeliverMs('TIMER_DELAY_SEC\u0001 5', now)).toEqual({ error: expect.stringContaining('not an integer') });
    expect(timerDeliverMs('TIMER_DELIVER_MS\u0001-9223372036854775808', now)).toBeLessThan(now);
  });
});
