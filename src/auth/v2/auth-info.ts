import { parseFastJson } from '../../codec/fastjson.js';
import {
  ACTIONS, DECISIONS, POLICY_TYPES, USER_STATUSES, USER_TYPES, byName, resourceKey, resourceOf, subjectUsername,
  type Acl, type Action, type User,
} from './model.js';
import type { AclDraft, EntryDraft, PolicyDraft } from './acl-manager.js';

/**
 * The admin bodies of 5.3.3 remoting (protocol/body/UserInfo, AclInfo with PolicyInfo and
 * PolicyEntryInfo) and the broker's converters (broker/auth/converter/UserConverter, AclConverter).
 * Output goes through fastjson (sorted properties, nulls left out), as AdminBrokerProcessor writes it.
 */

/** A body Java would decode into a bean, or a fastjson error: what RemotingSerializable#decode throws. */
export class BodyError extends Error {
  override name = 'com.alibaba.fastjson.JSONException';
}

/** RemotingSerializable#decode: null for no body, a bean for an object, an error for anything else. */
export function decodeBean(body: Buffer | undefined): Record<string, unknown> | null {
  if (!body) return null;
  let v: unknown;
  try {
    v = parseFastJson(body.toString('utf8'));
  } catch (e) {
    throw new BodyError((e as Error).message);
  }
  if (v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new BodyError('syntax error, expect {');
  return v as Record<string, unknown>;
}

/** A bean's String property: fastjson turns a number or boolean into its text. */
const text = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : String(v));

function textList(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new BodyError('syntax error, expect [');
  return v.map((x) => text(x) ?? 'null');
}

/** UserConverter#convertUser(UserInfo): unknown type or status names become unset. */
export function userFromInfo(info: Record<string, unknown>, username: string): User {
  return {
    username,
    password: text(info.password),
    userType: byName(USER_TYPES, info.userType),
    userStatus: byName(USER_STATUSES, info.userStatus),
  };
}

/** UserConverter#convertUser(User) → UserInfo (the password included, as Java sends it). */
export function userInfo(u: User): Record<string, string | undefined> {
  return { username: u.username, password: u.password, userType: u.userType, userStatus: u.userStatus };
}

/**
 * AclConverter#convertAcl(AclInfo): the subject key names a user or nothing; a policy without entries
 * is skipped; unknown action names are dropped; an entry without an action list fails as Java's
 * NullPointerException does (a TypeError here).
 */
export function aclDraftFromInfo(info: Record<string, unknown>): AclDraft {
  const policies: PolicyDraft[] = [];
  for (const raw of asObjects(info.policies)) {
    const entriesInfo = raw.entries === undefined || raw.entries === null ? [] : asObjects(raw.entries);
    if (entriesInfo.length === 0) continue;
    const entries: EntryDraft[] = entriesInfo.map((e) => {
      const actionNames = textList(e.actions);
      if (!actionNames) throw new TypeError('PolicyEntryInfo.actions is null');
      const sourceIps = textList(e.sourceIps);
      return {
        resource: resourceOf(text(e.resource)),
        actions: actionNames.map((a) => byName(ACTIONS, a)).filter((a): a is Action => a !== undefined),
        sourceIps: sourceIps && sourceIps.length > 0 ? sourceIps : undefined,
        decision: byName(DECISIONS, e.decision),
      };
    });
    policies.push({ policyType: byName(POLICY_TYPES, raw.policyType), entries });
  }
  return { username: subjectUsername(text(info.subject)), policies };
}

function asObjects(v: unknown): Array<Record<string, unknown>> {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new BodyError('syntax error, expect [');
  return v.map((x) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new BodyError('syntax error, expect {');
    return x as Record<string, unknown>;
  });
}

/** AclConverter#convertAcl(Acl) → AclInfo. */
export function aclInfo(acl: Acl): Record<string, unknown> {
  return {
    subject: acl.subject,
    policies: acl.policies.map((p) => ({
      policyType: p.policyType,
      entries: p.entries.map((e) => ({
        resource: resourceKey(e.resource),
        actions: e.actions.length > 0 ? e.actions : undefined,
        sourceIps: e.sourceIps,
        decision: e.decision,
      })),
    })),
  };
}

/** `aclInfo.policies` present and not empty (the processors' "The body of acl is null" check). */
export function hasPolicies(info: Record<string, unknown> | null): info is Record<string, unknown> {
  return info !== null && Array.isArray(info.policies) && info.policies.length > 0;
}

export const policyTypeByName = (name: string | undefined) => byName(POLICY_TYPES, name);
