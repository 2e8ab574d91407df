import { intRule, type Rules } from './config-rules.js';

/**
 * Timer message keys (TIMER_DELIVER_MS / TIMER_DELAY_SEC / TIMER_DELAY_MS), named and defaulted as the 5.x
 * MessageStoreConfig names them. The timer itself is src/broker/schedule/timer-message-service.ts; the
 * checks and the rounding a send goes through are in src/broker/put/put-message.ts (routeTimer).
 */
export const TIMER_CONFIG_DEFAULTS = {
  /**
   * Longest delay accepted, in seconds: a send asking for more is MESSAGE_ILLEGAL (5.x HookUtils
   * #transformTimerMessage). 5.x's default, 3 days.
   */
  timerMaxDelaySec: 3 * 86_400,
  /**
   * Granularity of delivery times, in ms. As MessageStoreConfig#setTimerPrecisionMs, a value is taken
   * down to the nearest of 100, 200, 500, 1000 (effectiveTimerPrecisionMs).
   */
  timerPrecisionMs: 1_000,
};

export type TimerConfig = { -readonly [K in keyof typeof TIMER_CONFIG_DEFAULTS]: (typeof TIMER_CONFIG_DEFAULTS)[K] };

export const TIMER_RULES: Rules<TimerConfig> = {
  timerMaxDelaySec: intRule(1),
  timerPrecisionMs: intRule(1),
};

/** The precisions MessageStoreConfig#setTimerPrecisionMs snaps to, ascending. */
const TIMER_PRECISION_CANDIDATES_MS = [100, 200, 500, 1000] as const;

/** The precision a configured value stands for: the largest candidate not above it (100 below 200). */
export function effectiveTimerPrecisionMs(configuredMs: number): number {
  let p: number = TIMER_PRECISION_CANDIDATES_MS[0];
  for (const c of TIMER_PRECISION_CANDIDATES_MS) if (configuredMs >= c) p = c;
  return p;
}

/**
 * The wheel slot a delivery time goes to, as 5.x HookUtils#transformTimerMessage rounds it: down to the
 * precision, and one slot earlier when already on a boundary. The 5.x timer delivers a slot once its
 * write clock (now, rounded down) has moved past it, i.e. at slot + precision: never before the time asked
 * for, at most one precision after. TIMER_OUT_MS carries the slot.
 */
export function timerSlotMs(deliverMs: number, precisionMs: number): number {
  const rem = deliverMs % precisionMs;
  return rem === 0 ? deliverMs - precisionMs : deliverMs - rem;
}
