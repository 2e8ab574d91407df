import type { RemotingCommand } from '../remoting/command.js';
import { RequestCode } from '../protocol/request-code.js';
import { int, optInt, exactLong, bool, str } from '../remoting/header-fields.js';

/** SendMessageRequestHeader, whichever of the three wire forms carried it. */
export interface SendMessageRequestHeader {
  producerGroup: string;
  topic: string;
  defaultTopic: string;
  defaultTopicQueueNums: number;
  queueId: number;
  sysFlag: number;
  /** Long.parseLong of the header, kept exact: a number while safe, a bigint beyond ±2^53. */
  bornTimestamp: number | bigint;
  flag: number;
  properties: string;
  reconsumeTimes: number;
  unitMode: boolean;
  batch: boolean;
  maxReconsumeTimes?: number;
}

/**
 * SEND_MESSAGE carries full field names; SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE carry the
 * one-letter names of SendMessageRequestHeaderV2 (a..n). Field types as both header classes declare
 * them: Integer d, e, f, h, j, l; Long g; Boolean k, m. The V2 fields are read in the order
 * SendMessageRequestHeaderV2#decode parses them, so the first bad one is the one Java would report.
 */
export function parseSendHeader(req: RemotingCommand): SendMessageRequestHeader {
  const h = req.extFields;
  if (req.code === RequestCode.SEND_MESSAGE || req.code === RequestCode.SEND_REPLY_MESSAGE) {
    return {
      producerGroup: str(h, 'producerGroup'),
      topic: str(h, 'topic'),
      defaultTopic: str(h, 'defaultTopic'),
      defaultTopicQueueNums: int(h, 'defaultTopicQueueNums'),
      queueId: int(h, 'queueId'),
      sysFlag: int(h, 'sysFlag'),
      bornTimestamp: exactLong(h, 'bornTimestamp'),
      flag: int(h, 'flag'),
      properties: h?.properties ?? '',
      reconsumeTimes: int(h, 'reconsumeTimes', 0),
      unitMode: bool(h, 'unitMode'),
      batch: bool(h, 'batch'),
      maxReconsumeTimes: optInt(h, 'maxReconsumeTimes'),
    };
  }
  return {
    producerGroup: str(h, 'a'),
    topic: str(h, 'b'),
    defaultTopic: str(h, 'c'),
    defaultTopicQueueNums: int(h, 'd'),
    queueId: int(h, 'e'),
    sysFlag: int(h, 'f'),
    bornTimestamp: exactLong(h, 'g'),
    flag: int(h, 'h'),
    properties: h?.i ?? '',
    reconsumeTimes: int(h, 'j', 0),
    unitMode: bool(h, 'k'),
    maxReconsumeTimes: optInt(h, 'l'),
    batch: bool(h, 'm'),
  };
}
