/**
 * The stored message record: the CommitLog byte layout (CommitLog#DefaultAppendMessageCallback),
 * which is also what a PULL_MESSAGE body carries. Encoding writes straight into a caller's buffer (the store's write
 * slab) so the send path makes no intermediate copy; the readers pick single fields out of a record
 * without decoding the rest.
 *
 * Layout (IPv4 hosts; each IPv6 host adds 12 bytes and shifts everything after it):
 *   0 TOTALSIZE i32 | 4 MAGIC i32 | 8 BODYCRC i32 | 12 QUEUEID i32 | 16 FLAG i32 | 20 QUEUEOFFSET i64
 *   28 PHYSICALOFFSET i64 | 36 SYSFLAG i32 | 40 BORNTIMESTAMP i64 | 48 BORNHOST 8|20
 *   STORETIMESTAMP i64 | STOREHOST 8|20 | RECONSUMETIMES i32 | PREPAREDTXOFFSET i64
 *   BODYLEN i32 + body | TOPICLEN i8 + topic | PROPLEN i16 + properties
 */
import assert from 'node:assert';
import type { HostAddress, MessageInner } from './message.js';
import { readInt64, readInt64Exact, writeInt64 } from './int64.js';
import { ipBytes, ipToString, isV6 } from './host-address.js';
import { isInt32, isInt64 } from '../protocol/java-number.js';
import { MessageSysFlag, transactionType } from '../protocol/sys-flag.js';
import { crc32 } from './crc32.js';

// The store and the id codec import these from here, beside the record layout they serve.
export { readInt64, readInt64Exact, writeInt64 } from './int64.js';
export { ipBytes, ipToString, isV6 } from './host-address.js';

/** CommitLog.MESSAGE_MAGIC_CODE (v1 record). */
export const MESSAGE_MAGIC_CODE = 0xdaa320a7 | 0;
/** CommitLog.BLANK_MAGIC_CODE: end-of-segment filler. */
export const BLANK_MAGIC_CODE = 0xcbd43194 | 0;
/** CommitLog.END_FILE_MIN_BLANK_LENGTH: a segment always keeps room for the filler's two ints. */
export const END_FILE_MIN_BLANK_LENGTH = 8;
/** Topic length is an int8 in a v1 record (Java rejects longer topics with MESSAGE_ILLEGAL). */
export const MAX_TOPIC_BYTES = 127;
/** Properties length is an int16 (Java: PROPERTIES_SIZE_EXCEEDED). */
export const MAX_PROPERTIES_BYTES = 32767;

const BORN_V6 = MessageSysFlag.BORNHOST_V6_FLAG;
const STORE_V6 = MessageSysFlag.STOREHOSTADDRESS_V6_FLAG;

export const POS_TOTAL_SIZE = 0;
export const POS_MAGIC = 4;
export const POS_BODY_CRC = 8;
export const POS_QUEUE_ID = 12;
export const POS_FLAG = 16;
export const POS_QUEUE_OFFSET = 20;
export const POS_PHYSICAL_OFFSET = 28;
export const POS_SYS_FLAG = 36;
export const POS_BORN_TIMESTAMP = 40;
export const POS_BORN_HOST = 48;

// ---------------------------------------------------------------- CRC and hashes

/** BODYCRC as the Java broker stores it: UtilAll.crc32(body). */
export const bodyCrc = crc32;

// ---------------------------------------------------------------- lengths

export const bornHostLength = (sysFlag: number): number => (sysFlag & BORN_V6 ? 20 : 8);
export const storeHostLength = (sysFlag: number): number => (sysFlag & STORE_V6 ? 20 : 8);

/** CommitLog#calMsgLength. */
export function recordLength(sysFlag: number, bodyBytes: number, topicBytes: number, propertiesBytes: number): number {
  return 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + bornHostLength(sysFlag) + 8 + storeHostLength(sysFlag) + 4 + 8 +
    4 + bodyBytes + 1 + topicBytes + 2 + propertiesBytes;
}

/** The sysFlag a record is written with: host-width bits always agree with the addresses, so the layout cannot lie. */
export function effectiveSysFlag(msg: MessageInner): number {
  let f = msg.sysFlag & ~(BORN_V6 | STORE_V6);
  if (isV6(msg.bornHost)) f |= BORN_V6;
  if (isV6(msg.storeHost)) f |= STORE_V6;
  return f;
}

/** Sizes the encoder needs, computed once per message (before offsets are known). */
export interface RecordPlan {
  sysFlag: number;
  topicBytes: number;
  propertiesBytes: number;
  totalSize: number;
}

/**
 * The first numeric field of `msg` its record cannot hold exactly, as a remark. Java's types make such a
 * message impossible there; here a field can come from anywhere, and catching it now keeps it from
 * failing half-way through an append.
 */
function unencodableField(msg: MessageInner): string | undefined {
  if (!isInt32(msg.queueId)) return notInt32('queueId', msg.queueId);
  if (!isInt32(msg.flag)) return notInt32('flag', msg.flag);
  if (!isInt32(msg.sysFlag)) return notInt32('sysFlag', msg.sysFlag);
  if (!isInt32(msg.reconsumeTimes)) return notInt32('reconsumeTimes', msg.reconsumeTimes);
  if (!isInt32(msg.bornHost.port)) return notInt32('bornHost port', msg.bornHost.port);
  if (!isInt32(msg.storeHost.port)) return notInt32('storeHost port', msg.storeHost.port);
  if (!isInt64(msg.bornTimestamp)) return `bornTimestamp ${msg.bornTimestamp} is not a 64-bit integer`;
  if (!isInt64(msg.preparedTransactionOffset)) return `preparedTransactionOffset ${msg.preparedTransactionOffset} is not a 64-bit integer`;
  return undefined;
}

const notInt32 = (name: string, v: number): string => `${name} ${v} is not a 32-bit integer`;

/** Validates a message and measures its record; returns the first broken rule as text via `error`. */
export function planRecord(msg: MessageInner): RecordPlan | { error: 'MESSAGE_ILLEGAL' | 'PROPERTIES_SIZE_EXCEEDED'; remark: string } {
  const unencodable = unencodableField(msg);
  if (unencodable) return { error: 'MESSAGE_ILLEGAL', remark: `the message cannot be stored: ${unencodable}` };
  const topicBytes = Buffer.byteLength(msg.topic, 'utf8');
  if (topicBytes === 0 || topicBytes > MAX_TOPIC_BYTES) {
    return { error: 'MESSAGE_ILLEGAL', remark: `topic length ${topicBytes} bytes is not within 1..${MAX_TOPIC_BYTES}` };
  }
  // DefaultMessageStore#checkMessage measures chars (MESSAGE_ILLEGAL); CommitLog#doAppend measures bytes.
  if (msg.propertiesString.length > MAX_PROPERTIES_BYTES) {
    return { error: 'MESSAGE_ILLEGAL', remark: `properties length ${msg.propertiesString.length} chars exceeds ${MAX_PROPERTIES_BYTES}` };
  }
  const propertiesBytes = Buffer.byteLength(msg.propertiesString, 'utf8');
  if (propertiesBytes > MAX_PROPERTIES_BYTES) {
    return { error: 'PROPERTIES_SIZE_EXCEEDED', remark: `properties length ${propertiesBytes} bytes exceeds ${MAX_PROPERTIES_BYTES}` };
  }
  const sysFlag = effectiveSysFlag(msg);
  return { sysFlag, topicBytes, propertiesBytes, totalSize: recordLength(sysFlag, msg.body.length, topicBytes, propertiesBytes) };
}

// ---------------------------------------------------------------- encode

/**
 * Encodes one record at `pos` of `buf` (which must have plan.totalSize bytes free); returns the end position.
 * The caller has assigned queueOffset, physicalOffset and storeTimestamp.
 */
export function encodeRecord(
  buf: Buffer, pos: number, msg: MessageInner, plan: RecordPlan,
  queueOffset: number, physicalOffset: number, storeTimestamp: number,
): number {
  assert(pos + plan.totalSize <= buf.length, 'record does not fit the write buffer');
  const start = pos;
  buf.writeInt32BE(plan.totalSize, pos);
  buf.writeInt32BE(MESSAGE_MAGIC_CODE, pos + 4);
  buf.writeInt32BE(bodyCrc(msg.body), pos + 8);
  buf.writeInt32BE(msg.queueId, pos + 12);
  buf.writeInt32BE(msg.flag, pos + 16);
  writeInt64(buf, pos + 20, queueOffset);
  writeInt64(buf, pos + 28, physicalOffset);
  buf.writeInt32BE(plan.sysFlag, pos + 36);
  writeInt64(buf, pos + 40, msg.bornTimestamp);
  pos += 48;
  pos += ipBytes(msg.bornHost.ip).copy(buf, pos);
  buf.writeInt32BE(msg.bornHost.port, pos);
  pos += 4;
  writeInt64(buf, pos, storeTimestamp);
  pos += 8;
  pos += ipBytes(msg.storeHost.ip).copy(buf, pos);
  buf.writeInt32BE(msg.storeHost.port, pos);
  pos += 4;
  buf.writeInt32BE(msg.reconsumeTimes, pos);
  writeInt64(buf, pos + 4, msg.preparedTransactionOffset);
  buf.writeInt32BE(msg.body.length, pos + 12);
  pos += 16;
  pos += msg.body.copy(buf, pos);
  buf.writeInt8(plan.topicBytes, pos);
  pos += 1;
  pos += buf.write(msg.topic, pos, plan.topicBytes, 'utf8');
  buf.writeInt16BE(plan.propertiesBytes, pos);
  pos += 2;
  if (plan.propertiesBytes > 0) pos += buf.write(msg.propertiesString, pos, plan.propertiesBytes, 'utf8');
  assert.equal(pos - start, plan.totalSize, 'encoded record length differs from its plan');
  return pos;
}

/** Writes the end-of-segment filler: int32 remaining, int32 BLANK_MAGIC_CODE. */
export function encodeBlank(buf: Buffer, pos: number, remaining: number): void {
  buf.writeInt32BE(remaining, pos);
  buf.writeInt32BE(BLANK_MAGIC_CODE, pos + 4);
}

// ---------------------------------------------------------------- field readers (record starts at `pos`)

export const readTotalSize = (b: Buffer, pos = 0): number => b.readInt32BE(pos);
export const readMagic = (b: Buffer, pos = 0): number => b.readInt32BE(pos + POS_MAGIC);
export const readBodyCrc = (b: Buffer, pos = 0): number => b.readInt32BE(pos + POS_BODY_CRC);
export const readQueueId = (b: Buffer, pos = 0): number => b.readInt32BE(pos + POS_QUEUE_ID);
export const readFlag = (b: Buffer, pos = 0): number => b.readInt32BE(pos + POS_FLAG);
export const readQueueOffset = (b: Buffer, pos = 0): number => readInt64(b, pos + POS_QUEUE_OFFSET);
export const readPhysicalOffset = (b: Buffer, pos = 0): number => readInt64(b, pos + POS_PHYSICAL_OFFSET);
export const readSysFlag = (b: Buffer, pos = 0): number => b.readInt32BE(pos + POS_SYS_FLAG);
/** Any long a client sent, exactly (a bigint beyond ±2^53). */
export const readBornTimestamp = (b: Buffer, pos = 0): number | bigint => readInt64Exact(b, pos + POS_BORN_TIMESTAMP);

/** Offset (from the record start) of STORETIMESTAMP. */
export const storeTimestampPos = (sysFlag: number): number => POS_BORN_HOST + bornHostLength(sysFlag);
export const readStoreTimestamp = (b: Buffer, pos = 0): number =>
  readInt64(b, pos + storeTimestampPos(readSysFlag(b, pos)));

/** Offset (from the record start) of BODYLEN. */
export const bodyLengthPos = (sysFlag: number): number =>
  storeTimestampPos(sysFlag) + 8 + storeHostLength(sysFlag) + 4 + 8;

/** Positions of the variable-length fields, relative to the buffer (not the record). */
export interface RecordSpans {
  bodyStart: number;
  bodyLength: number;
  topicStart: number;
  topicLength: number;
  propertiesStart: number;
  propertiesLength: number;
  /** One past the last byte the field lengths describe; must equal pos + TOTALSIZE. */
  end: number;
}

/** Walks the length prefixes; returns undefined if they run outside `limit` (a torn or corrupt record). */
export function recordSpans(b: Buffer, pos = 0, limit = b.length): RecordSpans | undefined {
  const sysFlag = readSysFlag(b, pos);
  let p = pos + bodyLengthPos(sysFlag);
  if (p + 4 > limit) return undefined;
  const bodyLength = b.readInt32BE(p);
  const bodyStart = p + 4;
  if (bodyLength < 0 || bodyStart + bodyLength + 1 > limit) return undefined;
  p = bodyStart + bodyLength;
  const topicLength = b.readInt8(p);
  const topicStart = p + 1;
  if (topicLength <= 0 || topicStart + topicLength + 2 > limit) return undefined;
  p = topicStart + topicLength;
  const propertiesLength = b.readInt16BE(p);
  const propertiesStart = p + 2;
  if (propertiesLength < 0 || propertiesStart + propertiesLength > limit) return undefined;
  return { bodyStart, bodyLength, topicStart, topicLength, propertiesStart, propertiesLength, end: propertiesStart + propertiesLength };
}

export function readPropertiesString(b: Buffer, pos = 0): string {
  const s = recordSpans(b, pos);
  assert(s, 'record fields run past the buffer');
  return b.toString('utf8', s.propertiesStart, s.propertiesStart + s.propertiesLength);
}

/** Only NOT_TYPE and COMMIT_TYPE records go to a ConsumeQueue and take a queue offset (prepared and rolled-back ones do not). */
export const isDispatchedType = (sysFlag: number): boolean => {
  const t = transactionType(sysFlag);
  return t === MessageSysFlag.TRANSACTION_NOT_TYPE || t === MessageSysFlag.TRANSACTION_COMMIT_TYPE;
};

// ---------------------------------------------------------------- verify and decode

/** Checks a record in place; returns the first broken rule as text, or undefined when it is whole and intact. */
export function verifyRecord(b: Buffer, pos: number, limit: number, checkCrc = true): string | undefined {
  if (pos + 8 > limit) return 'record header runs past the end';
  const total = readTotalSize(b, pos);
  if (readMagic(b, pos) !== MESSAGE_MAGIC_CODE) return `bad magic 0x${(readMagic(b, pos) >>> 0).toString(16)}`;
  if (total < recordLength(0, 0, 1, 0) || pos + total > limit) return `bad total size ${total}`;
  const spans = recordSpans(b, pos, pos + total);
  if (!spans) return 'field lengths run past the record';
  if (spans.end !== pos + total) return `field lengths add to ${spans.end - pos}, total size says ${total}`;
  if (checkCrc && bodyCrc(b.subarray(spans.bodyStart, spans.bodyStart + spans.bodyLength)) !== readBodyCrc(b, pos)) {
    return 'body CRC mismatch';
  }
  return undefined;
}

export interface DecodedRecord {
  totalSize: number;
  magic: number;
  bodyCrc: number;
  queueId: number;
  flag: number;
  queueOffset: number;
  physicalOffset: number;
  sysFlag: number;
  bornTimestamp: number | bigint;
  bornHost: HostAddress;
  storeTimestamp: number;
  storeHost: HostAddress;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  body: Buffer;
  topic: string;
  propertiesString: string;
}

/** Full decoder (tests, admin views). */
export function decodeRecord(b: Buffer, pos = 0): DecodedRecord {
  const sysFlag = readSysFlag(b, pos);
  const bornLen = bornHostLength(sysFlag) - 4;
  const storeLen = storeHostLength(sysFlag) - 4;
  let p = pos + POS_BORN_HOST;
  const bornHost = { ip: ipToString(b.subarray(p, p + bornLen)), port: b.readInt32BE(p + bornLen) };
  p += bornLen + 4;
  const storeTimestamp = readInt64(b, p);
  p += 8;
  const storeHost = { ip: ipToString(b.subarray(p, p + storeLen)), port: b.readInt32BE(p + storeLen) };
  p += storeLen + 4;
  const reconsumeTimes = b.readInt32BE(p);
  const preparedTransactionOffset = readInt64(b, p + 4);
  const s = recordSpans(b, pos);
  assert(s, 'record fields run past the buffer');
  return {
    totalSize: readTotalSize(b, pos),
    magic: readMagic(b, pos),
    bodyCrc: readBodyCrc(b, pos),
    queueId: readQueueId(b, pos),
    flag: readFlag(b, pos),
    queueOffset: readQueueOffset(b, pos),
    physicalOffset: readPhysicalOffset(b, pos),
    sysFlag,
    bornTimestamp: readBornTimestamp(b, pos),
    bornHost,
    storeTimestamp,
    storeHost,
    reconsumeTimes,
    preparedTransactionOffset,
    body: b.subarray(s.bodyStart, s.bodyStart + s.bodyLength),
    topic: b.toString('utf8', s.topicStart, s.topicStart + s.topicLength),
    propertiesString: b.toString('utf8', s.propertiesStart, s.propertiesStart + s.propertiesLength),
  };
}
