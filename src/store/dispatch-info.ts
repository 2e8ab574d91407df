/**
 * What a ConsumeQueue unit needs from a record, computed the same way on the send path and when
 * recovery rebuilds units from the CommitLog (CommitLog#checkMessageAndReturnSize).
 */
import { MessageConst } from '../protocol/message-const.js';
import { TopicValidator } from '../protocol/topic-validator.js';
import { javaStringHash, getProperty } from '../codec/message-properties.js';

/** TopicValidator.RMQ_SYS_SCHEDULE_TOPIC: its unit's tagsCode slot holds the delivery time. */
export const SCHEDULE_TOPIC = TopicValidator.RMQ_SYS_SCHEDULE_TOPIC;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** ScheduleMessageService#parseDelayLevel: "1s 5s 10s …" ⇒ level (1-based) → delay ms. */
export function parseDelayLevels(spec: string): number[] {
  const table = [0];
  for (const item of spec.trim().split(/\s+/)) {
    const unit = UNIT_MS[item.slice(-1)];
    const n = Number(item.slice(0, -1));
    if (!unit || !Number.isFinite(n)) throw new Error(`messageDelayLevel: bad level "${item}"`);
    table.push(n * unit);
  }
  return table;
}

/** ScheduleMessageService#computeDeliverTimestamp (levels above the max use the max). */
export function deliverTimestamp(levels: number[], delayLevel: number, storeTimestamp: number): number {
  const level = Math.min(delayLevel, levels.length - 1);
  return level > 0 ? storeTimestamp + levels[level] : storeTimestamp + 1000;
}

/**
 * A SCHEDULE_TOPIC record's tagsCode: the delivery time of its DELAY level, or undefined when it has
 * no level above 0 (then the tag hash stands). The send path and recovery both call this, so a unit
 * written live and one rebuilt after a crash hold the same value. DELAY is read last-wins, as every
 * property; a value that is not an integer counts as no level (the broker refuses such a DELAY
 * before it routes a message here).
 */
export function scheduleTagsCode(levels: number[], properties: string, storeTimestamp: number): number | undefined {
  const delay = getProperty(properties, MessageConst.PROPERTY_DELAY_TIME_LEVEL);
  if (delay === undefined) return undefined;
  const level = Number(delay);
  return Number.isInteger(level) && level > 0 ? deliverTimestamp(levels, level, storeTimestamp) : undefined;
}

/** tagsCode of a stored record from its topic and properties (recovery path). */
export function tagsCodeOf(levels: number[], topic: string, properties: string, storeTimestamp: number): number {
  if (topic === SCHEDULE_TOPIC) {
    const delivery = scheduleTagsCode(levels, properties, storeTimestamp);
    if (delivery !== undefined) return delivery;
  }
  const tags = getProperty(properties, MessageConst.PROPERTY_TAGS);
  return tags ? javaStringHash(tags) : 0;
}
