import { BOOL, intRule, type Rules } from './config-rules.js';
import { LIMITS } from './limits.js';

/**
 * Request/reply keys, BrokerConfig's names. The reply pool's queue bound is a limit (limits.ts says
 * why); its thread count is accepted without effect like the other pools'.
 */
export const REPLY_CONFIG_DEFAULTS = {
  /** A reply is also stored in `<brokerClusterName>_REPLY_TOPIC` after it is pushed (ReplyMessageProcessor). */
  storeReplyMessageEnable: true,
  replyThreadPoolQueueCapacity: LIMITS.replyThreadPoolQueueCapacity.value,
};

export type ReplyConfig = { -readonly [K in keyof typeof REPLY_CONFIG_DEFAULTS]: (typeof REPLY_CONFIG_DEFAULTS)[K] };

export const REPLY_RULES: Rules<ReplyConfig> = {
  storeReplyMessageEnable: BOOL,
  replyThreadPoolQueueCapacity: intRule(LIMITS.replyThreadPoolQueueCapacity.min),
};

/** Keys accepted without effect, with the reason (BROKER_NO_EFFECT). */
export const REPLY_NO_EFFECT: ReadonlyArray<[string, string]> = [
  ['processReplyMessageThreadPoolNums', 'Node serves requests on one event loop, without thread pools'],
];
