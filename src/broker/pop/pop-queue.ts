/**
 * Popping one queue (PopMessageProcessor#popMsgFromQueue): read from the queue's pop offset, record a
 * checkpoint for what was read, and say what is left. The caller builds the response from the
 * accumulated `PopBatch`.
 */
import type { BrokerContext } from '../broker-context.js';
import type { MessageFilter } from '../../store/types.js';
import { RETRY_GROUP_TOPIC_PREFIX } from '../../protocol/topic-validator.js';
import {
  PROPERTY_POP_CK, buildExtraInfo, msgOffsetEntry, offsetOrderCountEntry, orderCountEntry, retryFlagOf, startOffsetEntry,
} from '../../protocol/pop-const.js';
import { editProperties, encodeForClient, storedMessage } from '../message/stored-message.js';
import { queueKey, type CheckPoint } from './pop-state.js';

/** Byte position of QUEUEOFFSET in a stored record (TOTALSIZE, MAGICCODE, BODYCRC, QUEUEID, FLAG before it). */
const QUEUE_OFFSET_POS = 20;

export interface PopBatch {
  buffers: Buffer[];
  count: number;
  restNum: number;
  startOffsetInfo: string[];
  msgOffsetInfo: string[];
  orderCountInfo: string[];
}

export interface PopArgs {
  group: string;
  /** The topic the client asked for (answers carry it). */
  topic: string;
  maxMsgNums: number;
  invisibleTime: number;
  popTime: number;
  reviveQid: number;
  /** ConsumeInitMode: 0 MIN, 1 MAX. */
  initMode: number;
  order: boolean;
  filter?: MessageFilter;
}

export const newBatch = (): PopBatch => ({ buffers: [], count: 0, restNum: 0, startOffsetInfo: [], msgOffsetInfo: [], orderCountInfo: [] });

/**
 * Where a queue's popping starts when it has no pop offset yet (PopMessageProcessor#getInitOffset): the
 * group's committed offset; else MIN (and any retry topic) from the queue's start; else MAX from the
 * last message, or from 0 while the queue still holds its first message (initPopOffsetByCheckMsgInMem:
 * the Java broker also asks whether that message is still in memory; this store reads it either way).
 */
function initialOffset(ctx: BrokerContext, group: string, topic: string, queueId: number, initMode: number): number {
  const committed = ctx.offsets.queryOffset(group, topic, queueId);
  if (committed >= 0) return committed;
  const min = ctx.store.getMinOffsetInQueue(topic, queueId);
  if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) || initMode === 0) return min;
  const max = ctx.store.getMaxOffsetInQueue(topic, queueId);
  if (ctx.config.initPopOffsetByCheckMsgInMem && min <= 0 && max > 0) return 0;
  return Math.max(0, max - 1);
}

/** Pops `queueId` of `realTopic` (the topic or its POP retry topic) into `batch`. */
export function popQueue(ctx: BrokerContext, a: PopArgs, realTopic: string, queueId: number, batch: PopBatch): void {
  const pop = ctx.pop;
  const want = a.maxMsgNums - batch.count;
  const qk = queueKey(a.group, realTopic, queueId);
  let offset = pop.state.offsets.get(qk) ?? initialOffset(ctx, a.group, realTopic, queueId, a.initMode);
  const maxOffset = ctx.store.getMaxOffsetInQueue(realTopic, queueId);
  if (a.order && popOrderLocked(ctx, a, realTopic, queueId, batch)) return;
  if (want <= 0 || pop.state.inflight(a.group, realTopic, queueId) >= ctx.config.popInflightMessageThreshold) {
    batch.restNum += Math.max(0, maxOffset - offset);
    return;
  }
  let r = ctx.store.getMessage(a.group, realTopic, queueId, offset, want, a.filter);
  if (r.status === 'OFFSET_TOO_SMALL' || r.status === 'OFFSET_OVERFLOW_BADLY' || r.status === 'OFFSET_FOUND_NULL') {
    offset = r.nextBeginOffset;
    r = ctx.store.getMessage(a.group, realTopic, queueId, offset, want, a.filter);
  }
  batch.restNum += Math.max(0, r.maxOffset - r.nextBeginOffset);
  if (r.buffers.length === 0) {
    // Filtered-out or expired messages are skipped for good, as the Java broker's mock checkpoint does.
    if (r.nextBeginOffset > offset) {
      pop.record({ k: 'off', g: a.group, t: realTopic, q: queueId, o: r.nextBeginOffset });
      ctx.offsets.commitOffset(a.group, realTopic, queueId, r.nextBeginOffset);
    } else if (!pop.state.offsets.has(qk)) {
      pop.record({ k: 'off', g: a.group, t: realTopic, q: queueId, o: offset });
    }
    return;
  }
  const offsets = r.buffers.map((b) => Number(b.readBigInt64BE(QUEUE_OFFSET_POS)));
  const ck: CheckPoint = {
    group: a.group, topic: realTopic, queueId, startOffset: offset, offsets,
    popTime: a.popTime, invisibleTime: a.invisibleTime, reviveQid: a.reviveQid, order: a.order, attempt: 0,
  };
  // On its way to the journal before the messages are answered (pop-journal.ts).
  pop.record({ k: 'ck', ck, next: r.nextBeginOffset });
  ctx.offsets.commitOffset(a.group, realTopic, queueId, r.nextBeginOffset);
  ctx.stats.incGet(a.group, realTopic, r.messageCount, r.bufferTotalSize);
  ctx.metrics?.messagesOut(a.group, realTopic, r.messageCount, r.bufferTotalSize);
  addToBatch(ctx, a, ck, r.buffers, batch);
}

function addToBatch(ctx: BrokerContext, a: PopArgs, ck: CheckPoint, buffers: Buffer[], batch: PopBatch): void {
  const isRetry = ck.topic !== a.topic;
  for (let i = 0; i < buffers.length; i++) {
    if (!isRetry || ctx.config.popResponseReturnActualRetryTopic) {
      batch.buffers.push(buffers[i]);
      continue;
    }
    // A retry message answers as the popped topic, with the POP_CK the client would have built (it
    // could not: its startOffsetInfo key names the retry flag, the message the plain topic).
    const m = storedMessage(buffers[i]);
    const extra = buildExtraInfo({
      ckQueueOffset: ck.startOffset, popTime: ck.popTime, invisibleTime: ck.invisibleTime, reviveQid: ck.reviveQid,
      retry: retryFlagOf(ck.topic), brokerName: ctx.config.brokerName, queueId: ck.queueId, queueOffset: ck.offsets[i],
    });
    batch.buffers.push(encodeForClient({ ...m, topic: a.topic, propertiesString: editProperties(m.propertiesString, { [PROPERTY_POP_CK]: extra }) }));
  }
  batch.count += buffers.length;
  batch.startOffsetInfo.push(startOffsetEntry(ck.topic, ck.queueId, ck.startOffset));
  batch.msgOffsetInfo.push(msgOffsetEntry(ck.topic, ck.queueId, ck.offsets));
  if (a.order) {
    // ConsumerOrderInfoManager#update: `qo<queue>%<offset> <count>` for offsets delivered before, then the
    // queue's smallest count (older clients read that one).
    if (ck.attempt > 0) for (const o of ck.offsets) batch.orderCountInfo.push(offsetOrderCountEntry(ck.topic, ck.queueId, o, ck.attempt));
    batch.orderCountInfo.push(orderCountEntry(ck.topic, ck.queueId, ck.attempt));
  }
}

/**
 * Orderly pop (ConsumerOrderInfoManager#checkBlock): a queue with un-acked orderly messages is locked
 * to them. Before their invisible time ends nobody pops it; after, the same un-acked messages (and
 * only them) are delivered again, in order, with the attempt count in orderCountInfo. True when the
 * queue was locked (the batch got the re-delivery, or nothing).
 */
function popOrderLocked(ctx: BrokerContext, a: PopArgs, realTopic: string, queueId: number, batch: PopBatch): boolean {
  const held = ctx.pop.state.queueCks(a.group, realTopic, queueId).filter((c) => c.order);
  if (held.length === 0) return false;
  const old = held[0];
  if (old.popTime + old.invisibleTime > a.popTime || batch.count > 0) return true;
  const pending = old.offsets.filter((o) => !old.acked.has(o));
  const buffers: Buffer[] = [];
  for (const o of pending) {
    const r = ctx.store.getMessage(a.group, realTopic, queueId, o, 1);
    if (r.buffers.length > 0) buffers.push(r.buffers[0]);
  }
  const ck: CheckPoint = {
    ...old, startOffset: pending[0], offsets: pending, popTime: a.popTime, invisibleTime: a.invisibleTime, attempt: old.attempt + 1,
  };
  ctx.pop.record({ k: 'done', key: `${a.group}@${realTopic}@${queueId}@${old.startOffset}@${old.popTime}` });
  ctx.pop.record({ k: 'ck', ck, next: -1 });
  addToBatch(ctx, a, ck, buffers, batch);
  return true;
}
