import type { RequestEntry } from '../../remoting/dispatcher.js';
import type { BrokerContext } from '../../broker/broker-context.js';
import { RequestCode as C } from '../../protocol/request-code.js';
import { popMessage, resumePop } from './pop-message.js';
import { ackMessage, batchAckMessage, changeInvisibleTime } from './pop-ack.js';
import { queryAssignment, setMessageRequestMode } from './pop-assignment.js';
import { notification, peekMessage, pollingInfo, resumeNotification } from './pop-peek.js';

/** The @CFNotNull fields of each 5.3.3 header class (remoting/protocol/header/*RequestHeader.java). */
const POP_REQUIRED = ['consumerGroup', 'topic', 'queueId', 'maxMsgNums', 'invisibleTime', 'pollTime', 'bornTime', 'initMode'];
const ACK_REQUIRED = ['consumerGroup', 'topic', 'queueId', 'extraInfo', 'offset'];
const CHANGE_REQUIRED = [...ACK_REQUIRED, 'invisibleTime'];
const PEEK_REQUIRED = ['consumerGroup', 'topic', 'queueId', 'maxMsgNums'];
const NOTIFICATION_REQUIRED = ['consumerGroup', 'topic', 'queueId', 'pollTime', 'bornTime'];
const POLLING_INFO_REQUIRED = ['consumerGroup', 'topic', 'queueId'];

/** 5.x POP consumption: QUERY_ASSIGNMENT, SET_MESSAGE_REQUEST_MODE and the POP-family codes. */
export const POP_REQUESTS: ReadonlyArray<RequestEntry<BrokerContext>> = [
  { code: C.QUERY_ASSIGNMENT, family: 'clientManage', processor: queryAssignment },
  { code: C.SET_MESSAGE_REQUEST_MODE, processor: setMessageRequestMode },
  { code: C.POP_MESSAGE, family: 'pull', processor: popMessage, required: POP_REQUIRED, resume: resumePop },
  { code: C.ACK_MESSAGE, family: 'pull', processor: ackMessage, required: ACK_REQUIRED },
  { code: C.BATCH_ACK_MESSAGE, family: 'pull', processor: batchAckMessage },
  { code: C.CHANGE_MESSAGE_INVISIBLETIME, family: 'pull', processor: changeInvisibleTime, required: CHANGE_REQUIRED },
  { code: C.PEEK_MESSAGE, family: 'pull', processor: peekMessage, required: PEEK_REQUIRED, permission: 'read' },
  { code: C.NOTIFICATION, family: 'pull', processor: notification, required: NOTIFICATION_REQUIRED, resume: resumeNotification },
  { code: C.POLLING_INFO, family: 'pull', processor: pollingInfo, required: POLLING_INFO_REQUIRED },
];
