/**
 * The one road a message takes from a request to the store. SEND_MESSAGE, CONSUMER_SEND_MSG_BACK and
 * END_TRANSACTION (commit) all put through `putMessage`; the schedule and timer services' own
 * deliveries do not (they would park again) and go to the store directly.
 *
 * A batch takes none of the steps below: `refuseBatch` rules out every message a step would change.
 */
import type { BrokerContext } from '../broker-context.js';
import type { PutMessageResult } from '../../store/types.js';
import type { MessageInner } from '../../codec/message.js';
import { getProperty } from '../../codec/message-properties.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { MessageConst } from '../../protocol/message-const.js';
import { MessageSysFlag, transactionType } from '../../protocol/sys-flag.js';
import { PermName } from '../../protocol/perm-name.js';
import { Version } from '../../protocol/version.js';
import { numberFormatExceptionText } from '../../protocol/java-number.js';
import { RETRY_GROUP_TOPIC_PREFIX, dlqTopic } from '../../protocol/topic-validator.js';
import { applyDelayLevel, delayLevelOf } from '../schedule/schedule-message-service.js';
import { isTimerCandidate, parkForTimer, timerDeliverMs } from '../schedule/timer-message-service.js';
import { effectiveTimerPrecisionMs, timerSlotMs } from '../../config/timer.js';
import { editProperties, isStored } from '../message/stored-message.js';
import type { SubscriptionGroupConfig } from '../metadata/subscription-group-manager.js';

/**
 * The steps, in order. The routing steps are synchronous: each passes the put on or ends it with a
 * refusal the client sees. Then the message is stored (through the transaction service for a half
 * message), and a message parked for a timer is handed to the timer service once it is in the log.
 */
const ROUTE_STEPS: readonly RouteStep[] = [
  readDelayLevel, // DELAY read once; a malformed one fails before anything is stored
  redirectRetryPastBudgetToDlq, // a send to %RETRY%<group> out of reconsume budget goes to %DLQ%<group>
  prepareTransactionHalf, // TRAN_MSG=true: stored as a half message, invisible until committed
  routeDelayLevel, // DELAY > 0: parked in SCHEDULE_TOPIC_XXXX (CommitLog#asyncPutMessage)
  routeTimer, // a future TIMER_* time: parked in the timer topic (5.x HookUtils)
];
// ...then store, then trackTimer.

/** An answer other than a store status: the response code and remark the client gets. */
export type Refusal = { code: number; remark: string };

/** What the caller's request allows on the way to the store. */
export interface PutOptions {
  /**
   * Send path only: a message sent to `%RETRY%<group>` itself (a consumer's fallback when
   * CONSUMER_SEND_MSG_BACK failed, an orderly consumer's final send-back) is checked against the
   * group's reconsume budget. The client's version and the header's maxReconsumeTimes decide it.
   */
  retryBudget?: { clientVersion: number; maxReconsumeTimes: number | undefined };
  /** Send path only: TRAN_MSG=true makes a half message (a committed message still carries it). */
  prepareHalf?: boolean;
  /** Whether TIMER_* properties park the message; a retried or dead message must not wait again. */
  parkTimers: boolean;
}

interface Put {
  msg: MessageInner;
  readonly opts: PutOptions;
  /** TRAN_MSG=true on a message the options allow to become a half one. */
  tranMsg: boolean;
  /** DELAY as sent (0 when absent or not read): the old-client rule for halves looks at it. */
  sentDelayLevel: number;
  /** DELAY still to apply (0 once a DLQ redirect dropped it). */
  delayLevel: number;
  half: boolean;
  timerDeliverMs?: number;
  /** The wheel slot a parked timer message was given (its TIMER_OUT_MS). */
  timerSlotMs?: number;
}

type RouteStep = (ctx: BrokerContext, put: Put) => Refusal | undefined;

/** The store's answer, plus the topic the message went to after the routing steps (DLQ, delay, timer). */
export type PutOutcome = PutMessageResult & { storedTopic: string; timerSlotMs?: number };

/** Where the routing steps sent a message, and the store's answer to come. */
export interface RoutedPut {
  /** The topic the message went to after the routing steps (DLQ, delay, timer). */
  storedTopic: string;
  /** The wheel slot a parked timer message was given. */
  timerSlotMs?: number;
  result: Promise<PutMessageResult>;
}

/**
 * Runs every routing step (synchronous) and hands the message to the store: the route at once, the
 * store's answer as a promise, or the refusal of the step that stopped it. The send hot path: one
 * promise from here to the store, with nothing chained on it unless a parked timer must be tracked.
 */
export function routeAndPut(ctx: BrokerContext, msg: MessageInner, opts: PutOptions): RoutedPut | Refusal {
  const put: Put = { msg, opts, tranMsg: false, sentDelayLevel: 0, delayLevel: 0, half: false };
  for (let i = 0; i < ROUTE_STEPS.length; i++) {
    const refusal = ROUTE_STEPS[i](ctx, put);
    if (refusal) return refusal;
  }
  const stored = store(ctx, put);
  const result = put.timerDeliverMs === undefined ? stored : stored.then((r) => {
    trackTimer(ctx, put, r);
    return r;
  });
  return { storedTopic: put.msg.topic, timerSlotMs: put.timerSlotMs, result };
}

/** routeAndPut as one promise: the store's result with the route, or the refusal. */
export async function putMessage(ctx: BrokerContext, msg: MessageInner, opts: PutOptions): Promise<PutOutcome | Refusal> {
  const routed = routeAndPut(ctx, msg, opts);
  if ('code' in routed) return routed;
  const result = await routed.result;
  return { ...result, storedTopic: routed.storedTopic, timerSlotMs: routed.timerSlotMs };
}

/**
 * CommitLog#asyncPutMessages refuses transactional and then delayed batches (MESSAGE_ILLEGAL), and
 * reading the batch's DELAY there throws on a malformed value (SYSTEM_ERROR); the send processor
 * refuses a batch to a retry topic before that. The refusal, if any.
 */
export function refuseBatch(topic: string, sysFlag: number, properties: string): Refusal | undefined {
  if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return { code: ResponseCode.MESSAGE_ILLEGAL, remark: 'batch request does not support retry group ' + topic };
  if (transactionType(sysFlag) !== MessageSysFlag.TRANSACTION_NOT_TYPE) {
    return { code: ResponseCode.MESSAGE_ILLEGAL, remark: 'a batch message cannot be a transactional message' };
  }
  const delay = delayLevelOf(properties);
  if (typeof delay === 'object') return malformedDelay(delay.malformed);
  if (delay > 0) return { code: ResponseCode.MESSAGE_ILLEGAL, remark: 'a batch message cannot be a delayed message' };
  return undefined;
}

/** Puts a batch `refuseBatch` accepted: one topic and queue, consecutive queue offsets. */
export function putMessages(ctx: BrokerContext, msgs: MessageInner[]): Promise<PutMessageResult> {
  return ctx.store.putMessages(msgs);
}

// ------------------------------------------------------------------ the steps

/**
 * Java reads DELAY (Integer.parseInt) of every message it will store as NOT / COMMIT type, half
 * messages included, and a malformed value throws before the store is touched.
 */
function readDelayLevel(_ctx: BrokerContext, put: Put): Refusal | undefined {
  // Boolean.parseBoolean.
  put.tranMsg = put.opts.prepareHalf === true &&
    getProperty(put.msg.propertiesString, MessageConst.PROPERTY_TRANSACTION_PREPARED)?.toLowerCase() === 'true';
  if (!put.tranMsg && !isTimerCandidate(put.msg)) return undefined;
  const level = delayLevelOf(put.msg.propertiesString);
  if (typeof level === 'object') return malformedDelay(level.malformed);
  put.sentDelayLevel = put.delayLevel = level;
  return undefined;
}

/**
 * SendMessageProcessor#handleRetryAndDLQ: once the header's reconsumeTimes reaches the group's budget
 * the message goes to the DLQ instead, without delay. (The Java broker keeps the client's DELAY there,
 * so its DLQ copy waits out one more delay level first; delivering it at once changes only when, not where.)
 */
function redirectRetryPastBudgetToDlq(ctx: BrokerContext, put: Put): Refusal | undefined {
  const budget = put.opts.retryBudget;
  const msg = put.msg;
  if (!budget || !msg.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return undefined;
  const group = msg.topic.slice(RETRY_GROUP_TOPIC_PREFIX.length);
  const sg = ctx.groups.find(group);
  if (!sg) return groupNotExist(group);
  if (msg.reconsumeTimes < maxReconsumeTimes(sg, budget.clientVersion, budget.maxReconsumeTimes)) return undefined;
  put.msg = {
    ...msg,
    topic: ensureDlqTopic(ctx, group),
    queueId: randomQueue(DLQ_NUMS_PER_GROUP),
    propertiesString: editProperties(msg.propertiesString, { [MessageConst.PROPERTY_DELAY_TIME_LEVEL]: undefined }),
  };
  put.delayLevel = 0;
  return undefined;
}

/** A half message is stored as sent, waiting for END_TRANSACTION; the pending set is bounded. */
function prepareTransactionHalf(ctx: BrokerContext, put: Put): Refusal | undefined {
  if (!put.tranMsg) return undefined;
  // "For client under version 4.6.1": a retried transactional message with a delay is a plain one.
  if (put.msg.reconsumeTimes > 0 && put.sentDelayLevel > 0) return undefined;
  if (!ctx.transactions.hasRoom()) {
    return { code: ResponseCode.SYSTEM_BUSY, remark: `[TRANSACTION_FLOW_CONTROL]too many pending transactions (${ctx.transactions.pendingCount}), try later` };
  }
  put.half = true;
  return undefined;
}

const TIMER_PROPS = [MessageConst.PROPERTY_TIMER_DELIVER_MS, MessageConst.PROPERTY_TIMER_DELAY_SEC, MessageConst.PROPERTY_TIMER_DELAY_MS];
/** Every timer property name starts with this: one scan tells the common message has none. */
const TIMER_PROPERTY_PREFIX = 'TIMER_';

/** DELAY > 0 wins over timer properties (as 5.x, which drops them) and parks in SCHEDULE_TOPIC_XXXX. */
function routeDelayLevel(ctx: BrokerContext, put: Put): Refusal | undefined {
  if (put.half || put.delayLevel <= 0 || !isTimerCandidate(put.msg)) return undefined;
  let msg = put.msg;
  if (msg.propertiesString.includes(TIMER_PROPERTY_PREFIX) && TIMER_PROPS.some((k) => getProperty(msg.propertiesString, k) !== undefined)) {
    msg = { ...msg, propertiesString: editProperties(msg.propertiesString, Object.fromEntries(TIMER_PROPS.map((k) => [k, undefined]))) };
  }
  put.msg = applyDelayLevel(msg, ctx.schedule.maxLevel);
  return undefined;
}

/**
 * 5.x HookUtils#transformTimerMessage: a TIMER_* that is not a long, a future time further away than
 * timerMaxDelaySec, or a TIMER_DEL_UNIQKEY message already due is WHEEL_TIMER_MSG_ILLEGAL; a future
 * time is rounded to its wheel slot (config/timer.ts timerSlotMs) and parked; one already due is stored as sent.
 */
function routeTimer(ctx: BrokerContext, put: Put): Refusal | undefined {
  if (put.half || put.delayLevel > 0 || !put.opts.parkTimers || !isTimerCandidate(put.msg)) return undefined;
  const props = put.msg.propertiesString;
  if (!props.includes(TIMER_PROPERTY_PREFIX)) return undefined;
  const now = Date.now();
  const at = timerDeliverMs(props, now);
  if (at === undefined) return undefined;
  if (typeof at === 'object') return timerIllegal(ctx);
  if (at <= now) return getProperty(props, MessageConst.PROPERTY_TIMER_DEL_UNIQKEY) === undefined ? undefined : timerIllegal(ctx);
  if (at - now > ctx.config.timerMaxDelaySec * 1000) return timerIllegal(ctx);
  if (!ctx.timer.hasRoom()) {
    return { code: ResponseCode.SYSTEM_BUSY, remark: `[TIMER_FLOW_CONTROL]too many parked timer messages (${ctx.timer.pendingCount}), try later` };
  }
  const precisionMs = effectiveTimerPrecisionMs(ctx.config.timerPrecisionMs);
  const slotMs = timerSlotMs(at, precisionMs);
  put.msg = parkForTimer(put.msg, slotMs);
  put.timerSlotMs = slotMs;
  put.timerDeliverMs = slotMs + precisionMs;
  return undefined;
}

/** SendMessageProcessor#handlePutMessageResult, WHEEL_TIMER_MSG_ILLEGAL: one remark for every reason. */
const timerIllegal = (ctx: BrokerContext): Refusal => ({
  code: ResponseCode.MESSAGE_ILLEGAL,
  remark: `timer message illegal, the delay time should not be bigger than the max delay ${ctx.config.timerMaxDelaySec * 1000}ms; or if set del msg, the delay time should be bigger than the current time`,
});

function store(ctx: BrokerContext, put: Put): Promise<PutMessageResult> {
  // The transaction service writes a half to its own topic and remembers it as pending.
  return put.half ? ctx.transactions.prepareMessage(put.msg) : ctx.store.putMessage(put.msg);
}

function trackTimer(ctx: BrokerContext, put: Put, r: PutMessageResult): void {
  if (put.timerDeliverMs !== undefined && r.appendResult && isStored(r)) {
    ctx.timer.track(put.timerDeliverMs, r.appendResult.logicsOffset, r.appendResult.wroteOffset);
  }
}

// ------------------------------------------------------------------ retry and DLQ rules

/** MixAll.DLQ_NUMS_PER_GROUP. */
export const DLQ_NUMS_PER_GROUP = 1;

/** Random queue in [0, n), as ThreadLocalRandom.nextInt(99999999) % n. */
export const randomQueue = (n: number): number => Math.floor(Math.random() * 99_999_999) % Math.max(1, n);

export function groupNotExist(group: string): Refusal {
  return { code: ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, remark: `subscription group not exist, ${group} ` };
}

/** The group's reconsume budget: the header's maxReconsumeTimes wins for clients from V3_4_9 on. */
export function maxReconsumeTimes(sg: SubscriptionGroupConfig, clientVersion: number, headerMax: number | undefined): number {
  return clientVersion >= Version.V3_4_9 && headerMax !== undefined ? headerMax : sg.retryMaxTimes;
}

/** `%DLQ%<group>`, created on demand with one queue and read+write permission (TopicConfigManager#createTopicInSendMessageBackMethod). */
export function ensureDlqTopic(ctx: BrokerContext, group: string): string {
  const topic = dlqTopic(group);
  if (!ctx.topics.select(topic)) {
    ctx.topics.createIfAbsent(topic, DLQ_NUMS_PER_GROUP, PermName.PERM_WRITE | PermName.PERM_READ, 0);
    ctx.registerBrokerAll();
  }
  return topic;
}

/**
 * A DELAY Integer.parseInt refuses: the Java CommitLog (4.9) or put hook (5.x) reads the level of every
 * NOT / COMMIT-type message before storing it, and the exception becomes SYSTEM_ERROR with its text.
 */
const malformedDelay = (value: string): Refusal => ({ code: ResponseCode.SYSTEM_ERROR, remark: numberFormatExceptionText(value) });
