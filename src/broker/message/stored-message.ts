/**
 * Helpers shared by the services that move a stored message somewhere else (schedule and timer
 * delivery, retry send-back, transaction commit and check-back): read a record back as a
 * MessageInner, edit its property string, re-encode it for a broker→client call, tell whether a put
 * reached the log.
 */
import { decodeRecord, encodeRecord, planRecord } from '../../codec/message-record.js';
import { getProperty, parseProperties, propertiesToString, tagsCode } from '../../codec/message-properties.js';
import { MessageConst } from '../../protocol/message-const.js';
import type { MessageInner } from '../../codec/message.js';
import type { PutMessageResult } from '../../store/types.js';

/**
 * True for put statuses where the record is in the log (the client may still see a non-SUCCESS code,
 * e.g. FLUSH_DISK_TIMEOUT): whoever tracks a put message (timer, pending transactions) tracks these.
 */
export const isStored = (r: PutMessageResult): boolean =>
  r.status === 'PUT_OK' || r.status === 'FLUSH_DISK_TIMEOUT' || r.status === 'FLUSH_SLAVE_TIMEOUT' || r.status === 'SLAVE_NOT_AVAILABLE';

/** A stored record as the message it was put with, plus the stored-only fields a mover needs. */
export interface StoredMessage extends MessageInner {
  queueOffset: number;
  commitLogOffset: number;
  storeTimestamp: number;
}

export function storedMessage(record: Buffer): StoredMessage {
  const d = decodeRecord(record);
  return {
    topic: d.topic,
    queueId: d.queueId,
    flag: d.flag,
    // The record buffer may be a view into the store's cache: keep our own copy of the body.
    body: Buffer.from(d.body),
    propertiesString: d.propertiesString,
    tagsCode: 0,
    sysFlag: d.sysFlag,
    bornTimestamp: d.bornTimestamp,
    bornHost: d.bornHost,
    storeHost: d.storeHost,
    reconsumeTimes: d.reconsumeTimes,
    preparedTransactionOffset: d.preparedTransactionOffset,
    queueOffset: d.queueOffset,
    commitLogOffset: d.physicalOffset,
    storeTimestamp: d.storeTimestamp,
  };
}

/** A copy of `props` with each key of `changes` set (string) or removed (undefined). */
export function editProperties(props: string, changes: Record<string, string | undefined>): string {
  const map = parseProperties(props);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) map.delete(k);
    else map.set(k, v);
  }
  return propertiesToString(map);
}

/**
 * MessageDecoder#encode(msgExt, false): a whole record as a broker→client body (CHECK_TRANSACTION_STATE),
 * with the given topic, queue and properties; TOTALSIZE recomputed for them.
 */
export function encodeForClient(m: StoredMessage): Buffer {
  const plan = planRecord(m);
  if ('error' in plan) throw new Error(`cannot encode message for client: ${plan.remark}`);
  const buf = Buffer.allocUnsafe(plan.totalSize);
  encodeRecord(buf, 0, m, plan, m.queueOffset, m.commitLogOffset, m.storeTimestamp);
  return buf;
}

/**
 * A stored message put again as its next delivery attempt (a retry or DLQ copy, from a consumer's send-back
 * or from POP revive): same body, flag and sysFlag, the given topic, queue and property string (its
 * tagsCode taken from that string), reconsumeTimes one more. `hosts` says whose born/store hosts it carries.
 */
export function nextAttempt(orig: MessageInner, topic: string, queueId: number, propertiesString: string,
  hosts: Pick<MessageInner, 'bornHost' | 'storeHost'>): MessageInner {
  return {
    topic,
    queueId,
    flag: orig.flag,
    body: orig.body,
    propertiesString,
    tagsCode: tagsCode(getProperty(propertiesString, MessageConst.PROPERTY_TAGS)),
    sysFlag: orig.sysFlag,
    bornTimestamp: orig.bornTimestamp,
    bornHost: hosts.bornHost,
    storeHost: hosts.storeHost,
    reconsumeTimes: orig.reconsumeTimes + 1,
    preparedTransactionOffset: 0,
  };
}
