import { describe, test, expect } from 'vitest';
import { parseProperties, propertiesToString, getProperty, javaStringHash } from '../../src/codec/message-properties.js';
import { storedProperties } from '../../src/processors/broker/send-message.js';
import { decodeBatch } from '../../src/codec/message-batch.js';

const P = (...kv: string[]): string => {
  const items: string[] = [];
  for (let i = 0; i < kv.length; i += 2) items.push(`${kv[i]}\u0001${kv[i + 1]}`);
  return items.join('\u0002');
};

describe('properties string', () => {
  test('parse drops empty keys/values and tolerates a trailing separator (Go)', () => {
    const m = parseProperties('A\u00011\u0002\u0001x\u0002B\u0001\u0002C\u0001v=w\u0002');
    expect([...m]).toEqual([['A', '1'], ['C', 'v=w']]);
    expect(propertiesToString(m)).toBe(P('A', '1', 'C', 'v=w'));
  });

  test('getProperty finds only whole keys', () => {
    const s = P('XTAGS', 'no', 'TAGS', 'TagA', 'KEYS', 'k1 k2');
    expect(getProperty(s, 'TAGS')).toBe('TagA');
    expect(getProperty(s, 'KEYS')).toBe('k1 k2');
    expect(getProperty(s, 'AGS')).toBeUndefined();
  });

  test('getProperty: a repeated key reads as its last non-empty value (the Java HashMap rule), as parseProperties', () => {
    const s = P('TAGS', 'a', 'KEYS', 'k1', 'TAGS', 'b', 'KEYS', 'k2', 'TAGS', '') + '\u0002';
    expect(getProperty(s, 'TAGS')).toBe('b');
    expect(getProperty(s, 'KEYS')).toBe('k2');
    expect(parseProperties(s).get('TAGS')).toBe('b');
    expect(getProperty(P('A', 'x\u0001TAGS', 'TAGS', ''), 'TAGS')).toBeUndefined();
    expect(getProperty('TAGS\u0001', 'TAGS')).toBeUndefined();
    expect(getProperty('', 'TAGS')).toBeUndefined();
  });

  test('Java String.hashCode: known values', () => {
    // "TagA".hashCode() == 2598919 and "TagB" == 2598920 (the codeSet a Java 4.9.8 consumer sends in its HeartbeatData)
    expect(javaStringHash('TagA')).toBe(2598919);
    expect(javaStringHash('TagB')).toBe(2598920);
    expect(javaStringHash('')).toBe(0);
    // values printed by the JVM (String.hashCode over UTF-16 code units, 32-bit wrap)
    expect(javaStringHash('中文标签')).toBe(622041809);
    expect(javaStringHash('TagA || TagB')).toBe(1359775119);
    expect(javaStringHash('😀tag')).toBe(1276941143);
  });

  test('stored properties: WAIT removed, CLUSTER appended (single message)', () => {
    expect(storedProperties(P('TAGS', 'a', 'WAIT', 'true', 'UNIQ_KEY', 'u'), undefined, 'C1')).toBe(P('TAGS', 'a', 'UNIQ_KEY', 'u', 'CLUSTER', 'C1'));
    expect(storedProperties(P('TAGS', 'a') + '\u0002', undefined, 'C1')).toBe(P('TAGS', 'a', 'CLUSTER', 'C1'));
    expect(storedProperties('', undefined, 'C1')).toBe(P('CLUSTER', 'C1'));
  });

  test('stored properties: WAIT cut out by position gives what the map gives, wherever it stands', () => {
    const viaMap = (props: string, cluster: string): string => {
      const m = parseProperties(props);
      m.delete('WAIT');
      m.set('CLUSTER', cluster);
      return propertiesToString(m);
    };
    const entries = [['TAGS', 'a'], ['KEYS', 'k1 k2'], ['UNIQ_KEY', 'AC11000100002A9F0000000000000001'], ['XWAIT', 'x']];
    for (let at = 0; at <= entries.length; at++) {
      for (const wait of ['true', 'false']) {
        const kv = [...entries.slice(0, at), ['WAIT', wait], ...entries.slice(at)].flat();
        for (const props of [P(...kv), P(...kv) + '\u0002']) expect(storedProperties(props, undefined, 'C1')).toBe(viaMap(props, 'C1'));
      }
    }
    expect(storedProperties(P('WAIT', 'true'), undefined, 'C1')).toBe(P('CLUSTER', 'C1'));
    // Repeated WAIT or a CLUSTER already there: the map decides.
    expect(storedProperties(P('WAIT', 'true', 'A', '1', 'WAIT', 'false'), undefined, 'C1')).toBe(P('A', '1', 'CLUSTER', 'C1'));
    expect(storedProperties(P('CLUSTER', 'old', 'WAIT', 'true'), undefined, 'C1')).toBe(P('CLUSTER', 'C1'));
  });

  test('stored properties: batch item keeps its own, then batch-level ones plus CLUSTER', () => {
    expect(storedProperties(P('KEYS', 'k'), P('WAIT', 'true'), 'C')).toBe(P('KEYS', 'k', 'WAIT', 'true', 'CLUSTER', 'C'));
  });
});

describe('batch body', () => {
  const item = (flag: number, body: string, props: string): Buffer => {
    const b = Buffer.from(body);
    const p = Buffer.from(props);
    const buf = Buffer.alloc(20 + b.length + 2 + p.length);
    buf.writeInt32BE(buf.length, 0);
    buf.writeInt32BE(flag, 12);
    buf.writeInt32BE(b.length, 16);
    b.copy(buf, 20);
    buf.writeInt16BE(p.length, 20 + b.length);
    p.copy(buf, 22 + b.length);
    return buf;
  };

  test('decodes consecutive messages', () => {
    const items = decodeBatch(Buffer.concat([item(1, 'one', P('TAGS', 't1')), item(2, '', ''), item(3, 'três', P('K', 'v'))]));
    expect(items.map((i) => [i.flag, i.body.toString(), i.properties])).toEqual([
      [1, 'one', P('TAGS', 't1')],
      [2, '', ''],
      [3, 'três', P('K', 'v')],
    ]);
  });

  test('rejects truncated or inconsistent sizes with a reason', () => {
    const good = item(1, 'abc', 'x');
    expect(() => decodeBatch(good.subarray(0, good.length - 1))).toThrow(/bad size/);
    const bad = Buffer.from(good);
    bad.writeInt32BE(1000, 16);
    expect(() => decodeBatch(bad)).toThrow(/bad body length/);
  });
});
