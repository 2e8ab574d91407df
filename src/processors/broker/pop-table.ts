import type { RequestEntry } from '../../remoting/dispatcher.js';
import type { BrokerContext } from '../../broker/broker-context.js';

/** 5.x POP consumption: QUERY_ASSIGNMENT, SET_MESSAGE_REQUEST_MODE and the POP-family codes. */
export const POP_REQUESTS: ReadonlyArray<RequestEntry<BrokerContext>> = [];
