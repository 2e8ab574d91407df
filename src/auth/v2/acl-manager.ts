import {
  type Acl, type Action, type Decision, type Policy, type PolicyEntry, type PolicyType, type Resource, resourceKey, sameResource,
  userSubjectKey,
} from './model.js';
import { AuthorizationError } from './errors.js';
import { isValidIpOrCidr } from './ip-range.js';
import type { UserStore } from './user-store.js';
import type { AclStore } from './acl-store.js';

/** An ACL as a request describes it, before validation (AclConverter#convertAcl's result). */
export interface EntryDraft {
  resource?: Resource;
  actions: Action[];
  sourceIps?: string[];
  decision?: Decision;
}
export interface PolicyDraft {
  policyType?: PolicyType;
  entries: EntryDraft[];
}
export interface AclDraft {
  /** The user the subject key names; undefined when the key names no user (Subject.of gave null). */
  username?: string;
  policies: PolicyDraft[];
}

/**
 * ACL administration with 5.3.3's rules and messages (AuthorizationMetadataManagerImpl, Acl, Policy):
 * create and update both merge into an existing ACL (a policy of the same type takes the new entries,
 * an entry for the same resource is replaced); delete removes one resource's entry, or the whole ACL.
 * A draft without a subject throws a TypeError: Java fails with a NullPointerException there, which
 * the admin codes answer as a system error.
 */
export class AclManager {
  constructor(private readonly users: UserStore, private readonly acls: AclStore) {}

  /** createAcl and updateAcl do the same in 5.3.3. */
  upsert(draft: AclDraft): void {
    if (draft.username === undefined) throw new TypeError('the acl has no subject');
    const policies = validate(draft);
    const subject = userSubjectKey(draft.username);
    if (!this.users.get(draft.username)) throw new AuthorizationError(`The subject of ${subject} is not exist.`);
    const old = this.acls.get(subject);
    if (!old) {
      this.acls.put({ subject, policies }, 'create Acl to RocksDB failed.');
      return;
    }
    for (const policy of policies) {
      const mine = old.policies.find((p) => p.policyType === policy.policyType);
      if (!mine) {
        old.policies.push(policy);
        continue;
      }
      for (const entry of policy.entries) {
        const same = mine.entries.find((e) => sameResource(e.resource, entry.resource));
        if (!same) mine.entries.push(entry);
        else Object.assign(same, { actions: entry.actions, sourceIps: entry.sourceIps, decision: entry.decision });
      }
    }
    this.acls.put(old, 'update Acl to RocksDB failed.');
  }

  delete(username: string | undefined, policyType: PolicyType | undefined, resource: Resource | undefined): void {
    if (username === undefined) throw new AuthorizationError('The subject is null.');
    const type = policyType ?? 'Custom';
    const subject = userSubjectKey(username);
    if (!this.users.get(username)) throw new AuthorizationError('The subject is not exist.');
    const acl = this.acls.get(subject);
    if (!acl) throw new AuthorizationError('The acl is not exist.');
    if (resource) {
      const policy = acl.policies.find((p) => p.policyType === type);
      if (policy) {
        const i = policy.entries.findIndex((e) => sameResource(e.resource, resource));
        if (i >= 0) policy.entries.splice(i, 1);
        if (policy.entries.length === 0) acl.policies.splice(acl.policies.indexOf(policy), 1);
      }
    }
    if (!resource || acl.policies.length === 0) this.acls.delete(subject);
    else this.acls.put(acl, 'update Acl to RocksDB failed.');
  }

  get(username: string | undefined): Acl | undefined {
    if (username === undefined) throw new TypeError('no subject');
    if (!this.users.get(username)) throw new AuthorizationError('The subject is not exist.');
    return this.acls.get(userSubjectKey(username));
  }

  /**
   * LocalAuthorizationMetadataProvider#listAcl: subjects whose key contains `subjectFilter`; with a
   * `resourceFilter`, only the entries whose resource key contains it, except in an ACL whose subject key
   * contains it (5.3.3 tests the subject key there); policies and ACLs left empty are dropped.
   */
  list(subjectFilter?: string, resourceFilter?: string): Acl[] {
    const has = (s?: string): s is string => s !== undefined && s.trim() !== '';
    const out: Acl[] = [];
    for (const acl of this.acls.list()) {
      if (has(subjectFilter) && !acl.subject.includes(subjectFilter)) continue;
      const policies = acl.policies.filter((p) => {
        if (p.entries.length === 0) return true;
        if (has(resourceFilter) && !acl.subject.includes(resourceFilter)) {
          p.entries = p.entries.filter((e) => resourceKey(e.resource).includes(resourceFilter));
        }
        return p.entries.length > 0;
      });
      if (policies.length > 0) out.push({ subject: acl.subject, policies });
    }
    return out;
  }
}

/** AuthorizationMetadataManagerImpl#validate, then initAcl (a policy without a type is Custom). */
function validate(draft: AclDraft): Policy[] {
  if (draft.policies.length === 0) throw new AuthorizationError('The policies is empty.');
  return draft.policies.map((p) => {
    if (p.entries.length === 0) throw new AuthorizationError('The policy entries is empty.');
    return { policyType: p.policyType ?? 'Custom', entries: p.entries.map(validateEntry) };
  });
}

function validateEntry(e: EntryDraft): PolicyEntry {
  if (!e.resource) throw new AuthorizationError('The resource is null.');
  if (e.actions.length === 0) throw new AuthorizationError('The actions is empty.');
  if (e.actions.includes('Any')) throw new AuthorizationError('The actions can not be Any.');
  for (const ip of e.sourceIps ?? []) {
    if (ip.trim() === '') throw new AuthorizationError('The source ip is empty.');
    if (!isValidIpOrCidr(ip)) throw new AuthorizationError('The source ip is invalid.');
  }
  if (!e.decision) throw new AuthorizationError('The decision is null or illegal.');
  const entry: PolicyEntry = { resource: e.resource, actions: [...e.actions], decision: e.decision };
  if (e.sourceIps && e.sourceIps.length > 0) entry.sourceIps = [...e.sourceIps];
  return entry;
}
