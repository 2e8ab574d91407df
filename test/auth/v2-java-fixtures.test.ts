/**
 * ACL 2.0 decisions held to what the real 5.3.3 classes decide, captured by
 * test/fixtures/auth-v2/CaptureAuth.java (which says how to re-run it):
 *  - the authorization contexts of 1,224 requests (every code DefaultAuthorizationContextBuilder covers,
 *    random extFields and bodies), or its "parse authorization context error.";
 *  - the deciding policy entry of 400 random ACLs (AclAuthorizationHandler#matchPolicyEntries, whose
 *    sort order has quirks that only reproducing Java's sort algorithm gets right).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRequest } from '../../src/remoting/command.js';
import { buildContexts } from '../../src/auth/v2/context-builder.js';
import { decidingEntry } from '../../src/auth/v2/authorization.js';
import { AuthorizationError } from '../../src/auth/v2/errors.js';
import { PROJECT_CLUSTER_RULES } from '../../src/auth/v2/project-rules.js';
import { ACTIONS, DECISIONS, byName, resourceKey, resourceOf, type Acl, type Action, type PolicyEntry } from '../../src/auth/v2/model.js';

interface JavaContext { subject?: string; resource: string; actions: string[] }
interface ContextCase { code: number; extFields?: Record<string, string>; body?: string; contexts?: JavaContext[]; error?: string }
interface EntryCase { resource: string; actions: string[]; sourceIps?: string[]; decision: string }
interface MatchCase { Custom: EntryCase[]; Default: EntryCase[]; asked: string; actions: string[]; winner?: string }

const doc = JSON.parse(fs.readFileSync(new URL('../fixtures/auth-v2/java-cases.json', import.meta.url), 'utf8')) as {
  contextCases: ContextCase[];
  matchCases: MatchCase[];
};

/** Java collects HEART_BEAT consumers and lock queues in HashSets: their order is the set's, not the body's. */
const UNORDERED = new Set([34, 41, 42]);
const key = (c: JavaContext) => `${c.subject}|${c.resource}|${c.actions.join('/')}`;

describe('ACL 2.0 against 5.3.3 captures', () => {
  it('builds the same authorization contexts as DefaultAuthorizationContextBuilder', () => {
    expect(doc.contextCases.length).toBeGreaterThan(1000);
    for (const c of doc.contextCases) {
      const req = createRequest(c.code, c.extFields, c.body === undefined ? undefined : Buffer.from(c.body, 'utf8'));
      const what = `code ${c.code} ${JSON.stringify(c.extFields)} ${c.body}`;
      if (c.error !== undefined) {
        expect(() => buildContexts(req, '127.0.0.1', 'DefaultCluster'), what).toThrow(new AuthorizationError(c.error));
        continue;
      }
      const ours: JavaContext[] = buildContexts(req, '127.0.0.1', 'DefaultCluster').map((x) => ({
        ...(x.username === undefined ? {} : { subject: `User:${x.username}` }),
        resource: resourceKey(x.resource),
        actions: [...x.actions],
      }));
      // Where 5.3.3 asks nothing of a code that changes broker-wide state, this project asks for the action on
      // the cluster (src/auth/v2/project-rules.ts): that one context, and only it, is expected beyond Java's.
      const projectRule = PROJECT_CLUSTER_RULES.get(c.code);
      const subject = c.extFields?.AccessKey === undefined ? {} : { subject: `User:${c.extFields.AccessKey}` };
      const expected = projectRule && c.contexts!.length === 0 ? [{ ...subject, resource: 'Cluster:DefaultCluster', actions: [...projectRule] }] : c.contexts;
      if (UNORDERED.has(c.code)) expect(ours.map(key).sort(), what).toEqual(expected!.map(key).sort());
      else expect(ours, what).toEqual(expected);
    }
  });

  it('picks the same deciding policy entry as AclAuthorizationHandler', () => {
    const entry = (e: EntryCase): PolicyEntry => ({
      resource: resourceOf(e.resource)!,
      actions: e.actions.map((a) => byName(ACTIONS, a)!),
      sourceIps: e.sourceIps,
      decision: byName(DECISIONS, e.decision)!,
    });
    let decided = 0;
    for (const c of doc.matchCases) {
      const custom = c.Custom.map(entry);
      const deflt = c.Default.map(entry);
      const acl: Acl = { subject: 'User:u1', policies: [{ policyType: 'Custom', entries: custom }, { policyType: 'Default', entries: deflt }] };
      const ctx = { username: 'u1', resource: resourceOf(c.asked)!, actions: c.actions as Action[], sourceIp: '127.0.0.1' };
      const won = decidingEntry(ctx, acl);
      const ours = won === undefined ? undefined : custom.includes(won) ? `Custom:${custom.indexOf(won)}` : `Default:${deflt.indexOf(won)}`;
      expect(ours, JSON.stringify(c)).toBe(c.winner);
      if (ours) decided++;
    }
    expect(decided).toBeGreaterThan(100);
  });
});
