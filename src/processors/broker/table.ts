import type { BrokerContext } from '../../broker/broker-context.js';
import type { PermissionNeed, RequestEntry } from '../../remoting/dispatcher.js';
import type { FamilySpec } from '../../remoting/request-queues.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { RequestCode as C } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { isReadable } from '../../protocol/perm-name.js';
import { sendMessage } from './send-message.js';
import { ACL_V1_REQUESTS } from './acl-table.js';
import { AUTH_V2_REQUESTS } from './auth-table.js';
import { REPLY_REQUESTS } from './reply-table.js';
import { POP_REQUESTS } from './pop-table.js';
import { pullMessage, resumePull } from './pull-message.js';
import { heartBeat, unregisterClient, checkClientConfig } from './client-manage.js';
import { getConsumerListByGroup, queryConsumerOffset, updateConsumerOffset, getAllConsumerOffset } from './consumer-manage.js';
import { getMaxOffset, getMinOffset, searchOffsetByTimestamp, getEarliestMsgStoretime } from './queue-offset.js';
import { lockBatchMQ, unlockBatchMQ } from './queue-lock.js';
import { updateAndCreateTopic, deleteTopicInBroker, getAllTopicConfig } from './topic-admin.js';
import { viewMessageById } from './view-message.js';
import { invokeBrokerToResetOffset, invokeBrokerToGetConsumerStatus } from './reset-offset.js';
import { consumerSendMsgBack } from './consumer-send-msg-back.js';
import { endTransaction } from './end-transaction.js';
import { getAllDelayOffset } from './delay-offset.js';
import { getTimerCheckPoint } from './timer-checkpoint.js';
import { queryMessage } from './query-message.js';
import {
  updateAndCreateSubscriptionGroup, getAllSubscriptionGroup, deleteSubscriptionGroup, getConsumeStats, getBrokerConsumeStats,
  getConsumerConnectionList, getProducerConnectionList, queryTopicConsumeByWho,
} from './admin-group.js';
import { getTopicStatsInfo, queryConsumeTimeSpan, getSystemTopicListFromBroker, getTopicConfig } from './admin-topic.js';
import {
  getBrokerRuntimeInfo, getBrokerConfig, updateBrokerConfig, viewBrokerStatsData, cleanExpiredConsumeQueue, cleanUnusedTopic,
  deleteExpiredCommitLog,
} from './admin-broker.js';
import { getConsumerRunningInfo, consumeMessageDirectly } from './admin-client-relay.js';
import { updateAndCreateTopicList, updateAndCreateSubscriptionGroupList } from './admin-lists.js';
import { getAllProducerInfo, queryConsumeQueue, getBrokerHaStatus, getBrokerEpochCache } from './admin-inspect.js';
import { cloneGroupOffset } from './admin-offset-clone.js';
import { notifyBrokerRoleChanged } from './notify-role-changed.js';
import {
  updateColdDataFlowCtrConfig, removeColdDataFlowCtrConfig, getColdDataFlowCtrInfo, setCommitLogReadMode, resetMasterFlushOffset,
  checkRocksdbCqWriteProgress, exportRocksDBConfigToJson, popRollback,
} from './admin-store-modes.js';

const GROUP_TOPIC_QUEUE = ['consumerGroup', 'topic', 'queueId'] as const;
const TOPIC_QUEUE = ['topic', 'queueId'] as const;
const PULL_REQUIRED = [...GROUP_TOPIC_QUEUE, 'queueOffset', 'maxMsgNums', 'sysFlag'] as const;

/**
 * The broker's `permission` column: brokerPermission (6 = read and write; mqadmin wipeWritePerm or
 * updateBrokerConfig change it) without PERM_READ refuses pulls first, with PullMessageProcessor's remark.
 * No code is write-gated here: Java refuses sends on a non-writable broker only for order topics, and a
 * send-back only after its group is found, so those stay in their processors.
 */
export function checkBrokerPermission(ctx: BrokerContext, need: PermissionNeed, req: RemotingCommand): RemotingCommand | undefined {
  if (need === 'read' && !isReadable(ctx.config.brokerPermission)) {
    return createResponse(req, ResponseCode.NO_PERMISSION, `the broker[${ctx.config.brokerIP1}] pulling message is forbidden`);
  }
  return undefined;
}

/**
 * The broker's request families: which queue a code waits in when the broker is busy, with the Java
 * broker's pool-queue capacities and fast-failure wait times (BrokerController#registerProcessor puts the
 * same codes on the same executors). Codes that name no family are 'admin' (the default processor's pool).
 */
export const BROKER_FAMILIES: Record<string, FamilySpec<BrokerContext>> = {
  send: {
    capacity: (c) => c.config.sendThreadPoolQueueCapacity,
    maxWaitMs: (c) => c.config.waitTimeMillsInSendQueue,
    // SendMessageProcessor#rejectRequest, and BrokerFastFailure's cleaning of the send queue.
    busy: (c) => c.store.isOSPageCacheBusy(),
  },
  pull: { capacity: (c) => c.config.pullThreadPoolQueueCapacity, maxWaitMs: (c) => c.config.waitTimeMillsInPullQueue },
  query: { capacity: (c) => c.config.queryThreadPoolQueueCapacity },
  heartbeat: { capacity: (c) => c.config.heartbeatThreadPoolQueueCapacity, maxWaitMs: (c) => c.config.waitTimeMillsInHeartbeatQueue },
  clientManage: { capacity: (c) => c.config.clientManagerThreadPoolQueueCapacity },
  consumerManage: { capacity: (c) => c.config.consumerManagerThreadPoolQueueCapacity },
  endTransaction: { capacity: (c) => c.config.endTransactionPoolQueueCapacity, maxWaitMs: (c) => c.config.waitTimeMillsInTransactionQueue },
  reply: { capacity: (c) => c.config.replyThreadPoolQueueCapacity },
  admin: { capacity: (c) => c.config.adminBrokerThreadPoolQueueCapacity },
};

/**
 * The broker's one request table: code → processor, the header fields the Java header class requires,
 * the permission checked first, whether Java clients send it one-way, and how a held request resumes.
 */
export const BROKER_REQUESTS: ReadonlyArray<RequestEntry<BrokerContext>> = [
  { code: C.SEND_MESSAGE, family: 'send', processor: sendMessage },
  { code: C.SEND_MESSAGE_V2, family: 'send', processor: sendMessage },
  { code: C.SEND_BATCH_MESSAGE, family: 'send', processor: sendMessage },
  { code: C.PULL_MESSAGE, family: 'pull', processor: pullMessage, required: PULL_REQUIRED, permission: 'read', resume: resumePull },
  { code: C.LITE_PULL_MESSAGE, family: 'pull', processor: pullMessage, required: PULL_REQUIRED, permission: 'read', resume: resumePull },
  { code: C.HEART_BEAT, family: 'heartbeat', processor: heartBeat },
  { code: C.UNREGISTER_CLIENT, family: 'clientManage', processor: unregisterClient, required: ['clientID'] },
  { code: C.CHECK_CLIENT_CONFIG, family: 'clientManage', processor: checkClientConfig },
  { code: C.GET_CONSUMER_LIST_BY_GROUP, family: 'consumerManage', processor: getConsumerListByGroup, required: ['consumerGroup'] },
  { code: C.QUERY_CONSUMER_OFFSET, family: 'consumerManage', processor: queryConsumerOffset, required: GROUP_TOPIC_QUEUE },
  // RemoteBrokerOffsetStore persists offsets one-way; admin tools ask for an answer.
  { code: C.UPDATE_CONSUMER_OFFSET, family: 'consumerManage', processor: updateConsumerOffset, required: [...GROUP_TOPIC_QUEUE, 'commitOffset'], oneway: true },
  { code: C.GET_MAX_OFFSET, processor: getMaxOffset, required: TOPIC_QUEUE },
  { code: C.GET_MIN_OFFSET, processor: getMinOffset, required: TOPIC_QUEUE },
  { code: C.SEARCH_OFFSET_BY_TIMESTAMP, processor: searchOffsetByTimestamp, required: [...TOPIC_QUEUE, 'timestamp'] },
  { code: C.GET_EARLIEST_MSG_STORETIME, processor: getEarliestMsgStoretime, required: TOPIC_QUEUE },
  { code: C.LOCK_BATCH_MQ, processor: lockBatchMQ },
  { code: C.UNLOCK_BATCH_MQ, processor: unlockBatchMQ },
  { code: C.UPDATE_AND_CREATE_TOPIC, processor: updateAndCreateTopic, required: ['topic', 'readQueueNums', 'writeQueueNums', 'perm'] },
  { code: C.DELETE_TOPIC_IN_BROKER, processor: deleteTopicInBroker, required: ['topic'] },
  { code: C.GET_ALL_TOPIC_CONFIG, processor: getAllTopicConfig },
  { code: C.VIEW_MESSAGE_BY_ID, family: 'query', processor: viewMessageById, required: ['offset'] },
  // replay
  { code: C.INVOKE_BROKER_TO_RESET_OFFSET, processor: invokeBrokerToResetOffset, required: ['topic', 'group', 'timestamp', 'isForce'] },
  { code: C.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, processor: invokeBrokerToGetConsumerStatus, required: ['topic', 'group'] },
  // delayed, retried, dead-lettered and transactional messages
  { code: C.CONSUMER_SEND_MSG_BACK, family: 'send', processor: consumerSendMsgBack, required: ['offset', 'group', 'delayLevel'] },
  // Producers end transactions one-way (endTransactionOneway); an UNKNOWN state gets no answer at all.
  {
    code: C.END_TRANSACTION, family: 'endTransaction', processor: endTransaction, oneway: true,
    required: ['producerGroup', 'tranStateTableOffset', 'commitLogOffset', 'commitOrRollback'],
  },
  // Slaves copy these from their master every 10 s (SlaveSynchronize), with GET_ALL_TOPIC_CONFIG and GET_ALL_SUBSCRIPTIONGROUP_CONFIG.
  { code: C.GET_ALL_CONSUMER_OFFSET, processor: getAllConsumerOffset },
  { code: C.GET_ALL_DELAY_OFFSET, processor: getAllDelayOffset },
  { code: C.GET_TIMER_CHECK_POINT, processor: getTimerCheckPoint },
  // admin (mqadmin)
  { code: C.QUERY_MESSAGE, family: 'query', processor: queryMessage, required: ['topic', 'key', 'maxNum', 'beginTimestamp', 'endTimestamp'] },
  { code: C.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, processor: updateAndCreateSubscriptionGroup },
  { code: C.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, processor: getAllSubscriptionGroup },
  { code: C.DELETE_SUBSCRIPTIONGROUP, processor: deleteSubscriptionGroup, required: ['groupName'] },
  { code: C.GET_CONSUME_STATS, processor: getConsumeStats, required: ['consumerGroup'] },
  { code: C.GET_BROKER_CONSUME_STATS, processor: getBrokerConsumeStats },
  { code: C.GET_CONSUMER_CONNECTION_LIST, processor: getConsumerConnectionList, required: ['consumerGroup'] },
  { code: C.GET_PRODUCER_CONNECTION_LIST, processor: getProducerConnectionList, required: ['producerGroup'] },
  { code: C.QUERY_TOPIC_CONSUME_BY_WHO, processor: queryTopicConsumeByWho, required: ['topic'] },
  { code: C.GET_TOPIC_STATS_INFO, processor: getTopicStatsInfo, required: ['topic'] },
  { code: C.GET_TOPIC_CONFIG, processor: getTopicConfig, required: ['topic'] },
  { code: C.QUERY_CONSUME_TIME_SPAN, processor: queryConsumeTimeSpan, required: ['topic', 'group'] },
  { code: C.GET_SYSTEM_TOPIC_LIST_FROM_BROKER, processor: getSystemTopicListFromBroker },
  { code: C.GET_BROKER_RUNTIME_INFO, processor: getBrokerRuntimeInfo },
  { code: C.GET_BROKER_CONFIG, processor: getBrokerConfig },
  { code: C.UPDATE_BROKER_CONFIG, processor: updateBrokerConfig },
  { code: C.VIEW_BROKER_STATS_DATA, processor: viewBrokerStatsData, required: ['statsName', 'statsKey'] },
  { code: C.CLEAN_EXPIRED_CONSUMEQUEUE, processor: cleanExpiredConsumeQueue },
  { code: C.CLEAN_UNUSED_TOPIC, processor: cleanUnusedTopic },
  { code: C.DELETE_EXPIRED_COMMITLOG, processor: deleteExpiredCommitLog },
  { code: C.GET_CONSUMER_RUNNING_INFO, processor: getConsumerRunningInfo, required: ['consumerGroup', 'clientId'] },
  { code: C.CONSUME_MESSAGE_DIRECTLY, processor: consumeMessageDirectly, required: ['consumerGroup'] },
  // the rest of what mqadmin 4.9.8 and 5.3.3 send (docs/mqadmin-subcommands.md)
  { code: C.UPDATE_AND_CREATE_TOPIC_LIST, processor: updateAndCreateTopicList },
  { code: C.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST, processor: updateAndCreateSubscriptionGroupList },
  { code: C.GET_ALL_PRODUCER_INFO, processor: getAllProducerInfo },
  { code: C.QUERY_CONSUME_QUEUE, processor: queryConsumeQueue, required: ['topic', 'queueId', 'index', 'count'] },
  { code: C.CLONE_GROUP_OFFSET, processor: cloneGroupOffset, required: ['srcGroup', 'destGroup'] },
  { code: C.GET_BROKER_HA_STATUS, processor: getBrokerHaStatus },
  { code: C.GET_BROKER_EPOCH_CACHE, processor: getBrokerEpochCache },
  // The controller sends it one-way after an election (controller mode).
  { code: C.NOTIFY_BROKER_ROLE_CHANGED, processor: notifyBrokerRoleChanged, oneway: true },
  { code: C.RESET_MASTER_FLUSH_OFFSET, processor: resetMasterFlushOffset },
  { code: C.UPDATE_COLD_DATA_FLOW_CTR_CONFIG, processor: updateColdDataFlowCtrConfig },
  { code: C.REMOVE_COLD_DATA_FLOW_CTR_CONFIG, processor: removeColdDataFlowCtrConfig },
  { code: C.GET_COLD_DATA_FLOW_CTR_INFO, processor: getColdDataFlowCtrInfo },
  { code: C.SET_COMMITLOG_READ_MODE, processor: setCommitLogReadMode },
  { code: C.CHECK_ROCKSDB_CQ_WRITE_PROGRESS, processor: checkRocksdbCqWriteProgress },
  { code: C.EXPORT_ROCKSDB_CONFIG_TO_JSON, processor: exportRocksDBConfigToJson },
  { code: C.POP_ROLLBACK, processor: popRollback },
  // ACL administration (processors/broker/acl-*.ts, auth-*.ts)
  ...ACL_V1_REQUESTS,
  ...AUTH_V2_REQUESTS,
  // 5.x: request/reply (processors/broker/reply-*.ts) and POP consumption (pop-*.ts)
  ...REPLY_REQUESTS,
  ...POP_REQUESTS,
];
