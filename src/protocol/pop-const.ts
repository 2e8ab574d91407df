/**
 * POP facts a 5.x client and broker agree on: KeyBuilder, PopAckConstants and ExtraInfoUtil
 * (5.3.3 common/src/main/java/org/apache/rocketmq/common/KeyBuilder.java, PopAckConstants.java,
 * remoting/src/main/java/org/apache/rocketmq/remoting/protocol/header/ExtraInfoUtil.java).
 */
import { RETRY_GROUP_TOPIC_PREFIX } from './topic-validator.js';

/** KeyBuilder.POP_ORDER_REVIVE_QUEUE: the reviveQid of an orderly pop. */
export const POP_ORDER_REVIVE_QUEUE = 999;
/** PopAckConstants.REVIVE_TOPIC (+ cluster name). */
export const REVIVE_TOPIC_PREFIX = 'rmq_sys_REVIVE_LOG_';
/** PopAckConstants.retryQueueNum: queues of a POP retry topic. */
export const POP_RETRY_QUEUE_NUM = 1;
/** MessageConst.KEY_SEPARATOR: between the fields of an extraInfo / info string. */
export const KEY_SEPARATOR = ' ';

/** ExtraInfoUtil's retry flags: 0 normal topic, 1 POP retry V1 (`_`), 2 POP retry V2 (`+`). */
export type RetryFlag = '0' | '1' | '2';

export const popRetryTopicV1 = (topic: string, group: string): string => `${RETRY_GROUP_TOPIC_PREFIX}${group}_${topic}`;
export const popRetryTopicV2 = (topic: string, group: string): string => `${RETRY_GROUP_TOPIC_PREFIX}${group}+${topic}`;
export const popRetryTopic = (topic: string, group: string, v2: boolean): string => (v2 ? popRetryTopicV2(topic, group) : popRetryTopicV1(topic, group));

/** ExtraInfoUtil#getRetry(topic). */
export function retryFlagOf(topic: string): RetryFlag {
  if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) && topic.includes('+')) return '2';
  return topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) ? '1' : '0';
}

/** ExtraInfoUtil#getRealTopic: the topic an ACK names, from the popped topic and the flag. */
export function realTopic(topic: string, group: string, flag: string): string {
  if (flag === '1') return popRetryTopicV1(topic, group);
  if (flag === '2') return popRetryTopicV2(topic, group);
  return topic;
}

/** The fields of an extraInfo (POP_CK) string, ExtraInfoUtil#split and its getters [0]..[7]. */
export interface ExtraInfo {
  ckQueueOffset: number;
  popTime: number;
  invisibleTime: number;
  reviveQid: number;
  retry: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
}

/** ExtraInfoUtil#buildExtraInfo with the message's own queue offset. */
export function buildExtraInfo(e: ExtraInfo): string {
  return [e.ckQueueOffset, e.popTime, e.invisibleTime, e.reviveQid, e.retry, e.brokerName, e.queueId, e.queueOffset].join(KEY_SEPARATOR);
}

/** The extraInfo's fields, or the text of what is wrong with it (Java throws on a short or non-numeric one). */
export function parseExtraInfo(s: string): ExtraInfo | string {
  const f = s.split(KEY_SEPARATOR);
  if (f.length < 7) return `extraInfo is not valid: ${s}`;
  const num = (i: number): number => (i < f.length && /^-?\d+$/.test(f[i]) ? Number(f[i]) : NaN);
  const e: ExtraInfo = {
    ckQueueOffset: num(0), popTime: num(1), invisibleTime: num(2), reviveQid: num(3),
    retry: f[4], brokerName: f[5], queueId: num(6), queueOffset: f.length > 7 ? num(7) : NaN,
  };
  if ([e.ckQueueOffset, e.popTime, e.invisibleTime, e.reviveQid, e.queueId].some(Number.isNaN)) return `extraInfo is not valid: ${s}`;
  return e;
}

/** ExtraInfoUtil#buildStartOffsetInfo / buildMsgOffsetInfo / buildQueueIdOrderCountInfo: entries joined by `;`. */
export const startOffsetEntry = (topic: string, queueId: number, startOffset: number): string =>
  [retryFlagOf(topic), queueId, startOffset].join(KEY_SEPARATOR);
export const msgOffsetEntry = (topic: string, queueId: number, offsets: readonly number[]): string =>
  [retryFlagOf(topic), queueId, offsets.join(',')].join(KEY_SEPARATOR);
export const orderCountEntry = (topic: string, queueId: number, count: number): string =>
  [retryFlagOf(topic), queueId, count].join(KEY_SEPARATOR);
/** ExtraInfoUtil#buildQueueOffsetOrderCountInfo: `<flag> qo<queueId>%<offset> <count>`. */
export const offsetOrderCountEntry = (topic: string, queueId: number, offset: number, count: number): string =>
  [retryFlagOf(topic), `qo${queueId}%${offset}`, count].join(KEY_SEPARATOR);

/** MessageConst.PROPERTY_POP_CK: the extraInfo the broker stamps on a re-encoded retry message. */
export const PROPERTY_POP_CK = 'POP_CK';
/** MessageConst.PROPERTY_FIRST_POP_TIME. */
export const PROPERTY_FIRST_POP_TIME = '1ST_POP_TIME';
