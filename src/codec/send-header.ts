import type { RemotingCommand } from '../remoting/command.js';
import { RequestCode } from '../protocol/request-code.js';
import { int, optInt, bool, str } from './header-fields.js';

/** SendMessageRequestHeader, whichever of the three wire forms carried it. */
export interface SendMessageRequestHeader {
  producerGroup: string;
  topic: string;
  defaultTopic: string;
  defaultTopicQueueNums: number;
  queueId: number;
  sysFlag: number;
  bornTimestamp: number;
  flag: number;
  properties: string;
  reconsumeTimes: number;
  unitMode: boolean;
  batch: boolean;
  maxReconsumeTimes?: number;
}

/**
 * SEND_MESSAGE carries full field names; SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE carry the
 * one-letter names of SendMessageRequestHeaderV2 (a..n).
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
      bornTimestamp: int(h, 'bornTimestamp'),
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
    bornTimestamp: int(h, 'g'),
    flag: int(h, 'h'),
    properties: h?.i ?? '',
    reconsumeTimes: int(h, 'j', 0),
    unitMode: bool(h, 'k'),
    maxReconsumeTimes: optInt(h, 'l'),
    batch: bool(h, 'm'),
  };
}
