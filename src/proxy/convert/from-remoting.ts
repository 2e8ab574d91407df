/**
 * Messages as a broker hands them over remoting (POP_MESSAGE and PULL_MESSAGE bodies: stored records
 * back to back, MessageDecoder#decodesBatch) and as a gRPC client receives them
 * (apache.rocketmq.v2.Message, GrpcConverter#buildMessage in rocketmq-proxy 5.3.3). Objects are in
 * the shape grpc/proto.ts's loader options encode: camelCase fields, enums by name, Timestamp and
 * Duration as { seconds, nanos }, bytes as Buffer.
 */
import zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import { recordSpans, decodeRecord, readTotalSize } from '../../codec/message-record.js';
import { parseProperties } from '../../codec/message-properties.js';
import { createOffsetMessageId } from '../../codec/message-id.js';
import { MessageConst, MessageConst5, RESERVED_PROPERTY_NAMES } from '../../protocol/message-const.js';
import { MessageSysFlag } from '../../protocol/sys-flag.js';
import { DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX, isSystemTopic } from '../../protocol/topic-validator.js';

/** One message of a broker's answer (MessageExt as the Java client decodes it). */
export interface RemotingMessage {
  topic: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  sysFlag: number;
  bornTimestamp: number;
  /** The born host's address without port (MessageExt#getBornHostString). */
  bornHost: string;
  storeTimestamp: number;
  /** `ip:port` (NetworkUtil#socketAddress2String). */
  storeHost: string;
  reconsumeTimes: number;
  body: Buffer;
  properties: Map<string, string>;
  /** The offset message id (store host + CommitLog offset). */
  msgId: string;
}

/** CompressionType values in sysFlag bits 8..10 (MessageSysFlag#getCompressionType); 0 is an old client's zlib. */
const COMPRESSION_ZLIB = [0, 3];
const COMPRESSION_ZSTD = 2;

/**
 * MessageDecoder#decodesBatch(readBody, decompressBody = true): every record of `body`; a record that
 * does not parse ends the list, as in Java (which stops at the first failed decode).
 */
export function decodeMessages(body: Buffer | undefined): RemotingMessage[] {
  const out: RemotingMessage[] = [];
  if (!body) return out;
  for (let pos = 0; pos + 4 <= body.length; ) {
    const size = readTotalSize(body, pos);
    if (size <= 0 || pos + size > body.length || !recordSpans(body, pos, pos + size)) break;
    out.push(decodeOne(body.subarray(pos, pos + size)));
    pos += size;
  }
  return out;
}

function decodeOne(record: Buffer): RemotingMessage {
  const d = decodeRecord(record);
  let sysFlag = d.sysFlag;
  // Our own copy: the record may be a view of a reused network buffer.
  let body: Buffer = Buffer.from(d.body);
  if (sysFlag & MessageSysFlag.COMPRESSED_FLAG) {
    const inflated = decompress(body, (sysFlag & MessageSysFlag.COMPRESSION_TYPE_MASK) >> 8);
    if (inflated) {
      body = inflated;
      sysFlag &= ~MessageSysFlag.COMPRESSED_FLAG;
    }
  }
  const born = typeof d.bornTimestamp === 'bigint' ? Number(d.bornTimestamp) : d.bornTimestamp;
  return {
    topic: d.topic,
    queueId: d.queueId,
    queueOffset: d.queueOffset,
    commitLogOffset: d.physicalOffset,
    sysFlag,
    bornTimestamp: born,
    bornHost: d.bornHost.ip,
    storeTimestamp: d.storeTimestamp,
    storeHost: `${d.storeHost.ip}:${d.storeHost.port}`,
    reconsumeTimes: d.reconsumeTimes,
    body,
    properties: parseProperties(d.propertiesString),
    msgId: createOffsetMessageId(d.storeHost, d.physicalOffset),
  };
}

/** Inflates a compressed body; undefined when this Node cannot (LZ4, or ZSTD before Node 22.15): it is handed on as stored. */
function decompress(body: Buffer, type: number): Buffer | undefined {
  try {
    if (COMPRESSION_ZLIB.includes(type)) return zlib.inflateSync(body);
    const zstd = (zlib as unknown as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync;
    if (type === COMPRESSION_ZSTD && zstd) return zstd(body);
  } catch {
    // A body that does not inflate is handed on as stored, flagged compressed.
  }
  return undefined;
}

/** google.protobuf.Timestamp / Duration from milliseconds (Timestamps#fromMillis, Durations#fromMillis). */
export function fromMillis(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** Milliseconds of a Timestamp or Duration as the loader decodes it (absent → 0). */
export function toMillis(d: { seconds?: number | string; nanos?: number } | null | undefined): number {
  if (!d) return 0;
  return Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1_000_000);
}

/** GrpcConverter#buildResource: `ns%name` (and `%RETRY%ns%name`) split into namespace and name; system names kept whole. */
export function resourceOf(full: string): { resourceNamespace: string; name: string } {
  if (!full || isSystemTopic(full)) return { resourceNamespace: '', name: full };
  let prefix = '';
  let rest = full;
  if (full.startsWith(RETRY_GROUP_TOPIC_PREFIX)) prefix = RETRY_GROUP_TOPIC_PREFIX;
  else if (full.startsWith(DLQ_GROUP_TOPIC_PREFIX)) prefix = DLQ_GROUP_TOPIC_PREFIX;
  rest = full.slice(prefix.length);
  const i = rest.indexOf('%');
  if (i <= 0) return { resourceNamespace: '', name: full };
  return { resourceNamespace: rest.slice(0, i), name: prefix + rest.slice(i + 1) };
}

/** A number property (Long.parseLong); undefined when absent or not a number (Java would fail the whole receive). */
function longProperty(props: Map<string, string>, key: string): number | undefined {
  const v = props.get(key);
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return undefined;
  return Number(v);
}

/** MessageType as GrpcConverter decides it from the properties. */
function messageTypeOf(props: Map<string, string>): 'TRANSACTION' | 'DELAY' | 'FIFO' | 'NORMAL' {
  if (props.get(MessageConst.PROPERTY_TRANSACTION_PREPARED) === 'true') return 'TRANSACTION';
  if (props.has(MessageConst.PROPERTY_DELAY_TIME_LEVEL) || props.has(MessageConst.PROPERTY_TIMER_DELIVER_MS) || props.has(MessageConst.PROPERTY_TIMER_DELAY_SEC)) {
    return 'DELAY';
  }
  if (props.has(MessageConst5.PROPERTY_SHARDING_KEY)) return 'FIFO';
  return 'NORMAL';
}

/** String#split(" ") as Java does it: trailing empty strings dropped. */
function splitKeys(keys: string): string[] {
  const parts = keys.split(MessageConst.KEY_SEPARATOR);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/**
 * GrpcConverter#buildMessage: the gRPC Message for one received message. The receipt handle is the
 * POP_CK property when there is one (pop-result.ts sets it to the proxy's handle); the delivery attempt
 * is reconsumeTimes + 1. `now` dates a TIMER_DELAY_SEC message's delivery, as the Java proxy does.
 */
export function toGrpcMessage(m: RemotingMessage, now = Date.now()): Record<string, unknown> {
  const p = m.properties;
  const userProperties: Record<string, string> = {};
  for (const [k, v] of p) if (!RESERVED_PROPERTY_NAMES.has(k)) userProperties[k] = v;

  const sys: Record<string, unknown> = {
    keys: [],
    messageId: p.get(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX) ?? m.msgId,
    bodyDigest: { type: 'MD5', checksum: createHash('md5').update(m.body).digest('hex').toUpperCase() },
    bodyEncoding: m.sysFlag & MessageSysFlag.COMPRESSED_FLAG ? 'GZIP' : 'IDENTITY',
    messageType: messageTypeOf(p),
    bornTimestamp: fromMillis(m.bornTimestamp),
    bornHost: p.get(MessageConst5.PROPERTY_BORN_HOST)?.trim() ? p.get(MessageConst5.PROPERTY_BORN_HOST) : m.bornHost,
    storeTimestamp: fromMillis(m.storeTimestamp),
    storeHost: m.storeHost,
    queueId: m.queueId,
    queueOffset: m.queueOffset,
    deliveryAttempt: m.reconsumeTimes + 1,
  };
  const tag = p.get(MessageConst.PROPERTY_TAGS);
  if (tag !== undefined) sys.tag = tag;
  const keys = p.get(MessageConst.PROPERTY_KEYS);
  if (keys !== undefined) sys.keys = splitKeys(keys);
  const delaySec = longProperty(p, MessageConst.PROPERTY_TIMER_DELAY_SEC);
  const deliverMs = longProperty(p, MessageConst.PROPERTY_TIMER_DELIVER_MS);
  if (delaySec !== undefined) sys.deliveryTimestamp = fromMillis(now + delaySec * 1000);
  else if (deliverMs !== undefined) sys.deliveryTimestamp = fromMillis(deliverMs);
  const group = p.get(MessageConst5.PROPERTY_SHARDING_KEY);
  if (group !== undefined) sys.messageGroup = group;
  const handle = p.get(MessageConst5.PROPERTY_POP_CK);
  if (handle !== undefined) sys.receiptHandle = handle;
  const trace = p.get(MessageConst5.PROPERTY_TRACE_CONTEXT);
  if (trace !== undefined) sys.traceContext = trace;
  const dlqTopic = p.get(MessageConst5.PROPERTY_DLQ_ORIGIN_TOPIC);
  const dlqId = p.get(MessageConst5.PROPERTY_DLQ_ORIGIN_MESSAGE_ID);
  if (dlqTopic !== undefined && dlqId !== undefined) sys.deadLetterQueue = { topic: dlqTopic, messageId: dlqId };

  return { topic: resourceOf(m.topic), userProperties, systemProperties: sys, body: m.body };
}
