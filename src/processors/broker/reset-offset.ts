import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createRequest, createResponse, requestBody } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { RequestCode } from '../../protocol/request-code.js';
import { bool, long, str } from '../../remoting/header-fields.js';
import { parseFastJson, toFastJson } from '../../codec/fastjson.js';
import { log } from '../../logger.js';
import { Slices } from './slices.js';

/** MQVersion.Version.V3_0_7_SNAPSHOT.ordinal(): older clients cannot reset or report offsets. */
const CLIENT_VERSION_MIN = 57;
/** Broker2Client#getConsumeStatus waits this long for each client. */
const CLIENT_STATUS_TIMEOUT_MS = 5_000;

interface MessageQueueKey {
  topic: string;
  brokerName: string;
  queueId: number;
}

/** A MessageQueue as fastjson writes it: fields in alphabetical order. */
const mq = (topic: string, brokerName: string, queueId: number): MessageQueueKey =>
  ({ brokerName, queueId, topic }) as MessageQueueKey;

/**
 * INVOKE_BROKER_TO_RESET_OFFSET (222), the admin's resetOffsetByTime (Broker2Client#resetOffset):
 * works out each write queue's offset for the timestamp (-1 = the end), keeps the committed offset
 * when it is already earlier unless isForce, and tells every online member of the group with a one-way
 * RESET_CONSUMER_CLIENT_OFFSET (220); the members then seek and persist. Nobody online ⇒
 * CONSUMER_NOT_ONLINE and nothing changes (mqadmin then falls back to committing offsets itself with
 * UPDATE_CONSUMER_OFFSET). A CPP request gets and sends the C form of the body (a list, not a map).
 * Each of up to maxTopicQueueNums queues is a search of its ConsumeQueue: done in slices (slices.ts).
 */
export async function invokeBrokerToResetOffset(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const h = req.extFields;
  const topic = str(h, 'topic');
  const group = str(h, 'group');
  const timestamp = long(h, 'timestamp');
  const isForce = bool(h, 'isForce');
  const isC = req.language === 'CPP';
  const fail = (code: number, remark: string) => createResponse(req, code, remark);

  const tc = ctx.topics.select(topic);
  if (!tc) return fail(ResponseCode.SYSTEM_ERROR, `[reset-offset] reset offset failed, no topic in this broker. topic=${topic}`);
  const s = new Slices();
  const offsets: Array<[MessageQueueKey, number]> = [];
  const queues = tc.writeQueueNums;
  for (let queueId = 0; queueId < queues; queueId++) {
    if (s.due()) await s.yield();
    const committed = ctx.offsets.queryOffset(group, topic, queueId);
    if (committed === -1) return fail(ResponseCode.SYSTEM_ERROR, `THe consumer group <${group}> not exist`);
    let target = timestamp === -1 ? ctx.store.getMaxOffsetInQueue(topic, queueId) : ctx.store.getOffsetInQueueByTime(topic, queueId, timestamp);
    if (target < 0) target = 0;
    offsets.push([mq(topic, ctx.config.brokerName, queueId), isForce || target < committed ? target : committed]);
  }

  const members = [...(ctx.consumers.get(group)?.channels.values() ?? [])];
  if (members.length === 0) {
    return fail(ResponseCode.CONSUMER_NOT_ONLINE, `Consumer not online, so can not reset offset, Group: ${group} Topic: ${topic} Timestamp: ${timestamp}`);
  }
  const old = members.find((m) => m.version < CLIENT_VERSION_MIN);
  if (old) return fail(ResponseCode.SYSTEM_ERROR, `the client does not support this feature. version=${old.version}`);

  const body = isC
    ? toFastJson({ offsetTable: offsets.map(([q, offset]) => ({ brokerName: q.brokerName, offset, queueId: q.queueId, topic: q.topic })) })
    : toFastJson({ offsetTable: new Map<object, number>(offsets) });
  for (const m of members) {
    const request = createRequest(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, { topic, group, timestamp: String(timestamp), isForce: 'false' }, Buffer.from(body, 'utf8'));
    if (!m.conn.invokeOneway(request)) log.warn(`broker: [reset-offset] ${m.clientId} of ${group} is gone`);
    else log.info(`broker: [reset-offset] reset offset sent. topic=${topic}, group=${group}, clientId=${m.clientId}`);
  }
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(toFastJson({ offsetTable: new Map<object, number>(offsets) }), 'utf8'));
}

/**
 * INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223), Broker2Client#getConsumeStatus: asks each online member
 * (or only clientAddr, a client id, if given) for its offsets with GET_CONSUMER_STATUS_FROM_CLIENT (221)
 * and answers GetConsumerStatusBody {consumerTable: {clientId: {MessageQueue: offset}}}.
 */
export async function invokeBrokerToGetConsumerStatus(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const h = req.extFields;
  const topic = str(h, 'topic');
  const group = str(h, 'group');
  const only = h?.clientAddr ?? '';
  const members = [...(ctx.consumers.get(group)?.channels.values() ?? [])];
  if (members.length === 0) return createResponse(req, ResponseCode.SYSTEM_ERROR, `No Any Consumer online in the consumer group: [${group}]`);
  const old = members.find((m) => m.version < CLIENT_VERSION_MIN);
  if (old) return createResponse(req, ResponseCode.SYSTEM_ERROR, `the client does not support this feature. version=${old.version}`);

  const consumerTable = new Map<string, Map<object, unknown>>();
  const asked = members.filter((m) => !only || m.clientId === only);
  await Promise.all(asked.map(async (m) => {
    try {
      const r = await m.conn.invoke(createRequest(RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT, { topic, group }), CLIENT_STATUS_TIMEOUT_MS);
      const body = requestBody(r);
      if (r.code !== ResponseCode.SUCCESS || !body) return;
      const parsed = parseFastJson(body.toString('utf8')) as { messageQueueTable?: Map<object, unknown> | Record<string, unknown> };
      const table = parsed.messageQueueTable;
      consumerTable.set(m.clientId, table instanceof Map ? table : new Map());
    } catch (e) {
      log.warn(`broker: [get-consumer-status] ${m.clientId} of ${group}: ${(e as Error).message}`);
    }
  }));
  const body = toFastJson({ consumerTable, messageQueueTable: new Map() });
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(body, 'utf8'));
}
