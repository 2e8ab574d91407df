import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { MessageQueueKey } from '../../broker/client/rebalance-lock-manager.js';
import { Slices, jsonBodySliced } from './slices.js';
import { jsonObjectBody } from '../request-body.js';
import { RequestBodyError } from '../../remoting/header-fields.js';

/**
 * Queues locked or unlocked between two yield checks. The set's size is the client's choice (a frame
 * holds hundreds of thousands); each queue is locked or not on its own, as in Java, so a batch taken in
 * chunks gives every queue the owner it would have had.
 */
const LOCK_CHUNK = 256;

interface LockBatchBody {
  consumerGroup: string;
  clientId: string;
  mqSet?: MessageQueueKey[];
}

function parseLockBody(req: RemotingCommand): LockBatchBody {
  return jsonObjectBody<LockBatchBody>(req, 'lock request', true);
}

/**
 * The body's queues in the form the lock table keys on, then handed to `chunk` LOCK_CHUNK at a time,
 * yielding between slices. All are read before any is locked: a malformed entry fails the request with
 * nothing changed, as when the batch ran in one go.
 */
async function inChunks(mqSet: MessageQueueKey[] | undefined, s: Slices, chunk: (mqs: MessageQueueKey[]) => void): Promise<void> {
  const given = mqSet ?? [];
  if (!Array.isArray(given)) throw new RequestBodyError('mqSet is not a list');
  const all: MessageQueueKey[] = [];
  for (const mq of given) {
    if (s.due()) await s.yield();
    all.push({ topic: String(mq.topic), brokerName: String(mq.brokerName), queueId: Number(mq.queueId) });
  }
  for (let i = 0; i < all.length; i += LOCK_CHUNK) {
    if (i > 0 && s.due()) await s.yield();
    chunk(all.slice(i, i + LOCK_CHUNK));
  }
}

/** LOCK_BATCH_MQ (41): orderly consumers lock their queues; the answer lists those now theirs. */
export async function lockBatchMQ(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const b = parseLockBody(req);
  const s = new Slices();
  // One clock reading for the whole batch, as when it ran in one go.
  const now = Date.now();
  const lockOKMQSet: MessageQueueKey[] = [];
  await inChunks(b.mqSet, s, (mqs) => {
    for (const mq of ctx.locks.tryLockBatch(b.consumerGroup, mqs, b.clientId, now)) {
      lockOKMQSet.push({ brokerName: mq.brokerName, queueId: mq.queueId, topic: mq.topic } as MessageQueueKey);
    }
  });
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, await jsonBodySliced({ lockOKMQSet }, s));
}

/** UNLOCK_BATCH_MQ (42). */
export async function unlockBatchMQ(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const b = parseLockBody(req);
  await inChunks(b.mqSet, new Slices(), (mqs) => ctx.locks.unlockBatch(b.consumerGroup, mqs, b.clientId));
  return createResponse(req, ResponseCode.SUCCESS);
}
