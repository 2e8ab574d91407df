/**
 * A gRPC SendMessageRequest's messages as a remoting send: the properties string each message is
 * stored with, the sysFlag, and the SEND_MESSAGE_V2 header (or SEND_BATCH_MESSAGE and its body for
 * several messages). The checks and property order are rocketmq-proxy 5.3.3's
 * SendMessageActivity#buildMessageProperty and ProducerProcessor#buildSendMessageRequestHeader; each
 * refusal is the status and message the Apache proxy answers.
 */
import { MessageConst, MessageConst5, RESERVED_PROPERTY_NAMES, NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR } from '../../protocol/message-const.js';
import { MessageSysFlag } from '../../protocol/sys-flag.js';
import { TopicValidator } from '../../protocol/topic-validator.js';
import type { ProxyConfig } from '../proxy-config.js';
import { ProxyError } from '../proxy-error.js';
import { hasControlCharacter, validateTag } from '../validate.js';

/** A Timestamp or Duration as the loader decodes it. */
interface ProtoTime {
  seconds?: number | string;
  nanos?: number;
}

const millisOf = (t: ProtoTime): number => Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1_000_000);

/** One message ready for a broker. */
export interface OutgoingMessage {
  body: Buffer;
  /** The properties string (name \u0001 value \u0002 ...), as the broker stores it. */
  properties: string;
  /** UNIQ_KEY: the SDK's message id. */
  messageId: string;
  bornTimestampMs: number | undefined;
  /** What the message is, by its properties (TopicMessageType#parseFromMessageProperty). */
  messageType: 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION';
  messageGroup: string;
}

/** Guava-free delay level choice: the first level longer than the wait, else the last (ProxyConfig#computeDelayLevel). */
export function delayLevelFor(config: ProxyConfig, deliveryMs: number, nowMs = Date.now()): number {
  const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const levels = config.messageDelayLevel.split(' ').map((t, i) => ({ level: i + 1, ms: Number(t.slice(0, -1)) * (units[t.slice(-1)] ?? 0) }));
  levels.sort((a, b) => a.ms - b.ms);
  const wait = deliveryMs - nowMs;
  return (levels.find((l) => l.ms > wait) ?? levels[levels.length - 1]).level;
}

/**
 * SendMessageActivity#buildMessage for one gRPC Message: validates it and returns what the broker is
 * sent. `producerGroup` is the topic name (the proxy's producer group for every gRPC producer, so
 * the broker's transaction check-back finds the proxy by it). `remoteAddr` is the born host when the
 * SDK sent none.
 */
export function toOutgoing(config: ProxyConfig, m: any, producerGroup: string, remoteAddr: string, nowMs = Date.now()): OutgoingMessage {
  const sys = m.systemProperties ?? {};
  const body: Buffer = m.body ?? Buffer.alloc(0);
  if (config.enableMessageBodyEmptyCheck && body.length === 0) throw new ProxyError('MESSAGE_BODY_EMPTY', 'message body cannot be empty');
  if (config.maxMessageSize > 0 && body.length > config.maxMessageSize) {
    throw new ProxyError('MESSAGE_BODY_TOO_LARGE', `message body cannot exceed the max ${config.maxMessageSize}`);
  }
  const props = new Map<string, string>();
  let userPropertyBytes = 0;
  const user: Record<string, string> = m.userProperties ?? {};
  const userEntries = Object.entries(user);
  if (userEntries.length > config.userPropertyMaxNum) {
    throw new ProxyError('MESSAGE_PROPERTIES_TOO_LARGE', `too many user properties, max is ${config.userPropertyMaxNum}`);
  }
  for (const [k, v] of userEntries) {
    if (RESERVED_PROPERTY_NAMES.has(k)) throw new ProxyError('ILLEGAL_MESSAGE_PROPERTY_KEY', `property is used by system: ${k}`);
    if (hasControlCharacter(k)) throw new ProxyError('ILLEGAL_MESSAGE_PROPERTY_KEY', 'the key of property cannot contain control character');
    if (hasControlCharacter(v)) throw new ProxyError('ILLEGAL_MESSAGE_PROPERTY_KEY', 'the value of property cannot contain control character');
    userPropertyBytes += Buffer.byteLength(k) + Buffer.byteLength(v);
    props.set(k, v);
  }
  const tag: string = sys.tag ?? '';
  validateTag(tag);
  if (tag) props.set(MessageConst.PROPERTY_TAGS, tag);
  userPropertyBytes += Buffer.byteLength(tag);
  const keys: string[] = sys.keys ?? [];
  for (const key of keys) {
    if (key && key.trim() === '') throw new ProxyError('ILLEGAL_MESSAGE_KEY', 'key cannot be the char sequence of whitespace');
    if (key && hasControlCharacter(key)) throw new ProxyError('ILLEGAL_MESSAGE_KEY', 'key cannot contain control character');
    userPropertyBytes += Buffer.byteLength(key);
  }
  if (keys.length > 0) props.set(MessageConst.PROPERTY_KEYS, keys.join(MessageConst.KEY_SEPARATOR));
  if (userPropertyBytes > config.maxUserPropertySize) {
    throw new ProxyError('MESSAGE_PROPERTIES_TOO_LARGE', `the total size of user property is too large, max is ${config.maxUserPropertySize}`);
  }
  const messageId: string = sys.messageId ?? '';
  if (messageId.trim() === '') throw new ProxyError('ILLEGAL_MESSAGE_ID', 'message id cannot be empty');
  props.set(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, messageId);

  const transactional = sys.messageType === 'TRANSACTION';
  if (transactional) {
    props.set(MessageConst.PROPERTY_TRANSACTION_PREPARED, 'true');
    if (sys.orphanedTransactionRecoveryDuration) {
      const seconds = Math.floor(millisOf(sys.orphanedTransactionRecoveryDuration) / 1000);
      if (config.maxTransactionRecoverySecond > 0 && seconds > config.maxTransactionRecoverySecond) {
        throw new ProxyError('BAD_REQUEST', `the max transaction recovery time of message is too large, max is ${config.maxTransactionRecoverySecond}`);
      }
      props.set(MessageConst.PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS, String(seconds));
    }
  }
  if (sys.deliveryTimestamp) {
    const deliveryMs = millisOf(sys.deliveryTimestamp);
    if (config.maxDelayTimeMills > 0 && deliveryMs - nowMs > config.maxDelayTimeMills) {
      throw new ProxyError('ILLEGAL_DELIVERY_TIME', `the max delay time of message is too large, max is ${config.maxDelayTimeMills}`);
    }
    if (config.useDelayLevel) props.set(MessageConst.PROPERTY_DELAY_TIME_LEVEL, String(delayLevelFor(config, deliveryMs, nowMs)));
    props.set(MessageConst.PROPERTY_TIMER_DELIVER_MS, String(deliveryMs));
  }
  props.set(MessageConst.PROPERTY_RECONSUME_TIME, String(sys.deliveryAttempt ?? 0));
  props.set(MessageConst.PROPERTY_PRODUCER_GROUP, producerGroup);
  const group: string = sys.messageGroup ?? '';
  if (group) {
    if (group.trim() === '') throw new ProxyError('ILLEGAL_MESSAGE_GROUP', 'message group cannot be the char sequence of whitespace');
    if (config.maxMessageGroupSize > 0) {
      if (Buffer.byteLength(group) >= config.maxMessageGroupSize) {
        throw new ProxyError('ILLEGAL_MESSAGE_GROUP', `message group exceed the max size ${config.maxMessageGroupSize}`);
      }
      if (hasControlCharacter(group)) throw new ProxyError('ILLEGAL_MESSAGE_GROUP', 'message group cannot contain control character');
    }
    props.set(MessageConst5.PROPERTY_SHARDING_KEY, group);
  }
  if (sys.traceContext) props.set(MessageConst5.PROPERTY_TRACE_CONTEXT, sys.traceContext);
  const bornHost: string = sys.bornHost?.trim() ? sys.bornHost : remoteAddr;
  if (bornHost?.trim()) props.set(MessageConst5.PROPERTY_BORN_HOST, bornHost);
  let bornTimestampMs: number | undefined;
  if (sys.bornTimestamp) {
    bornTimestampMs = millisOf(sys.bornTimestamp);
    props.set(MessageConst5.PROPERTY_BORN_TIMESTAMP, String(bornTimestampMs));
  }
  return {
    body,
    properties: propertiesString(props),
    messageId,
    bornTimestampMs,
    messageType: typeOfProperties(props),
    messageGroup: group,
  };
}

/** TopicMessageType#parseFromMessageProperty. */
function typeOfProperties(p: Map<string, string>): OutgoingMessage['messageType'] {
  if (p.get(MessageConst.PROPERTY_TRANSACTION_PREPARED) === 'true') return 'TRANSACTION';
  if (p.has(MessageConst.PROPERTY_DELAY_TIME_LEVEL) || p.has(MessageConst.PROPERTY_TIMER_DELIVER_MS) ||
    p.has(MessageConst.PROPERTY_TIMER_DELAY_SEC) || p.has(MessageConst.PROPERTY_TIMER_DELAY_MS)) return 'DELAY';
  if (p.has(MessageConst5.PROPERTY_SHARDING_KEY)) return 'FIFO';
  return 'NORMAL';
}

/** MessageDecoder#messageProperties2String: each pair followed by the separator. */
function propertiesString(p: Map<string, string>): string {
  let s = '';
  for (const [k, v] of p) s += k + NAME_VALUE_SEPARATOR + v + PROPERTY_SEPARATOR;
  return s;
}

/** sysFlag: GZIP body → COMPRESSED, TRANSACTION → TRANSACTION_PREPARED (SendMessageActivity#buildSysFlag). */
export function sysFlagOf(m: any): number {
  let flag = 0;
  if (m.systemProperties?.bodyEncoding === 'GZIP') flag |= MessageSysFlag.COMPRESSED_FLAG;
  if (m.systemProperties?.messageType === 'TRANSACTION') flag |= MessageSysFlag.TRANSACTION_PREPARED_TYPE;
  return flag;
}

/**
 * SendMessageRequestHeaderV2's one-letter fields (a..n) for a send to `queueId`: producer group, topic,
 * TBW102 with 4 queues, the sysFlag, the born timestamp from the first message (now when absent),
 * flag 0, the message's properties, batch when there are several. A batch's header properties are
 * appended to every message of it by the broker (MessageExtEncoder#encodeBatch), so a batch sends
 * none: the Apache proxy sends the first message's, which gives every message of the batch the
 * first one's UNIQ_KEY (the last occurrence of a property wins).
 */
export function sendHeaderV2(topic: string, producerGroup: string, queueId: number, sysFlag: number, messages: OutgoingMessage[], brokerName: string): Record<string, string> {
  const first = messages[0];
  return {
    a: producerGroup,
    b: topic,
    c: TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC,
    d: '4',
    e: String(queueId),
    f: String(sysFlag),
    g: String(first.bornTimestampMs ?? Date.now()),
    h: '0',
    i: messages.length > 1 ? '' : first.properties,
    j: '0',
    k: 'false',
    m: String(messages.length > 1),
    n: brokerName,
  };
}

/** MessageDecoder#encodeMessages: the SEND_BATCH_MESSAGE body (layout as codec/message-batch.ts reads it). */
export function encodeBatch(messages: OutgoingMessage[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of messages) {
    const props = Buffer.from(m.properties, 'utf8');
    const head = Buffer.alloc(20);
    const total = 20 + m.body.length + 2 + props.length;
    head.writeInt32BE(total, 0);
    head.writeInt32BE(0, 4); // MAGICCODE: unused in a batch
    head.writeInt32BE(0, 8); // BODYCRC: unused in a batch
    head.writeInt32BE(0, 12); // FLAG
    head.writeInt32BE(m.body.length, 16);
    const propLen = Buffer.alloc(2);
    propLen.writeInt16BE(props.length, 0);
    parts.push(head, m.body, propLen, props);
  }
  return Buffer.concat(parts);
}
