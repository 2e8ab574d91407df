import type { NamesrvContext } from '../../namesrv/namesrv-context.js';
import { NAMESPACE_ORDER_TOPIC_CONFIG } from '../../namesrv/namesrv-context.js';
import { type RemotingCommand, createResponse, requestBody } from '../../remoting/command.js';
import type { Connection } from '../../remoting/connection.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { Version } from '../../protocol/version.js';
import { decodeRegisterBrokerBody } from '../../codec/register-broker-body.js';
import { toFastJson } from '../../codec/fastjson.js';
import { crc32 } from '../../codec/crc32.js';
import { bool, int, long } from '../../remoting/header-fields.js';
import { jsonObjectBody } from '../request-body.js';

/** REGISTER_BROKER (103): DefaultRequestProcessor#registerBroker(WithFilterServer). */
export function registerBroker(ctx: NamesrvContext, req: RemotingCommand, conn: Connection): RemotingCommand {
  const h = req.extFields!;
  const body = requestBody(req);
  // RegisterBrokerRequestHeader: Long brokerId, Integer bodyCrc32 (0 when absent), boolean compressed.
  const brokerId = long(h, 'brokerId');
  const crc = int(h, 'bodyCrc32', 0);
  if (crc !== 0 && body && crc32(body) !== crc) {
    return createResponse(req, ResponseCode.SYSTEM_ERROR, 'crc32 not match');
  }
  let parsed;
  try {
    parsed = decodeRegisterBrokerBody(body, bool(h, 'compressed'), req.version < Version.V3_0_11);
  } catch (e) {
    return createResponse(req, ResponseCode.SYSTEM_ERROR, `register broker body is malformed: ${(e as Error).message}`);
  }
  const result = ctx.routes.registerBroker(
    h.clusterName,
    h.brokerAddr,
    h.brokerName,
    brokerId,
    h.haServerAddr,
    parsed.dataVersion,
    parsed.topicConfigs,
    parsed.filterServerList,
    conn,
  );
  const ext: Record<string, string> = {};
  if (result.masterAddr) ext.masterAddr = result.masterAddr;
  if (result.haServerAddr) ext.haServerAddr = result.haServerAddr;
  const orderConf = ctx.kv.list(NAMESPACE_ORDER_TOPIC_CONFIG);
  const kvBody = orderConf ? Buffer.from(toFastJson({ table: new Map(orderConf) }), 'utf8') : undefined;
  return createResponse(req, ResponseCode.SUCCESS, undefined, ext, kvBody);
}

/** UNREGISTER_BROKER (104). */
export function unregisterBroker(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields!;
  ctx.routes.unregisterBroker(h.clusterName, h.brokerAddr, h.brokerName, long(h, 'brokerId'));
  return createResponse(req, ResponseCode.SUCCESS);
}

/** QUERY_DATA_VERSION (322): brokers with forceRegister=false ask before a full registration. */
export function queryDataVersion(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields!;
  // QueryDataVersionRequestHeader declares brokerId a Long: refused when unparsable, though only the address is used.
  long(h, 'brokerId');
  const dv = jsonObjectBody<{ counter?: number; timestamp?: number }>(req, 'data version', false) ?? { counter: 0, timestamp: 0 };
  const changed = ctx.routes.isBrokerTopicConfigChanged(h.brokerAddr, { counter: Number(dv.counter), timestamp: Number(dv.timestamp) });
  if (!changed) ctx.routes.touchBroker(h.brokerAddr);
  const current = ctx.routes.brokerDataVersion(h.brokerAddr);
  return createResponse(req, ResponseCode.SUCCESS, undefined, { changed: String(changed) }, current ? Buffer.from(toFastJson(current)) : undefined);
}
