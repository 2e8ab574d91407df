import { BOOL, STRING, intRule, longRule, type Rules } from './config-rules.js';

/**
 * Keys of controller mode (RocketMQ 5.x): the broker joins an Apache controller, which elects the master
 * of its broker group and keeps the in-sync replica set; replication then speaks AutoSwitchHA. Names and
 * defaults are those of the 5.3 BrokerConfig / MessageStoreConfig.
 */
export const CONTROLLER_CONFIG_DEFAULTS = {
  /** Join the controller(s) in controllerAddr instead of taking brokerRole / brokerId from the config. */
  enableControllerMode: false,
  /** `;`-separated controller addresses (ip:port); the broker asks any of them which one leads. */
  controllerAddr: '',
  /** How often the broker asks the controller for its group's master, epoch and in-sync set (ms). */
  syncBrokerMetadataPeriod: 5_000,
  /** How often a master checks its in-sync set and reports a change to the controller (ms). */
  checkSyncStateSetPeriod: 5_000,
  /** How often the broker asks the controllers which one leads (ms). */
  syncControllerMetadataPeriod: 10_000,
  /** Timeout of one request to the controller (ms). */
  controllerHeartBeatTimeoutMills: 10_000,
  /** Heartbeat period to the controller (and to the NameServer when it asks for one) (ms). */
  brokerHeartbeatInterval: 1_000,
  /** Election priority sent in heartbeats: lower wins among equally caught-up brokers. */
  brokerElectionPriority: 2147483647,
  /** A send waits for every broker of the in-sync set (true) or for inSyncReplicas of them (false). */
  allAckInSyncStateSet: false,
  /** Replicas (master included) a SYNC send waits for when allAckInSyncStateSet is false. */
  inSyncReplicas: 1,
  /** Fewest in-sync replicas a master accepts a send with. */
  minInSyncReplicas: 1,
  /** Let inSyncReplicas shrink to the in-sync set's size (not below minInSyncReplicas). */
  enableAutoInSyncReplicas: false,
  /** A slave that has not caught up with the master for this long leaves the in-sync set (ms). */
  haMaxTimeSlaveNotCatchup: 15_000,
  /** A new slave starts replicating from the master's last CommitLog file instead of its first. */
  syncFromLastFile: false,
  /** An async learner replicates but never joins the in-sync set. */
  asyncLearner: false,
  /** Epoch file; empty ⇒ storePathRootDir/epochFileCheckpoint. */
  storePathEpochFile: '',
  /** Broker identity (controller-assigned id) file; empty ⇒ storePathRootDir/brokerIdentity. */
  storePathBrokerIdentity: '',
};

export type ControllerConfig = { -readonly [K in keyof typeof CONTROLLER_CONFIG_DEFAULTS]: (typeof CONTROLLER_CONFIG_DEFAULTS)[K] };

export const CONTROLLER_RULES: Rules<ControllerConfig> = {
  enableControllerMode: BOOL,
  controllerAddr: STRING,
  syncBrokerMetadataPeriod: longRule(1),
  checkSyncStateSetPeriod: longRule(1),
  syncControllerMetadataPeriod: longRule(1),
  controllerHeartBeatTimeoutMills: longRule(1),
  brokerHeartbeatInterval: intRule(1),
  brokerElectionPriority: intRule(0),
  allAckInSyncStateSet: BOOL,
  inSyncReplicas: intRule(1),
  minInSyncReplicas: intRule(1),
  enableAutoInSyncReplicas: BOOL,
  haMaxTimeSlaveNotCatchup: longRule(1),
  syncFromLastFile: BOOL,
  asyncLearner: BOOL,
  storePathEpochFile: STRING,
  storePathBrokerIdentity: STRING,
};
