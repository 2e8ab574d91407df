import type { NamesrvContext } from '../../namesrv/namesrv-context.js';
import { NAMESPACE_ORDER_TOPIC_CONFIG } from '../../namesrv/namesrv-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { Version } from '../../protocol/version.js';
import { RequestCode } from '../../protocol/request-code.js';
import { TopicSysFlag } from '../../protocol/sys-flag.js';
import { toFastJson } from '../../codec/fastjson.js';
import { bool } from '../../remoting/header-fields.js';

const json = (v: unknown): Buffer => Buffer.from(toFastJson(v), 'utf8');

/**
 * GET_ROUTEINFO_BY_TOPIC (105). Clients from 4.9.4 on (and any that set acceptStandardJsonOnly)
 * get standard JSON (BrowserCompatible + MapSortField); older ones and Go get fastjson's
 * unquoted numeric keys in brokerAddrs (DefaultRequestProcessor#getRouteInfoByTopic).
 */
export function getRouteInfoByTopic(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const topic = req.extFields!.topic;
  const route = ctx.routes.pickupTopicRouteData(topic);
  if (!route) {
    return createResponse(req, ResponseCode.TOPIC_NOT_EXIST, `No topic route info in name server for the topic: ${topic}`);
  }
  const orderTopicConf = ctx.config.orderMessageEnable ? ctx.kv.get(NAMESPACE_ORDER_TOPIC_CONFIG, topic) : undefined;
  const data = { ...route, orderTopicConf };
  const standard = req.version >= Version.V4_9_4 || bool(req.extFields, 'acceptStandardJsonOnly');
  const text = standard ? toFastJson(data, { browserCompatible: true, sortMapKeys: true }) : toFastJson(data);
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(text, 'utf8'));
}

/** GET_BROKER_CLUSTER_INFO (106): always the plain fastjson form. */
export function getBrokerClusterInfo(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const body = json({ brokerAddrTable: ctx.routes.brokerAddrTable, clusterAddrTable: ctx.routes.clusterAddrTable });
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, body);
}

/** GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206). */
export function getAllTopicList(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, json({ topicList: ctx.routes.allTopics() }));
}

/** GET_TOPICS_BY_CLUSTER (224). */
export function getTopicsByCluster(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, json({ topicList: ctx.routes.topicsByCluster(req.extFields!.cluster) }));
}

/** GET_SYSTEM_TOPIC_LIST_FROM_NS (304): cluster and broker names, plus one broker address. */
export function getSystemTopicList(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const { topics, brokerAddr } = ctx.routes.systemTopics();
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, json({ brokerAddr, topicList: topics }));
}

/** GET_UNIT_TOPIC_LIST / GET_HAS_UNIT_SUB_TOPIC_LIST / GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST (311–313): topics by unit sysFlag bits. */
export function getUnitTopicList(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const want = (flag: number): boolean => {
    const unit = (flag & TopicSysFlag.FLAG_UNIT) !== 0;
    const unitSub = (flag & TopicSysFlag.FLAG_UNIT_SUB) !== 0;
    if (req.code === RequestCode.GET_UNIT_TOPIC_LIST) return unit;
    if (req.code === RequestCode.GET_HAS_UNIT_SUB_TOPIC_LIST) return unitSub;
    return !unit && unitSub;
  };
  const topicList = [...ctx.routes.topicQueueTable].filter(([, byBroker]) => [...byBroker.values()].some((q) => want(q.topicSysFlag))).map(([t]) => t);
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, json({ topicList }));
}

/** DELETE_TOPIC_IN_NAMESRV (216). */
export function deleteTopicInNamesrv(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  ctx.routes.deleteTopic(req.extFields!.topic, req.extFields!.clusterName || undefined);
  return createResponse(req, ResponseCode.SUCCESS);
}

/** WIPE_WRITE_PERM_OF_BROKER (205) / ADD_WRITE_PERM_OF_BROKER (327). */
export function changeWritePerm(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const wipe = req.code === RequestCode.WIPE_WRITE_PERM_OF_BROKER;
  const count = ctx.routes.changeWritePerm(req.extFields!.brokerName, !wipe);
  return createResponse(req, ResponseCode.SUCCESS, undefined, wipe ? { wipeTopicCount: String(count) } : { addTopicCount: String(count) });
}
