import { BOOL, intRule, longRule, oneOf, type Rules } from './config-rules.js';

/**
 * 5.x POP consumption keys, named and defaulted as the 5.3.3 BrokerConfig names them
 * (common/src/main/java/org/apache/rocketmq/common/BrokerConfig.java), read from broker.conf.
 */
export const POP_CONFIG_DEFAULTS = {
  /** Queues of the revive topic rmq_sys_REVIVE_LOG_<cluster>; the round-robin range of reviveQid. */
  reviveQueueNum: 8,
  /** How often (ms) checkpoints past their invisible time are looked for and re-delivered. */
  reviveInterval: 1000,
  /** Long-poll pops held per topic/queue key before POLLING_FULL. */
  popPollingSize: 1024,
  /** Long-poll pops held in all before POLLING_FULL. */
  maxPopPollingSize: 100000,
  /** Percent of pops that look at the group's POP retry topic first. */
  popFromRetryProbability: 20,
  /** POP retry topic `%RETRY%<group>+<topic>` (V2) instead of `%RETRY%<group>_<topic>` (V1). */
  enableRetryTopicV2: false,
  /** Retry messages keep their `%RETRY%…` topic in a POP answer (else re-encoded with the popped topic and a POP_CK). */
  popResponseReturnActualRetryTopic: false,
  /** QUERY_ASSIGNMENT's mode for a topic/group with no SET_MESSAGE_REQUEST_MODE setting. */
  defaultMessageRequestMode: 'PULL',
  /** popShareQueueNum for the default mode; <= 0: every client pops every queue. */
  defaultPopShareQueueNum: -1,
  /** Un-acked popped messages per topic/group/queue past which a queue is not popped. */
  popInflightMessageThreshold: 10000,
  /** Whether the broker balances QUERY_ASSIGNMENT itself (false: every queue to every client). */
  serverLoadBalancerEnable: true,
  /** A first pop with initMode MAX starts at 0 while the queue still holds its first message (else at the last one). */
  initPopOffsetByCheckMsgInMem: true,
  /** POP needs the timer wheel on the Java broker; false refuses POP_MESSAGE with SYSTEM_ERROR. */
  timerWheelEnable: true,
};

export type PopConfig = { -readonly [K in keyof typeof POP_CONFIG_DEFAULTS]: (typeof POP_CONFIG_DEFAULTS)[K] };

export const POP_RULES: Rules<PopConfig> = {
  reviveQueueNum: intRule(1, 1024),
  reviveInterval: longRule(10),
  popPollingSize: intRule(1),
  maxPopPollingSize: intRule(1),
  popFromRetryProbability: intRule(0, 100),
  enableRetryTopicV2: BOOL,
  popResponseReturnActualRetryTopic: BOOL,
  defaultMessageRequestMode: oneOf('PULL', 'POP'),
  defaultPopShareQueueNum: intRule(),
  popInflightMessageThreshold: longRule(1),
  serverLoadBalancerEnable: BOOL,
  initPopOffsetByCheckMsgInMem: BOOL,
  timerWheelEnable: BOOL,
};

/** 5.3.3 POP keys accepted without effect, and why. */
export const POP_NO_EFFECT: ReadonlyArray<[string, string]> = [
  ['enablePopBufferMerge', 'checkpoints and acks go to the POP journal directly, without a merge buffer'],
  ['enablePopBatchAck', 'acks are journalled one record per acked offset'],
  ['reviveMaxSlow', 'revive scans the checkpoint table, not a revive topic'],
  ['reviveScanTime', 'revive scans the checkpoint table, not a revive topic'],
  ['popPollingMapSize', 'held pops are bounded by popPollingSize per key and maxPopPollingSize in all'],
  ['popLongPollingForceNotifyInterval', 'held pops wake on every arrival on their topics'],
  ['popCkStayBufferTime', 'checkpoints go to the POP journal directly, without a merge buffer'],
  ['popConsumerKVServiceEnable', 'POP state lives in the POP journal'],
];
