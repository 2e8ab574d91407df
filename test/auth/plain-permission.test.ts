/**
 * ACL 1.0 permission text and bits (Permission, 4.9.7), account building (short keys, bad perm entries),
 * the per-code needs table, and java.util.HashMap's iteration order (which decides the reported resource
 * when several are refused), the latter against test/fixtures/acl/hash-order.json from AclCases.java.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Perm, checkResourcePerms, parsePerm, parseResourcePerms, permits } from '../../src/auth/plain/permission.js';
import { javaHashMapOrder, javaStringHash, splitChars } from '../../src/auth/plain/java-text.js';
import { buildAccount, type AccountConfig } from '../../src/auth/plain/account.js';
import { PLAIN_ADMIN_CODES, PLAIN_CODE_NEEDS, PLAIN_DEFAULT_NEED, requestNeeds } from '../../src/auth/plain/code-needs.js';

const order = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/acl/hash-order.json'), 'utf8')) as Array<{ in: string[]; order: string[] }>;

const cfg = (over: Partial<AccountConfig> = {}): AccountConfig => ({
  accessKey: 'RocketMQ', secretKey: '12345678', whiteRemoteAddress: null, admin: false,
  defaultTopicPerm: null, defaultGroupPerm: null, topicPerms: null, groupPerms: null, ...over,
});

describe('permission text', () => {
  it('parses PUB, SUB, PUB|SUB, SUB|PUB, DENY; anything else and nothing is DENY', () => {
    expect(parsePerm('PUB')).toBe(Perm.PUB);
    expect(parsePerm(' SUB ')).toBe(Perm.SUB);
    expect(parsePerm('PUB|SUB')).toBe(Perm.PUB | Perm.SUB);
    expect(parsePerm('SUB|PUB')).toBe(Perm.PUB | Perm.SUB);
    expect(parsePerm('DENY')).toBe(Perm.DENY);
    expect(parsePerm('pub')).toBe(Perm.DENY);
    expect(parsePerm('ANY')).toBe(Perm.DENY);
    expect(parsePerm(null)).toBe(Perm.DENY);
  });
  it('checks bits: owned DENY refuses all, ANY wants PUB or SUB, otherwise a shared bit', () => {
    expect(permits(Perm.PUB, Perm.PUB | Perm.SUB)).toBe(true);
    expect(permits(Perm.SUB, Perm.PUB)).toBe(false);
    expect(permits(Perm.PUB, Perm.DENY | Perm.PUB)).toBe(false);
    expect(permits(Perm.ANY, Perm.SUB)).toBe(true);
    expect(permits(Perm.ANY, Perm.DENY)).toBe(false);
  });
  it('name=PERM entries: groups under %RETRY%, bad entries refused with Java text', () => {
    const m = new Map<string, number>();
    parseResourcePerms(m, true, ['topicA=PUB', ' topicB = SUB|PUB ', 'topicC==DENY']);
    parseResourcePerms(m, false, ['groupA=SUB']);
    expect([...m]).toEqual([['topicA', Perm.PUB], ['topicB', Perm.PUB | Perm.SUB], ['topicC', Perm.DENY], ['%RETRY%groupA', Perm.SUB]]);
    expect(() => parseResourcePerms(m, true, ['topicA'])).toThrowError('Parse resource permission failed for topic:topicA');
    expect(() => parseResourcePerms(m, false, ['a=b=c'])).toThrowError('Parse resource permission failed for group:a=b=c');
    expect(() => checkResourcePerms(['x'])).toThrowError("Parse Resource format error for x.\nThe expected resource format is 'Res=Perm'. For example: topicA=SUB");
    expect(() => checkResourcePerms(['x=ALL'])).toThrowError("Parse resource permission error for x=ALL.\nThe expected permissions are 'SUB' or 'PUB' or 'SUB|PUB' or 'PUB|SUB'.");
    expect(() => checkResourcePerms(['x=DENY', 'y=PUB'])).not.toThrow();
  });
  it('StringUtils.split drops empty tokens', () => {
    expect(splitChars('=a==b=', '=')).toEqual(['a', 'b']);
    expect(splitChars('', ',')).toEqual([]);
  });
});

describe('accounts', () => {
  it('keys must be longer than 6 characters', () => {
    expect(() => buildAccount(cfg({ accessKey: 'short' }))).toThrowError('The accessKey=short and secretKey=12345678 cannot be null and length should longer than 6');
    expect(() => buildAccount(cfg({ secretKey: '123456' }))).toThrowError('The accessKey=RocketMQ and secretKey=123456 cannot be null and length should longer than 6');
    expect(() => buildAccount(cfg({ secretKey: null }))).toThrowError('The accessKey=RocketMQ and secretKey=null cannot be null');
    expect(() => buildAccount(cfg({ accessKey: '1234567', secretKey: '1234567' }))).not.toThrow();
  });
  it('missing default perms are DENY; no listed perms is no map', () => {
    const a = buildAccount(cfg());
    expect(a.defaultTopicPerm).toBe(Perm.DENY);
    expect(a.defaultGroupPerm).toBe(Perm.DENY);
    expect(a.perms).toBeUndefined();
    const b = buildAccount(cfg({ defaultTopicPerm: 'PUB', groupPerms: ['g=SUB'] }));
    expect(b.defaultTopicPerm).toBe(Perm.PUB);
    expect(b.perms?.get('%RETRY%g')).toBe(Perm.SUB);
  });
  it('a bad whiteRemoteAddress refuses the account', () => {
    expect(() => buildAccount(cfg({ whiteRemoteAddress: '1.2.3' }))).toThrowError('Netaddress examine Exception netaddress is 1.2.3');
  });
});

describe('java.util.HashMap order', () => {
  it('String.hashCode', () => {
    expect(javaStringHash('Aa')).toBe(javaStringHash('BB'));
    expect(javaStringHash('TopicTest')).toBe(-1902610879); // "TopicTest".hashCode() on JDK 17
  });
  for (const c of order) {
    it(`${c.in.length} keys iterate as Java's HashMap does`, () => {
      expect(javaHashMapOrder(c.in)).toEqual(c.order);
    });
  }
});

describe('per-code needs (PlainAccessValidator.parse)', () => {
  const needs = (code: number, f: Record<string, string>, body?: Buffer) => [...(requestNeeds(code, f, body) ?? new Map())];
  it('SEND_MESSAGE / SEND_MESSAGE_V2: topic PUB; a retry topic needs the group SUB', () => {
    expect(needs(10, { topic: 'T' })).toEqual([['T', Perm.PUB]]);
    expect(needs(10, { topic: '%RETRY%g' })).toEqual([]);
    expect(needs(10, { topic: '%RETRY%g', group: 'g' })).toEqual([['%RETRY%g', Perm.SUB]]);
    expect(needs(310, { b: 'T', a: 'pg' })).toEqual([['T', Perm.PUB]]);
    expect(needs(310, { b: '%RETRY%cg', a: 'cg' })).toEqual([['%RETRY%cg', Perm.SUB]]);
  });
  it('consumer codes', () => {
    expect(needs(36, { group: 'g' })).toEqual([['%RETRY%g', Perm.SUB]]);
    expect(needs(11, { topic: 'T', consumerGroup: 'g' })).toEqual([['T', Perm.SUB], ['%RETRY%g', Perm.SUB]]);
    expect(needs(12, { topic: 'T' })).toEqual([['T', Perm.SUB]]);
    expect(needs(35, { clientID: 'c', consumerGroup: 'g' })).toEqual([['%RETRY%g', Perm.SUB]]);
    expect(needs(35, { clientID: 'c', producerGroup: 'p' })).toEqual([]);
    expect(needs(38, { consumerGroup: 'g' })).toEqual([['%RETRY%g', Perm.SUB]]);
    expect(needs(15, { consumerGroup: 'g', topic: 'T', queueId: '0', commitOffset: '1' })).toEqual([['%RETRY%g', Perm.SUB], ['T', Perm.SUB]]);
    expect(needs(14, { consumerGroup: 'g', topic: 'T' })).toEqual([]);
  });
  it('HEART_BEAT: consumer groups and subscribed topics, not producer groups', () => {
    const body = Buffer.from(JSON.stringify({
      clientID: 'c', producerDataSet: [{ groupName: 'pg' }],
      consumerDataSet: [{ groupName: 'cg', subscriptionDataSet: [{ topic: 'T1' }, { topic: '%RETRY%cg' }] }, { groupName: 'cg2', subscriptionDataSet: [] }],
    }));
    expect(needs(34, {}, body)).toEqual([['%RETRY%cg', Perm.SUB], ['T1', Perm.SUB], ['%RETRY%cg2', Perm.SUB]]);
    expect(() => needs(34, {}, undefined)).toThrowError('Cannot read the array length because "bytes" is null');
    expect(() => needs(34, {}, Buffer.from('null'))).toThrowError('because "heartbeatData" is null');
  });
  it('the table names every resource code, the admin codes, and the default', () => {
    for (const code of [10, 310, 36, 11, 12, 34, 35, 38, 15]) expect(PLAIN_CODE_NEEDS.get(code)).toMatch(/SUB|PUB/);
    for (const code of [320, 361]) expect(PLAIN_CODE_NEEDS.get(code)).toMatch(/added by rocketmq-ts/);
    for (const code of [17, 25, 215, 200, 207, 50, 51, 53, 54, 401, 306, 316, 329]) {
      expect(PLAIN_ADMIN_CODES.has(code)).toBe(true);
      expect(PLAIN_CODE_NEEDS.get(code)).toMatch(/^admin: true/);
    }
    expect(PLAIN_ADMIN_CODES.has(52)).toBe(false);
    expect(PLAIN_CODE_NEEDS.has(14)).toBe(false);
    expect(PLAIN_DEFAULT_NEED).toBe('valid signature');
  });
});
