import type { BrokerContext } from '../../broker/broker-context.js';
import type { RemotingCommand } from '../../remoting/command.js';
import type { MessageInner, PutMessageResult } from '../../store/types.js';
import type { SendMessageRequestHeader } from '../../codec/send-header.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { MessageConst } from '../../protocol/message-const.js';
import { getProperty } from '../../codec/message-properties.js';
import { handleRetryAndDLQ, type Refusal } from '../../broker/retry-and-dlq.js';
import { putRouted, routeForStore } from '../../broker/delayed-put.js';
import { delayLevelOf } from '../../broker/schedule-message-service.js';
import { MessageSysFlag, transactionType } from '../../protocol/sys-flag.js';

/**
 * The single-message put of the send path, where the features of issue 5 hook in
 * (SendMessageProcessor#sendMessage after msgCheck):
 * 1. `%RETRY%<group>` sends past the reconsume budget go to the DLQ (handleRetryAndDLQ);
 * 2. TRAN_MSG=true makes a half message (unless it is an old client's delayed retry of one);
 * 3. DELAY > 0 parks in SCHEDULE_TOPIC_XXXX, TIMER_* in the timer topic;
 * 4. everything else is stored as sent.
 */
export async function putSingleMessage(ctx: BrokerContext, req: RemotingCommand, header: SendMessageRequestHeader, sent: MessageInner): Promise<PutMessageResult | Refusal> {
  const msg = handleRetryAndDLQ(ctx, req, header, sent);
  if ('code' in msg) return msg;
  const props = msg.propertiesString;
  // Boolean.parseBoolean; "For client under version 4.6.1": a retried transactional message is a plain one.
  const prepared = getProperty(props, MessageConst.PROPERTY_TRANSACTION_PREPARED)?.toLowerCase() === 'true';
  if (prepared && !(msg.reconsumeTimes > 0 && delayLevelOf(props) > 0)) {
    if (!ctx.transactions.hasRoom()) {
      return { code: ResponseCode.SYSTEM_BUSY, remark: `[TRANSACTION_FLOW_CONTROL]too many pending transactions (${ctx.transactions.pendingCount}), try later` };
    }
    return ctx.transactions.prepareMessage(msg);
  }
  const routed = routeForStore(ctx, msg);
  if ('code' in routed) return routed;
  return putRouted(ctx, routed);
}

/** CommitLog#asyncPutMessages refuses transactional and delayed batches (MESSAGE_ILLEGAL); the reason, if refused. */
export function refuseSpecialBatch(header: SendMessageRequestHeader): string | undefined {
  if (transactionType(header.sysFlag) !== MessageSysFlag.TRANSACTION_NOT_TYPE) return 'a batch message cannot be a transactional message';
  if (delayLevelOf(header.properties) > 0) return 'a batch message cannot be a delayed message';
  return undefined;
}
