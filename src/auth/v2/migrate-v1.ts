import path from 'node:path';
import type { AclConfig } from '../../config/security.js';
import { log } from '../../logger.js';
import { aclFileList, readAclYaml } from '../plain/acl-files.js';
import { accountConfigOf, type AccountConfig } from '../plain/account.js';
import { type Action, type Decision, type PolicyEntry, ofGroup, ofTopic } from './model.js';
import type { UserManager } from './user-manager.js';
import type { AclManager, PolicyDraft } from './acl-manager.js';

/**
 * migrateAuthFromV1Enabled (5.3.3 auth/migration/AuthMigrator): at start, every ACL 1.0 account of
 * `${rocketmqHome}/conf/acl/**.yml` and `${rocketmqHome}/${rocketmq.acl.plain.file}` (the first file
 * naming an access key wins) whose access key is not a user yet becomes one (Super when `admin`), with
 * a Custom policy from its topicPerms/groupPerms and a Default policy from its default perms. An account
 * that fails (a blank key, a file that does not load) is logged and skipped, as Java logs it.
 * Java also creates an empty plain_acl.yml when there is none; this does not.
 */
export function migrateFromV1(config: AclConfig, users: UserManager, acls: AclManager): void {
  if (!config.rocketmqHome) return;
  const home = path.resolve(config.rocketmqHome);
  const files = aclFileList(path.join(home, 'conf', 'acl'), path.join(home, config['rocketmq.acl.plain.file'] || 'conf/plain_acl.yml'));
  const seen = new Set<string | null>();
  for (const file of files) {
    let accounts: unknown[] = [];
    try {
      const data = readAclYaml(file);
      accounts = Array.isArray(data?.accounts) ? data.accounts : [];
    } catch (e) {
      log.error(`[ACL MIGRATE] cannot read ${file}: ${(e as Error).message}`);
      continue;
    }
    for (const raw of accounts) {
      let account: AccountConfig;
      try {
        account = accountConfigOf(raw);
      } catch (e) {
        log.error(`[ACL MIGRATE] an account of ${file} cannot be read: ${(e as Error).message}`);
        continue;
      }
      if (seen.has(account.accessKey)) continue;
      seen.add(account.accessKey);
      try {
        migrateAccount(account, users, acls);
      } catch (e) {
        log.error(`[ACL MIGRATE] An error occurred while migrating ACL configurations for AccessKey:${account.accessKey}: ${(e as Error).message}`);
      }
    }
  }
}

function migrateAccount(a: AccountConfig, users: UserManager, acls: AclManager): void {
  if (users.get(a.accessKey ?? undefined)) return;
  users.create({ username: a.accessKey!, password: a.secretKey ?? undefined, userType: a.admin ? 'Super' : 'Normal' });
  const custom: PolicyEntry[] = [];
  for (const [perms, resource] of [[a.topicPerms, ofTopic], [a.groupPerms, ofGroup]] as const) {
    for (const item of perms ?? []) {
      const parts = item.split('=').filter((p) => p !== '');
      if (parts.length !== 2) continue;
      const perm = parts[1].trim();
      custom.push({ resource: resource(parts[0].trim()), actions: parseActions(perm), decision: parseDecision(perm) });
    }
  }
  const defaults: PolicyEntry[] = [];
  for (const [perm, type] of [[a.defaultTopicPerm, 'Topic'], [a.defaultGroupPerm, 'Group']] as const) {
    if (perm === null || perm.trim() === '') continue;
    const p = perm.trim();
    defaults.push({ resource: { type, name: null, pattern: 'ANY' }, actions: parseActions(p), decision: parseDecision(p) });
  }
  const policies: PolicyDraft[] = [];
  if (custom.length > 0) policies.push({ policyType: 'Custom', entries: custom });
  if (defaults.length > 0) policies.push({ policyType: 'Default', entries: defaults });
  if (policies.length > 0) acls.upsert({ username: a.accessKey!, policies });
}

/** AuthMigrator#parseActions, a blank perm giving All twice as Java's does (its blank check falls through). */
function parseActions(perm: string): Action[] {
  const out: Action[] = perm.trim() === '' ? ['All'] : [];
  switch (perm.trim()) {
    case 'PUB':
      return [...out, 'Pub'];
    case 'SUB':
      return [...out, 'Sub'];
    case 'PUB|SUB':
    case 'SUB|PUB':
      return [...out, 'Pub', 'Sub'];
    default:
      return [...out, 'All'];
  }
}

/** AuthMigrator#parseDecision: DENY denies; any other perm allows. */
function parseDecision(perm: string): Decision {
  return perm.trim() === '' || perm === 'DENY' ? 'Deny' : 'Allow';
}
