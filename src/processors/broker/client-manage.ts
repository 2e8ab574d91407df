import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse, requestBody } from '../../remoting/command.js';
import type { Connection } from '../../remoting/connection.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { PermName } from '../../protocol/perm-name.js';
import { TopicSysFlag } from '../../protocol/sys-flag.js';
import { retryTopic } from '../../protocol/topic-validator.js';
import { subscriptionFromJson, isTagType, type SubscriptionData } from '../../broker/filter/subscription-data.js';
import { compileFilter } from '../../broker/filter/consumer-filter-manager.js';
import { Sql92SyntaxError } from '../../filter/sql92.js';
import type { ClientChannelInfo } from '../../broker/client/client-channel.js';
import { Slices } from './slices.js';
import { jsonObjectBody } from '../request-body.js';
import { RequestBodyError } from '../../remoting/header-fields.js';

interface ConsumerDataJson {
  groupName: string;
  consumeType?: string;
  messageModel?: string;
  consumeFromWhere?: string;
  subscriptionDataSet?: Array<Record<string, unknown>>;
  unitMode?: boolean;
}

interface HeartbeatJson {
  clientID: string;
  consumerDataSet?: ConsumerDataJson[];
  producerDataSet?: Array<{ groupName: string }>;
}

/**
 * HEART_BEAT (34): registers producer and consumer channels, creates the group (if allowed) and
 * its %RETRY% topic, and tells the group when its membership or subscriptions changed.
 *
 * One heartbeat may name thousands of groups and subscriptions (a ~600 KB body names 2,000): it runs
 * in slices (slices.ts), and the groups and retry topics it creates are written to
 * subscriptionGroup.json and topics.json once, after it, not once per group (StateFile#hold). A
 * connection that closes meanwhile has been dropped from every group by then; nothing more is
 * registered for it.
 */
export async function heartBeat(ctx: BrokerContext, req: RemotingCommand, conn: Connection): Promise<RemotingCommand> {
  const body = requestBody(req);
  if (!body) return createResponse(req, ResponseCode.SYSTEM_ERROR, 'heartbeat body is empty');
  const hb = jsonObjectBody<HeartbeatJson>(req, 'heartbeat', true);
  const now = Date.now();
  const info: ClientChannelInfo = { conn, clientId: String(hb.clientID), language: req.language, version: req.version, lastUpdateTimestamp: now };
  // The whole body is checked before anything is registered: a bad entry refuses the heartbeat, not half of it.
  const consumers = listOf<ConsumerDataJson>(hb.consumerDataSet, 'consumerDataSet');
  for (const cd of consumers) {
    if (typeof cd.groupName !== 'string') throw new RequestBodyError('a consumerData has no groupName');
    listOf(cd.subscriptionDataSet, 'subscriptionDataSet');
  }
  const producers = listOf<{ groupName: string }>(hb.producerDataSet, 'producerDataSet');
  for (const pd of producers) if (typeof pd.groupName !== 'string') throw new RequestBodyError('a producerData has no groupName');
  const s = new Slices();
  const releases = [ctx.groups.holdWrites(), ctx.topics.holdWrites()];
  try {
    for (const cd of consumers) {
      if (s.due()) await s.yield();
      if (conn.closed) break;
      await registerConsumer(ctx, cd, info, s);
    }
    for (const pd of producers) {
      if (s.due()) await s.yield();
      if (conn.closed) break;
      ctx.producers.register(pd.groupName, { ...info });
    }
  } finally {
    for (const release of releases) release();
  }
  return createResponse(req, ResponseCode.SUCCESS);
}

/** One consumerData of a heartbeat: its group, retry topic, channel, subscriptions and filters. */
async function registerConsumer(ctx: BrokerContext, cd: ConsumerDataJson, info: ClientChannelInfo, s: Slices): Promise<void> {
  const subs: SubscriptionData[] = [];
  for (const sub of listOf<Record<string, unknown>>(cd.subscriptionDataSet, 'subscriptionDataSet')) {
    if (s.due()) await s.yield();
    subs.push(subscriptionFromJson(sub));
  }
  // Checked after the last yield: from here to the registration nothing else runs.
  if (info.conn.closed) return;
  const sg = ctx.groups.find(cd.groupName);
  let notify = true;
  if (sg) {
    notify = sg.notifyConsumerIdsChangedEnable;
    const sysFlag = cd.unitMode ? TopicSysFlag.FLAG_UNIT_SUB : 0;
    const before = ctx.topics.select(retryTopic(cd.groupName));
    ctx.topics.createIfAbsent(retryTopic(cd.groupName), sg.retryQueueNums, PermName.PERM_WRITE | PermName.PERM_READ, sysFlag);
    if (!before) ctx.registerBrokerAll();
  }
  ctx.consumers.register(
    cd.groupName,
    { ...info },
    cd.consumeType ?? 'CONSUME_PASSIVELY',
    cd.messageModel ?? 'CLUSTERING',
    cd.consumeFromWhere ?? 'CONSUME_FROM_LAST_OFFSET',
    subs,
    notify && ctx.config.notifyConsumerIdsChangedEnable,
  );
  // ConsumerGroupEvent.REGISTER on every heartbeat: SQL92 subscriptions get (re)compiled filter data.
  ctx.filters.registerGroup(cd.groupName, subs);
}

/** A list field of the body (a JSON array; a Set when the dialect parser made one): absent is empty, entries objects. */
function listOf<T>(v: unknown, what: string): T[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : v instanceof Set ? [...v] : undefined;
  if (!list) throw new RequestBodyError(`${what} is not a list`);
  for (const x of list) {
    if (!x || typeof x !== 'object') throw new RequestBodyError(`${what} holds ${x === null ? 'null' : `a ${typeof x}`}, not an object`);
  }
  return list as T[];
}

/** UNREGISTER_CLIENT (35): a client shutting down leaves its groups. */
export function unregisterClient(ctx: BrokerContext, req: RemotingCommand, conn: Connection): RemotingCommand {
  const h = req.extFields;
  if (h?.producerGroup) ctx.producers.unregister(h.producerGroup, conn);
  if (h?.consumerGroup) {
    const sg = ctx.groups.table.get(h.consumerGroup);
    ctx.consumers.unregister(h.consumerGroup, conn, (sg?.notifyConsumerIdsChangedEnable ?? true) && ctx.config.notifyConsumerIdsChangedEnable);
  }
  return createResponse(req, ResponseCode.SUCCESS);
}

/** CHECK_CLIENT_CONFIG (46): a consumer with a non-TAG subscription asks whether we can filter it. */
export function checkClientConfig(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const cr = jsonObjectBody<{ group?: string; subscriptionData?: Record<string, unknown> }>(req, 'check client config', false);
  if (!cr) return createResponse(req, ResponseCode.SUCCESS);
  if (!cr.subscriptionData) return createResponse(req, ResponseCode.SUCCESS);
  const sub = subscriptionFromJson(cr.subscriptionData);
  if (isTagType(sub.expressionType)) return createResponse(req, ResponseCode.SUCCESS);
  if (!ctx.config.enablePropertyFilter) {
    return createResponse(req, ResponseCode.SYSTEM_ERROR, `The broker does not support consumer to filter message by ${sub.expressionType}`);
  }
  try {
    compileFilter(sub.expressionType, sub.subString);
  } catch (e) {
    if (e instanceof Sql92SyntaxError) {
      return createResponse(req, ResponseCode.SUBSCRIPTION_PARSE_FAILED, `Invalid MessageSelector [${sub.subString}] of group ${cr.group}: ${e.message}`);
    }
    throw e;
  }
  return createResponse(req, ResponseCode.SUCCESS);
}

