import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import type { Connection } from '../../remoting/connection.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { MessageSysFlag } from '../../protocol/sys-flag.js';
import { bool, int, long, str } from '../../remoting/header-fields.js';
import { putMessage } from '../../broker/put/put-message.js';
import { isStored } from '../../broker/message/stored-message.js';
import { log } from '../../logger.js';
import { getProperty } from '../../codec/message-properties.js';
import { MessageConst } from '../../protocol/message-const.js';

/**
 * END_TRANSACTION (37), one-way from the producer after its local transaction or a check-back
 * (EndTransactionProcessor). Steps: decode → UNKNOWN (0) does nothing → check the half message against
 * the header → commit: put the final message to its real topic (delay / timer routing applies) →
 * op record. A transaction already ended is left alone, so a late or repeated answer cannot commit twice.
 */
export async function endTransaction(ctx: BrokerContext, req: RemotingCommand, conn: Connection): Promise<RemotingCommand | null> {
  if (ctx.config.brokerRole === 'SLAVE') {
    // EndTransactionProcessor answers SLAVE_NOT_AVAILABLE with no remark (it only logs); the producer
    // sent this one-way, so only a two-way caller ever sees it.
    log.warn(`end transaction from ${conn.remoteAddr} refused: this broker is a slave`);
    return createResponse(req, ResponseCode.SLAVE_NOT_AVAILABLE);
  }
  const h = req.extFields;
  const type = int(h, 'commitOrRollback');
  const fromCheck = bool(h, 'fromTransactionCheck');
  if (type !== MessageSysFlag.TRANSACTION_COMMIT_TYPE && type !== MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) {
    // UNKNOWN: the producer does not know yet; the check-back service will ask again.
    if (type !== MessageSysFlag.TRANSACTION_NOT_TYPE) log.warn(`end transaction from ${conn.remoteAddr}: bad commitOrRollback ${type}`);
    return null;
  }
  const commit = type === MessageSysFlag.TRANSACTION_COMMIT_TYPE;
  const o = ctx.transactions.beginEnd({
    producerGroup: str(h, 'producerGroup'),
    tranStateTableOffset: long(h, 'tranStateTableOffset'),
    commitLogOffset: long(h, 'commitLogOffset'),
    commit,
  });
  if (o.code === 'ERROR') {
    log.warn(`end transaction ${commit ? 'commit' : 'rollback'} from ${conn.remoteAddr} (check=${fromCheck}) refused: ${o.remark}`);
    return createResponse(req, ResponseCode.SYSTEM_ERROR, o.remark);
  }
  if (o.code === 'IGNORED') {
    log.debug(`end transaction ${h?.msgId} from ${conn.remoteAddr} ignored: ${o.why}`);
    return createResponse(req, ResponseCode.SUCCESS);
  }
  const half = o.half!;
  if (!o.final) {
    await ctx.transactions.finishEnd(half, false);
    ctx.metrics?.transactionRolledBack(getProperty(half.propertiesString, MessageConst.PROPERTY_REAL_TOPIC) ?? half.topic);
    return createResponse(req, ResponseCode.SUCCESS);
  }
  const r = await putMessage(ctx, o.final, { parkTimers: true });
  if ('code' in r) {
    await ctx.transactions.finishEnd(half, 'failed');
    return createResponse(req, r.code, r.remark);
  }
  if (!isStored(r)) {
    await ctx.transactions.finishEnd(half, 'failed');
    return createResponse(req, ResponseCode.SYSTEM_ERROR, `${r.status}${r.remark ? `: ${r.remark}` : ''}`);
  }
  ctx.stats.incPut(o.final.topic, 1);
  await ctx.transactions.finishEnd(half, true);
  ctx.metrics?.transactionCommitted(o.final.topic, Number(half.bornTimestamp));
  return createResponse(req, ResponseCode.SUCCESS);
}
