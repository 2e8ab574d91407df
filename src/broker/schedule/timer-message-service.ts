/**
 * Arbitrary delivery time: the RocketMQ 5.x message properties TIMER_DELIVER_MS (absolute ms),
 * TIMER_DELAY_SEC and TIMER_DELAY_MS (relative), which the 4.9 Java broker ignores. A 4.9.8 client sets
 * them as user properties.
 *
 * Durable design (a sorted timer log rather than a wheel):
 * - the message is parked in `rmq_sys_wheel_timer` queue 0 (the topic 5.x uses), with TIMER_OUT_MS
 *   (delivery time), REAL_TOPIC and REAL_QID: the CommitLog is the durable record;
 * - an in-memory min-heap (delivery time, queue offset, CommitLog offset) drives one timeout set for the
 *   earliest entry, so delivery is within a few ms of due, not a polling period;
 * - config/timerCheckpoint.json holds the heap and the queue offset up to which it is complete, written
 *   every flushDelayOffsetInterval and on shutdown; on start the heap is reloaded and the queue scanned
 *   from that offset. A crash re-delivers what was delivered since the last checkpoint (at least once).
 */
import { TIMER_TOPIC } from '../../protocol/topic-validator.js';
import path from 'node:path';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { MessageStore } from '../../store/types.js';
import type { MessageInner } from '../../codec/message.js';
import { MessageConst } from '../../protocol/message-const.js';
import { MessageSysFlag, transactionType } from '../../protocol/sys-flag.js';
import { getProperty } from '../../codec/message-properties.js';
import { parseJavaLong } from '../../protocol/java-number.js';
import { StateFile } from '../../config/persist.js';
import { editProperties, storedMessage } from '../message/stored-message.js';
import { deliverable } from './schedule-message-service.js';
import { log } from '../../logger.js';
import { effectiveTimerPrecisionMs } from '../../config/timer.js';
import { TimerHeap, type TimerEntry } from './timer-heap.js';

/** TimerMessageStore.TIMER_TOPIC (5.x). */
export { TIMER_TOPIC };
const TIMER_QUEUE_ID = 0;
/** Longest sleep of the timer: a clock step or a lost wake-up is noticed within this. */
const TIMER_SLEEP_MAX_MS = 1_000;
/** Pause before retrying a delivery whose put failed. */
const RETRY_AFTER_FAILURE_MS = 1_000;
/** Parked messages delivered per timer firing: a backlog (after downtime) drains in bounded steps. */
const DELIVER_BATCH_MAX = 1_000;
/** Records read per step when rebuilding the heap from the queue. */
const SCAN_BATCH = 32;
const READER_GROUP = 'TIMER_MESSAGE_SERVICE';

/**
 * A rate as 5.x PerfCounter#getLastTps reports it: the count over the last completed window of at least a
 * second, and 0 once no event came for the window plus 3 s.
 */
class LastTps {
  private windowStartMs = 0;
  private count = 0;
  private lastTps = 0;

  add(n: number, nowMs: number): void {
    if (this.windowStartMs === 0) this.windowStartMs = nowMs;
    this.roll(nowMs);
    this.count += n;
  }

  get(nowMs: number): number {
    this.roll(nowMs);
    return nowMs - this.windowStartMs <= 1000 + 3000 ? this.lastTps : 0;
  }

  private roll(nowMs: number): void {
    const spanMs = nowMs - this.windowStartMs;
    if (this.windowStartMs === 0 || spanMs < 1000) return;
    this.lastTps = (this.count * 1000) / spanMs;
    if (this.count > 0) this.windowStartMs = nowMs;
    this.count = 0;
  }
}

/**
 * The delivery time a message asks for, `undefined` if it has none, or the first broken rule. As 5.x
 * HookUtils#transformTimerMessage: TIMER_DELAY_SEC wins over TIMER_DELAY_MS over TIMER_DELIVER_MS, each
 * read with Long.parseLong, and a value it refuses makes the message illegal. A long beyond ±2^53 is
 * taken approximately: it is ages away either way, and only which side of now and of the maximum delay
 * it falls on matters. (Java multiplies TIMER_DELAY_SEC by 1000 in 64 bits, so a huge value wraps
 * around there; here it stays huge and is refused as too far.)
 */
export function timerDeliverMs(props: string, nowMs: number): number | undefined | { error: string } {
  const sec = getProperty(props, MessageConst.PROPERTY_TIMER_DELAY_SEC);
  if (sec !== undefined) {
    const n = timerLong(MessageConst.PROPERTY_TIMER_DELAY_SEC, sec);
    return typeof n === 'number' ? nowMs + n * 1000 : n;
  }
  const ms = getProperty(props, MessageConst.PROPERTY_TIMER_DELAY_MS);
  if (ms !== undefined) {
    const n = timerLong(MessageConst.PROPERTY_TIMER_DELAY_MS, ms);
    return typeof n === 'number' ? nowMs + n : n;
  }
  const abs = getProperty(props, MessageConst.PROPERTY_TIMER_DELIVER_MS);
  return abs === undefined ? undefined : timerLong(MessageConst.PROPERTY_TIMER_DELIVER_MS, abs);
}

function timerLong(name: string, v: string): number | { error: string } {
  const n = parseJavaLong(v);
  return n === undefined ? { error: `timer message property ${name}=${v} is not an integer` } : Number(n);
}

/** Parks a NOT/COMMIT-type message in the timer topic at its wheel slot; the caller has checked the delivery time. */
export function parkForTimer(msg: MessageInner, slotMs: number): MessageInner {
  return {
    ...msg,
    topic: TIMER_TOPIC,
    queueId: TIMER_QUEUE_ID,
    propertiesString: editProperties(msg.propertiesString, {
      [MessageConst.PROPERTY_TIMER_OUT_MS]: String(slotMs),
      [MessageConst.PROPERTY_REAL_TOPIC]: msg.topic,
      [MessageConst.PROPERTY_REAL_QUEUE_ID]: String(msg.queueId),
    }),
  };
}

export const isTimerCandidate = (msg: MessageInner): boolean => {
  const t = transactionType(msg.sysFlag);
  return t === MessageSysFlag.TRANSACTION_NOT_TYPE || t === MessageSysFlag.TRANSACTION_COMMIT_TYPE;
};

export class TimerMessageService {
  private readonly heap = new TimerHeap();
  /** Queue offset up to which every parked message is in the heap or delivered. */
  private scanned = 0;
  readonly name = 'timer service';
  private readonly state: StateFile<{ scanned: number; pending: Array<[number, number, number]> }>;
  private timer?: NodeJS.Timeout;
  private timerAtMs = Infinity;
  private delivering = false;
  private readonly inFlight = new Set<Promise<void>>();
  private dirty = false;
  private stopped = true;
  /** Never started (slave): nothing to write at shutdown. */
  private started = false;
  /** The deliverMs of the earliest entry being delivered now (taken off the heap, not yet put). */
  private deliveringFromMs: number | undefined;
  /** A slave: the master's lastReadTimeMs as last synced (applyMasterCheckpoint), used once at start(). */
  private masterReadTimeMs: number | undefined;

  constructor(
    private readonly config: BrokerConfig,
    private readonly store: MessageStore,
    private readonly now: () => number = Date.now,
  ) {
    const file = path.join(config.storePathRootDir, 'config', 'timerCheckpoint.json');
    const render = (): string => JSON.stringify({ scanned: this.scanned, pending: this.heap.entries().map((e) => [e.deliverMs, e.queueOffset, e.phyOffset]) });
    this.state = new StateFile(file, render, JSON.parse);
  }

  /** The timer's granularity (config/timer.ts). */
  private get precisionMs(): number {
    return effectiveTimerPrecisionMs(this.config.timerPrecisionMs);
  }

  get pendingCount(): number {
    return this.heap.size;
  }

  /** Delivery times of the parked messages, unordered (the metrics' timer gauges read them at scrape time). */
  pendingDeliverTimes(): number[] {
    return this.heap.entries().map((e) => e.deliverMs);
  }

  /** Loads the checkpoint: the parked messages it lists and the queue offset it covers. */
  load(): void {
    const cp = this.state.load();
    if (!cp) return;
    this.scanned = cp.scanned;
    for (const [deliverMs, queueOffset, phyOffset] of cp.pending) this.heap.push({ deliverMs, queueOffset, phyOffset });
  }

  /**
   * TimerCheckpoint as GET_TIMER_CHECK_POINT answers it: lastReadTimeMs is the timer slot (TIMER_OUT_MS)
   * below which every parked message has been delivered (the earliest one not yet delivered, or now), and
   * lastTimerQueueOffset the timer-queue offset up to which messages are parked.
   */
  checkpoint(): { lastReadTimeMs: number; lastTimerQueueOffset: number } {
    // A message is delivered at slot + precision; with nothing due before, every slot up to now - precision is done.
    const due = [this.heap.peek()?.deliverMs ?? Infinity, this.deliveringFromMs ?? Infinity, this.now() + 1];
    return { lastReadTimeMs: Math.min(...due) - this.precisionMs, lastTimerQueueOffset: this.scanned };
  }

  /**
   * A slave keeps its master's lastReadTimeMs (SlaveSynchronize#syncTimerCheckPoint). When it becomes master
   * (controller mode), start() drops the parked messages of slots below it: the old master delivered them.
   * The value is at most one sync period old, so a few may be delivered twice (at least once), none lost.
   */
  applyMasterCheckpoint(lastReadTimeMs: number): void {
    if (this.config.brokerRole === 'SLAVE' && Number.isFinite(lastReadTimeMs)) this.masterReadTimeMs = lastReadTimeMs;
  }

  /** Scans the timer queue past the checkpoint and starts delivering. The store must be started. */
  start(): void {
    // Only a master delivers; a slave's store refuses puts.
    if (this.config.brokerRole === 'SLAVE') return;
    this.started = true;
    const min = this.store.getMinOffsetInQueue(TIMER_TOPIC, TIMER_QUEUE_ID);
    const max = this.store.getMaxOffsetInQueue(TIMER_TOPIC, TIMER_QUEUE_ID);
    if (this.scanned > max) {
      log.warn(`timer: checkpoint offset ${this.scanned} beyond queue end ${max}; rescanning the queue`);
      this.scanned = 0;
    }
    let offset = Math.max(this.scanned, min);
    let recovered = 0;
    while (offset < max) {
      const r = this.store.getMessage(READER_GROUP, TIMER_TOPIC, TIMER_QUEUE_ID, offset, SCAN_BATCH);
      if (r.buffers.length === 0) {
        if (r.nextBeginOffset <= offset) break;
        offset = r.nextBeginOffset;
        continue;
      }
      for (const b of r.buffers) {
        const m = storedMessage(b);
        // TIMER_OUT_MS is the wheel slot (config/timer.ts timerSlotMs): delivered one precision later.
        const deliverMs = Number(getProperty(m.propertiesString, MessageConst.PROPERTY_TIMER_OUT_MS)) + this.precisionMs;
        if (Number.isFinite(deliverMs)) {
          this.heap.push({ deliverMs, queueOffset: m.queueOffset, phyOffset: m.commitLogOffset });
          recovered++;
        }
        offset = m.queueOffset + 1;
      }
    }
    this.scanned = offset;
    this.dirty = recovered > 0;
    if (this.masterReadTimeMs !== undefined) this.dropDeliveredByMaster(this.masterReadTimeMs);
    log.info(`timer: ${this.heap.size} parked messages (${recovered} recovered from the queue past the checkpoint)`);
    this.stopped = false;
    this.arm();
  }

  /** A slave turned master: parked messages of slots below the old master's lastReadTimeMs were delivered by it. */
  private dropDeliveredByMaster(lastReadTimeMs: number): void {
    this.masterReadTimeMs = undefined;
    const all = this.heap.entries();
    const keep = all.filter((e) => e.deliverMs - this.precisionMs >= lastReadTimeMs);
    if (keep.length === all.length) return;
    while (this.heap.size) this.heap.pop();
    for (const e of keep) this.heap.push(e);
    this.dirty = true;
    log.info(`timer: ${all.length - keep.length} parked messages below the old master's read time ${lastReadTimeMs} dropped (it delivered them)`);
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight]);
    this.persist(true);
  }

  persist(force = false): void {
    if (!this.started || (!this.dirty && !force)) return;
    this.dirty = !this.state.persist();
  }

  private readonly enqueueTps = new LastTps();
  private readonly dequeueTps = new LastTps();

  /**
   * The timer figures of 5.x GET_BROKER_RUNTIME_INFO: timerReadBehind (s the earliest due message waits
   * past its time), timerOffsetBehind (parked messages not yet indexed: always 0 here, the put path indexes
   * them), timerCongestNum (parked messages waiting), timerEnqueueTps / timerDequeueTps.
   */
  runtimeStats(nowMs = this.now()): { readBehindSec: number; offsetBehind: number; congestNum: number; enqueueTps: number; dequeueTps: number } {
    const head = this.heap.peek();
    return {
      readBehindSec: head && head.deliverMs < nowMs ? Math.floor((nowMs - head.deliverMs) / 1000) : 0,
      offsetBehind: this.started ? Math.max(0, this.store.getMaxOffsetInQueue(TIMER_TOPIC, TIMER_QUEUE_ID) - this.scanned) : 0,
      congestNum: this.heap.size,
      enqueueTps: this.enqueueTps.get(nowMs),
      dequeueTps: this.dequeueTps.get(nowMs),
    };
  }

  /** Whether another message may be parked (the in-memory index is bounded). */
  hasRoom(): boolean {
    return this.heap.size < this.config.timerPendingMax;
  }

  /** Told by the put path once a parked message is stored (in queue order). */
  track(deliverMs: number, queueOffset: number, phyOffset: number): void {
    this.heap.push({ deliverMs, queueOffset, phyOffset });
    this.enqueueTps.add(1, this.now());
    if (queueOffset >= this.scanned) this.scanned = queueOffset + 1;
    this.dirty = true;
    if (deliverMs < this.timerAtMs) this.arm();
  }

  private arm(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const head = this.heap.peek();
    const now = this.now();
    const wait = head ? Math.min(Math.max(0, head.deliverMs - now), TIMER_SLEEP_MAX_MS) : TIMER_SLEEP_MAX_MS;
    this.timerAtMs = now + wait;
    this.timer = setTimeout(() => this.fire(), wait);
    this.timer.unref();
  }

  private fire(): void {
    this.timerAtMs = Infinity;
    if (this.stopped || this.delivering) return;
    const now = this.now();
    const due: TimerEntry[] = [];
    while (due.length < DELIVER_BATCH_MAX && this.heap.size && this.heap.peek()!.deliverMs <= now) due.push(this.heap.pop()!);
    if (due.length === 0) return this.arm();
    this.delivering = true;
    this.deliveringFromMs = due[0].deliverMs;
    const p = this.deliver(due)
      .catch((e) => log.error(`timer: delivery failed: ${(e as Error).stack}`))
      .finally(() => {
        this.delivering = false;
        this.deliveringFromMs = undefined;
        this.inFlight.delete(p);
        this.arm();
      });
    this.inFlight.add(p);
  }

  private async deliver(due: TimerEntry[]): Promise<void> {
    const puts = due.map((e) => {
      const record = this.store.lookMessageByOffset(e.phyOffset);
      if (!record) return `record at ${e.phyOffset} is gone`;
      const parked = storedMessage(record);
      const out = deliverable(parked);
      if (typeof out === 'string') return out;
      // As 5.x TimerMessageStore#convert/convertMessage: the delivered message loses REAL_TOPIC/REAL_QID
      // and tells when it entered and left the timer.
      out.propertiesString = editProperties(out.propertiesString, {
        [MessageConst.PROPERTY_REAL_TOPIC]: undefined,
        [MessageConst.PROPERTY_REAL_QUEUE_ID]: undefined,
        [MessageConst.PROPERTY_TIMER_ENQUEUE_MS]: String(parked.storeTimestamp),
        [MessageConst.PROPERTY_TIMER_DEQUEUE_MS]: String(this.now()),
      });
      return this.store.putMessage(out);
    });
    for (let i = 0; i < due.length; i++) {
      const p = puts[i];
      if (typeof p === 'string') {
        log.error(`timer: discarding parked message ${due[i].queueOffset}: ${p}`);
        continue;
      }
      const r = await p;
      if (r.status !== 'PUT_OK') {
        log.error(`timer: delivering parked message ${due[i].queueOffset} failed (${r.status}); retrying`);
        this.heap.push({ ...due[i], deliverMs: this.now() + RETRY_AFTER_FAILURE_MS });
      } else {
        this.dequeueTps.add(1, this.now());
      }
    }
    this.dirty = true;
  }
}
