import path from 'node:path';
import type { BrokerConfig } from '../../config/broker-config.js';
import { parseFastJson, toFastJsonPretty } from '../../codec/fastjson.js';
import { StateFile } from '../../config/persist.js';
import type { DataVersion } from '../../protocol/data-version.js';
import { newDataVersion, nextVersion } from '../../protocol/data-version.js';
import { log } from '../../logger.js';

/** common/subscription/SubscriptionGroupConfig.java (4.9.8 fields and defaults). */
export interface SubscriptionGroupConfig {
  groupName: string;
  consumeEnable: boolean;
  consumeFromMinEnable: boolean;
  consumeBroadcastEnable: boolean;
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
  private readonly state: StateFile<{ dataVersion?: DataVersion; subscriptionGroupTable?: Record<string, SubscriptionGroupConfig> }>;

  constructor(private readonly config: BrokerConfig) {
    const file = path.join(config.storePathRootDir, 'config', 'subscriptionGroup.json');
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
    for (const sg of Object.values(obj.subscriptionGroupTable ?? {})) this.table.set(sg.groupName, { ...subscriptionGroupConfig(sg.groupName), ...sg });
    if (obj.dataVersion) this.dataVersion = { counter: Number(obj.dataVersion.counter), timestamp: Number(obj.dataVersion.timestamp) };
  }

  /** Every change is written at once; this writes subscriptionGroup.json again if that write failed (the broker's periodic task). */
  persist(): void {
    this.state.persistIfChanged();
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

  put(sg: SubscriptionGroupConfig): void {
    this.table.set(sg.groupName, sg);
    nextVersion(this.dataVersion);
    this.state.persist();
  }

  /** SlaveSynchronize#syncSubscriptionGroupConfig: a slave takes its master's whole table and data version. */
  replaceAll(configs: Iterable<SubscriptionGroupConfig>, dataVersion: DataVersion): void {
    this.table.clear();
    for (const sg of configs) this.table.set(sg.groupName, { ...subscriptionGroupConfig(sg.groupName), ...sg });
    this.dataVersion = { ...dataVersion };
    this.state.persist();
  }

  delete(group: string): boolean {
    if (!this.table.delete(group)) return false;
    nextVersion(this.dataVersion);
    this.state.persist();
    return true;
  }
}
