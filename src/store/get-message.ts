/**
 * The reading half of DefaultMessageStore#getMessage: walk ConsumeQueue units from an offset,
 * apply the filter, pick records out of the CommitLog, and stop where the Java store stops
 * (maxMsgNums, maxTransfer{Bytes,Count}OnMessage{InMemory,InDisk}, 16000 bytes of units scanned,
 * the end of the unit segment). The status rules for offsets outside the queue stay in the store.
 */
import os from 'node:os';
import { log } from '../logger.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { MESSAGE_MAGIC_CODE, readMagic, readQueueOffset, readStoreTimestamp, readTotalSize } from '../codec/message-record.js';
import type { CommitLog } from './commit-log.js';
import { CQ_UNIT_BYTES, decodeUnit, type ConsumeQueue } from './consume-queue.js';
import type { IndexService } from './index-service.js';
import type { GetMessageResult, GetMessageStatus, MessageFilter, QueryMessageResult } from './types.js';

/** DefaultMessageStore#getMessage scans at most max(16000 bytes, maxMsgNums units) of ConsumeQueue per pull. */
const MAX_FILTER_SCAN_BYTES = 16000;
/** A pull of old data reads at most this many bytes of log at once to cover several records. */
const PULL_SPAN_MAX_BYTES = 256 * 1024;
/** ConsumeQueue units read per step of a pull scan (most pulls need far fewer than MAX_FILTER_SCAN_BYTES). */
const CQ_READ_STEP_UNITS = 64;

export interface PullContext {
  commitLog: CommitLog;
  config: BrokerConfig;
  cqSegmentBytes: number;
  /** Bytes behind the log end still counted as "in memory" (Java: a share of physical RAM). */
  inMemoryBytes: number;
}

export function pullContext(commitLog: CommitLog, config: BrokerConfig, cqSegmentBytes: number): PullContext {
  return { commitLog, config, cqSegmentBytes, inMemoryBytes: os.totalmem() * (config.accessMessageInMemoryMaxRatio / 100) };
}

/** The FOUND / NO_MATCHED_MESSAGE / MESSAGE_WAS_REMOVING part of getMessage: walk units, pick records. */
export function collectMessages(ctx: PullContext, cq: ConsumeQueue, offset: number, maxMsgNums: number, filter: MessageFilter | undefined, result: GetMessageResult): void {
  const maxPhy = ctx.commitLog.maxOffset;
  const scanUnits = Math.max(MAX_FILTER_SCAN_BYTES, maxMsgNums * CQ_UNIT_BYTES) / CQ_UNIT_BYTES;
  let status: GetMessageStatus = 'NO_MATCHED_MESSAGE';
  let nextPhyFileStart = -1;
  let maxPhyPulling = 0;
  let i = 0;
  let units: Buffer | undefined = cq.readUnits(offset, Math.min(scanUnits, Math.max(CQ_READ_STEP_UNITS, maxMsgNums)));
  if (!units) {
    result.status = 'OFFSET_FOUND_NULL';
    result.nextBeginOffset = cq.rollNextFile(offset);
    return;
  }
  let base = 0; // unit index where `units` starts, relative to offset
  const span: { start: number; buf?: Buffer } = { start: -1 };
  scan: while (units && i < scanUnits) {
    for (let p = (i - base) * CQ_UNIT_BYTES; p < units.length && i < scanUnits; p += CQ_UNIT_BYTES, i++) {
      const u = decodeUnit(units, p);
      maxPhyPulling = u.phyOffset;
      if (nextPhyFileStart >= 0 && u.phyOffset < nextPhyFileStart) continue;
      const inDisk = maxPhy - u.phyOffset > ctx.inMemoryBytes;
      if (isBatchFull(ctx, u.size, maxMsgNums, result.bufferTotalSize, result.messageCount, inDisk)) break scan;
      if (filter && !filter.isMatchedByConsumeQueue(u.tagsCode)) {
        if (result.bufferTotalSize === 0) status = 'NO_MATCHED_MESSAGE';
        continue;
      }
      const record = readForPull(ctx, u.phyOffset, u.size, units, p, maxMsgNums - result.messageCount, span);
      if (!record) {
        if (result.bufferTotalSize === 0) status = 'MESSAGE_WAS_REMOVING';
        nextPhyFileStart = ctx.commitLog.rollNextFile(u.phyOffset);
        continue;
      }
      // Assert after reading: a unit that does not lead to its own record is never served.
      if (readMagic(record) !== MESSAGE_MAGIC_CODE || readTotalSize(record) !== u.size || readQueueOffset(record) !== offset + i) {
        log.error(`getMessage: ${cq.topic}/${cq.queueId} unit ${offset + i} points at ${u.phyOffset}, which is not its record; skipped`);
        continue;
      }
      if (filter?.isMatchedByCommitLog && !filter.isMatchedByCommitLog(record)) {
        if (result.bufferTotalSize === 0) status = 'NO_MATCHED_MESSAGE';
        continue;
      }
      result.buffers.push(record);
      result.messageCount++;
      result.bufferTotalSize += record.length;
      status = 'FOUND';
      nextPhyFileStart = -1;
    }
    // Next step of units, unless this one stopped at its segment's end.
    const nextOffset = offset + i;
    if (i >= scanUnits || nextOffset >= cq.maxOffset || nextOffset % (ctx.cqSegmentBytes / CQ_UNIT_BYTES) === 0) break;
    base = i;
    units = cq.readUnits(nextOffset, Math.min(scanUnits - i, CQ_READ_STEP_UNITS * 4));
  }
  result.status = status;
  result.nextBeginOffset = offset + i;
  result.suggestPullingFromSlave = maxPhy - maxPhyPulling > ctx.inMemoryBytes;
}

/**
 * One record for a pull: from the recent cache, from the span read for an earlier record of this
 * pull, or by reading a span covering this record and the next units' records (old data: one
 * syscall for several records instead of one each).
 */
function readForPull(ctx: PullContext, phy: number, size: number, units: Buffer, p: number, wanted: number, span: { start: number; buf?: Buffer }): Buffer | undefined {
  if (ctx.commitLog.isRecent(phy)) {
    const r = ctx.commitLog.read(phy, size);
    if (r) return r;
  }
  if (span.buf && phy >= span.start && phy + size <= span.start + span.buf.length) {
    return span.buf.subarray(phy - span.start, phy - span.start + size);
  }
  let end = phy + size;
  for (let q = p + CQ_UNIT_BYTES, k = 1; q + CQ_UNIT_BYTES <= units.length && k < wanted; q += CQ_UNIT_BYTES, k++) {
    const u = decodeUnit(units, q);
    const e = u.phyOffset + u.size;
    if (u.phyOffset < phy || e - phy > PULL_SPAN_MAX_BYTES) break;
    end = Math.max(end, e);
  }
  if (end === phy + size) return ctx.commitLog.read(phy, size);
  const buf = ctx.commitLog.readSpan(phy, size, end - phy);
  if (!buf) return undefined;
  span.start = phy;
  span.buf = buf;
  return buf.subarray(0, size);
}

/** DefaultMessageStore#isTheBatchFull. */
function isBatchFull(ctx: PullContext, sizePy: number, maxMsgNums: number, bufferTotal: number, messageTotal: number, inDisk: boolean): boolean {
  if (bufferTotal === 0 || messageTotal === 0) return false;
  if (maxMsgNums <= messageTotal) return true;
  const c = ctx.config;
  if (inDisk) {
    return bufferTotal + sizePy > c.maxTransferBytesOnMessageInDisk || messageTotal > c.maxTransferCountOnMessageInDisk - 1;
  }
  return bufferTotal + sizePy > c.maxTransferBytesOnMessageInMemory || messageTotal > c.maxTransferCountOnMessageInMemory - 1;
}

/** DefaultMessageStore#queryMessage: up to three passes, each narrowing the time window to the oldest hit. */
/** CommitLog#pickupStoreTimestamp: -1 when the record is gone. */
export function storeTimestampAt(commitLog: CommitLog, phyOffset: number, size: number): number {
  // STORETIMESTAMP ends at most 76 bytes in (IPv6 born host); read only the head.
  const head = commitLog.read(phyOffset, Math.min(size, 76));
  return head && head.length >= 56 ? readStoreTimestamp(head) : -1;
}

/** First queue offset whose store time is >= timestamp; the max offset when every message is older (binary search). */
export function offsetByTime(commitLog: CommitLog, cq: ConsumeQueue, timestamp: number): number {
  let lo = cq.minOffset;
  let hi = cq.maxOffset;
  const minPhy = commitLog.minOffset;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const u = cq.unitAt(mid);
    const t = u && u.phyOffset >= minPhy ? storeTimestampAt(commitLog, u.phyOffset, u.size) : -1;
    if (t < timestamp) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function queryByKey(
  index: IndexService | undefined, commitLog: CommitLog, topic: string, key: string, maxNum: number, beginTimestamp: number, endTimestamp: number,
): QueryMessageResult {
  const result: QueryMessageResult = { buffers: [], messageCount: 0, bufferTotalSize: 0, indexLastUpdateTimestamp: 0, indexLastUpdatePhyoffset: 0 };
  if (!index) return result;
  let end = endTimestamp;
  for (let pass = 0; pass < 3; pass++) {
    const found = index.query(topic, key, maxNum, beginTimestamp, end);
    if (found.phyOffsets.length === 0) break;
    found.phyOffsets.sort((a, b) => a - b);
    result.indexLastUpdateTimestamp = found.indexLastUpdateTimestamp;
    result.indexLastUpdatePhyoffset = found.indexLastUpdatePhyoffset;
    for (let m = 0; m < found.phyOffsets.length; m++) {
      const record = commitLog.readRecord(found.phyOffsets[m]);
      if (!record) continue;
      if (m === 0) end = readStoreTimestamp(record);
      result.buffers.push(record);
      result.messageCount++;
      result.bufferTotalSize += record.length;
    }
    if (result.bufferTotalSize > 0 || end < beginTimestamp) break;
  }
  return result;
}
