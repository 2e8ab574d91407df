/**
 * How the Apache 4.9.7 broker words an ACL 1.0 refusal. Its RPC hook throws AclException; the remoting
 * layer answers SYSTEM_ERROR (1) with RemotingHelper.exceptionSimpleDesc(e): `toString()`, `", "`, and the
 * first stack frame, which is the line that constructed the exception. The line numbers are those of the
 * rocketmq-acl-4.9.7 jar (its LineNumberTable, equal to the sources jar's lines); 4.9.8 moved
 * PlainPermissionManager's lines down by one (one more import), so a 4.9.8 broker says 684 where this says 683.
 */
import type { AccessRefusal } from '../access.js';
import { ResponseCode } from '../../protocol/response-code.js';

const EXCEPTION = 'org.apache.rocketmq.acl.common.AclException';
const MANAGER = 'org.apache.rocketmq.acl.plain.PlainPermissionManager';
const VALIDATOR = 'org.apache.rocketmq.acl.plain.PlainAccessValidator';

/** Where each refusal is thrown in the 4.9.7 sources. */
export const THROW_SITES = {
  /** PlainPermissionManager.java:663 `throw new AclException(String.format("No accessKey is configured"))` */
  noAccessKey: `${MANAGER}.validate(PlainPermissionManager.java:663)`,
  /** :667 `"No acl config for %s"` */
  unknownAccessKey: `${MANAGER}.validate(PlainPermissionManager.java:667)`,
  /** :674 `"No PlainAccessResource for accessKey=%s"` (key still known, account gone from its file after a reload) */
  noAccount: `${MANAGER}.validate(PlainPermissionManager.java:674)`,
  /** :683 `"Check signature failed for accessKey=%s"` */
  signature: `${MANAGER}.validate(PlainPermissionManager.java:683)`,
  /** :580 `"Need admin permission for request code=%d, but accessKey=%s is not"` (checkPerm) */
  admin: `${MANAGER}.checkPerm(PlainPermissionManager.java:580)`,
  /** :605 `"No default permission for %s"`, resource not listed, judged by the default perm */
  defaultPerm: `${MANAGER}.checkPerm(PlainPermissionManager.java:605)`,
  /** :610 the same text, resource listed with a perm that does not cover the need */
  listedPerm: `${MANAGER}.checkPerm(PlainPermissionManager.java:610)`,
  /** PlainAccessValidator.java:134 `throw new AclException(t.getMessage(), t)`: reading the request failed (HEART_BEAT body) */
  parse: `${VALIDATOR}.parse(PlainAccessValidator.java:134)`,
} as const;

export type ThrowSite = keyof typeof THROW_SITES;

/** The SYSTEM_ERROR answer for an AclException with `message` thrown at `site`. */
export function aclRefusal(site: ThrowSite, message: string | null): AccessRefusal {
  // Throwable.toString leaves out ": " when the message is null.
  const head = message === null ? EXCEPTION : `${EXCEPTION}: ${message}`;
  return { code: ResponseCode.SYSTEM_ERROR, remark: `${head}, ${THROW_SITES[site]}` };
}
