import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse, requestBody } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { long, str, int } from '../../remoting/header-fields.js';
import { parseFastJson } from '../../codec/fastjson.js';
import { parseExtraInfo, realTopic } from '../../protocol/pop-const.js';
import { ckKey, type CheckPoint } from '../../broker/pop/pop-state.js';

type Fail = { code: number; remark?: string };

/** The checks ACK_MESSAGE and CHANGE_MESSAGE_INVISIBLETIME share (AckMessageProcessor, ChangeInvisibleTimeProcessor). */
function checkTarget(ctx: BrokerContext, topic: string, queueId: number, offset: number, remoteAddr: string, maxInclusive: boolean): Fail | undefined {
  const tc = ctx.topics.select(topic);
  if (!tc) return { code: ResponseCode.TOPIC_NOT_EXIST, remark: `topic[${topic}] not exist, apply first please!` };
  if (queueId >= tc.readQueueNums || queueId < 0) {
    return {
      code: ResponseCode.MESSAGE_ILLEGAL,
      remark: `queueId[${queueId}] is illegal, topic:[${topic}] topicConfig.readQueueNums:[${tc.readQueueNums}] consumer:[${remoteAddr}]`,
    };
  }
  const min = ctx.store.getMinOffsetInQueue(topic, queueId);
  const max = ctx.store.getMaxOffsetInQueue(topic, queueId);
  // ACK accepts offset == max (AckMessageProcessor), CHANGE_MESSAGE_INVISIBLETIME does not.
  if (offset < min || offset > max || (!maxInclusive && offset === max)) {
    return { code: ResponseCode.NO_MESSAGE, remark: maxInclusive ? `offset is illegal, key:${topic}@${queueId}, commit:${offset}, store:${min}~${max}` : undefined };
  }
  return undefined;
}

/** Records the ack of one offset of a checkpoint, if the checkpoint is still there (an unknown one is no error, as in Java). */
function ackOffset(ctx: BrokerContext, key: string, offset: number): void {
  const ck = ctx.pop.state.cks.get(key);
  if (!ck || !ck.offsets.includes(offset) || ck.acked.has(offset)) return;
  // Written to the journal before the SUCCESS below (pop-journal.ts).
  ctx.pop.record({ k: 'ack', key, o: offset });
}

/** ACK_MESSAGE (200051): the message of `extraInfo` at `offset` is consumed. */
export function ackMessage(ctx: BrokerContext, req: RemotingCommand, conn: { remoteAddr: string }): RemotingCommand {
  const h = req.extFields;
  const group = str(h, 'consumerGroup');
  const topic = str(h, 'topic');
  const queueId = int(h, 'queueId');
  const offset = long(h, 'offset');
  const bad = checkTarget(ctx, topic, queueId, offset, conn.remoteAddr, true);
  if (bad) return createResponse(req, bad.code, bad.remark);
  const e = parseExtraInfo(str(h, 'extraInfo'));
  if (typeof e === 'string') return createResponse(req, ResponseCode.MESSAGE_ILLEGAL, e);
  ackOffset(ctx, ckKey(group, topic, queueId, e.ckQueueOffset, e.popTime), offset);
  return createResponse(req, ResponseCode.SUCCESS);
}

interface BatchAck {
  c: string; t: string; r: string; so: number; q: number; rq: number; pt: number; it: number; b: string;
}

/** BitSet.toByteArray (little-endian bytes, as Base64 through fastjson): the set bit positions. */
export function bitSetPositions(base64: string): number[] {
  const bytes = Buffer.from(base64, 'base64');
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) for (let bit = 0; bit < 8; bit++) if (bytes[i] & (1 << bit)) out.push(i * 8 + bit);
  return out;
}

/** BATCH_ACK_MESSAGE (200151): BatchAckMessageRequestBody {brokerName, acks:[BatchAck]}; no header. */
export function batchAckMessage(ctx: BrokerContext, req: RemotingCommand, conn: { remoteAddr: string }): RemotingCommand {
  const body = requestBody(req);
  const parsed = body && body.length > 0 ? (parseFastJson(body.toString('utf8')) as { acks?: BatchAck[] } | null) : null;
  const acks = parsed?.acks ?? [];
  if (acks.length === 0) return createResponse(req, ResponseCode.NO_MESSAGE);
  for (const a of acks) {
    const topic = realTopic(a.t, a.c, String(a.r));
    for (const pos of bitSetPositions(a.b ?? '')) {
      const offset = Number(a.so) + pos;
      const bad = checkTarget(ctx, topic, Number(a.q), offset, conn.remoteAddr, true);
      if (bad) return createResponse(req, bad.code, bad.remark);
      ackOffset(ctx, ckKey(a.c, topic, Number(a.q), Number(a.so), Number(a.pt)), offset);
    }
  }
  return createResponse(req, ResponseCode.SUCCESS);
}

/**
 * CHANGE_MESSAGE_INVISIBLETIME (200053): a new checkpoint for this one message (popTime now, the
 * requested invisible time, ckQueueOffset = the message's offset, as the client's new extraInfo
 * says), then the old one acked: both journalled before the answer.
 */
export function changeInvisibleTime(ctx: BrokerContext, req: RemotingCommand, conn: { remoteAddr: string }): RemotingCommand {
  const h = req.extFields;
  const group = str(h, 'consumerGroup');
  const topic = str(h, 'topic');
  const queueId = int(h, 'queueId');
  const offset = long(h, 'offset');
  const invisibleTime = long(h, 'invisibleTime');
  const bad = checkTarget(ctx, topic, queueId, offset, conn.remoteAddr, false);
  if (bad) return createResponse(req, bad.code, bad.remark);
  const e = parseExtraInfo(str(h, 'extraInfo'));
  if (typeof e === 'string') return createResponse(req, ResponseCode.SYSTEM_ERROR, e);
  const now = Date.now();
  const oldKey = ckKey(group, topic, queueId, e.ckQueueOffset, e.popTime);
  const old = ctx.pop.state.cks.get(oldKey);
  const ck: CheckPoint = {
    group, topic, queueId, startOffset: offset, offsets: [offset], popTime: now, invisibleTime, reviveQid: e.reviveQid,
    order: old?.order ?? false, attempt: old?.attempt ?? 0,
  };
  // Only a message still in flight gets a new deadline; one already acked or revived stays so.
  if (!old || (old.offsets.includes(offset) && !old.acked.has(offset))) {
    ctx.pop.record({ k: 'ck', ck, next: -1 });
    ackOffset(ctx, oldKey, offset);
  }
  return createResponse(req, ResponseCode.SUCCESS, undefined, { popTime: String(now), invisibleTime: String(invisibleTime), reviveQid: String(e.reviveQid) });
}
