/**
 * The receipt handle a gRPC consumer acks with (common/consumer/ReceiptHandle.java): the broker's
 * extraInfo for the message (ckQueueOffset popTime invisibleTime reviveQid retryFlag brokerName
 * queueId queueOffset) and the proxy's ninth field, the message's CommitLog offset, space-separated.
 */
import { KEY_SEPARATOR, buildExtraInfo, realTopic, retryFlagOf } from '../../protocol/pop-const.js';
import { ProxyError } from '../proxy-error.js';

export interface ReceiptHandle {
  startOffset: number;
  retrieveTime: number;
  invisibleTime: number;
  reviveQueueId: number;
  /** '0' normal topic, '1' POP retry V1, '2' POP retry V2. */
  topicType: string;
  brokerName: string;
  queueId: number;
  offset: number;
  /** -1 when the handle has no ninth field. */
  commitLogOffset: number;
  /** The handle as the client sent it: the extraInfo the broker gets. */
  text: string;
}

const NUMBER = /^[+-]?\d+$/;

/**
 * ReceiptHandle#decode. Java throws IllegalArgumentException / NumberFormatException on a malformed
 * handle and the 5.3.3 proxy answers that INTERNAL_SERVER_ERROR; we answer INVALID_RECEIPT_HANDLE,
 * the code the protocol has for it, with Java's text.
 */
export function decodeReceiptHandle(text: string | undefined): ReceiptHandle {
  const f = (text ?? '').split(KEY_SEPARATOR);
  if (f.length < 8) throw new ProxyError('INVALID_RECEIPT_HANDLE', `Parse failed, dataList size ${f.length}`);
  for (const i of [0, 1, 2, 3, 6, 7, 8]) {
    if (i < f.length && !NUMBER.test(f[i])) throw new ProxyError('INVALID_RECEIPT_HANDLE', `For input string: "${f[i]}"`);
  }
  return {
    startOffset: Number(f[0]), retrieveTime: Number(f[1]), invisibleTime: Number(f[2]), reviveQueueId: Number(f[3]),
    topicType: f[4], brokerName: f[5], queueId: Number(f[6]), offset: Number(f[7]),
    commitLogOffset: f.length >= 9 ? Number(f[8]) : -1, text: text as string,
  };
}

/** ReceiptHandle#isExpired: its invisible time has passed. */
export const isExpired = (h: ReceiptHandle, now = Date.now()): boolean => h.retrieveTime + h.invisibleTime <= now;

/** AbstractProcessor#validateReceiptHandle. */
export function checkNotExpired(h: ReceiptHandle): void {
  if (isExpired(h)) throw new ProxyError('INVALID_RECEIPT_HANDLE', 'receipt handle is expired');
}

/** ReceiptHandle#getRealTopic: the topic the broker holds the message in (the POP retry topic for a retry). */
export const handleTopic = (h: ReceiptHandle, topic: string, group: string): string => realTopic(topic, group, h.topicType);

/**
 * The handle after CHANGE_MESSAGE_INVISIBLETIME answered popTime / invisibleTime / reviveQid
 * (MQClientAPIImpl#changeInvisibleTimeAsync's extraInfo, then ConsumerProcessor#createHandle).
 */
export function renewedHandle(h: ReceiptHandle, realTopicName: string, popTime: number, invisibleTime: number, reviveQid: number): string {
  const extra = buildExtraInfo({
    ckQueueOffset: h.offset, popTime, invisibleTime, reviveQid, retry: retryFlagOf(realTopicName), brokerName: h.brokerName,
    queueId: h.queueId, queueOffset: h.offset,
  });
  return extra + KEY_SEPARATOR + h.commitLogOffset;
}
