import type { BrokerConfig } from '../config/broker-config.js';
import type { QueueStat } from '../remoting/dispatcher.js';
import type { MessageStore } from '../store/types.js';
import type { HostAddress } from '../codec/message.js';
import type { TopicConfigManager } from './metadata/topic-config-manager.js';
import type { SubscriptionGroupManager } from './metadata/subscription-group-manager.js';
import type { ConsumerOffsetManager } from './metadata/consumer-offset-manager.js';
import type { ConsumerManager } from './client/consumer-manager.js';
import type { ProducerManager } from './client/producer-manager.js';
import type { PullRequestHoldService } from './longpolling/pull-request-hold-service.js';
import type { RebalanceLockManager } from './client/rebalance-lock-manager.js';
import type { BrokerStats } from './stats/broker-stats.js';
import type { ScheduleMessageService } from './schedule/schedule-message-service.js';
import type { TimerMessageService } from './schedule/timer-message-service.js';
import type { TransactionalMessageService } from './transaction/transactional-message-service.js';
import type { ConsumerFilterManager } from './filter/consumer-filter-manager.js';
import type { PlainAclManager } from '../auth/plain/plain-acl-manager.js';
import type { AuthManager } from '../auth/v2/auth-manager.js';
import type { PopService } from './pop/pop-service.js';
import type { BrokerMetrics } from './metrics/broker-metrics.js';
import type { ReplicasManager } from './controller/replicas-manager.js';

/** Everything a broker processor may use; one object, built by BrokerController. */
export interface BrokerContext {
  config: BrokerConfig;
  store: MessageStore;
  topics: TopicConfigManager;
  groups: SubscriptionGroupManager;
  offsets: ConsumerOffsetManager;
  consumers: ConsumerManager;
  producers: ProducerManager;
  pullHold: PullRequestHoldService;
  locks: RebalanceLockManager;
  stats: BrokerStats;
  /** SQL92 filter data per topic and group, registered from heartbeats. */
  filters: ConsumerFilterManager;
  /** Delay levels (SCHEDULE_TOPIC_XXXX); the timer (arbitrary delivery times) and half messages follow. */
  schedule: ScheduleMessageService;
  timer: TimerMessageService;
  transactions: TransactionalMessageService;
  /** 5.x POP consumption: request modes, checkpoints, long-polled pops, revive. */
  pop: PopService;
  /** brokerIP1:listenPort, stamped into every stored record. */
  /** ACL 1.0 accounts, when aclEnable. */
  plainAcl?: PlainAclManager;
  /** ACL 2.0 users and policies, when authenticationEnabled or authorizationEnabled. */
  auth?: AuthManager;
  storeHost: HostAddress;
  brokerAddr: string;
  /** Where UPDATE_BROKER_CONFIG persists settings: the -c file, if the broker was started with one. */
  brokerConfigPath?: string;
  /** Ask the broker to re-register with every namesrv now (after a topic change). */
  registerBrokerAll(): void;
  /** RIP-46 counters (metrics/broker-metrics.ts), when metricsExporterType=PROM; absent, nothing is counted. */
  metrics?: BrokerMetrics;
  /** The request families' queues (size, head wait, capacity), once the dispatcher exists. */
  requestQueues?: () => Map<string, QueueStat>;
  /** The controller client (controller/replicas-manager.ts), when enableControllerMode. */
  replicas?: ReplicasManager;
}
