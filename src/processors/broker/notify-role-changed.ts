/**
 * NOTIFY_BROKER_ROLE_CHANGED (1008): the controller tells every live broker of a set who its master is
 * after an election (ControllerManager#doNotifyBrokerRoleChanged, one-way; header NotifyBrokerRoleChanged-
 * RequestHeader, body SyncStateSet). The change goes through the controller client's epoch fence, as
 * AdminBrokerProcessor#notifyBrokerRoleChanged hands it to ReplicasManager#changeBrokerRole; a broker
 * outside controller mode answers SUCCESS and does nothing, as the Java broker does.
 */
import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse, requestBody } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { long, optInt } from '../../remoting/header-fields.js';
import { decodeSyncStateSet } from '../../broker/controller/controller-api.js';

export async function notifyBrokerRoleChanged(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const h = req.extFields;
  const replicas = ctx.replicas;
  if (replicas) {
    const masterBrokerId = h?.masterBrokerId == null ? undefined : long(h, 'masterBrokerId');
    const body = requestBody(req);
    const set = body && body.length > 0 ? decodeSyncStateSet(req) : { syncStateSet: new Set<number>(), syncStateSetEpoch: 0 };
    await replicas.changeBrokerRole(
      masterBrokerId, h?.masterAddress ?? '', optInt(h, 'masterEpoch') ?? 0, optInt(h, 'syncStateSetEpoch') ?? set.syncStateSetEpoch, set.syncStateSet,
    );
  }
  return createResponse(req, ResponseCode.SUCCESS);
}
