/**
 * One account of plain_acl.yml as the broker checks it (PlainAccessResource), built from the yml entry
 * (PlainAccessConfig) with PlainPermissionManager.buildPlainAccessResource's rules.
 */
import { JavaError } from './java-text.js';
import { addressMatcher, type AddressMatcher } from './address-strategy.js';
import { parsePerm, parseResourcePerms } from './permission.js';

/** An account entry as the yml (or an UPDATE_AND_CREATE_ACL_CONFIG request) gives it; PlainAccessConfig's fields. */
export interface AccountConfig {
  accessKey: string | null;
  secretKey: string | null;
  whiteRemoteAddress: string | null;
  admin: boolean;
  defaultTopicPerm: string | null;
  defaultGroupPerm: string | null;
  topicPerms: string[] | null;
  groupPerms: string[] | null;
}

export interface Account {
  accessKey: string;
  secretKey: string;
  admin: boolean;
  defaultTopicPerm: number;
  defaultGroupPerm: number;
  /** Topics and `%RETRY%group`s with their perm; undefined when the account lists none (Java's null map). */
  perms: Map<string, number> | undefined;
  whiteAddress: AddressMatcher;
}

/** AclConstants.ACCESS_KEY_MIN_LENGTH / SECRET_KEY_MIN_LENGTH: keys must be longer than this. */
export const KEY_MIN_LENGTH = 6;

/** PlainPermissionManager.checkPlainAccessConfig. */
export function checkKeys(c: Pick<AccountConfig, 'accessKey' | 'secretKey'>): void {
  if (c.accessKey == null || c.secretKey == null || c.accessKey.length <= KEY_MIN_LENGTH || c.secretKey.length <= KEY_MIN_LENGTH) {
    throw new JavaError(`The accessKey=${c.accessKey} and secretKey=${c.secretKey} cannot be null and length should longer than 6`);
  }
}

/** buildPlainAccessResource: throws JavaError (short keys, a bad perm entry, a bad address pattern). */
export function buildAccount(c: AccountConfig): Account {
  checkKeys(c);
  const perms = new Map<string, number>();
  parseResourcePerms(perms, false, c.groupPerms ?? undefined);
  parseResourcePerms(perms, true, c.topicPerms ?? undefined);
  return {
    accessKey: c.accessKey!,
    secretKey: c.secretKey!,
    admin: c.admin,
    defaultTopicPerm: parsePerm(c.defaultTopicPerm),
    defaultGroupPerm: parsePerm(c.defaultGroupPerm),
    perms: perms.size > 0 ? perms : undefined,
    whiteAddress: addressMatcher(c.whiteRemoteAddress),
  };
}

/** A yml value read into a Java String field: fastjson turns numbers and booleans into their text. */
export function textOf(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  throw new JavaError(`can not cast to String, value : ${JSON.stringify(v)}`);
}

/** A yml list read into a List<String> field. */
export function textListOf(v: unknown, key: string): string[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw new JavaError(`${key} is not a list`);
  return v.map((x) => textOf(x) as string);
}

/** fastjson's boolean cast: true/false (any case), 1/0, Y/N, T/F; absent is false. */
export function boolOf(v: unknown, key: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v) === 1;
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^(true|1|Y|T)$/i.test(s)) return true;
    if (/^(false|0|N|F|null)$/i.test(s) || s === '') return false;
  }
  throw new JavaError(`can not cast to boolean, value : ${String(v)} (${key})`);
}

/** One `accounts[]` entry of a parsed yml as PlainAccessConfig. */
export function accountConfigOf(entry: unknown): AccountConfig {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new JavaError('an accounts entry is not a map');
  const e = entry as Record<string, unknown>;
  return {
    accessKey: textOf(e.accessKey),
    secretKey: textOf(e.secretKey),
    whiteRemoteAddress: textOf(e.whiteRemoteAddress),
    admin: boolOf(e.admin, 'admin'),
    defaultTopicPerm: textOf(e.defaultTopicPerm),
    defaultGroupPerm: textOf(e.defaultGroupPerm),
    topicPerms: textListOf(e.topicPerms, 'topicPerms'),
    groupPerms: textListOf(e.groupPerms, 'groupPerms'),
  };
}
