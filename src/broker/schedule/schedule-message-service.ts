/**
 * Delay levels (the Java broker's store/schedule/ScheduleMessageService).
 *
 * A message sent with DELAY=n > 0 is parked in SCHEDULE_TOPIC_XXXX queue n-1 with its real topic and
 * queue in REAL_TOPIC / REAL_QID (see applyDelayLevel, called on every put path that the Java
 * CommitLog would convert). The store writes the delivery time (store time + level delay) into the
 * ConsumeQueue unit's tagsCode slot. This service walks each level's queue in order and, for every
 * unit that is due, puts the message back to its real topic and queue. Progress per level ("next
 * offset to deliver") is kept as config/delayOffset.json, written every flushDelayOffsetInterval and
 * on shutdown; after a crash the messages delivered since the last write are delivered again
 * (at least once), never lost.
 */
import path from 'node:path';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { MessageFilter, MessageStore, PutMessageResult } from '../../store/types.js';
import type { MessageInner } from '../../codec/message.js';
import { MessageConst } from '../../protocol/message-const.js';
import { MessageSysFlag, transactionType } from '../../protocol/sys-flag.js';
import { getProperty, tagsCode } from '../../codec/message-properties.js';
import { parseJavaInt } from '../../protocol/java-number.js';
import { parseDelayLevels } from '../../store/dispatch-info.js';
import { parseFastJson, toFastJson, toFastJsonPretty } from '../../codec/fastjson.js';
import { StateFile } from '../../config/persist.js';
import { TopicValidator } from '../../protocol/topic-validator.js';
import { editProperties, storedMessage } from '../message/stored-message.js';
import { log } from '../../logger.js';

export const SCHEDULE_TOPIC = TopicValidator.RMQ_SYS_SCHEDULE_TOPIC;

/** ScheduleMessageService.DELAY_FOR_A_WHILE: how often an idle level looks for new messages. */
const POLL_IDLE_MS = 100;
/** ScheduleMessageService.DELAY_FOR_A_PERIOD: pause after a failed put before retrying the same offset. */
const RETRY_AFTER_FAILURE_MS = 10_000;
/** Messages delivered per level per step; the store caps a read at 32 messages / 256 KiB anyway. */
const DELIVER_BATCH_MAX = 32;
/** Reader name for the store's getMessage (it does not filter by group). */
const READER_GROUP = 'SCHEDULE_MESSAGE_SERVICE';

/** The delay table: index = level (1-based), value = delay in ms; index 0 unused. */
export function delayLevelTable(config: BrokerConfig): number[] {
  return parseDelayLevels(config.messageDelayLevel);
}

/**
 * CommitLog#asyncPutMessage's delay handling: a NOT/COMMIT-type message with DELAY > 0 goes to
 * SCHEDULE_TOPIC_XXXX queue (level-1), level capped at the highest configured level, with its real
 * topic and queue kept in REAL_TOPIC / REAL_QID. Returns the message unchanged otherwise.
 */
export function applyDelayLevel(msg: MessageInner, maxLevel: number): MessageInner {
  const t = transactionType(msg.sysFlag);
  if (t !== MessageSysFlag.TRANSACTION_NOT_TYPE && t !== MessageSysFlag.TRANSACTION_COMMIT_TYPE) return msg;
  const level = delayLevelOf(msg.propertiesString);
  // A malformed DELAY is refused before a message gets here (the put pipeline's first step, broker/put/put-message.ts).
  if (typeof level !== 'number' || level <= 0) return msg;
  const capped = Math.min(level, maxLevel);
  return {
    ...msg,
    topic: SCHEDULE_TOPIC,
    queueId: capped - 1,
    propertiesString: editProperties(msg.propertiesString, {
      // In decimal even where the client wrote "+3" or "03" (Java keeps those), so every reader of the
      // parked record finds the level in the form it expects.
      [MessageConst.PROPERTY_DELAY_TIME_LEVEL]: String(capped),
      [MessageConst.PROPERTY_REAL_TOPIC]: msg.topic,
      [MessageConst.PROPERTY_REAL_QUEUE_ID]: String(msg.queueId),
    }),
  };
}

/**
 * Message#getDelayTimeLevel: 0 when absent, else Integer.parseInt of DELAY. Java lets a malformed value
 * throw wherever the level is read on the put path, so the send fails with SYSTEM_ERROR before anything
 * is stored; here that is `{ malformed }`, and each caller refuses the message with it.
 */
export function delayLevelOf(props: string): number | { malformed: string } {
  const v = getProperty(props, MessageConst.PROPERTY_DELAY_TIME_LEVEL);
  if (v === undefined) return 0;
  return parseJavaInt(v) ?? { malformed: v };
}

/**
 * ScheduleMessageService#messageTimeup: the parked message back on its real topic and queue. The
 * property string is kept as parked (the Java broker removes DELAY only from its in-memory map), so a
 * delivered message still shows DELAY, REAL_TOPIC and REAL_QID.
 */
export function deliverable(parked: MessageInner): MessageInner | string {
  const props = parked.propertiesString;
  const topic = getProperty(props, MessageConst.PROPERTY_REAL_TOPIC);
  const qid = Number(getProperty(props, MessageConst.PROPERTY_REAL_QUEUE_ID));
  if (!topic || !Number.isInteger(qid) || qid < 0) return 'no REAL_TOPIC / REAL_QID';
  // ScheduleMessageService discards a parked half message: it must never reach consumers.
  if (topic === TopicValidator.RMQ_SYS_TRANS_HALF_TOPIC) return 'real topic is the half-message topic';
  return { ...parked, topic, queueId: qid, tagsCode: tagsCode(getProperty(props, MessageConst.PROPERTY_TAGS)) };
}

export class ScheduleMessageService {
  /** Told of each message delivered to its real topic (the metrics count it out of SCHEDULE_TOPIC_XXXX and into the topic). */
  onDelivered?: (topic: string, wroteBytes: number) => void;
  readonly levels: number[];
  /** level → next ConsumeQueue offset to deliver. */
  private readonly offsets = new Map<number, number>();
  /** level → earliest time its queue needs looking at again. */
  private readonly wakeAtMs = new Map<number, number>();
  private readonly busy = new Set<number>();
  private readonly inFlight = new Set<Promise<void>>();
  readonly name = 'schedule service';
  private readonly state: StateFile<{ offsetTable?: Map<number, number> | Record<string, number> }>;
  private timer?: NodeJS.Timeout;
  private dirty = false;
  private stopped = true;

  constructor(
    private readonly config: BrokerConfig,
    private readonly store: MessageStore,
    private readonly now: () => number = Date.now,
  ) {
    this.levels = delayLevelTable(config);
    const file = path.join(config.storePathRootDir, 'config', 'delayOffset.json');
    this.state = new StateFile(file, () => toFastJsonPretty({ offsetTable: this.offsetTableMap() }), parseFastJson);
  }

  get maxLevel(): number {
    return this.levels.length - 1;
  }

  /** ScheduleMessageService#load: offsets from delayOffset.json (or its .bak). */
  load(): void {
    const obj = this.state.load();
    if (!obj) return;
    const table = obj.offsetTable;
    if (!table) return;
    for (const [k, v] of table instanceof Map ? [...table] : Object.entries(table)) {
      const level = Number(k);
      if (Number.isInteger(level) && level >= 1) this.offsets.set(level, Number(v));
    }
    log.info(`schedule: loaded delay offsets ${this.encode()}`);
  }

  /**
   * SlaveSynchronize#syncDelayOffset: a slave takes its master's GET_ALL_DELAY_OFFSET answer into its
   * table (merged as load() merges, 5.x's loadWhenSyncDelayOffset) and writes delayOffset.json at once
   * (4.9.8 writes the master's text there), so a slave restarted as master delivers from where the
   * master was. Throws when the answer is not a delay-offset table.
   */
  applyMasterOffsets(content: string): void {
    const obj = parseFastJson(content) as { offsetTable?: Map<number, number> | Record<string, number> } | null;
    const table = obj?.offsetTable;
    if (typeof table !== 'object' || table === null) throw new Error(`not a delay offset table: ${content.slice(0, 200)}`);
    for (const [k, v] of table instanceof Map ? [...table] : Object.entries(table)) {
      const level = Number(k);
      if (Number.isInteger(level) && level >= 1) this.offsets.set(level, Number(v));
    }
    this.persist(true);
  }

  /** Starts delivery; the store must be started (offsets are checked against its queues). */
  start(): void {
    // Only a master delivers (BrokerController starts the schedule service on masters); a slave's store refuses puts.
    if (this.config.brokerRole === 'SLAVE') return;
    this.stopped = false;
    for (let level = 1; level <= this.maxLevel; level++) {
      const off = this.offsets.get(level);
      if (off === undefined) continue;
      // correctDelayOffset: an offset outside the queue (files deleted, store replaced) is clamped.
      const min = this.store.getMinOffsetInQueue(SCHEDULE_TOPIC, level - 1);
      const max = this.store.getMaxOffsetInQueue(SCHEDULE_TOPIC, level - 1);
      const fixed = Math.min(Math.max(off, min), max);
      if (fixed !== off) {
        log.warn(`schedule: level ${level} offset ${off} outside [${min}, ${max}], using ${fixed}`);
        this.offsets.set(level, fixed);
        this.dirty = true;
      }
    }
    this.timer = setInterval(() => this.tick(), POLL_IDLE_MS);
    this.timer.unref();
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight]);
    this.persist(true);
  }

  /** Writes delayOffset.json if anything moved (force: always). */
  persist(force = false): void {
    if (!this.dirty && !force) return;
    this.dirty = !this.state.persist();
  }

  /** GET_ALL_DELAY_OFFSET body: ScheduleMessageService#encode() is the compact form. */
  encode(): string {
    return toFastJson({ offsetTable: this.offsetTableMap() });
  }

  private offsetTableMap(): Map<number, number> {
    return new Map([...this.offsets].sort((a, b) => a[0] - b[0]));
  }

  private tick(): void {
    if (this.stopped) return;
    const now = this.now();
    for (let level = 1; level <= this.maxLevel; level++) {
      if (this.busy.has(level) || (this.wakeAtMs.get(level) ?? 0) > now) continue;
      const queueId = level - 1;
      const offset = this.offsets.get(level) ?? 0;
      if (offset >= this.store.getMaxOffsetInQueue(SCHEDULE_TOPIC, queueId)) continue;
      this.busy.add(level);
      const p = this.deliverLevel(level, offset)
        .then((more) => {
          // A full batch of due messages: go on at once rather than after the idle poll.
          if (more && !this.stopped) setImmediate(() => this.tick());
        })
        .catch((e) => {
          log.error(`schedule: level ${level} delivery failed: ${(e as Error).stack}`);
          this.wakeAtMs.set(level, this.now() + RETRY_AFTER_FAILURE_MS);
        })
        .finally(() => {
          this.busy.delete(level);
          this.inFlight.delete(p);
        });
      this.inFlight.add(p);
    }
  }

  /** One step of DeliverDelayedMessageTimerTask#executeOnTimeup for a level; true if more may be due now. */
  private async deliverLevel(level: number, offset: number): Promise<boolean> {
    const now = this.now();
    const delayMs = this.levels[level];
    // Units are in store order, so delivery times only grow along a level's queue: stop at the first not due.
    let notDueAt: number | undefined;
    const filter: MessageFilter = {
      isMatchedByConsumeQueue: (deliverAt: number) => {
        if (notDueAt !== undefined) return false;
        // correctDeliverTimestamp: a time further out than the level's delay means the clock moved back.
        const at = deliverAt > now + delayMs ? now : deliverAt;
        if (at <= now) return true;
        notDueAt = at;
        return false;
      },
    };
    const r = this.store.getMessage(READER_GROUP, SCHEDULE_TOPIC, level - 1, offset, DELIVER_BATCH_MAX, filter);
    if (r.buffers.length === 0) {
      if (notDueAt !== undefined) this.wakeAtMs.set(level, notDueAt);
      else if (r.nextBeginOffset !== offset) this.setOffset(level, r.nextBeginOffset, `store answered ${r.status}`);
      return false;
    }
    const parked = r.buffers.map(storedMessage);
    // Puts append in call order, so firing them together keeps the level's order.
    const puts: Array<Promise<PutMessageResult> | string> = parked.map((m) => {
      const out = deliverable(m);
      return typeof out === 'string' ? out : this.store.putMessage(out);
    });
    let next = offset;
    for (let i = 0; i < parked.length; i++) {
      const p = puts[i];
      if (typeof p === 'string') {
        log.error(`schedule: discarding level ${level} offset ${parked[i].queueOffset}: ${p}`);
      } else {
        const res = await p;
        if (res.status === 'MESSAGE_ILLEGAL') {
          // The store will never take it (a real topic too long or illegal, crafted by a client): retrying
          // would hold every later message of the level behind it forever, so it is discarded, once.
          log.error(`schedule: discarding level ${level} offset ${parked[i].queueOffset}: the store refuses it (${res.remark ?? res.status})`);
        } else if (res.status === 'PUT_OK') {
          const topic = getProperty(parked[i].propertiesString, MessageConst.PROPERTY_REAL_TOPIC);
          if (this.onDelivered && topic) this.onDelivered(topic, res.appendResult?.wroteBytes ?? 0);
        } else {
          log.error(`schedule: level ${level} offset ${parked[i].queueOffset} put failed (${res.status} ${res.remark ?? ''}); retrying in ${RETRY_AFTER_FAILURE_MS} ms`);
          this.wakeAtMs.set(level, this.now() + RETRY_AFTER_FAILURE_MS);
          this.setOffset(level, next);
          return false;
        }
      }
      next = parked[i].queueOffset + 1;
    }
    this.setOffset(level, next);
    if (notDueAt !== undefined) {
      this.wakeAtMs.set(level, notDueAt);
      return false;
    }
    return true;
  }

  private setOffset(level: number, offset: number, why?: string): void {
    if (why) log.warn(`schedule: level ${level} offset ${this.offsets.get(level) ?? 0} → ${offset}: ${why}`);
    if (this.offsets.get(level) === offset) return;
    this.offsets.set(level, offset);
    this.dirty = true;
  }
}
