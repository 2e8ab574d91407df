/**
 * ACL 1.0 admin codes (AdminBrokerProcessor, 4.9.7): UPDATE_AND_CREATE_ACL_CONFIG (50), DELETE_ACL_CONFIG
 * (51), GET_BROKER_CLUSTER_ACL_INFO (52), UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53), GET_BROKER_CLUSTER_ACL_CONFIG (54).
 *
 * Header fields are read as 4.9.7's decodeCommandCustomHeader reads them: a missing @CFNotNull field is
 * only logged there (the throw sits inside its catch-all), so a missing field arrives as null and the
 * manager's own rule answers (e.g. no aclFileFullPath means plain_acl.yml, which mqadmin relies on).
 *
 * With aclEnable=false the Java broker has no validator: 50, 51 and 53 answer their failure code with the
 * NullPointerException's message (JDK 17's helpful text, as the Apache broker runs on it here); 52 and 54
 * log the exception and send nothing, so the client times out.
 */
import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, type ExtFields, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { toFastJson } from '../../codec/fastjson.js';
import { log } from '../../logger.js';
import type { AccountConfig } from '../../auth/plain/account.js';
import { javaSplit } from '../../auth/plain/java-text.js';

const NPE = (call: string): string => `Cannot invoke "org.apache.rocketmq.acl.AccessValidator.${call}" because "accessValidator" is null`;

/** UtilAll.split: null stays null, otherwise String.split(","). */
const splitList = (s: string | undefined): string[] | null => (s == null ? null : javaSplit(s, ','));

const field = (h: ExtFields | undefined, name: string): string | null => h?.[name] ?? null;

/** Answers an admin update: SUCCESS, `failCode` with `failRemark`, or `failCode` with the thrown message. */
function update(req: RemotingCommand, failCode: number, failRemark: string, run: () => boolean): RemotingCommand {
  try {
    if (run()) return createResponse(req, ResponseCode.SUCCESS);
    log.warn(failRemark);
    return createResponse(req, failCode, failRemark);
  } catch (e) {
    log.warn(`ACL admin request ${req.code} failed: ${(e as Error).message}`);
    return createResponse(req, failCode, (e as Error).message);
  }
}

/** UPDATE_AND_CREATE_ACL_CONFIG (50): CreateAccessConfigRequestHeader; topicPerms / groupPerms comma-separated. */
export function updateAndCreateAclConfig(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields;
  const c: AccountConfig = {
    accessKey: field(h, 'accessKey'),
    secretKey: field(h, 'secretKey'),
    whiteRemoteAddress: field(h, 'whiteRemoteAddress'),
    admin: h?.admin?.toLowerCase() === 'true',
    defaultTopicPerm: field(h, 'defaultTopicPerm'),
    defaultGroupPerm: field(h, 'defaultGroupPerm'),
    topicPerms: splitList(h?.topicPerms),
    groupPerms: splitList(h?.groupPerms),
  };
  const failed = `The accesskey[${c.accessKey}] corresponding to accessConfig has been updated failed.`;
  const acl = ctx.plainAcl;
  if (!acl) return createResponse(req, ResponseCode.UPDATE_AND_CREATE_ACL_CONFIG_FAILED, NPE('updateAccessConfig(org.apache.rocketmq.common.PlainAccessConfig)'));
  return update(req, ResponseCode.UPDATE_AND_CREATE_ACL_CONFIG_FAILED, failed, () => acl.updateAccessConfig(c));
}

/** DELETE_ACL_CONFIG (51): DeleteAccessConfigRequestHeader {accessKey}. */
export function deleteAclConfig(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const accessKey = field(req.extFields, 'accessKey');
  const acl = ctx.plainAcl;
  if (!acl) return createResponse(req, ResponseCode.DELETE_ACL_CONFIG_FAILED, NPE('deleteAccessConfig(String)'));
  log.info(`DeleteAccessConfig called for ${accessKey}`);
  const failed = `The accesskey[${accessKey}] corresponding to accessConfig has been deleted failed.`;
  return update(req, ResponseCode.DELETE_ACL_CONFIG_FAILED, failed, () => acl.deleteAccessConfig(accessKey));
}

/** UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53): {globalWhiteAddrs (comma-separated), aclFileFullPath}. */
export function updateGlobalWhiteAddrsConfig(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const addrs = field(req.extFields, 'globalWhiteAddrs');
  const file = field(req.extFields, 'aclFileFullPath');
  const acl = ctx.plainAcl;
  if (!acl) return createResponse(req, ResponseCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED, NPE('updateGlobalWhiteAddrsConfig(java.util.List, String)'));
  const failed = `The globalWhiteAddresses[${addrs}] has been updated failed.`;
  return update(req, ResponseCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED, failed, () => acl.updateGlobalWhiteAddrsConfig(splitList(addrs ?? undefined), file));
}

/**
 * GET_BROKER_CLUSTER_ACL_INFO (52): GetBrokerAclConfigResponseHeader {version (plain_acl.yml's DataVersion),
 * allAclFileVersion (file -> DataVersion), brokerName, brokerAddr, clusterName}; no body.
 */
export function getBrokerClusterAclInfo(ctx: BrokerContext, req: RemotingCommand): RemotingCommand | null {
  const acl = ctx.plainAcl;
  if (!acl) {
    log.error('Failed to generate a proper getBrokerAclConfigVersion response: ACL 1.0 is not enabled (aclEnable=false)');
    return null;
  }
  // Keys in the order the Java broker's extFields HashMap writes them.
  return createResponse(req, ResponseCode.SUCCESS, undefined, {
    allAclFileVersion: acl.allAclFileVersionJson(),
    clusterName: ctx.config.brokerClusterName,
    brokerAddr: ctx.brokerAddr,
    brokerName: ctx.config.brokerName,
    version: acl.aclConfigVersionJson(),
  });
}

/** GET_BROKER_CLUSTER_ACL_CONFIG (54): body GetBrokerClusterAclConfigResponseBody {globalWhiteAddrs, plainAccessConfigs}. */
export function getBrokerClusterAclConfig(ctx: BrokerContext, req: RemotingCommand): RemotingCommand | null {
  const acl = ctx.plainAcl;
  if (!acl) {
    log.error('Failed to generate a proper getBrokerClusterAclConfig response: ACL 1.0 is not enabled (aclEnable=false)');
    return null;
  }
  let body: Buffer;
  try {
    body = Buffer.from(toFastJson(acl.allAclConfig()), 'utf8');
  } catch (e) {
    // Java logs a file it cannot read here and sends nothing.
    log.error(`Failed to generate a proper getBrokerClusterAclConfig response: ${(e as Error).message}`);
    return null;
  }
  // The response header class has only a List field, which is not sent: the extFields are there and empty.
  return createResponse(req, ResponseCode.SUCCESS, undefined, {}, body);
}
