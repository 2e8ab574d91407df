import type { BrokerContext } from '../broker-context.js';
import type { MessageInner } from '../../codec/message.js';
import { toFastJson } from '../../codec/fastjson.js';
import { propertiesToString, tagsCode } from '../../codec/message-properties.js';
import { MessageConst } from '../../protocol/message-const.js';
import { TopicValidator } from '../../protocol/topic-validator.js';
import { log } from '../../logger.js';

/** common/protocol/topic/OffsetMovedEvent.java. */
export interface OffsetMovedEvent {
  consumerGroup: string;
  topic: string;
  queueId: number;
  offsetRequest: number;
  offsetNew: number;
}

/**
 * PullMessageProcessor#generateOffsetMovedEvent: every PULL_OFFSET_MOVED answered by a master leaves
 * a record in OFFSET_MOVED_EVENT (queue 0), tagged and keyed with the group, body the event as JSON.
 * Operators read it to see which groups lost their place. Best effort: a failed write is only logged.
 */
export function writeOffsetMovedEvent(ctx: BrokerContext, e: OffsetMovedEvent): void {
  if (ctx.config.brokerRole === 'SLAVE') return;
  const body = toFastJson({
    consumerGroup: e.consumerGroup,
    messageQueue: { brokerName: ctx.config.brokerName, queueId: e.queueId, topic: e.topic },
    offsetNew: e.offsetNew,
    offsetRequest: e.offsetRequest,
  });
  const now = Date.now();
  const msg: MessageInner = {
    topic: TopicValidator.RMQ_SYS_OFFSET_MOVED_EVENT,
    queueId: 0,
    flag: 0,
    body: Buffer.from(body, 'utf8'),
    // Java sets tags, keys and DELAY=0 on a HashMap, which serializes them in this order.
    propertiesString: propertiesToString(new Map([
      [MessageConst.PROPERTY_KEYS, e.consumerGroup],
      [MessageConst.PROPERTY_DELAY_TIME_LEVEL, '0'],
      [MessageConst.PROPERTY_TAGS, e.consumerGroup],
    ])),
    tagsCode: tagsCode(e.consumerGroup),
    sysFlag: 0,
    bornTimestamp: now,
    bornHost: ctx.storeHost,
    storeHost: ctx.storeHost,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
  };
  log.warn(`broker: PULL_OFFSET_MOVED: correction offset. topic=${e.topic}, groupId=${e.consumerGroup}, requestOffset=${e.offsetRequest}, newOffset=${e.offsetNew}`);
  ctx.store.putMessage(msg).then(
    (r) => {
      if (r.status !== 'PUT_OK') log.warn(`broker: offset moved event not stored: ${r.status} ${r.remark ?? ''}`);
    },
    (err: Error) => log.warn(`broker: offset moved event not stored: ${err.message}`),
  );
}
