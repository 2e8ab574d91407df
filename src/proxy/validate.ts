/**
 * The request checks both sides share, with the Apache proxy's codes and messages
 * (GrpcValidator; names by the 5.3.3 client's Validators#checkTopic / #checkGroup).
 */
import { TopicValidator, isSystemTopic } from '../protocol/topic-validator.js';
import { ProxyError } from './proxy-error.js';

const LEGAL_NAME = /^[%|a-zA-Z0-9_-]+$/;
const GROUP_MAX_LENGTH = 255;
/** MixAll.CID_RMQ_SYS_PREFIX: groups the brokers keep for themselves. */
const SYS_GROUP_PREFIX = 'CID_RMQ_SYS_';

const isBlank = (s: string | undefined): boolean => !s || s.trim() === '';

/** Guava CharMatcher.javaIsoControl: U+0000–U+001F and U+007F–U+009F. */
export function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** ILLEGAL_TOPIC, as GrpcValidator#validateTopic. */
export function validateTopicName(topic: string | undefined): string {
  const name = topic ?? '';
  if (isBlank(name)) throw new ProxyError('ILLEGAL_TOPIC', 'The specified topic is blank');
  if (name.length > TopicValidator.TOPIC_MAX_LENGTH) {
    throw new ProxyError('ILLEGAL_TOPIC', `The specified topic is longer than topic max length ${TopicValidator.TOPIC_MAX_LENGTH}.`);
  }
  if (!LEGAL_NAME.test(name)) {
    throw new ProxyError('ILLEGAL_TOPIC', `The specified topic[${name}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`);
  }
  if (isSystemTopic(name)) throw new ProxyError('ILLEGAL_TOPIC', 'cannot access system topic');
  return name;
}

/** ILLEGAL_CONSUMER_GROUP, as GrpcValidator#validateConsumerGroup. */
export function validateGroupName(group: string | undefined): string {
  const name = group ?? '';
  if (isBlank(name)) throw new ProxyError('ILLEGAL_CONSUMER_GROUP', 'the specified group is blank');
  if (name.length > GROUP_MAX_LENGTH) throw new ProxyError('ILLEGAL_CONSUMER_GROUP', 'the specified group is longer than group max length 255.');
  if (!LEGAL_NAME.test(name)) {
    throw new ProxyError('ILLEGAL_CONSUMER_GROUP', `the specified group[${name}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`);
  }
  if (name.startsWith(SYS_GROUP_PREFIX)) throw new ProxyError('ILLEGAL_CONSUMER_GROUP', 'cannot use system consumer group');
  return name;
}

/** ILLEGAL_MESSAGE_TAG, as GrpcValidator#validateTag. */
export function validateTag(tag: string): void {
  if (!tag) return;
  if (tag.trim() === '') throw new ProxyError('ILLEGAL_MESSAGE_TAG', 'tag cannot be the char sequence of whitespace');
  if (tag.includes('|')) throw new ProxyError('ILLEGAL_MESSAGE_TAG', "tag cannot contain '|'");
  if (hasControlCharacter(tag)) throw new ProxyError('ILLEGAL_MESSAGE_TAG', 'tag cannot contain control character');
}
