/**
 * The AutoSwitchHA frames (RocketMQ 5.x controller mode; raw TCP on the HA port, big-endian), as
 * AutoSwitchHAClient and AutoSwitchHAConnection 5.3.3 write them. Every frame starts with the sender's
 * HAConnectionState ordinal, which is how the reader tells the kinds apart:
 *   slave → master  handshake (16): int32 state=HANDSHAKE, int16 isSyncFromLastFile, int16 isAsyncLearner,
 *                                   int64 slave brokerId
 *                   report    (12): int32 state=TRANSFER, int64 the slave's log end
 *   master → slave  handshake (20 + 12·n): int32 state=HANDSHAKE, int32 bodySize, int64 master max offset,
 *                                   int32 last epoch; body: n × (int32 epoch, int64 startOffset)
 *                   transfer  (36 + data): int32 state=TRANSFER, int32 bodySize, int64 offset of the first
 *                                   body byte, int32 epoch, int64 epochStartOffset, int64 confirmOffset; body:
 *                                   log bytes as in the master's file, all of one epoch (0 bytes = heartbeat)
 * This protocol is not the default HA one (src/store/ha/ha-frames.ts): the two never meet on one port.
 */
import { readInt64, writeInt64 } from '../../../codec/int64.js';

/** HAConnectionState ordinals (5.3.3 store/ha/HAConnectionState.java). */
export const HAConnectionState = { READY: 0, HANDSHAKE: 1, TRANSFER: 2, SUSPEND: 3, SHUTDOWN: 4 } as const;

export const SLAVE_HANDSHAKE_BYTES = 16;
export const SLAVE_REPORT_BYTES = 12;
export const MASTER_HANDSHAKE_HEADER_BYTES = 20;
export const MASTER_TRANSFER_HEADER_BYTES = 36;
export const EPOCH_ENTRY_BYTES = 12;
/**
 * The master's handshake buffer holds 1000 entries (AbstractWriteSocketService#handShakeBuffer; more overflow it
 * in Java): we send the newest 1000, which are the ones a consistent point is searched in first.
 */
export const MAX_EPOCH_ENTRIES = 1000;

export interface SlaveHandshake {
  syncFromLastFile: boolean;
  asyncLearner: boolean;
  brokerId: number;
}

export function encodeSlaveHandshake(h: SlaveHandshake): Buffer {
  const b = Buffer.allocUnsafe(SLAVE_HANDSHAKE_BYTES);
  b.writeInt32BE(HAConnectionState.HANDSHAKE, 0);
  b.writeInt16BE(h.syncFromLastFile ? 1 : 0, 4);
  b.writeInt16BE(h.asyncLearner ? 1 : 0, 6);
  writeInt64(b, 8, h.brokerId);
  return b;
}

export function decodeSlaveHandshake(b: Buffer, pos: number): SlaveHandshake {
  // Java tests each flag for == 1.
  return { syncFromLastFile: b.readInt16BE(pos + 4) === 1, asyncLearner: b.readInt16BE(pos + 6) === 1, brokerId: readInt64(b, pos + 8) };
}

export function encodeSlaveReport(offset: number): Buffer {
  const b = Buffer.allocUnsafe(SLAVE_REPORT_BYTES);
  b.writeInt32BE(HAConnectionState.TRANSFER, 0);
  writeInt64(b, 4, offset);
  return b;
}

export interface WireEpochEntry {
  epoch: number;
  startOffset: number;
}

export function encodeMasterHandshake(maxOffset: number, lastEpoch: number, entries: readonly WireEpochEntry[]): Buffer {
  const n = Math.min(entries.length, MAX_EPOCH_ENTRIES);
  const first = entries.length - n;
  const b = Buffer.allocUnsafe(MASTER_HANDSHAKE_HEADER_BYTES + n * EPOCH_ENTRY_BYTES);
  b.writeInt32BE(HAConnectionState.HANDSHAKE, 0);
  b.writeInt32BE(n * EPOCH_ENTRY_BYTES, 4);
  writeInt64(b, 8, maxOffset);
  b.writeInt32BE(lastEpoch, 16);
  for (let i = 0; i < n; i++) {
    const at = MASTER_HANDSHAKE_HEADER_BYTES + i * EPOCH_ENTRY_BYTES;
    b.writeInt32BE(entries[first + i].epoch, at);
    writeInt64(b, at + 4, entries[first + i].startOffset);
  }
  return b;
}

export interface TransferHeader {
  bodySize: number;
  offset: number;
  epoch: number;
  epochStartOffset: number;
  confirmOffset: number;
}

export function encodeTransferHeader(h: TransferHeader): Buffer {
  const b = Buffer.allocUnsafe(MASTER_TRANSFER_HEADER_BYTES);
  b.writeInt32BE(HAConnectionState.TRANSFER, 0);
  b.writeInt32BE(h.bodySize, 4);
  writeInt64(b, 8, h.offset);
  b.writeInt32BE(h.epoch, 16);
  writeInt64(b, 20, h.epochStartOffset);
  writeInt64(b, 28, h.confirmOffset);
  return b;
}

/** The fields every master frame starts with (the first 20 bytes of either kind). */
export interface MasterFrameHead {
  state: number;
  bodySize: number;
  /** Handshake: the master's max offset; transfer: the offset of the first body byte. */
  offset: number;
  epoch: number;
}

export function decodeMasterHead(b: Buffer): MasterFrameHead {
  return { state: b.readInt32BE(0), bodySize: b.readInt32BE(4), offset: readInt64(b, 8), epoch: b.readInt32BE(16) };
}

export function decodeTransferTail(b: Buffer): { epochStartOffset: number; confirmOffset: number } {
  return { epochStartOffset: readInt64(b, 20), confirmOffset: readInt64(b, 28) };
}

export function decodeEpochEntries(body: Buffer): WireEpochEntry[] {
  const out: WireEpochEntry[] = [];
  for (let at = 0; at + EPOCH_ENTRY_BYTES <= body.length; at += EPOCH_ENTRY_BYTES) {
    out.push({ epoch: body.readInt32BE(at), startOffset: readInt64(body, at + 4) });
  }
  return out;
}
