/**
 * The put-time routing the Java CommitLog (delay levels) and the 5.x HookUtils (timer properties) apply
 * to every message written for a client: the send path, consumer send-back and transaction commit all
 * put through here; the schedule and timer services' own deliveries do not (they would park again).
 */
import type { BrokerContext } from '../broker-context.js';
import type { PutMessageResult } from '../../store/types.js';
import type { MessageInner } from '../../codec/message.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { MessageConst } from '../../protocol/message-const.js';
import { getProperty } from '../../codec/message-properties.js';
import { numberFormatExceptionText } from '../../protocol/java-number.js';
import { applyDelayLevel, delayLevelOf } from '../schedule/schedule-message-service.js';
import { isTimerCandidate, parkForTimer, timerDeliverMs } from '../schedule/timer-message-service.js';
import { editProperties } from '../message/stored-message.js';

export type Routed = { msg: MessageInner; timerDeliverMs?: number } | { code: number; remark: string };

const TIMER_PROPS = [MessageConst.PROPERTY_TIMER_DELIVER_MS, MessageConst.PROPERTY_TIMER_DELAY_SEC, MessageConst.PROPERTY_TIMER_DELAY_MS];

/**
 * Where a message is really stored: SCHEDULE_TOPIC_XXXX for DELAY > 0 (which wins over timer
 * properties, as in 5.x, which drops them), the timer topic for a future TIMER_* time, else as sent.
 * A DELAY that is not an int is SYSTEM_ERROR, a TIMER_* that is not a long (or too far) MESSAGE_ILLEGAL.
 * `timers: false` skips timer parking (a message going to the DLQ must not wait again).
 */
export function routeForStore(ctx: BrokerContext, msg: MessageInner, timers = true): Routed {
  const props = msg.propertiesString;
  // Hot path: most messages carry neither property (one scan each instead of four property lookups).
  if (!props.includes('DELAY\u0001') && !props.includes('TIMER_')) return { msg };
  if (!isTimerCandidate(msg)) return { msg };
  const level = delayLevelOf(props);
  if (typeof level === 'object') return malformedDelay(level.malformed);
  if (level > 0) {
    const hasTimer = TIMER_PROPS.some((k) => getProperty(props, k) !== undefined);
    const m = hasTimer ? { ...msg, propertiesString: editProperties(props, Object.fromEntries(TIMER_PROPS.map((k) => [k, undefined]))) } : msg;
    return { msg: applyDelayLevel(m, ctx.schedule.maxLevel) };
  }
  if (!timers) return { msg };
  const now = Date.now();
  const at = timerDeliverMs(props, now);
  if (at === undefined) return { msg };
  if (typeof at === 'object') return { code: ResponseCode.MESSAGE_ILLEGAL, remark: at.error };
  const maxMs = ctx.config.timerMaxDelaySec * 1000;
  if (at - now > maxMs) {
    return { code: ResponseCode.MESSAGE_ILLEGAL, remark: `timer message delay ${at - now} ms exceeds timerMaxDelaySec=${ctx.config.timerMaxDelaySec}` };
  }
  // Already due: no reason to park it.
  if (at <= now) return { msg };
  if (!ctx.timer.hasRoom()) {
    return { code: ResponseCode.SYSTEM_BUSY, remark: `[TIMER_FLOW_CONTROL]too many parked timer messages (${ctx.timer.pendingCount}), try later` };
  }
  return { msg: parkForTimer(msg, at), timerDeliverMs: at };
}

/**
 * A DELAY Integer.parseInt refuses: the Java CommitLog (4.9) or put hook (5.x) reads the level of every
 * NOT / COMMIT-type message before storing it, and the exception becomes SYSTEM_ERROR with its text.
 */
export const malformedDelay = (value: string): { code: number; remark: string } =>
  ({ code: ResponseCode.SYSTEM_ERROR, remark: numberFormatExceptionText(value) });

const STORED = new Set(['PUT_OK', 'FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE']);

/** Puts a routed message and tells the timer about a parked one. */
export async function putRouted(ctx: BrokerContext, routed: { msg: MessageInner; timerDeliverMs?: number }): Promise<PutMessageResult> {
  const r = await ctx.store.putMessage(routed.msg);
  if (routed.timerDeliverMs !== undefined && r.appendResult && STORED.has(r.status)) {
    ctx.timer.track(routed.timerDeliverMs, r.appendResult.logicsOffset, r.appendResult.wroteOffset);
  }
  return r;
}
