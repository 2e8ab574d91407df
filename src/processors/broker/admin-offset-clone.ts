/**
 * CLONE_GROUP_OFFSET (314, mqadmin 4.9.x cloneGroupOffset): a destination group starts where the source
 * group stands (AdminBrokerProcessor#cloneGroupOffset and ConsumerOffsetManager#cloneOffset). The 5.x
 * tool reads the source's progress and writes it with UPDATE_CONSUMER_OFFSET instead.
 */
import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { str, bool } from '../../remoting/header-fields.js';

export function cloneGroupOffset(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields;
  const src = str(h, 'srcGroup');
  const dest = str(h, 'destGroup');
  const topic = h?.topic;
  const offline = bool(h, 'offline');
  const topics = topic ? [topic] : ctx.offsets.topicsOfGroup(src);
  const online = ctx.consumers.get(src);
  for (const t of topics) {
    if (!ctx.topics.select(t)) continue;
    // An online source group that does not subscribe to the topic keeps its offsets to itself.
    if (!offline && online && online.subscriptionTable.size > 0 && !online.subscriptionTable.has(t)) continue;
    const offsets = ctx.offsets.queryOffsets(src, t);
    if (!offsets) continue;
    for (const [queueId, offset] of offsets) ctx.offsets.commitOffset(dest, t, queueId, offset);
  }
  return createResponse(req, ResponseCode.SUCCESS);
}
