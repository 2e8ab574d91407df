import type { RequestEntry } from '../../remoting/dispatcher.js';
import type { BrokerContext } from '../../broker/broker-context.js';
import { RequestCode as C } from '../../protocol/request-code.js';
import {
  deleteAclConfig, getBrokerClusterAclConfig, getBrokerClusterAclInfo, updateAndCreateAclConfig, updateGlobalWhiteAddrsConfig,
} from './acl-admin.js';

/**
 * ACL 1.0 admin codes 50–54 (mqadmin 4.9 updateAclConfig, deleteAclConfig, updateGlobalWhiteAddr, clusterAclConfigVersion,
 * getAclConfig), in the admin pool. No `required` fields: 4.9.7 lets a missing header field through as null
 * (see acl-admin.ts). 52 and 54 may send nothing (`oneway`), as the Java broker does when ACL is off.
 */
export const ACL_V1_REQUESTS: ReadonlyArray<RequestEntry<BrokerContext>> = [
  { code: C.UPDATE_AND_CREATE_ACL_CONFIG, processor: updateAndCreateAclConfig },
  { code: C.DELETE_ACL_CONFIG, processor: deleteAclConfig },
  { code: C.GET_BROKER_CLUSTER_ACL_INFO, processor: getBrokerClusterAclInfo, oneway: true },
  { code: C.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, processor: updateGlobalWhiteAddrsConfig },
  { code: C.GET_BROKER_CLUSTER_ACL_CONFIG, processor: getBrokerClusterAclConfig, oneway: true },
];
