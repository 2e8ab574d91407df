/**
 * ACL 1.0 address patterns against the real rocketmq-acl 4.9.7 RemoteAddressStrategyFactory: every pattern
 * in test/fixtures/acl/patterns.txt, matched against every address of ips.txt (or refused with Java's
 * message), as recorded by test/fixtures/acl/AclCases.java in address-cases.json. A few cases are also
 * spelled out here so the forms stay readable.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addressMatcher } from '../../src/auth/plain/address-strategy.js';
import { expandIP, isValidInet4Address, isValidInet6Address } from '../../src/auth/plain/inet-address.js';

interface Cases {
  ips: string[];
  patterns: Array<{ pattern: string; matches?: Array<boolean | string>; error?: string }>;
}
const cases = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/acl/address-cases.json'), 'utf8')) as Cases;

describe('address patterns as Java builds and matches them', () => {
  it('the fixture covers every form', () => {
    expect(cases.patterns.length).toBeGreaterThan(40);
    expect(cases.patterns.filter((p) => p.error).length).toBeGreaterThan(10);
  });

  for (const c of cases.patterns) {
    it(`pattern ${JSON.stringify(c.pattern)}`, () => {
      if (c.error !== undefined) {
        expect(() => addressMatcher(c.pattern)).toThrowError(c.error);
        return;
      }
      const m = addressMatcher(c.pattern);
      const got = cases.ips.map((ip) => m(ip));
      const want = c.matches!.map((v) => v === true);
      expect(Object.fromEntries(cases.ips.map((ip, i) => [ip, got[i]]))).toEqual(Object.fromEntries(cases.ips.map((ip, i) => [ip, want[i]])));
    });
  }
});

describe('address forms, spelled out', () => {
  it('blank matches nothing; the three all-star forms match all', () => {
    expect(addressMatcher('')('127.0.0.1')).toBe(false);
    expect(addressMatcher(null)('127.0.0.1')).toBe(false);
    for (const p of ['*', '*.*.*.*', '*:*:*:*:*:*:*:*']) expect(addressMatcher(p)('8.8.8.8')).toBe(true);
  });
  it('brace list, comma list, range, exact', () => {
    expect(addressMatcher('10.0.0.{1,5}')('10.0.0.5')).toBe(true);
    expect(addressMatcher('10.0.0.{1,5}')('10.0.0.6')).toBe(false);
    expect(addressMatcher('10.0.0.1,10.0.0.7')('10.0.0.7')).toBe(true);
    expect(addressMatcher('10.0.0.10-20')('10.0.0.20')).toBe(true);
    expect(addressMatcher('10.0.0.10-20')('10.0.0.21')).toBe(false);
    expect(addressMatcher('10.0.*.*')('10.0.77.1')).toBe(true);
    expect(addressMatcher('10.0.0.1')('10.0.0.1')).toBe(true);
    expect(addressMatcher('::1')('0:0:0:0:0:0:0:1')).toBe(true);
    expect(addressMatcher('1050::5:600:300c:1-ff')('1050:0:0:0:5:600:300c:a0')).toBe(true);
  });
  it('commons-validator address rules and expandIP', () => {
    expect(isValidInet4Address('1.2.3.4')).toBe(true);
    expect(isValidInet4Address('01.2.3.4')).toBe(false);
    expect(isValidInet6Address('::ffff:1.2.3.4')).toBe(true);
    expect(isValidInet6Address('1::2::3')).toBe(false);
    expect(expandIP('1050::5:600:300c:326b', 8)).toBe('1050:0000:0000:0000:0005:0600:300C:326B');
  });
});
