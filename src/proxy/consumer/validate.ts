/**
 * The request checks the consumer RPCs share, with rocketmq-proxy 5.3.3's codes and texts
 * (GrpcValidator over the client's Validators#checkTopic / #checkGroup).
 */
import { TopicValidator, isSystemTopic } from '../../protocol/topic-validator.js';
import { ProxyError } from '../proxy-error.js';

const LEGAL = /^[%|a-zA-Z0-9_-]+$/;
/** Validators.CHARACTER_MAX_LENGTH. */
const GROUP_MAX_LENGTH = 255;
/** MixAll.CID_RMQ_SYS_PREFIX. */
const SYS_GROUP_PREFIX = 'CID_RMQ_SYS_';

const blank = (s: string | undefined): boolean => !s || s.trim() === '';

/** GrpcValidator#validateTopic: ILLEGAL_TOPIC. */
export function validateTopic(topic: string | undefined): string {
  const t = topic ?? '';
  if (blank(t)) throw new ProxyError('ILLEGAL_TOPIC', 'The specified topic is blank');
  if (t.length > TopicValidator.TOPIC_MAX_LENGTH) {
    throw new ProxyError('ILLEGAL_TOPIC', `The specified topic is longer than topic max length ${TopicValidator.TOPIC_MAX_LENGTH}.`);
  }
  if (!LEGAL.test(t)) throw new ProxyError('ILLEGAL_TOPIC', `The specified topic[${t}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`);
  if (isSystemTopic(t)) throw new ProxyError('ILLEGAL_TOPIC', 'cannot access system topic');
  return t;
}

/** GrpcValidator#validateConsumerGroup: ILLEGAL_CONSUMER_GROUP. */
export function validateGroup(group: string | undefined): string {
  const g = group ?? '';
  if (blank(g)) throw new ProxyError('ILLEGAL_CONSUMER_GROUP', 'the specified group is blank');
  if (g.length > GROUP_MAX_LENGTH) throw new ProxyError('ILLEGAL_CONSUMER_GROUP', 'the specified group is longer than group max length 255.');
  if (!LEGAL.test(g)) throw new ProxyError('ILLEGAL_CONSUMER_GROUP', `the specified group[${g}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`);
  if (g.startsWith(SYS_GROUP_PREFIX)) throw new ProxyError('ILLEGAL_CONSUMER_GROUP', 'cannot use system consumer group');
  return g;
}

/** GrpcValidator#validateTopicAndConsumerGroup over the request's Resources: [topic, group]. */
export function validateTopicAndGroup(topic: { name?: string } | null | undefined, group: { name?: string } | null | undefined): [string, string] {
  return [validateTopic(topic?.name), validateGroup(group?.name)];
}

/** GrpcValidator#validateInvisibleTime: ILLEGAL_INVISIBLE_TIME below `min` or above `max` (max <= 0: no bound). */
export function validateInvisibleTime(ms: number, min: number, max: number): void {
  if (ms < min) throw new ProxyError('ILLEGAL_INVISIBLE_TIME', `the invisibleTime is too small. min is ${min}`);
  if (max > 0 && ms > max) throw new ProxyError('ILLEGAL_INVISIBLE_TIME', `the invisibleTime is too large. max is ${max}`);
}
