import type { RequestEntry } from '../../remoting/dispatcher.js';
import type { BrokerContext } from '../../broker/broker-context.js';

/** Request/reply: SEND_REPLY_MESSAGE (324) and SEND_REPLY_MESSAGE_V2 (325), pushed to the requester as 326. */
export const REPLY_REQUESTS: ReadonlyArray<RequestEntry<BrokerContext>> = [];
