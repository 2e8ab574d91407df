/**
 * Big-endian two's-complement int64 fields (records, ConsumeQueue units, index and checkpoint files).
 * Offsets and store times are JS numbers, exact below 2^53, and take the BigInt-free path; a field a
 * client chose (bornTimestamp) may be any long, so it is written and read back exactly, as a bigint
 * when it is beyond ±2^53.
 */
import assert from 'node:assert';

const TWO_POW_32 = 4294967296;
/** High words of the int64 values strictly inside ±2^53: the reader's fast path. */
const SAFE_HIGH_WORD_LIMIT = 0x200000;

/** Writes an int64; a number must be integral and in range (beyond 2^53 it is whatever the double holds). */
export function writeInt64(buf: Buffer, pos: number, v: number | bigint): void {
  if (typeof v === 'bigint') {
    buf.writeBigInt64BE(v, pos);
    return;
  }
  const hi = Math.floor(v / TWO_POW_32);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(v - hi * TWO_POW_32, pos + 4);
}

/** Reads an int64 as a number: exact for offsets, sizes and times (below 2^53). */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_POW_32 + buf.readUInt32BE(pos + 4);
}

/** Reads an int64 exactly: a number when it is a safe integer, else a bigint. */
export function readInt64Exact(buf: Buffer, pos: number): number | bigint {
  const hi = buf.readInt32BE(pos);
  if (hi > -SAFE_HIGH_WORD_LIMIT && hi < SAFE_HIGH_WORD_LIMIT) return hi * TWO_POW_32 + buf.readUInt32BE(pos + 4);
  const big = buf.readBigInt64BE(pos);
  const n = Number(big);
  if (Number.isSafeInteger(n)) {
    assert.equal(BigInt(n), big, 'int64 read back inexactly');
    return n;
  }
  return big;
}
