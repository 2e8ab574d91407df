/**
 * The check every request passes when aclEnable is on, in PlainPermissionManager.validate's order (4.9.7):
 *   0. read what the request needs (PlainAccessValidator.parse; only a bad HEART_BEAT body fails here,
 *      before the white lists: Java parses first)
 *   1. client IP in a global white pattern: allowed
 *   2. no AccessKey: refused; unknown key: refused; key known but its account gone: refused
 *   3. client IP in the account's whiteRemoteAddress: allowed, no signature needed
 *   4. signature (signature.ts, with 5.x's _UNIQUE_KEY_QUERY rule; 4.9.7 always leaves that field out, so
 *      its QUERY_MESSAGE by unique key from 4.9.4+ clients fails there and passes here)
 *   5. a send to RMQ_SYS_TRACE_TOPIC: allowed
 *   6. admin codes need admin: true; then each needed resource against the listed or the default perm
 */
import type { RemotingCommand } from '../../remoting/command.js';
import { requestBody } from '../../remoting/command.js';
import { RequestCode } from '../../protocol/request-code.js';
import type { AccessRefusal } from '../access.js';
import { ACCESS_KEY, signatureMatches } from '../signature.js';
import { aclRefusal } from './refusal.js';
import { NeedsError, PLAIN_ADMIN_CODES, isTraceSend, requestNeeds, type Needs } from './code-needs.js';
import { describeResource, isRetryTopic, permits } from './permission.js';
import { javaHashMapOrder } from './java-text.js';
import type { Account } from './account.js';
import type { AclTables } from './acl-tables.js';

export function validateRequest(tables: AclTables, ip: string, request: RemotingCommand): AccessRefusal | undefined {
  const fields = request.extFields;
  let needs: Needs | undefined;
  // Java's parse stops at a request without extFields: nothing needed, no key (the white lists may still allow it).
  if (fields) {
    try {
      needs = requestNeeds(request.code, fields, request.code === RequestCode.HEART_BEAT ? requestBody(request) : undefined);
    } catch (e) {
      if (e instanceof NeedsError) return aclRefusal('parse', e.javaMessage);
      throw e;
    }
  }
  if (tables.isGlobalWhite(ip)) return undefined;
  const accessKey = fields?.[ACCESS_KEY];
  if (accessKey == null) return aclRefusal('noAccessKey', 'No accessKey is configured');
  const file = tables.keyFile.get(accessKey);
  if (file === undefined) return aclRefusal('unknownAccessKey', `No acl config for ${accessKey}`);
  const account = tables.fileAccounts.get(file)?.get(accessKey);
  if (!account) return aclRefusal('noAccount', `No PlainAccessResource for accessKey=${accessKey}`);
  if (account.whiteAddress(ip)) return undefined;
  if (!signatureMatches(request, account.secretKey)) return aclRefusal('signature', `Check signature failed for accessKey=${accessKey}`);
  if (needs && isTraceSend(needs)) return undefined;
  return checkPerm(request.code, needs, account);
}

/** PlainPermissionManager.checkPerm. */
function checkPerm(code: number, needs: Needs | undefined, account: Account): AccessRefusal | undefined {
  if (PLAIN_ADMIN_CODES.has(code) && !account.admin) {
    return aclRefusal('admin', `Need admin permission for request code=${code}, but accessKey=${account.accessKey} is not`);
  }
  if (!needs) return undefined;
  if (!account.perms && account.admin) return undefined;
  let failed = false;
  for (const [resource, perm] of needs) if (!allowed(account, resource, perm)) failed = true;
  if (!failed) return undefined;
  // Java walks its HashMap, so with several refused resources the first in that order is reported.
  for (const resource of javaHashMapOrder(needs.keys())) {
    if (allowed(account, resource, needs.get(resource)!)) continue;
    const listed = account.perms?.has(resource) === true;
    return aclRefusal(listed ? 'listedPerm' : 'defaultPerm', `No default permission for ${describeResource(resource)}`);
  }
  return undefined;
}

function allowed(account: Account, resource: string, needed: number): boolean {
  const owned = account.perms?.get(resource);
  if (owned !== undefined) return permits(needed, owned);
  return permits(needed, isRetryTopic(resource) ? account.defaultGroupPerm : account.defaultTopicPerm);
}
