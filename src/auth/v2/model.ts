/**
 * ACL 2.0 users and ACL policies as 5.3.3 models them (auth/authentication/model, auth/authorization/model
 * and the enums of common/action and common/resource). Names are the Java enums' `getName()` values,
 * which is what the wire bodies (UserInfo, AclInfo) and the refusal remarks carry.
 */

/** Action#getName, by code order. `Any` is only ever asked for, never granted (the manager refuses it). */
export const ACTIONS = ['Unknown', 'All', 'Any', 'Pub', 'Sub', 'Create', 'Update', 'Delete', 'Get', 'List'] as const;
export type Action = (typeof ACTIONS)[number];

export const RESOURCE_TYPES = ['Unknown', 'Any', 'Cluster', 'Namespace', 'Topic', 'Group'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export type ResourcePattern = 'ANY' | 'LITERAL' | 'PREFIXED';

export const DECISIONS = ['Allow', 'Deny'] as const;
export type Decision = (typeof DECISIONS)[number];

export const POLICY_TYPES = ['Custom', 'Default'] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

export const USER_TYPES = ['Super', 'Normal'] as const;
export type UserType = (typeof USER_TYPES)[number];

/** UserStatus#getName is lower case, unlike the other enums. */
export const USER_STATUSES = ['enable', 'disable'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** The enums' `getByName`: case-insensitive (StringUtils.equalsIgnoreCase), undefined when nothing matches. */
export function byName<T extends string>(values: readonly T[], name: unknown): T | undefined {
  if (typeof name !== 'string') return undefined;
  const lower = name.toLowerCase();
  return values.find((v) => v.toLowerCase() === lower);
}

export interface User {
  username: string;
  password?: string;
  userType?: UserType;
  userStatus?: UserStatus;
}

/** A resource name is null for the ANY pattern (and for a request field that was absent). */
export interface Resource {
  type: ResourceType;
  name: string | null;
  pattern: ResourcePattern;
}

export interface PolicyEntry {
  resource: Resource;
  actions: Action[];
  /** Environment#sourceIps: IPs or CIDRs; empty or absent matches every address. */
  sourceIps?: string[];
  decision: Decision;
}

export interface Policy {
  policyType: PolicyType;
  entries: PolicyEntry[];
}

/** One subject's policies; `subject` is the subject key (`User:<name>`), the store's key. */
export interface Acl {
  subject: string;
  policies: Policy[];
}

const RETRY_PREFIX = '%RETRY%';

/** NamespaceUtil#isRetryTopic: not blank and starts with %RETRY%. */
export function isRetryTopic(name: string | null | undefined): boolean {
  return typeof name === 'string' && name.trim() !== '' && name.startsWith(RETRY_PREFIX);
}

export const ofTopic = (name: string | null | undefined): Resource => ({ type: 'Topic', name: name ?? null, pattern: 'LITERAL' });
export const ofCluster = (name: string | null | undefined): Resource => ({ type: 'Cluster', name: name ?? null, pattern: 'LITERAL' });

/** Resource#ofGroup: a retry topic names its group (NamespaceUtil#withOutRetryAndDLQ strips the prefix). */
export function ofGroup(name: string | null | undefined): Resource {
  const n = name ?? null;
  return { type: 'Group', name: isRetryTopic(n) ? n!.slice(RETRY_PREFIX.length) : n, pattern: 'LITERAL' };
}

/**
 * Resource#of(resourceKey): `*` is any resource; `Type:name`, `Type:*` (any of the type) and
 * `Type:prefix*` (PREFIXED); the type is matched case-insensitively; an unknown type or a blank key is
 * undefined (which the ACL manager reports as "The resource is null.").
 */
export function resourceOf(key: string | null | undefined): Resource | undefined {
  if (typeof key !== 'string' || key.trim() === '') return undefined;
  if (key === '*') return { type: 'Any', name: null, pattern: 'ANY' };
  const colon = key.indexOf(':');
  const type = byName(RESOURCE_TYPES, colon < 0 ? key : key.slice(0, colon));
  if (!type) return undefined;
  let name = colon < 0 ? '' : key.slice(colon + 1);
  if (name === '*') return { type, name: null, pattern: 'ANY' };
  if (name.endsWith('*')) {
    // StringUtils.substringBefore(name, "*"): up to the FIRST asterisk.
    name = name.slice(0, name.indexOf('*'));
    return { type, name, pattern: 'PREFIXED' };
  }
  return { type, name, pattern: 'LITERAL' };
}

/** Resource#getResourceKey: `*`, `Type:*`, `Type:name`, `Type:prefix*` (a null name prints as "null", as Java concatenation does). */
export function resourceKey(r: Resource): string {
  if (r.type === 'Any') return '*';
  switch (r.pattern) {
    case 'ANY':
      return `${r.type}:*`;
    case 'LITERAL':
      return `${r.type}:${r.name}`;
    case 'PREFIXED':
      return `${r.type}:${r.name}*`;
  }
}

export function sameResource(a: Resource, b: Resource): boolean {
  return a.type === b.type && a.name === b.name && a.pattern === b.pattern;
}

/** Resource#isMatch: does this (granted) resource cover the asked one. */
export function resourceMatches(granted: Resource, asked: Resource): boolean {
  if (granted.type === 'Any') return true;
  if (granted.type !== asked.type) return false;
  switch (granted.pattern) {
    case 'ANY':
      return true;
    case 'LITERAL':
      return asked.name === granted.name;
    case 'PREFIXED':
      return asked.name !== null && granted.name !== null && asked.name.startsWith(granted.name);
  }
}

/** User#getSubjectKey. */
export const userSubjectKey = (username: string): string => `User:${username}`;

/**
 * Subject#of(subjectKey): the user a `User:<name>` key names (type case-insensitive), or undefined for
 * any other key. Returns the username.
 */
export function subjectUsername(key: string | null | undefined): string | undefined {
  if (typeof key !== 'string') return undefined;
  const colon = key.indexOf(':');
  const type = colon < 0 ? key : key.slice(0, colon);
  if (type.toLowerCase() !== 'user') return undefined;
  return colon < 0 ? '' : key.slice(colon + 1);
}
