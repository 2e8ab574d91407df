import type { RequestEntry } from '../../remoting/dispatcher.js';
import type { BrokerContext } from '../../broker/broker-context.js';
import { RequestCode as C } from '../../protocol/request-code.js';
import { sendReplyMessage } from './reply-message.js';

/**
 * Request/reply: SEND_REPLY_MESSAGE (324) and SEND_REPLY_MESSAGE_V2 (325), pushed to the requester as 326.
 * Both wait in the 'reply' family, as the Java broker runs them on its reply pool (replyThreadPoolQueueCapacity).
 */
export const REPLY_REQUESTS: ReadonlyArray<RequestEntry<BrokerContext>> = [
  { code: C.SEND_REPLY_MESSAGE, family: 'reply', processor: sendReplyMessage },
  { code: C.SEND_REPLY_MESSAGE_V2, family: 'reply', processor: sendReplyMessage },
];
