/**
 * Read-only admin views mqadmin asks for (AdminBrokerProcessor): every producer (mqadmin producer), a
 * consume queue's raw units (queryCq), the replication state (haStatus, 5.x) and the controller-mode
 * epoch cache (getBrokerEpoch, 5.x, controller mode only). Bodies are the fastjson forms the tools parse.
 */
import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { str, int, long } from '../../remoting/header-fields.js';
import { toFastJson } from '../../codec/fastjson.js';

const json = (v: unknown): Buffer => Buffer.from(toFastJson(v), 'utf8');

/** MessageStoreConfig#haMaxGapNotInSync (256 MiB): a slave further behind than this is not in sync. */
const HA_MAX_GAP_NOT_IN_SYNC = 1024 * 1024 * 256;

/**
 * GET_ALL_PRODUCER_INFO (328): ProducerTableInfo {data: {group: [ProducerInfo]}}; remoteIP is Netty's
 * SocketAddress#toString ("/ip:port"), which mqadmin prints as it comes.
 */
export function getAllProducerInfo(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const data: Record<string, unknown[]> = {};
  for (const [group, channels] of ctx.producers.groups) {
    const live = [...channels.values()].filter((c) => !c.conn.closed);
    if (live.length === 0) continue;
    data[group] = live.map((c) => ({
      clientId: c.clientId, remoteIP: `/${c.conn.remoteAddr}`, language: c.language, version: c.version, lastUpdateTimestamp: c.lastUpdateTimestamp,
    }));
  }
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, json({ data }));
}

/**
 * QUERY_CONSUME_QUEUE (321): QueryConsumeQueueResponseBody with `count` units from `index`. With a
 * consumerGroup, the group's subscription rides along ("<group>@<topic> is not online!" without one);
 * this store keeps no ConsumeQueueExt, so extendDataJson and bitMap stay null, as on a Java broker
 * without enableConsumeQueueExt.
 */
export function queryConsumeQueue(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields;
  const topic = str(h, 'topic');
  const queueId = int(h, 'queueId');
  const index = long(h, 'index');
  const count = int(h, 'count');
  const cq = ctx.store.consumeQueueUnits(topic, queueId, index, count);
  if (!cq) return createResponse(req, ResponseCode.SYSTEM_ERROR, `${queueId}@${topic} is not exist!`);
  const body: Record<string, unknown> = { maxQueueIndex: cq.maxOffset, minQueueIndex: cq.minOffset };
  const group = h?.consumerGroup;
  if (group !== undefined) {
    const sub = ctx.consumers.findSubscription(group, topic);
    body.subscriptionData = sub;
    body.filterData = sub ? 'null' : `${group}@${topic} is not online!`;
  }
  if (index < cq.minOffset || index >= cq.maxOffset) {
    return createResponse(req, ResponseCode.SUCCESS, `Index ${index} of ${queueId}@${topic} is not exist!`);
  }
  body.queueData = cq.units.map((u) => ({ physicOffset: u.phyOffset, physicSize: u.size, tagsCode: u.tagsCode, eval: false }));
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, json(body));
}

/** GET_BROKER_HA_STATUS (907): HARuntimeInfo, from the master's or the slave's side of replication. */
export function getBrokerHaStatus(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const ha = ctx.store.haStatus();
  const maxPhy = ctx.store.getMaxPhyOffset();
  const client = { masterAddr: '', transferredByteInSecond: 0, maxOffset: 0, lastReadTimestamp: 0, lastWriteTimestamp: 0, masterFlushOffset: 0, activated: false };
  if (ha.role === 'SLAVE') {
    const info = {
      master: false, masterCommitLogMaxOffset: 0, inSyncSlaveNums: 0, haConnectionInfo: [],
      haClientRuntimeInfo: {
        ...client, masterAddr: ha.masterHaAddress, maxOffset: maxPhy, activated: ha.connected,
        lastReadTimestamp: ha.lastReadAgoMs < 0 ? 0 : Date.now() - ha.lastReadAgoMs,
      },
    };
    return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, json(info));
  }
  const conns = ha.slaves.map((s) => ({
    addr: s.addr, slaveAckOffset: s.ackOffset, diff: maxPhy - s.ackOffset, inSync: maxPhy - s.ackOffset < HA_MAX_GAP_NOT_IN_SYNC,
    transferredByteInSecond: 0, transferFromWhere: s.ackOffset,
  }));
  const info = {
    master: true, masterCommitLogMaxOffset: maxPhy, inSyncSlaveNums: conns.filter((c) => c.inSync).length,
    haConnectionInfo: conns, haClientRuntimeInfo: client,
  };
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, json(info));
}

/** EpochEntry#endOffset of the entry still being written (Long.MAX_VALUE), as the Java broker writes it. */
const JAVA_OPEN_END_OFFSET = 9223372036854775807n;

/**
 * GET_BROKER_EPOCH_CACHE (1007): EpochEntryCache {clusterName, brokerName, brokerId (the config's: 0 on
 * the master), epochList, maxOffset} from the store's epoch file. Only a controller-mode broker keeps
 * epochs: otherwise the Java broker's refusal.
 */
export function getBrokerEpochCache(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const ha = ctx.store.autoSwitch;
  if (!ctx.config.enableControllerMode || !ha) return createResponse(req, ResponseCode.SYSTEM_ERROR, 'this request only for controllerMode ');
  const epochList = ha.epochEntries().map((e) => ({
    epoch: e.epoch, startOffset: e.startOffset, endOffset: e.endOffset >= Number.MAX_SAFE_INTEGER ? JAVA_OPEN_END_OFFSET : e.endOffset,
  }));
  const c = ctx.config;
  const body = { clusterName: c.brokerClusterName, brokerName: c.brokerName, brokerId: c.brokerId, epochList, maxOffset: ctx.store.getMaxPhyOffset() };
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, json(body));
}
