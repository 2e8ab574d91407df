import { RequestCode as C } from '../../protocol/request-code.js';
import type { Action } from './model.js';

/**
 * Codes 5.3.3's authorization asks nothing of (no rule in its builder, no annotated header), decided by
 * this project because each changes broker-wide state or reveals secrets: a Normal user needs the action
 * on Cluster:<brokerClusterName>, as the user and ACL codes do; a Super user passes as ever. A Java 5.3.3
 * broker lets any authenticated user run them.
 */
export const PROJECT_CLUSTER_RULES: ReadonlyMap<number, readonly Action[]> = new Map<number, readonly Action[]>([
  [C.UPDATE_BROKER_CONFIG, ['Update']],
  [C.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, ['Update']],
  [C.CLEAN_EXPIRED_CONSUMEQUEUE, ['Update']],
  [C.CLEAN_UNUSED_TOPIC, ['Update']],
  [C.DELETE_EXPIRED_COMMITLOG, ['Update']],
  // Switches a group between PULL and POP for a topic (mqadmin setConsumeMode).
  [C.SET_MESSAGE_REQUEST_MODE, ['Update']],
  // The list forms of UPDATE_AND_CREATE_TOPIC (its header names no topic, so 5.3.3 asks nothing) and of
  // UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, and broker-wide store switches (mqadmin 5.3.3).
  [C.UPDATE_AND_CREATE_TOPIC_LIST, ['Create']],
  [C.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST, ['Update']],
  [C.UPDATE_COLD_DATA_FLOW_CTR_CONFIG, ['Update']],
  [C.REMOVE_COLD_DATA_FLOW_CTR_CONFIG, ['Update']],
  [C.SET_COMMITLOG_READ_MODE, ['Update']],
  [C.POP_ROLLBACK, ['Update']],
  // ACL 1.0's admin codes, served when aclEnable is also on: they rewrite or read plain_acl.yml (secrets included).
  [C.UPDATE_AND_CREATE_ACL_CONFIG, ['Update']],
  [C.DELETE_ACL_CONFIG, ['Update']],
  [C.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, ['Update']],
  [C.GET_BROKER_CLUSTER_ACL_INFO, ['Get']],
  [C.GET_BROKER_CLUSTER_ACL_CONFIG, ['Get']],
]);

/**
 * LITE_PULL_MESSAGE reads messages exactly as PULL_MESSAGE does (same header), but 5.3.3's builder has
 * no rule for it: it is authorized as PULL_MESSAGE here.
 */
export const AUTHORIZED_AS: ReadonlyMap<number, number> = new Map([[C.LITE_PULL_MESSAGE, C.PULL_MESSAGE]]);
