import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse, requestBody } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { parseFastJson, toFastJson } from '../../codec/fastjson.js';
import type { MessageQueueKey } from '../../broker/client/rebalance-lock-manager.js';

interface LockBatchBody {
  consumerGroup: string;
  clientId: string;
  mqSet?: MessageQueueKey[];
}

function parseLockBody(req: RemotingCommand): LockBatchBody {
  const body = requestBody(req);
  if (!body) throw new Error('lock request body is empty');
  const b = parseFastJson(body.toString('utf8')) as LockBatchBody;
  b.mqSet = (b.mqSet ?? []).map((mq) => ({ topic: String(mq.topic), brokerName: String(mq.brokerName), queueId: Number(mq.queueId) }));
  return b;
}

/** LOCK_BATCH_MQ (41): orderly consumers lock their queues; the answer lists those now theirs. */
export function lockBatchMQ(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const b = parseLockBody(req);
  const locked = ctx.locks.tryLockBatch(b.consumerGroup, b.mqSet!, b.clientId);
  const body = toFastJson({ lockOKMQSet: locked.map((mq) => ({ brokerName: mq.brokerName, queueId: mq.queueId, topic: mq.topic })) });
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(body, 'utf8'));
}

/** UNLOCK_BATCH_MQ (42). */
export function unlockBatchMQ(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const b = parseLockBody(req);
  ctx.locks.unlockBatch(b.consumerGroup, b.mqSet!, b.clientId);
  return createResponse(req, ResponseCode.SUCCESS);
}
