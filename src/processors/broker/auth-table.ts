import type { RequestEntry } from '../../remoting/dispatcher.js';
import type { BrokerContext } from '../../broker/broker-context.js';
import { RequestCode as C } from '../../protocol/request-code.js';
import {
  authCreateUser, authUpdateUser, authDeleteUser, authGetUser, authListUser, authCreateAcl, authUpdateAcl, authDeleteAcl,
  authGetAcl, authListAcl,
} from './auth-admin.js';

/**
 * ACL 2.0 user and policy codes 3001–3010 (mqadmin 5.3 createUser … listAcl). Their header classes mark
 * no field @CFNotNull: a missing field is judged by the processor, as in AdminBrokerProcessor.
 */
export const AUTH_V2_REQUESTS: ReadonlyArray<RequestEntry<BrokerContext>> = [
  { code: C.AUTH_CREATE_USER, processor: authCreateUser },
  { code: C.AUTH_UPDATE_USER, processor: authUpdateUser },
  { code: C.AUTH_DELETE_USER, processor: authDeleteUser },
  { code: C.AUTH_GET_USER, processor: authGetUser },
  { code: C.AUTH_LIST_USER, processor: authListUser },
  { code: C.AUTH_CREATE_ACL, processor: authCreateAcl },
  { code: C.AUTH_UPDATE_ACL, processor: authUpdateAcl },
  { code: C.AUTH_DELETE_ACL, processor: authDeleteAcl },
  { code: C.AUTH_GET_ACL, processor: authGetAcl },
  { code: C.AUTH_LIST_ACL, processor: authListAcl },
];
