import path from 'node:path';
import type { BrokerConfig } from '../../config/broker-config.js';
import { parseFastJson, toFastJsonPretty } from '../../codec/fastjson.js';
import { StateFile } from '../../config/persist.js';
import type { DataVersion } from '../../protocol/data-version.js';
import { newDataVersion, nextVersion } from '../../protocol/data-version.js';
import { log } from '../../logger.js';

/**
 * common/subscription/SubscriptionGroupConfig.java (4.9.8 fields and defaults), plus 5.x's
 * consumeMessageOrderly: the gRPC endpoint reads it to tell a FIFO group (orderly POP, one
 * assignment per queue), as the 5.x proxy does (GrpcClientSettingsManager, RouteActivity#queryAssignment).
 */
export interface SubscriptionGroupConfig {
  groupName: string;
  consumeEnable: boolean;
  consumeFromMinEnable: boolean;
  consumeBroadcastEnable: boolean;
  consumeMessageOrderly: boolean;
  retryQueueNums: number;
  retryMaxTimes: number;
  brokerId: number;
  whichBrokerWhenConsumeSlowly: number;
  notifyConsumerIdsChangedEnable: boolean;
}

export function subscriptionGroupConfig(groupName: string): SubscriptionGroupConfig {
  return {
    groupName,
    consumeEnable: true,
    consumeFromMinEnable: true,
    consumeBroadcastEnable: true,
    consumeMessageOrderly: false,
    retryQueueNums: 1,
    retryMaxTimes: 16,
    brokerId: 0,
    whichBrokerWhenConsumeSlowly: 1,
    notifyConsumerIdsChangedEnable: true,
  };
}

/** Groups the Java broker creates at boot (SubscriptionGroupManager#init). */
const SYSTEM_GROUPS = ['TOOLS_CONSUMER', 'FILTERSRV_CONSUMER', 'SELF_TEST_C_GROUP', 'CID_ONS-HTTP-PROXY', 'CID_ONSAPI_PULL', 'CID_ONSAPI_PERMISSION', 'CID_ONSAPI_OWNER'];
const SYSTEM_GROUP_PREFIX = 'CID_RMQ_SYS_';

/** Consumer groups, persisted as config/subscriptionGroup.json. */
export class SubscriptionGroupManager {
  readonly table = new Map<string, SubscriptionGroupConfig>();
  dataVersion: DataVersion = newDataVersion();
  private readonly file: string;
  private readonly state: StateFile<{ dataVersion?: DataVersion; subscriptionGroupTable?: Record<string, SubscriptionGroupConfig> }>;

  constructor(private readonly config: BrokerConfig) {
    const file = path.join(config.storePathRootDir, 'config', 'subscriptionGroup.json');
    this.file = file;
    this.state = new StateFile(file, () => toFastJsonPretty({ dataVersion: this.dataVersion, subscriptionGroupTable: this.table }), parseFastJson);
    for (const g of SYSTEM_GROUPS) {
      const sg = subscriptionGroupConfig(g);
      if (g === 'TOOLS_CONSUMER' || g === 'FILTERSRV_CONSUMER' || g === 'SELF_TEST_C_GROUP') sg.consumeBroadcastEnable = true;
      this.table.set(g, sg);
    }
  }

  load(): void {
    const obj = this.state.load();
    if (!obj) return;
    for (const sg of Object.values(obj.subscriptionGroupTable ?? {})) {
      this.table.set(sg.groupName, this.bounded({ ...subscriptionGroupConfig(sg.groupName), ...sg }, this.file));
    }
    if (obj.dataVersion) this.dataVersion = { counter: Number(obj.dataVersion.counter), timestamp: Number(obj.dataVersion.timestamp) };
  }

  /**
   * Whatever changed and is not on disk yet, written now: the broker's periodic task (a write that
   * failed is retried here), shutdown, and the admin requests, which answer once their change is on disk.
   * Every change is also written by itself soon after it is made; many made together are written once.
   */
  persist(): Promise<boolean> {
    return this.state.flush();
  }

  /** The changes made until the returned release are written together, once (StateFile#hold). */
  holdWrites(): () => void {
    return this.state.hold();
  }

  /**
   * A retryQueueNums above maxTopicQueueNums, cut to it: it becomes the queue count of the group's
   * %RETRY% topic, created by the next heartbeat. The admin request refuses it; a file or a master's
   * table has no one to refuse to.
   */
  private bounded(sg: SubscriptionGroupConfig, source: string): SubscriptionGroupConfig {
    const max = this.config.maxTopicQueueNums;
    if (!(Number(sg.retryQueueNums) > max)) return sg;
    log.warn(`broker: group ${sg.groupName} from ${source} has retryQueueNums=${sg.retryQueueNums}, more than maxTopicQueueNums=${max}: using ${max}`);
    return { ...sg, retryQueueNums: max };
  }

  /** SubscriptionGroupManager#findSubscriptionGroupConfig: auto-creates when allowed. */
  find(group: string): SubscriptionGroupConfig | undefined {
    let sg = this.table.get(group);
    if (!sg && (this.config.autoCreateSubscriptionGroup || group.startsWith(SYSTEM_GROUP_PREFIX))) {
      sg = subscriptionGroupConfig(group);
      log.info(`broker: auto-created subscription group ${group}`);
      this.put(sg);
    }
    return sg;
  }

  /** Adds or replaces a group; subscriptionGroup.json is written soon after (`persist` waits for it). */
  put(sg: SubscriptionGroupConfig): void {
    this.table.set(sg.groupName, this.bounded(sg, 'a request'));
    nextVersion(this.dataVersion);
    void this.state.later();
  }

  /** SlaveSynchronize#syncSubscriptionGroupConfig: a slave takes its master's whole table and data version; resolves once written. */
  replaceAll(configs: Iterable<SubscriptionGroupConfig>, dataVersion: DataVersion): Promise<boolean> {
    this.table.clear();
    for (const sg of configs) this.table.set(sg.groupName, this.bounded({ ...subscriptionGroupConfig(sg.groupName), ...sg }, 'the master'));
    this.dataVersion = { ...dataVersion };
    return this.state.later();
  }

  /** Removes a group; subscriptionGroup.json is written soon after (`persist` waits for it). */
  delete(group: string): boolean {
    if (!this.table.delete(group)) return false;
    nextVersion(this.dataVersion);
    void this.state.later();
    return true;
  }
}
