/** System topics and name rules (common/topic/TopicValidator.java in 4.9.7 and 5.3.3, common/MixAll.java). */
export const TopicValidator = {
  AUTO_CREATE_TOPIC_KEY_TOPIC: 'TBW102',
  RMQ_SYS_SCHEDULE_TOPIC: 'SCHEDULE_TOPIC_XXXX',
  RMQ_SYS_BENCHMARK_TOPIC: 'BenchmarkTest',
  RMQ_SYS_TRANS_HALF_TOPIC: 'RMQ_SYS_TRANS_HALF_TOPIC',
  RMQ_SYS_TRACE_TOPIC: 'RMQ_SYS_TRACE_TOPIC',
  RMQ_SYS_TRANS_OP_HALF_TOPIC: 'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC: 'TRANS_CHECK_MAX_TIME_TOPIC',
  RMQ_SYS_SELF_TEST_TOPIC: 'SELF_TEST_TOPIC',
  RMQ_SYS_OFFSET_MOVED_EVENT: 'OFFSET_MOVED_EVENT',
  /** 5.x only (the RocksDB offset store's topic); a 5.x broker refuses it as a user topic, so we do too. */
  RMQ_SYS_ROCKSDB_OFFSET_TOPIC: 'CHECKPOINT_TOPIC',
  SYSTEM_TOPIC_PREFIX: 'rmq_sys_',
  TOPIC_MAX_LENGTH: 127,
} as const;

/** TimerMessageStore.TIMER_TOPIC (5.x): SYSTEM_TOPIC_PREFIX + "wheel_timer", where timer messages wait. */
export const TIMER_TOPIC = `${TopicValidator.SYSTEM_TOPIC_PREFIX}wheel_timer`;

export const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';
export const DLQ_GROUP_TOPIC_PREFIX = '%DLQ%';
export const REPLY_TOPIC_POSTFIX = 'REPLY_TOPIC';

export const retryTopic = (group: string): string => RETRY_GROUP_TOPIC_PREFIX + group;
export const dlqTopic = (group: string): string => DLQ_GROUP_TOPIC_PREFIX + group;

/**
 * TopicValidator's SYSTEM_TOPIC_SET as its static block fills it. A broker adds the names it derives
 * from its config (cluster and broker name, the reply and trace topics): TopicConfigManager#systemTopics.
 */
export const SYSTEM_TOPICS: ReadonlySet<string> = new Set<string>([
  TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC,
  TopicValidator.RMQ_SYS_SCHEDULE_TOPIC,
  TopicValidator.RMQ_SYS_BENCHMARK_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_HALF_TOPIC,
  TopicValidator.RMQ_SYS_TRACE_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_OP_HALF_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC,
  TopicValidator.RMQ_SYS_SELF_TEST_TOPIC,
  TopicValidator.RMQ_SYS_OFFSET_MOVED_EVENT,
  TopicValidator.RMQ_SYS_ROCKSDB_OFFSET_TOPIC,
]);

const NOT_ALLOWED_SEND = new Set<string>([
  TopicValidator.RMQ_SYS_SCHEDULE_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_HALF_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_OP_HALF_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC,
  TopicValidator.RMQ_SYS_SELF_TEST_TOPIC,
  TopicValidator.RMQ_SYS_OFFSET_MOVED_EVENT,
]);

const LEGAL = /^[%|a-zA-Z0-9_-]+$/;

export const TOPIC_BLANK_REMARK = 'The specified topic is blank.';

/** The first broken naming rule, as the remark the Java broker sends; undefined if the topic is valid. */
export function validateTopic(topic: string | undefined): string | undefined {
  if (!topic || !topic.trim()) return TOPIC_BLANK_REMARK;
  if (!LEGAL.test(topic)) return 'The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$';
  if (topic.length > TopicValidator.TOPIC_MAX_LENGTH) return 'The specified topic is longer than topic max length.';
  return undefined;
}

/** TopicValidator#isSystemTopic, with the broker's own additions (TopicValidator#addSystemTopic in Java). */
export function isSystemTopic(topic: string, brokerSystemTopics: ReadonlySet<string> = new Set()): boolean {
  return SYSTEM_TOPICS.has(topic) || brokerSystemTopics.has(topic) || topic.startsWith(TopicValidator.SYSTEM_TOPIC_PREFIX);
}

/** The remark both topic admin requests answer a system topic with (AdminBrokerProcessor). */
export const systemTopicConflict = (topic: string): string => `The topic[${topic}] is conflict with system topic.`;

export const isNotAllowedSendTopic = (topic: string): boolean => NOT_ALLOWED_SEND.has(topic);
