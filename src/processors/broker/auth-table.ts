import type { RequestEntry } from '../../remoting/dispatcher.js';
import type { BrokerContext } from '../../broker/broker-context.js';

/** ACL 2.0 user and policy codes 3001–3010 (mqadmin 5.3 createUser … listAcl). */
export const AUTH_V2_REQUESTS: ReadonlyArray<RequestEntry<BrokerContext>> = [];
