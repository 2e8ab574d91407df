/** POP-family requests as the 5.3.3 Java client builds them (JSON headers: codes above 32767 cannot travel in ROCKETMQ ones). */
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { toFastJson } from '../../src/codec/fastjson.js';
import { decodeRecord, type DecodedRecord } from '../../src/codec/message-record.js';
import { requestBody } from '../../src/remoting/command.js';

export interface PopOptions {
  queueId?: number;
  max?: number;
  invisibleTime?: number;
  pollTime?: number;
  initMode?: number;
  order?: boolean;
  bornTime?: number;
}

export function popRequest(group: string, topic: string, o: PopOptions = {}): RemotingCommand {
  return createRequest(RequestCode.POP_MESSAGE, {
    consumerGroup: group, topic, queueId: String(o.queueId ?? -1), maxMsgNums: String(o.max ?? 32),
    invisibleTime: String(o.invisibleTime ?? 60_000), pollTime: String(o.pollTime ?? 0), bornTime: String(o.bornTime ?? Date.now()),
    initMode: String(o.initMode ?? 0), expType: 'TAG', exp: '*', order: String(o.order ?? false),
  });
}

/** ExtraInfoUtil#parseStartOffsetInfo keys `<flag>@<queueId>`; the client builds a message's POP_CK from them. */
export function extraInfoOf(res: RemotingCommand, rec: DecodedRecord, brokerName = 'broker-a'): string {
  const h = res.extFields!;
  const starts = new Map<string, string>();
  for (const e of h.startOffsetInfo.split(';')) {
    const [flag, q, so] = e.split(' ');
    starts.set(`${flag}@${q}`, so);
  }
  const flag = rec.topic.startsWith('%RETRY%') ? '1' : '0';
  return [starts.get(`${flag}@${rec.queueId}`), h.popTime, h.invisibleTime, h.reviveQid, flag, brokerName, rec.queueId, rec.queueOffset].join(' ');
}

export function ackRequest(group: string, topic: string, queueId: number, offset: number, extraInfo: string): RemotingCommand {
  return createRequest(RequestCode.ACK_MESSAGE, { consumerGroup: group, topic, queueId: String(queueId), offset: String(offset), extraInfo });
}

export function changeInvisibleRequest(group: string, topic: string, queueId: number, offset: number, extraInfo: string, invisibleTime: number): RemotingCommand {
  return createRequest(RequestCode.CHANGE_MESSAGE_INVISIBLETIME, {
    consumerGroup: group, topic, queueId: String(queueId), offset: String(offset), extraInfo, invisibleTime: String(invisibleTime),
  });
}

export function setModeRequest(topic: string, group: string, mode: 'POP' | 'PULL', popShareQueueNum = 0): RemotingCommand {
  return createRequest(RequestCode.SET_MESSAGE_REQUEST_MODE, undefined, Buffer.from(toFastJson({ topic, consumerGroup: group, mode, popShareQueueNum })));
}

export function queryAssignmentRequest(topic: string, group: string, clientId: string): RemotingCommand {
  return createRequest(RequestCode.QUERY_ASSIGNMENT, undefined, Buffer.from(toFastJson({ topic, consumerGroup: group, clientId, strategyName: 'AVG', messageModel: 'CLUSTERING' })));
}

export function records(res: RemotingCommand): DecodedRecord[] {
  const body = requestBody(res);
  const out: DecodedRecord[] = [];
  if (!body) return out;
  for (let pos = 0; pos < body.length; pos += body.readInt32BE(pos)) out.push(decodeRecord(body, pos));
  return out;
}
