/**
 * The request checks the consumer RPCs share, with rocketmq-proxy 5.3.3's codes and texts: topic and
 * group names by the shared validators (../validate.ts: GrpcValidator over the client's Validators),
 * and GrpcValidator#validateInvisibleTime.
 */
import { ProxyError } from '../proxy-error.js';
import { validateGroupName, validateTopicName } from '../validate.js';

export { validateTopicName as validateTopic, validateGroupName as validateGroup };

/** GrpcValidator#validateTopicAndConsumerGroup over the request's Resources: [topic, group]. */
export function validateTopicAndGroup(topic: { name?: string } | null | undefined, group: { name?: string } | null | undefined): [string, string] {
  return [validateTopicName(topic?.name), validateGroupName(group?.name)];
}

/** GrpcValidator#validateInvisibleTime: ILLEGAL_INVISIBLE_TIME below `min` or above `max` (max <= 0: no bound). */
export function validateInvisibleTime(ms: number, min: number, max: number): void {
  if (ms < min) throw new ProxyError('ILLEGAL_INVISIBLE_TIME', `the invisibleTime is too small. min is ${min}`);
  if (max > 0 && ms > max) throw new ProxyError('ILLEGAL_INVISIBLE_TIME', `the invisibleTime is too large. max is ${max}`);
}
