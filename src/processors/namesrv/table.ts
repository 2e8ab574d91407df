import type { NamesrvContext } from '../../namesrv/namesrv-context.js';
import type { FamilySpec } from '../../remoting/request-queues.js';
import type { RequestEntry } from '../../remoting/dispatcher.js';
import { RequestCode as C } from '../../protocol/request-code.js';
import { registerBroker, unregisterBroker, queryDataVersion } from './broker-registration.js';
import {
  getRouteInfoByTopic, getBrokerClusterInfo, getAllTopicList, getTopicsByCluster, getSystemTopicList,
  getUnitTopicList, deleteTopicInNamesrv, changeWritePerm,
} from './route.js';
import { putKVConfig, getKVConfig, deleteKVConfig, getKVListByNamespace } from './kv-config.js';
import { getNamesrvConfig, updateNamesrvConfig } from './namesrv-config.js';

const BROKER_ID = ['brokerName', 'brokerAddr', 'clusterName', 'brokerId'] as const;

/** The NameServer's one request table: code → processor and required header fields. */
/**
 * The NameServer's request families (5.x NamesrvController: route lookups on the client-request pool,
 * everything else on the default pool), with the 5.x queue capacities.
 */
export const NAMESRV_FAMILIES: Record<string, FamilySpec<NamesrvContext>> = {
  clientRequest: { capacity: (c) => c.config.clientRequestThreadPoolQueueCapacity },
  default: { capacity: (c) => c.config.defaultThreadPoolQueueCapacity },
};

export const NAMESRV_REQUESTS: ReadonlyArray<RequestEntry<NamesrvContext>> = [
  { code: C.REGISTER_BROKER, processor: registerBroker, required: [...BROKER_ID, 'haServerAddr'] },
  { code: C.UNREGISTER_BROKER, processor: unregisterBroker, required: BROKER_ID },
  { code: C.QUERY_DATA_VERSION, processor: queryDataVersion, required: BROKER_ID },
  { code: C.GET_ROUTEINFO_BY_TOPIC, processor: getRouteInfoByTopic, required: ['topic'], family: 'clientRequest' },
  { code: C.GET_BROKER_CLUSTER_INFO, processor: getBrokerClusterInfo },
  { code: C.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, processor: getAllTopicList },
  { code: C.GET_TOPICS_BY_CLUSTER, processor: getTopicsByCluster, required: ['cluster'] },
  { code: C.GET_SYSTEM_TOPIC_LIST_FROM_NS, processor: getSystemTopicList },
  { code: C.GET_UNIT_TOPIC_LIST, processor: getUnitTopicList },
  { code: C.GET_HAS_UNIT_SUB_TOPIC_LIST, processor: getUnitTopicList },
  { code: C.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST, processor: getUnitTopicList },
  { code: C.DELETE_TOPIC_IN_NAMESRV, processor: deleteTopicInNamesrv, required: ['topic'] },
  { code: C.WIPE_WRITE_PERM_OF_BROKER, processor: changeWritePerm, required: ['brokerName'] },
  { code: C.ADD_WRITE_PERM_OF_BROKER, processor: changeWritePerm, required: ['brokerName'] },
  { code: C.PUT_KV_CONFIG, processor: putKVConfig, required: ['namespace', 'key', 'value'] },
  { code: C.GET_KV_CONFIG, processor: getKVConfig, required: ['namespace', 'key'] },
  { code: C.DELETE_KV_CONFIG, processor: deleteKVConfig, required: ['namespace', 'key'] },
  { code: C.GET_KVLIST_BY_NAMESPACE, processor: getKVListByNamespace, required: ['namespace'] },
  { code: C.UPDATE_NAMESRV_CONFIG, processor: updateNamesrvConfig },
  { code: C.GET_NAMESRV_CONFIG, processor: getNamesrvConfig },
];
