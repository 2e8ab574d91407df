import type { BrokerContext } from '../../broker/broker-context.js';
import type { RemotingCommand } from '../../remoting/command.js';
import type { PutMessageResult } from '../../store/types.js';
import type { MessageInner } from '../../codec/message.js';
import type { SendMessageRequestHeader } from '../../codec/send-header.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { MessageConst } from '../../protocol/message-const.js';
import { getProperty } from '../../codec/message-properties.js';
import { handleRetryAndDLQ, type Refusal } from '../../broker/put/retry-and-dlq.js';
import { malformedDelay, putRouted, routeForStore } from '../../broker/put/delayed-put.js';
import { delayLevelOf } from '../../broker/schedule/schedule-message-service.js';
import { MessageSysFlag, transactionType } from '../../protocol/sys-flag.js';
import { isTimerCandidate } from '../../broker/schedule/timer-message-service.js';

/**
 * The single-message put of the send path, where the features of issue 5 hook in
 * (SendMessageProcessor#sendMessage after msgCheck):
 * 1. `%RETRY%<group>` sends past the reconsume budget go to the DLQ (handleRetryAndDLQ);
 * 2. TRAN_MSG=true makes a half message (unless it is an old client's delayed retry of one);
 * 3. DELAY > 0 parks in SCHEDULE_TOPIC_XXXX, TIMER_* in the timer topic;
 * 4. everything else is stored as sent.
 */
export async function putSingleMessage(ctx: BrokerContext, req: RemotingCommand, header: SendMessageRequestHeader, sent: MessageInner): Promise<PutMessageResult | Refusal> {
  // Boolean.parseBoolean; a half message is stored as a NOT-type one.
  const prepared = getProperty(sent.propertiesString, MessageConst.PROPERTY_TRANSACTION_PREPARED)?.toLowerCase() === 'true';
  // Java reads DELAY of every message it will store as NOT / COMMIT type (half messages and DLQ-bound
  // ones included), and a malformed one throws before the store is touched.
  const delay = prepared || isTimerCandidate(sent) ? delayLevelOf(sent.propertiesString) : 0;
  if (typeof delay === 'object') return malformedDelay(delay.malformed);
  const msg = handleRetryAndDLQ(ctx, req, header, sent);
  if ('code' in msg) return msg;
  // "For client under version 4.6.1": a retried transactional message is a plain one.
  if (prepared && !(msg.reconsumeTimes > 0 && delay > 0)) {
    if (!ctx.transactions.hasRoom()) {
      return { code: ResponseCode.SYSTEM_BUSY, remark: `[TRANSACTION_FLOW_CONTROL]too many pending transactions (${ctx.transactions.pendingCount}), try later` };
    }
    return ctx.transactions.prepareMessage(msg);
  }
  const routed = routeForStore(ctx, msg);
  if ('code' in routed) return routed;
  return putRouted(ctx, routed);
}

/**
 * CommitLog#asyncPutMessages refuses transactional and then delayed batches (MESSAGE_ILLEGAL); reading
 * the batch's DELAY there throws on a malformed value (SYSTEM_ERROR). The refusal, if any.
 */
export function refuseSpecialBatch(header: SendMessageRequestHeader): Refusal | undefined {
  if (transactionType(header.sysFlag) !== MessageSysFlag.TRANSACTION_NOT_TYPE) {
    return { code: ResponseCode.MESSAGE_ILLEGAL, remark: 'a batch message cannot be a transactional message' };
  }
  const delay = delayLevelOf(header.properties);
  if (typeof delay === 'object') return malformedDelay(delay.malformed);
  if (delay > 0) return { code: ResponseCode.MESSAGE_ILLEGAL, remark: 'a batch message cannot be a delayed message' };
  return undefined;
}
