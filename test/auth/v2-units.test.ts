/**
 * ACL 2.0 pieces on their own: resource keys as Resource#of reads them, source-IP ranges as
 * IPAddressUtils judges them, Java's small-list sort, and the per-code table (AUTH_CODE_NEEDS) held to
 * the 5.3.3 captures in test/fixtures/auth-v2.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resourceKey, resourceOf, ofGroup, subjectUsername } from '../../src/auth/v2/model.js';
import { ipInRange, isValidIpOrCidr, javaHostAddress } from '../../src/auth/v2/ip-range.js';
import { javaListSort } from '../../src/auth/v2/authorization.js';
import { AUTH_CODE_NEEDS } from '../../src/auth/v2/code-needs.js';
import { HEADER_ACTIONS } from '../../src/auth/v2/header-actions.js';

describe('ACL 2.0 model', () => {
  it('reads resource keys as Resource#of does', () => {
    expect(resourceOf('*')).toEqual({ type: 'Any', name: null, pattern: 'ANY' });
    expect(resourceOf('topic:*')).toEqual({ type: 'Topic', name: null, pattern: 'ANY' });
    expect(resourceOf('Topic:abc')).toEqual({ type: 'Topic', name: 'abc', pattern: 'LITERAL' });
    expect(resourceOf('GROUP:g*x*')).toEqual({ type: 'Group', name: 'g', pattern: 'PREFIXED' });
    expect(resourceOf('Topic')).toEqual({ type: 'Topic', name: '', pattern: 'LITERAL' });
    expect(resourceOf('Queue:x')).toBeUndefined();
    expect(resourceOf('  ')).toBeUndefined();
    expect(['*', 'Topic:*', 'Group:a*', 'Cluster:c'].map((k) => resourceKey(resourceOf(k)!))).toEqual(['*', 'Topic:*', 'Group:a*', 'Cluster:c']);
    expect(resourceKey(ofGroup('%RETRY%cg'))).toBe('Group:cg');
    expect(resourceKey(ofGroup(undefined))).toBe('Group:null');
    expect([subjectUsername('User:bob'), subjectUsername('user:bob'), subjectUsername('Role:x'), subjectUsername('bob')]).toEqual(['bob', 'bob', undefined, undefined]);
  });

  it('judges source IPs as IPAddressUtils does', () => {
    expect(['127.0.0.1', '10.0.0.0/8', '::1', 'fe80::/10', '0.0.0.0/0'].every(isValidIpOrCidr)).toBe(true);
    expect(['1.2.3', '01.2.3.4', '1.2.3.4/33', 'host', '1.2.3.4/x', ''].some(isValidIpOrCidr)).toBe(false);
    expect(ipInRange('127.0.0.1', '127.0.0.1')).toBe(true);
    expect(ipInRange('127.0.0.1', '127.0.0.01')).toBe(false);
    expect(ipInRange('10.200.3.4', '10.0.0.0/8')).toBe(true);
    expect(ipInRange('11.0.0.1', '10.0.0.0/8')).toBe(false);
    expect(ipInRange('192.168.1.77', '192.168.1.64/26')).toBe(true);
    expect(ipInRange('192.168.1.128', '192.168.1.64/26')).toBe(false);
    expect(ipInRange('2001:db8::5', '2001:db8::/32')).toBe(true);
    expect(javaHostAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(javaHostAddress('::1')).toBe('0:0:0:0:0:0:0:1');
  });

  it('sorts as java.util.List#sort does for short lists, inconsistent comparators included', () => {
    // Stable for a consistent comparator.
    const a = [3, 1, 2, 1, 3, 0].map((v, i) => ({ v, i }));
    javaListSort(a, (x, y) => x.v - y.v);
    expect(a.map((x) => `${x.v}${x.i}`)).toEqual(['05', '11', '13', '22', '30', '34']);
    // A comparator that calls the left element smaller whatever it is: TimSort's first-run scan takes the
    // whole list for a strictly descending run and reverses it.
    const b = [5, 4, 3];
    javaListSort(b, () => -1);
    expect(b).toEqual([3, 4, 5]);
  });
});

describe('AUTH_CODE_NEEDS', () => {
  const doc = JSON.parse(fs.readFileSync(new URL('../fixtures/auth-v2/java-cases.json', import.meta.url), 'utf8')) as {
    contextCases: Array<{ code: number; contexts?: unknown[] }>;
  };

  it('lists every code 5.3.3 authorizes, and only codes that can need more than authentication are unmarked', () => {
    const asking = new Set(doc.contextCases.filter((c) => (c.contexts?.length ?? 0) > 0).map((c) => c.code));
    for (const code of asking) expect(AUTH_CODE_NEEDS.has(code), `code ${code}`).toBe(true);
    for (const [code, text] of AUTH_CODE_NEEDS) {
      if (text.startsWith('authenticated only')) expect(asking.has(code), `code ${code}`).toBe(false);
    }
    for (const code of HEADER_ACTIONS.keys()) expect(AUTH_CODE_NEEDS.has(code)).toBe(true);
    expect(AUTH_CODE_NEEDS.get(310)).toContain('Topic:{b} Pub');
    expect(AUTH_CODE_NEEDS.get(3001)).toContain('Cluster:<cluster> Update');
  });
});

describe('auth admin codes without ACL 2.0', () => {
  it('still judges the username, then fails inside the managers as Java without a metadata provider does', async () => {
    const { authCreateUser, authGetUser, authListAcl } = await import('../../src/processors/broker/auth-admin.js');
    const { createRequest } = await import('../../src/remoting/command.js');
    const ctx = {} as Parameters<typeof authCreateUser>[0];
    const blank = authCreateUser(ctx, createRequest(3001, {}, Buffer.from('{}')));
    expect([blank.code, blank.remark]).toEqual([29, 'The username is blank']);
    for (const r of [authCreateUser(ctx, createRequest(3001, { username: 'a' }, Buffer.from('{"password":"p"}'))), authGetUser(ctx, createRequest(3004, { username: 'a' })), authListAcl(ctx, createRequest(3010, {}))]) {
      expect([r.code, r.remark]).toEqual([1, 'An system error occurred, please try again later.']);
    }
    const noBody = authCreateUser(ctx, createRequest(3001, { username: 'a' }));
    expect([noBody.code, noBody.remark]).toEqual([1, 'java.lang.NullPointerException, org.apache.rocketmq.broker.processor.AdminBrokerProcessor.createUser(AdminBrokerProcessor.java:3014)']);
  });
});
