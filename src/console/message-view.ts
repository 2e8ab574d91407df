/**
 * A stored message as the console shows it: ids, queue position, hosts, times, every property and a
 * bounded preview of the body. Bodies and properties are user data: they leave here as JSON strings
 * and the page puts them into the DOM as text only (assets/app-js.ts), never as markup.
 */
import { inflateSync } from 'node:zlib';
import type { DecodedRecord } from '../codec/message-record.js';
import { createOffsetMessageId } from '../codec/message-id.js';
import { parseProperties } from '../codec/message-properties.js';
import { MessageConst } from '../protocol/message-const.js';
import { MessageSysFlag } from '../protocol/sys-flag.js';

/** How much of a body the page shows; the rest is counted, not sent. */
export const BODY_PREVIEW_BYTES = 4096;
/** A compressed body is inflated for the preview only up to this size (a zip bomb stays a zip bomb). */
const INFLATE_MAX_BYTES = 1 << 20;

export interface MessageView {
  topic: string;
  msgId: string;
  offsetMsgId: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  tags: string;
  keys: string;
  bornTimestamp: number;
  storeTimestamp: number;
  bornHost: string;
  storeHost: string;
  reconsumeTimes: number;
  sysFlag: number;
  properties: Array<[string, string]>;
  bodyBytes: number;
  /** 'utf8' when the preview bytes are valid UTF-8, else 'hex'. */
  bodyEncoding: 'utf8' | 'hex';
  bodyPreview: string;
  bodyTruncated: boolean;
}

export function messageView(r: DecodedRecord): MessageView {
  const props = parseProperties(r.propertiesString);
  let body = r.body;
  if (r.sysFlag & MessageSysFlag.COMPRESSED_FLAG) {
    try {
      body = inflateSync(body, { maxOutputLength: INFLATE_MAX_BYTES });
    } catch {
      // Shown as the stored bytes when it does not inflate (another compression type, or too large).
    }
  }
  const shown = body.subarray(0, BODY_PREVIEW_BYTES);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(shown);
  // A cut in the middle of a multi-byte character is not "binary": allow replacement chars only at the end.
  const isText = !text.slice(0, -2).includes('\uFFFD');
  return {
    topic: r.topic,
    msgId: props.get(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX) ?? '',
    offsetMsgId: createOffsetMessageId(r.storeHost, r.physicalOffset),
    queueId: r.queueId,
    queueOffset: r.queueOffset,
    commitLogOffset: r.physicalOffset,
    tags: props.get(MessageConst.PROPERTY_TAGS) ?? '',
    keys: props.get(MessageConst.PROPERTY_KEYS) ?? '',
    bornTimestamp: Number(r.bornTimestamp),
    storeTimestamp: r.storeTimestamp,
    bornHost: `${r.bornHost.ip}:${r.bornHost.port}`,
    storeHost: `${r.storeHost.ip}:${r.storeHost.port}`,
    reconsumeTimes: r.reconsumeTimes,
    sysFlag: r.sysFlag,
    properties: [...props.entries()],
    bodyBytes: body.length,
    bodyEncoding: isText ? 'utf8' : 'hex',
    bodyPreview: isText ? text : shown.toString('hex'),
    bodyTruncated: body.length > BODY_PREVIEW_BYTES,
  };
}
