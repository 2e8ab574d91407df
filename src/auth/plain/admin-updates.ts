/**
 * The ACL admin codes' changes to the files (PlainPermissionManager.updateAccessConfig, deleteAccessConfig,
 * updateGlobalWhiteAddrsConfig, getAllAclConfig, 4.9.7): read the file that holds the account (a new
 * account goes to plain_acl.yml), change it, bump its dataVersion ({counter + 1, now}) and write it back.
 * The tables then reload that file at once (in Java the request's account is put in memory at once and the
 * watcher reloads the file a poll later; the result is the same, except that plain_acl.yml's deprecated
 * single version still moves only with the watcher's reload, as in Java).
 * A JavaError's message is what the admin reply's remark carries.
 */
import fs from 'node:fs';
import path from 'node:path';
import { log } from '../../logger.js';
import { JavaError } from './java-text.js';
import { KEY_MIN_LENGTH, accountConfigOf, buildAccount, checkKeys, textOf, type AccountConfig } from './account.js';
import { checkResourcePerms } from './permission.js';
import { readAclYaml, writeAclYaml, type YamlMap } from './acl-files.js';
import { dataVersionOf, type AclTables, type DataVersion } from './acl-tables.js';

/** updateAclConfigFileVersion: the file's version plus one, stamped now, written as a one-entry list. */
function bumpVersion(tables: AclTables, file: string, data: YamlMap): void {
  const had: DataVersion | undefined = Array.isArray(data.dataVersion) && data.dataVersion.length > 0 ? dataVersionOf(data) : undefined;
  const next = { counter: (had?.counter ?? 0) + 1, timestamp: Date.now() };
  data.dataVersion = [{ counter: next.counter, timestamp: next.timestamp }];
  tables.versions.set(file, next);
}

/**
 * Writes the changed file and loads it. The write is the admin code's success (Java answers once the file
 * is written); a file that then fails to load keeps the accounts in force, as a failed watcher reload does.
 */
function writeAndReload(tables: AclTables, file: string, data: YamlMap): void {
  bumpVersion(tables, file, data);
  writeAclYaml(file, data);
  try {
    tables.loadFile(file, true);
  } catch (e) {
    log.warn(`ACL 1.0: reloading ${file} after an admin update failed, the accounts in force stay: ${(e as Error).message}`);
  }
}

/** createAclAccessConfigMap: the request's fields over an account entry (absent or empty ones leave it). */
function mergeEntry(entry: Record<string, unknown>, c: AccountConfig): Record<string, unknown> {
  if (!c.accessKey || c.accessKey.length <= KEY_MIN_LENGTH) {
    throw new JavaError(`The accessKey=${c.accessKey} cannot be null and length should longer than 6`);
  }
  entry.accessKey = c.accessKey;
  if (c.secretKey) {
    if (c.secretKey.length <= KEY_MIN_LENGTH) throw new JavaError(`The secretKey=${c.secretKey} value length should longer than 6`);
    entry.secretKey = c.secretKey;
  }
  if (c.whiteRemoteAddress !== null) entry.whiteRemoteAddress = c.whiteRemoteAddress;
  entry.admin = c.admin;
  if (c.defaultTopicPerm) entry.defaultTopicPerm = c.defaultTopicPerm;
  if (c.defaultGroupPerm) entry.defaultGroupPerm = c.defaultGroupPerm;
  if (c.topicPerms !== null) entry.topicPerms = c.topicPerms;
  if (c.groupPerms !== null) entry.groupPerms = c.groupPerms;
  return entry;
}

const accountsList = (data: YamlMap): Array<Record<string, unknown>> | undefined =>
  Array.isArray(data.accounts) ? (data.accounts as Array<Record<string, unknown>>) : undefined;

/** UPDATE_AND_CREATE_ACL_CONFIG: returns false when Java would ("has been updated failed"), throws JavaError. */
export function updateAccount(tables: AclTables, c: AccountConfig): boolean {
  checkKeys(c);
  checkResourcePerms(c.topicPerms ?? undefined);
  checkResourcePerms(c.groupPerms ?? undefined);
  // Java builds the account (and so checks whiteRemoteAddress) only after touching its tables; checking
  // first keeps a refused request from changing anything.
  buildAccount(c);
  const ak = c.accessKey!;
  const owner = tables.keyFile.get(ak);
  if (owner !== undefined) {
    const data = readAclYaml(owner);
    if (!data) throw new JavaError(`Cannot invoke "java.util.Map.get(Object)" because "aclAccessConfigMap" is null`);
    const accounts = accountsList(data);
    if (accounts) {
      const i = accounts.findIndex((a) => a !== null && typeof a === 'object' && textOf(a.accessKey) === ak);
      if (i >= 0) {
        // Java removes the entry and appends the updated one at the end of the list.
        const [entry] = accounts.splice(i, 1);
        accounts.push(mergeEntry(entry!, c));
      }
    } else {
      data.accounts = [mergeEntry({}, c)];
    }
    writeAndReload(tables, owner, data);
    return true;
  }
  const file = tables.defaultFile;
  if (!fs.existsSync(file)) fs.writeFileSync(file, '');
  const data = readAclYaml(file) ?? { accounts: [] };
  const accounts = accountsList(data) ?? [];
  accounts.push(mergeEntry({}, c));
  data.accounts = accounts;
  writeAndReload(tables, file, data);
  return true;
}

/** DELETE_ACL_CONFIG. */
export function deleteAccount(tables: AclTables, accessKey: string | null): boolean {
  if (!accessKey) return false;
  const file = tables.keyFile.get(accessKey);
  if (file === undefined) return false;
  const data = readAclYaml(file);
  // Java answers success when the file holding the key has become empty.
  if (!data) return true;
  const accounts = accountsList(data);
  if (!accounts) throw new JavaError(`Cannot invoke "java.util.List.iterator()" because "accounts" is null`);
  const i = accounts.findIndex((a) => a !== null && typeof a === 'object' && textOf(a.accessKey) === accessKey);
  if (i < 0) return false;
  accounts.splice(i, 1);
  tables.keyFile.delete(accessKey);
  writeAndReload(tables, file, data);
  return true;
}

/**
 * UPDATE_GLOBAL_WHITE_ADDRS_CONFIG: the file's globalWhiteRemoteAddresses replaced. The file must exist
 * under rocketmqHome; a `.yaml` file is refused, as Java's inverted extension test refuses it. The
 * patterns are not checked here (Java does not either); a bad one makes the reload fail and is logged.
 */
export function updateGlobalWhite(tables: AclTables, home: string, addrs: string[] | null, fileName: string | null): boolean {
  const given = fileName || tables.defaultFile;
  const file = path.resolve(given);
  if (addrs === null) return false;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return false;
  }
  if (stat.isDirectory()) return false;
  if (!given.startsWith(home)) return false;
  if (file.endsWith('.yaml')) return false;
  const data = readAclYaml(file) ?? {};
  data.globalWhiteRemoteAddresses = [...addrs];
  writeAndReload(tables, file, data);
  return true;
}

/** PlainAccessConfig as GET_BROKER_CLUSTER_ACL_CONFIG's body carries it (fastjson: fields sorted, nulls left out). */
export interface PlainAccessConfigJson {
  accessKey?: string;
  admin: boolean;
  defaultGroupPerm?: string;
  defaultTopicPerm?: string;
  groupPerms?: string[];
  secretKey?: string;
  topicPerms?: string[];
  whiteRemoteAddress?: string;
}

function toJson(c: AccountConfig): PlainAccessConfigJson {
  // fastjson writes a bean's fields in alphabetical order and leaves nulls out.
  const fields: Array<[string, unknown]> = [
    ['accessKey', c.accessKey], ['admin', c.admin], ['defaultGroupPerm', c.defaultGroupPerm], ['defaultTopicPerm', c.defaultTopicPerm],
    ['groupPerms', c.groupPerms], ['secretKey', c.secretKey], ['topicPerms', c.topicPerms], ['whiteRemoteAddress', c.whiteRemoteAddress],
  ];
  const out: Record<string, unknown> = {};
  for (const [k, v] of fields) if (v !== null && v !== undefined) out[k] = v;
  return out as unknown as PlainAccessConfigJson;
}

/** getAllAclConfig: every file of the last full load, read now; white addresses of all, accounts first-wins. */
export function allAclConfig(tables: AclTables): { globalWhiteAddrs: Array<string | null>; plainAccessConfigs: PlainAccessConfigJson[] } {
  const globalWhiteAddrs: Array<string | null> = [];
  const plainAccessConfigs: PlainAccessConfigJson[] = [];
  const seen = new Set<string | null>();
  for (const file of tables.files) {
    const data = readAclYaml(file);
    if (!data) continue;
    if (Array.isArray(data.globalWhiteRemoteAddresses)) for (const a of data.globalWhiteRemoteAddresses) globalWhiteAddrs.push(textOf(a));
    for (const entry of accountsList(data) ?? []) {
      const c = accountConfigOf(entry);
      if (seen.has(c.accessKey)) continue;
      seen.add(c.accessKey);
      plainAccessConfigs.push(toJson(c));
    }
  }
  return { globalWhiteAddrs, plainAccessConfigs };
}
