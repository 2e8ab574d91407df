/**
 * The default HA protocol's frames (raw TCP, no remoting framing), the same in 4.9 and in 5.x without
 * controller mode:
 *   slave → master: int64 the slave's log end (the first one on a connection asks where to start,
 *                   later ones acknowledge what it has);
 *   master → slave: int64 log offset of the first body byte, int32 body size (0 = heartbeat), then the
 *                   log bytes as they are in the master's file.
 * All big-endian.
 */
import { readInt64, writeInt64 } from '../../codec/int64.js';

export const REPORT_BYTES = 8;
export const TRANSFER_HEADER_BYTES = 12;

export function encodeReport(offset: number): Buffer {
  const b = Buffer.allocUnsafe(REPORT_BYTES);
  writeInt64(b, 0, offset);
  return b;
}

export function encodeTransferHeader(offset: number, bodySize: number): Buffer {
  const b = Buffer.allocUnsafe(TRANSFER_HEADER_BYTES);
  writeInt64(b, 0, offset);
  b.writeInt32BE(bodySize, 8);
  return b;
}

export interface TransferHeader {
  offset: number;
  bodySize: number;
}

export function decodeTransferHeader(b: Buffer, pos = 0): TransferHeader {
  return { offset: readInt64(b, pos), bodySize: b.readInt32BE(pos + 8) };
}

/** The last complete report in `b` (the master acts only on the newest), or undefined with fewer than 8 bytes. */
export function lastReport(b: Buffer): number | undefined {
  const whole = b.length - (b.length % REPORT_BYTES);
  return whole === 0 ? undefined : readInt64(b, whole - REPORT_BYTES);
}
