import type { RequestEntry } from '../../remoting/dispatcher.js';
import type { BrokerContext } from '../../broker/broker-context.js';

/** ACL 1.0 admin codes 50–54 (mqadmin 4.9 updateAclConfig, deleteAclConfig, updateGlobalWhiteAddr, clusterAclConfigVersion, getAclConfig). */
export const ACL_V1_REQUESTS: ReadonlyArray<RequestEntry<BrokerContext>> = [];
