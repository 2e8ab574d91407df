/**
 * EndTransaction (EndTransactionActivity, TransactionProcessor): COMMIT or ROLLBACK (anything else is
 * UNKNOWN: sent as TRANSACTION_NOT_TYPE, the broker keeps the half for its next check) of a half
 * message this proxy sent or relayed a check for, one-way to its broker as the Apache proxy sends it.
 * Unknown or expired: INTERNAL_SERVER_ERROR "cannot found transaction data" (ProxyExceptionCode
 * TRANSACTION_DATA_NOT_FOUND has no gRPC code of its own in GrpcProxyException's mapping).
 */
import { createRequest } from '../../remoting/command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { MessageSysFlag } from '../../protocol/sys-flag.js';
import type { ProxyContext } from '../context.js';
import { OK_STATUS, ProxyError } from '../proxy-error.js';
import { validateTopicName } from '../validate.js';

export async function endTransaction(ctx: ProxyContext, req: any): Promise<object> {
  const topic = validateTopicName(req.topic?.name);
  const transactionId: string = req.transactionId ?? '';
  if (!transactionId.trim()) throw new ProxyError('INVALID_TRANSACTION_ID', 'transaction id cannot be empty');
  const commitOrRollback =
    req.resolution === 'COMMIT' ? MessageSysFlag.TRANSACTION_COMMIT_TYPE
      : req.resolution === 'ROLLBACK' ? MessageSysFlag.TRANSACTION_ROLLBACK_TYPE
        : MessageSysFlag.TRANSACTION_NOT_TYPE;
  // The producer group is the topic, as for the send.
  const data = ctx.transactions.take(topic, transactionId);
  if (!data) throw new ProxyError('INTERNAL_SERVER_ERROR', 'cannot found transaction data');
  const header: Record<string, string> = {
    topic,
    producerGroup: topic,
    tranStateTableOffset: String(data.tranStateTableOffset),
    commitLogOffset: String(data.commitLogOffset),
    commitOrRollback: String(commitOrRollback),
    fromTransactionCheck: String(req.source === 'SOURCE_SERVER_CHECK'),
    msgId: req.messageId ?? '',
    transactionId,
  };
  await ctx.brokers.invokeOneway(data.brokerAddr, createRequest(RequestCode.END_TRANSACTION, header));
  return { status: OK_STATUS };
}
