import type { Action, ResourceType } from './model.js';

/**
 * The @RocketMQAction / @RocketMQResource annotations of the 5.3.3 request header classes
 * (rocketmq-remoting 5.3.3, org.apache.rocketmq.remoting.protocol.header and below), which
 * DefaultAuthorizationContextBuilder#buildContextByAnnotation reads for every code its switch does not
 * handle. Copied from the sources, one row per annotated class; a code with no row needs no
 * authorization. `resource` is the annotation's resource type: only Cluster makes a context by itself
 * (the broker's cluster, when no field named a resource); Topic or Group without fields names nothing.
 * `fields` are the class's own @RocketMQResource fields in declaration order: the extFields key, the
 * resource type, and the splitter (StringUtils#split characters) when the value lists several names.
 */
export interface HeaderAction {
  header: string;
  resource?: ResourceType;
  actions: readonly Action[];
  fields: ReadonlyArray<readonly [field: string, type: ResourceType, splitter?: string]>;
  /** Field initializers: a field absent from extFields keeps this value (ElectMasterRequestHeader#clusterName = ""). */
  defaults?: Readonly<Record<string, string>>;
}

export const HEADER_ACTIONS: ReadonlyMap<number, HeaderAction> = new Map<number, HeaderAction>([
  [10, { header: 'SendMessageRequestHeader', actions: ['Pub'], fields: [['topic', 'Topic']] }], // SEND_MESSAGE
  [11, { header: 'PullMessageRequestHeader', actions: ['Sub'], fields: [['consumerGroup', 'Group'], ['topic', 'Topic']] }], // PULL_MESSAGE
  [12, { header: 'QueryMessageRequestHeader', actions: ['Sub', 'Get'], fields: [['topic', 'Topic']] }], // QUERY_MESSAGE
  [14, { header: 'QueryConsumerOffsetRequestHeader', actions: ['Get'], fields: [['consumerGroup', 'Group'], ['topic', 'Topic']] }], // QUERY_CONSUMER_OFFSET
  [15, { header: 'UpdateConsumerOffsetRequestHeader', actions: ['Sub'], fields: [['consumerGroup', 'Group'], ['topic', 'Topic']] }], // UPDATE_CONSUMER_OFFSET
  [17, { header: 'CreateTopicRequestHeader', actions: ['Create'], fields: [['topic', 'Topic']] }], // UPDATE_AND_CREATE_TOPIC
  [18, { header: 'CreateTopicListRequestHeader', actions: ['Create'], fields: [] }], // UPDATE_AND_CREATE_TOPIC_LIST
  [21, { header: 'GetAllTopicConfigResponseHeader', resource: 'Topic', actions: ['List'], fields: [] }], // GET_ALL_TOPIC_CONFIG
  [29, { header: 'SearchOffsetRequestHeader', actions: ['Get'], fields: [['topic', 'Topic']] }], // SEARCH_OFFSET_BY_TIMESTAMP
  [30, { header: 'GetMaxOffsetRequestHeader', actions: ['Get'], fields: [['topic', 'Topic']] }], // GET_MAX_OFFSET
  [31, { header: 'GetMinOffsetRequestHeader', actions: ['Get'], fields: [['topic', 'Topic']] }], // GET_MIN_OFFSET
  [32, { header: 'GetEarliestMsgStoretimeRequestHeader', actions: ['Get'], fields: [['topic', 'Topic']] }], // GET_EARLIEST_MSG_STORETIME
  [33, { header: 'ViewMessageRequestHeader', actions: ['Get'], fields: [['topic', 'Topic']] }], // VIEW_MESSAGE_BY_ID
  [34, { header: 'HeartbeatRequestHeader', resource: 'Group', actions: ['Pub', 'Sub'], fields: [] }], // HEART_BEAT
  [35, { header: 'UnregisterClientRequestHeader', actions: ['Pub', 'Sub'], fields: [['consumerGroup', 'Group']] }], // UNREGISTER_CLIENT
  [36, { header: 'ConsumerSendMsgBackRequestHeader', actions: ['Sub'], fields: [['group', 'Group'], ['originTopic', 'Topic']] }], // CONSUMER_SEND_MSG_BACK
  [37, { header: 'EndTransactionRequestHeader', actions: ['Pub'], fields: [['topic', 'Topic']] }], // END_TRANSACTION
  [38, { header: 'GetConsumerListByGroupRequestHeader', actions: ['Sub'], fields: [['consumerGroup', 'Group']] }], // GET_CONSUMER_LIST_BY_GROUP
  [39, { header: 'CheckTransactionStateRequestHeader', actions: ['Pub'], fields: [['topic', 'Topic']] }], // CHECK_TRANSACTION_STATE
  [40, { header: 'NotifyConsumerIdsChangedRequestHeader', actions: ['Sub'], fields: [['consumerGroup', 'Group']] }], // NOTIFY_CONSUMER_IDS_CHANGED
  [41, { header: 'LockBatchMqRequestHeader', actions: ['Sub'], fields: [] }], // LOCK_BATCH_MQ
  [42, { header: 'UnlockBatchMqRequestHeader', actions: ['Sub'], fields: [] }], // UNLOCK_BATCH_MQ
  [100, { header: 'PutKVConfigRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // PUT_KV_CONFIG
  [101, { header: 'GetKVConfigRequestHeader', resource: 'Cluster', actions: ['Get'], fields: [] }], // GET_KV_CONFIG
  [102, { header: 'DeleteKVConfigRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // DELETE_KV_CONFIG
  [103, { header: 'RegisterBrokerRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [['clusterName', 'Cluster']] }], // REGISTER_BROKER
  [104, { header: 'UnRegisterBrokerRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [['clusterName', 'Cluster']] }], // UNREGISTER_BROKER
  [105, { header: 'GetRouteInfoRequestHeader', resource: 'Cluster', actions: ['Get'], fields: [] }], // GET_ROUTEINFO_BY_TOPIC
  [202, { header: 'GetTopicStatsInfoRequestHeader', actions: ['Get'], fields: [['topic', 'Topic']] }], // GET_TOPIC_STATS_INFO
  [203, { header: 'GetConsumerConnectionListRequestHeader', actions: ['Get'], fields: [['consumerGroup', 'Group']] }], // GET_CONSUMER_CONNECTION_LIST
  [204, { header: 'GetProducerConnectionListRequestHeader', resource: 'Cluster', actions: ['Get'], fields: [] }], // GET_PRODUCER_CONNECTION_LIST
  [205, { header: 'WipeWritePermOfBrokerRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // WIPE_WRITE_PERM_OF_BROKER
  [207, { header: 'DeleteSubscriptionGroupRequestHeader', actions: ['Delete'], fields: [['groupName', 'Group']] }], // DELETE_SUBSCRIPTIONGROUP
  [208, { header: 'GetConsumeStatsRequestHeader', actions: ['Get'], fields: [['consumerGroup', 'Group'], ['topic', 'Topic'], ['topicList', 'Topic', ';']] }], // GET_CONSUME_STATS
  [215, { header: 'DeleteTopicRequestHeader', actions: ['Delete'], fields: [['topic', 'Topic']] }], // DELETE_TOPIC_IN_BROKER
  [216, { header: 'DeleteTopicFromNamesrvRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [['clusterName', 'Cluster']] }], // DELETE_TOPIC_IN_NAMESRV
  [217, { header: 'RegisterTopicRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // REGISTER_TOPIC_IN_NAMESRV
  [219, { header: 'GetKVListByNamespaceRequestHeader', resource: 'Cluster', actions: ['Get'], fields: [] }], // GET_KVLIST_BY_NAMESPACE
  [222, { header: 'ResetOffsetRequestHeader', actions: ['Update'], fields: [['group', 'Group'], ['topic', 'Topic']] }], // INVOKE_BROKER_TO_RESET_OFFSET
  [223, { header: 'GetConsumerStatusRequestHeader', actions: ['Get'], fields: [['topic', 'Topic'], ['group', 'Group']] }], // INVOKE_BROKER_TO_GET_CONSUMER_STATUS
  [224, { header: 'GetTopicsByClusterRequestHeader', resource: 'Topic', actions: ['List'], fields: [] }], // GET_TOPICS_BY_CLUSTER
  [300, { header: 'QueryTopicConsumeByWhoRequestHeader', actions: ['Get'], fields: [['topic', 'Topic']] }], // QUERY_TOPIC_CONSUME_BY_WHO
  [303, { header: 'QueryConsumeTimeSpanRequestHeader', actions: ['Get'], fields: [['topic', 'Topic'], ['group', 'Group']] }], // QUERY_CONSUME_TIME_SPAN
  [307, { header: 'GetConsumerRunningInfoRequestHeader', actions: ['Get'], fields: [['consumerGroup', 'Group']] }], // GET_CONSUMER_RUNNING_INFO
  [308, { header: 'QueryCorrectionOffsetHeader', actions: ['Get'], fields: [['filterGroups', 'Group', ','], ['compareGroup', 'Group'], ['topic', 'Topic']] }], // QUERY_CORRECTION_OFFSET
  [309, { header: 'ConsumeMessageDirectlyResultRequestHeader', actions: ['Sub'], fields: [['consumerGroup', 'Group'], ['topic', 'Topic']] }], // CONSUME_MESSAGE_DIRECTLY
  [310, { header: 'SendMessageRequestHeaderV2', actions: ['Pub'], fields: [['b', 'Topic']] }], // SEND_MESSAGE_V2
  [314, { header: 'CloneGroupOffsetRequestHeader', actions: ['Update'], fields: [['destGroup', 'Group'], ['topic', 'Topic']] }], // CLONE_GROUP_OFFSET
  [315, { header: 'ViewBrokerStatsDataRequestHeader', resource: 'Cluster', actions: ['Get'], fields: [] }], // VIEW_BROKER_STATS_DATA
  [317, { header: 'GetConsumeStatsInBrokerHeader', resource: 'Cluster', actions: ['Get'], fields: [] }], // GET_BROKER_CONSUME_STATS
  [321, { header: 'QueryConsumeQueueRequestHeader', actions: ['Get'], fields: [['topic', 'Topic'], ['consumerGroup', 'Group']] }], // QUERY_CONSUME_QUEUE
  [322, { header: 'QueryDataVersionRequestHeader', resource: 'Cluster', actions: ['Get'], fields: [['clusterName', 'Cluster']] }], // QUERY_DATA_VERSION
  [323, { header: 'ResumeCheckHalfMessageRequestHeader', actions: ['Update'], fields: [['topic', 'Topic']] }], // RESUME_CHECK_HALF_MESSAGE
  [326, { header: 'ReplyMessageRequestHeader', actions: ['Sub'], fields: [['producerGroup', 'Group'], ['topic', 'Topic']] }], // PUSH_REPLY_MESSAGE_TO_CLIENT
  [327, { header: 'AddWritePermOfBrokerRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // ADD_WRITE_PERM_OF_BROKER
  [328, { header: 'GetAllProducerInfoRequestHeader', resource: 'Cluster', actions: ['Get'], fields: [] }], // GET_ALL_PRODUCER_INFO
  [343, { header: 'QueryTopicsByConsumerRequestHeader', actions: ['Get'], fields: [['group', 'Group']] }], // QUERY_TOPICS_BY_CONSUMER
  [345, { header: 'QuerySubscriptionByConsumerRequestHeader', actions: ['Get'], fields: [['group', 'Group'], ['topic', 'Topic']] }], // QUERY_SUBSCRIPTION_BY_CONSUMER
  [351, { header: 'GetTopicConfigRequestHeader', actions: ['Get'], fields: [['topic', 'Topic']] }], // GET_TOPIC_CONFIG
  [352, { header: 'GetSubscriptionGroupConfigRequestHeader', actions: ['Get'], fields: [['group', 'Group']] }], // GET_SUBSCRIPTIONGROUP_CONFIG
  [353, { header: 'UpdateGroupForbiddenRequestHeader', actions: ['Update'], fields: [['group', 'Group'], ['topic', 'Topic']] }], // UPDATE_AND_GET_GROUP_FORBIDDEN
  [354, { header: 'CheckRocksdbCqWriteProgressRequestHeader', actions: ['Get'], fields: [['topic', 'Topic']] }], // CHECK_ROCKSDB_CQ_WRITE_PROGRESS
  [355, { header: 'ExportRocksDBConfigToJsonRequestHeader', resource: 'Cluster', actions: ['Get'], fields: [] }], // EXPORT_ROCKSDB_CONFIG_TO_JSON
  [370, { header: 'RecallMessageRequestHeader', actions: ['Pub'], fields: [['topic', 'Topic']] }], // RECALL_MESSAGE
  [901, { header: 'GetBrokerMemberGroupRequestHeader', actions: ['Get'], fields: [['clusterName', 'Cluster']] }], // GET_BROKER_MEMBER_GROUP
  [902, { header: 'AddBrokerRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // ADD_BROKER
  [903, { header: 'RemoveBrokerRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [['brokerClusterName', 'Cluster']] }], // REMOVE_BROKER
  [904, { header: 'BrokerHeartbeatRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [['clusterName', 'Cluster']] }], // BROKER_HEARTBEAT
  [905, { header: 'NotifyMinBrokerIdChangeRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // NOTIFY_MIN_BROKER_ID_CHANGE
  [906, { header: 'ExchangeHAInfoRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // EXCHANGE_BROKER_HA_INFO
  [908, { header: 'ResetMasterFlushOffsetHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // RESET_MASTER_FLUSH_OFFSET
  [1001, { header: 'AlterSyncStateSetRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // CONTROLLER_ALTER_SYNC_STATE_SET
  [1002, { header: 'ElectMasterRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [['clusterName', 'Cluster']], defaults: { clusterName: '' } }], // CONTROLLER_ELECT_MASTER
  [1003, { header: 'RegisterBrokerToControllerRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [['clusterName', 'Cluster']] }], // CONTROLLER_REGISTER_BROKER
  [1004, { header: 'GetReplicaInfoRequestHeader', resource: 'Cluster', actions: ['Get'], fields: [] }], // CONTROLLER_GET_REPLICA_INFO
  [1008, { header: 'NotifyBrokerRoleChangedRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // NOTIFY_BROKER_ROLE_CHANGED
  [1011, { header: 'CleanControllerBrokerDataRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [['clusterName', 'Cluster']] }], // CLEAN_BROKER_DATA
  [1012, { header: 'GetNextBrokerIdRequestHeader', resource: 'Cluster', actions: ['Get'], fields: [['clusterName', 'Cluster']] }], // CONTROLLER_GET_NEXT_BROKER_ID
  [1013, { header: 'ApplyBrokerIdRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [['clusterName', 'Cluster']] }], // CONTROLLER_APPLY_BROKER_ID
  [3001, { header: 'CreateUserRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // AUTH_CREATE_USER
  [3002, { header: 'UpdateUserRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // AUTH_UPDATE_USER
  [3003, { header: 'DeleteUserRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // AUTH_DELETE_USER
  [3004, { header: 'GetUserRequestHeader', resource: 'Cluster', actions: ['Get'], fields: [] }], // AUTH_GET_USER
  [3005, { header: 'ListUsersRequestHeader', resource: 'Cluster', actions: ['Get'], fields: [] }], // AUTH_LIST_USER
  [3006, { header: 'CreateAclRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // AUTH_CREATE_ACL
  [3007, { header: 'UpdateAclRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // AUTH_UPDATE_ACL
  [3008, { header: 'DeleteAclRequestHeader', resource: 'Cluster', actions: ['Update'], fields: [] }], // AUTH_DELETE_ACL
  [3009, { header: 'GetAclRequestHeader', resource: 'Cluster', actions: ['Get'], fields: [] }], // AUTH_GET_ACL
  [3010, { header: 'ListAclsRequestHeader', resource: 'Cluster', actions: ['Get'], fields: [] }], // AUTH_LIST_ACL
  [200050, { header: 'PopMessageRequestHeader', actions: ['Sub'], fields: [['consumerGroup', 'Group'], ['topic', 'Topic']] }], // POP_MESSAGE
  [200051, { header: 'AckMessageRequestHeader', actions: ['Sub'], fields: [['consumerGroup', 'Group'], ['topic', 'Topic']] }], // ACK_MESSAGE
  [200052, { header: 'PeekMessageRequestHeader', actions: ['Sub'], fields: [['topic', 'Topic'], ['consumerGroup', 'Group']] }], // PEEK_MESSAGE
  [200053, { header: 'ChangeInvisibleTimeRequestHeader', actions: ['Sub'], fields: [['consumerGroup', 'Group'], ['topic', 'Topic']] }], // CHANGE_MESSAGE_INVISIBLETIME
  [200054, { header: 'NotificationRequestHeader', actions: ['Sub'], fields: [['consumerGroup', 'Group'], ['topic', 'Topic']] }], // NOTIFICATION
  [200055, { header: 'PollingInfoRequestHeader', actions: ['Get'], fields: [['consumerGroup', 'Group'], ['topic', 'Topic']] }], // POLLING_INFO
]);
