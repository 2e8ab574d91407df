import type { BrokerContext } from '../broker-context.js';
import { getProperty } from '../../codec/message-properties.js';
import { createOffsetMessageId } from '../../codec/message-id.js';
import { MessageConst } from '../../protocol/message-const.js';
import { PermName } from '../../protocol/perm-name.js';
import { RETRY_GROUP_TOPIC_PREFIX } from '../../protocol/topic-validator.js';
import { POP_RETRY_QUEUE_NUM, PROPERTY_FIRST_POP_TIME, PROPERTY_POP_CK, popRetryTopic } from '../../protocol/pop-const.js';
import { editProperties, isStored, nextAttempt, storedMessage } from '../message/stored-message.js';
import { DLQ_NUMS_PER_GROUP, ensureDlqTopic, randomQueue } from '../put/put-message.js';
import type { CheckPoint } from './pop-state.js';

/** The group's POP retry topic, created on demand (PopReviveService#addRetryTopicIfNotExist: one queue, read+write). */
export function ensurePopRetryTopic(ctx: BrokerContext, topic: string, group: string): string {
  const retry = topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) ? topic : popRetryTopic(topic, group, ctx.config.enableRetryTopicV2);
  if (!ctx.topics.select(retry)) {
    ctx.topics.createIfAbsent(retry, POP_RETRY_QUEUE_NUM, PermName.PERM_WRITE | PermName.PERM_READ, 0);
    ctx.registerBrokerAll();
  }
  return retry;
}

/**
 * Re-puts the un-acked `offsets` of a checkpoint whose invisible time passed (PopReviveService#reviveRetry):
 * the same body, tags, flag and properties in the group's POP retry topic, reconsumeTimes + 1,
 * 1ST_POP_TIME kept or set to the checkpoint's popTime. A message whose reconsumeTimes has reached the
 * group's retryMaxTimes goes to `%DLQ%<group>` instead (the Java broker leaves that to the client or
 * the proxy; a remoting client that died cannot do it). True when every message was stored (or is
 * gone from the store: nothing to re-deliver).
 */
export async function reviveCheckPoint(ctx: BrokerContext, ck: CheckPoint, offsets: readonly number[]): Promise<boolean> {
  const maxTimes = ctx.groups.find(ck.group)?.retryMaxTimes ?? 16;
  for (const offset of offsets) {
    const r = ctx.store.getMessage(ck.group, ck.topic, ck.queueId, offset, 1);
    if (r.status !== 'FOUND' || r.buffers.length === 0) continue;
    const orig = storedMessage(r.buffers[0]);
    if (orig.queueOffset !== offset) continue;
    const toDlq = orig.reconsumeTimes >= maxTimes;
    const topic = toDlq ? ensureDlqTopic(ctx, ck.group) : ensurePopRetryTopic(ctx, ck.topic, ck.group);
    const props = orig.propertiesString;
    const changes: Record<string, string | undefined> = { [PROPERTY_POP_CK]: undefined };
    if (orig.reconsumeTimes === 0 || getProperty(props, PROPERTY_FIRST_POP_TIME) === undefined) changes[PROPERTY_FIRST_POP_TIME] = String(ck.popTime);
    if (toDlq) {
      if (getProperty(props, MessageConst.PROPERTY_RETRY_TOPIC) === undefined) changes[MessageConst.PROPERTY_RETRY_TOPIC] = orig.topic;
      if (!getProperty(props, MessageConst.PROPERTY_ORIGIN_MESSAGE_ID)) {
        changes[MessageConst.PROPERTY_ORIGIN_MESSAGE_ID] = createOffsetMessageId(orig.storeHost, orig.commitLogOffset);
      }
    }
    const newProps = editProperties(props, changes);
    const msg = nextAttempt(orig, topic, toDlq ? randomQueue(DLQ_NUMS_PER_GROUP) : 0, newProps, { bornHost: ctx.storeHost, storeHost: ctx.storeHost });
    const put = await ctx.store.putMessage(msg);
    if (!isStored(put)) return false;
    ctx.stats.incPut(topic, 1);
  }
  return true;
}
