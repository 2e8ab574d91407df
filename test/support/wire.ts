/**
 * Requests as the Java client builds them, for black-box tests that talk to a broker over TCP without
 * a JVM: SEND_MESSAGE_V2, PULL_MESSAGE, HEART_BEAT, UPDATE_AND_CREATE_TOPIC, and a reader for the
 * records a pull returns.
 */
import { createRequest, requestBody, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { toFastJson } from '../../src/codec/fastjson.js';
import { decodeRecord, type DecodedRecord } from '../../src/codec/message-record.js';

export interface SendOptions {
  queueId?: number;
  /** Message properties (TAGS, KEYS, DELAY, ...). */
  props?: Record<string, string>;
  /** Header fields to override (SendMessageRequestHeaderV2's one-letter names). */
  header?: Record<string, string>;
  producerGroup?: string;
}

/** SEND_MESSAGE_V2 (310) with the header a DefaultMQProducer sends. */
export function sendV2(topic: string, body: string | Buffer, o: SendOptions = {}): RemotingCommand {
  const properties = Object.entries(o.props ?? {}).map(([k, v]) => `${k}\u0001${v}`).join('\u0002');
  return createRequest(RequestCode.SEND_MESSAGE_V2, {
    a: o.producerGroup ?? 'wire-producer', b: topic, c: 'TBW102', d: '4', e: String(o.queueId ?? 0), f: '0',
    g: String(Date.now()), h: '0', i: properties, j: '0', k: 'false', m: 'false',
    ...o.header,
  }, Buffer.isBuffer(body) ? body : Buffer.from(body));
}

/** PULL_MESSAGE (11) without subscription data or suspension. */
export function pullRequest(group: string, topic: string, queueId: number, offset: number, maxMsgNums = 32): RemotingCommand {
  return createRequest(RequestCode.PULL_MESSAGE, {
    consumerGroup: group, topic, queueId: String(queueId), queueOffset: String(offset), maxMsgNums: String(maxMsgNums),
    sysFlag: '0', commitOffset: '0', suspendTimeoutMillis: '0', subVersion: '0',
  });
}

/** HEART_BEAT (34) of one push consumer in clustering mode subscribed to `topic` with `*`. */
export function consumerHeartbeat(clientID: string, group: string, topic: string): RemotingCommand {
  const body = {
    clientID,
    consumerDataSet: [{
      groupName: group, consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      subscriptionDataSet: [{ classFilterMode: false, codeSet: [], expressionType: 'TAG', subString: '*', subVersion: Date.now(), tagsSet: [], topic }],
      unitMode: false,
    }],
    producerDataSet: [],
  };
  return createRequest(RequestCode.HEART_BEAT, undefined, Buffer.from(toFastJson(body)));
}

/** UPDATE_AND_CREATE_TOPIC (17) as `mqadmin updateTopic -b` sends it. */
export function createTopicRequest(topic: string, queueNums = 4): RemotingCommand {
  return createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
    topic, defaultTopic: 'TBW102', readQueueNums: String(queueNums), writeQueueNums: String(queueNums), perm: '6',
    topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false',
  });
}

/** The records of a PULL_MESSAGE response body. */
export function pulledRecords(res: RemotingCommand): DecodedRecord[] {
  const body = requestBody(res);
  const out: DecodedRecord[] = [];
  if (!body) return out;
  for (let pos = 0; pos < body.length; pos += body.readInt32BE(pos)) out.push(decodeRecord(body, pos));
  return out;
}
