import path from 'node:path';
import type { BrokerConfig } from '../../config/broker-config.js';
import { PermName, isInherited } from '../../protocol/perm-name.js';
import { TopicValidator, REPLY_TOPIC_POSTFIX } from '../../protocol/topic-validator.js';
import { parseFastJson, toFastJsonPretty } from '../../codec/fastjson.js';
import { StateFile } from '../../config/persist.js';
import type { DataVersion } from '../../protocol/data-version.js';
import { newDataVersion, nextVersion } from '../../protocol/data-version.js';
import { log } from '../../logger.js';

/** common/TopicConfig.java; field order irrelevant (serialized as a sorted bean). */
export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: string;
  topicSysFlag: number;
  order: boolean;
  /**
   * 5.x TopicConfig.attributes (broker/metadata/topic-attributes.ts), e.g. {"message.type":"FIFO"}.
   * Absent when empty, so topics.json and the answers to 4.9 tools stay as 4.9 writes them.
   */
  attributes?: Record<string, string>;
}

export function topicConfig(topicName: string, queueNums = 16, perm = PermName.PERM_READ | PermName.PERM_WRITE): TopicConfig {
  return { topicName, readQueueNums: queueNums, writeQueueNums: queueNums, perm, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
}

/** TopicConfig#toString, used in the Java broker's remarks. */
export function describeTopicConfig(tc: TopicConfig): string {
  return `TopicConfig [topicName=${tc.topicName}, readQueueNums=${tc.readQueueNums}, writeQueueNums=${tc.writeQueueNums}, perm=${permToString(tc.perm)}, topicFilterType=${tc.topicFilterType}, topicSysFlag=${tc.topicSysFlag}, order=${tc.order}]`;
}

function permToString(perm: number): string {
  return `${perm & PermName.PERM_READ ? 'R' : '-'}${perm & PermName.PERM_WRITE ? 'W' : '-'}${perm & PermName.PERM_INHERIT ? 'X' : '-'}`;
}

/** Topics this broker serves, persisted as config/topics.json (broker/topic/TopicConfigManager.java). */
export class TopicConfigManager {
  readonly table = new Map<string, TopicConfig>();
  /** The topics this broker adds as system topics: the admin requests refuse to redefine or delete them. */
  readonly systemTopics = new Set<string>();
  dataVersion: DataVersion = newDataVersion();
  private readonly file: string;
  private readonly state: StateFile<{ dataVersion?: DataVersion; topicConfigTable?: Record<string, TopicConfig> }>;
  /** Called after a change that the namesrv must learn about. */
  onChange: (tc: TopicConfig | undefined) => void = () => {};

  constructor(private readonly config: BrokerConfig) {
    this.file = path.join(config.storePathRootDir, 'config', 'topics.json');
    this.state = new StateFile(this.file, () => toFastJsonPretty({ dataVersion: this.dataVersion, topicConfigTable: this.table }), parseFastJson);
    this.addSystemTopics();
  }

  private addSystemTopics(): void {
    const c = this.config;
    // Each one is also a system topic, as TopicConfigManager's constructor calls TopicValidator#addSystemTopic.
    const sys = (name: string, queues: number, perm?: number): void => {
      this.table.set(name, topicConfig(name, queues, perm));
      this.systemTopics.add(name);
    };
    sys(TopicValidator.RMQ_SYS_SELF_TEST_TOPIC, 1);
    if (c.autoCreateTopicEnable) {
      // Every auto-created topic takes at most TBW102's queues, so this bound covers them all.
      const queues = Math.min(c.defaultTopicQueueNums, c.maxTopicQueueNums);
      sys(TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC, queues, PermName.PERM_INHERIT | PermName.PERM_READ | PermName.PERM_WRITE);
    }
    sys(TopicValidator.RMQ_SYS_BENCHMARK_TOPIC, 1024);
    sys(c.brokerClusterName, 16, PermName.PERM_INHERIT | (c.clusterTopicEnable ? PermName.PERM_READ | PermName.PERM_WRITE : 0));
    sys(c.brokerName, 1, PermName.PERM_INHERIT | (c.brokerTopicEnable ? PermName.PERM_READ | PermName.PERM_WRITE : 0));
    sys(TopicValidator.RMQ_SYS_OFFSET_MOVED_EVENT, 1);
    sys(TopicValidator.RMQ_SYS_SCHEDULE_TOPIC, 18);
    if (c.traceTopicEnable) sys(c.msgTraceTopicName, 1);
    sys(`${c.brokerClusterName}_${REPLY_TOPIC_POSTFIX}`, 1);
  }

  load(): void {
    const obj = this.state.load();
    if (!obj) return;
    for (const tc of Object.values(obj.topicConfigTable ?? {})) {
      this.table.set(tc.topicName, this.bounded(normalize(tc), this.file));
    }
    if (obj.dataVersion) this.dataVersion = { counter: Number(obj.dataVersion.counter), timestamp: Number(obj.dataVersion.timestamp) };
    // Without auto-creation TBW102 must not hand out INHERIT (TopicConfigManager#load).
    const tbw = this.table.get(TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC);
    if (tbw && !this.config.autoCreateTopicEnable) tbw.perm = PermName.PERM_READ | PermName.PERM_WRITE;
    log.info(`broker: loaded ${this.table.size} topic configs from ${this.file}`);
  }

  /**
   * Whatever changed and is not on disk yet, written now: the broker's periodic task (a write that
   * failed, on a full disk, is retried here) and shutdown. Every change is also written by itself soon
   * after it is made; many changes made together are written once. Resolves false if the write failed.
   */
  persist(): Promise<boolean> {
    return this.state.flush();
  }

  /** The changes made until the returned release are written together, once (StateFile#hold). */
  holdWrites(): () => void {
    return this.state.hold();
  }

  /**
   * Queue counts above maxTopicQueueNums, cut to it. Every request that walks a topic's queues (stats,
   * consume stats, offset reset) loops over them and builds an entry per queue: for 2^31-1 queues that
   * holds the event loop for seconds and allocates gigabytes.
   * The admin request refuses such counts; the other sources (topics.json, a master's table, a group's
   * retryQueueNums) have no one to refuse to, so the count is cut with a warning.
   */
  private bounded(tc: TopicConfig, source: string): TopicConfig {
    const max = this.config.maxTopicQueueNums;
    if (!(tc.readQueueNums > max || tc.writeQueueNums > max)) return tc;
    log.warn(`broker: topic ${tc.topicName} from ${source} has ${tc.readQueueNums} read and ${tc.writeQueueNums} write queues,`
      + ` more than maxTopicQueueNums=${max}: using ${max} (raise maxTopicQueueNums to keep more)`);
    return { ...tc, readQueueNums: Math.min(tc.readQueueNums, max), writeQueueNums: Math.min(tc.writeQueueNums, max) };
  }

  select(topic: string): TopicConfig | undefined {
    return this.table.get(topic);
  }

  isOrderTopic(topic: string): boolean {
    return this.table.get(topic)?.order === true;
  }

  /** TopicConfigManager#createTopicInSendMessageMethod: inherit from the default topic (TBW102). */
  createTopicInSendMessageMethod(topic: string, defaultTopic: string, remoteAddr: string, clientDefaultTopicQueueNums: number, topicSysFlag: number): TopicConfig | undefined {
    const existing = this.table.get(topic);
    if (existing) return existing;
    const def = this.table.get(defaultTopic);
    if (!def) {
      log.warn(`broker: cannot create topic ${topic} from missing default topic ${defaultTopic}, producer ${remoteAddr}`);
      return undefined;
    }
    if (defaultTopic === TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC && !this.config.autoCreateTopicEnable) {
      def.perm = PermName.PERM_READ | PermName.PERM_WRITE;
    }
    if (!isInherited(def.perm)) {
      log.warn(`broker: default topic ${defaultTopic} has no inherit permission, cannot create ${topic} for ${remoteAddr}`);
      return undefined;
    }
    // Java takes min(client's number, TBW102's write queues); TBW102 is bounded, and so is this in case
    // maxTopicQueueNums was lowered since (UPDATE_BROKER_CONFIG).
    const queueNums = Math.max(0, Math.min(clientDefaultTopicQueueNums, def.writeQueueNums, this.config.maxTopicQueueNums));
    const tc = topicConfig(topic, queueNums, def.perm & ~PermName.PERM_INHERIT);
    tc.topicSysFlag = topicSysFlag;
    log.info(`broker: auto-created topic ${topic} (${queueNums} queues) from ${defaultTopic} for ${remoteAddr}`);
    this.put(tc);
    return tc;
  }

  /** Retry / DLQ / transaction topics are created on demand with fixed queue counts. */
  createIfAbsent(topic: string, queueNums: number, perm: number, topicSysFlag = 0): TopicConfig {
    const existing = this.table.get(topic);
    if (existing) return existing;
    const tc = this.bounded(topicConfig(topic, queueNums, perm), 'a retry, DLQ or system topic');
    tc.topicSysFlag = topicSysFlag;
    log.info(`broker: created topic ${topic} (${tc.writeQueueNums} queues)`);
    this.put(tc);
    return tc;
  }

  /** Adds or replaces a topic; topics.json is written soon after (`persist` waits for it). */
  put(tc: TopicConfig): void {
    const bounded = this.bounded(tc, 'a request');
    this.table.set(bounded.topicName, bounded);
    nextVersion(this.dataVersion);
    void this.state.later();
    this.onChange(bounded);
  }

  /**
   * SlaveSynchronize#syncTopicConfig: a slave takes its master's whole table and data version and writes
   * topics.json. Like the Java slave it does not re-register at once: the NameServer learns the new
   * topics at the next periodic registration. Resolves once topics.json is written (false if that failed).
   */
  replaceAll(configs: Iterable<TopicConfig>, dataVersion: DataVersion): Promise<boolean> {
    this.table.clear();
    for (const tc of configs) this.table.set(tc.topicName, this.bounded(normalize(tc), 'the master'));
    this.dataVersion = { ...dataVersion };
    return this.state.later();
  }

  /** Removes a topic; topics.json is written soon after (`persist` waits for it). */
  delete(topic: string): boolean {
    if (!this.table.delete(topic)) return false;
    nextVersion(this.dataVersion);
    void this.state.later();
    this.onChange(undefined);
    return true;
  }
}

function normalize(tc: TopicConfig): TopicConfig {
  return {
    topicName: tc.topicName,
    readQueueNums: Number(tc.readQueueNums),
    writeQueueNums: Number(tc.writeQueueNums),
    perm: Number(tc.perm),
    topicFilterType: tc.topicFilterType ?? 'SINGLE_TAG',
    topicSysFlag: Number(tc.topicSysFlag ?? 0),
    order: tc.order === true,
    ...attributesOf(tc),
  };
}

/** The attributes of a TopicConfig read from JSON, if it has any (string values only, as Java's Map<String, String>). */
function attributesOf(tc: TopicConfig): { attributes?: Record<string, string> } {
  const a = tc.attributes;
  if (!a || typeof a !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a)) out[k] = String(v);
  return Object.keys(out).length ? { attributes: out } : {};
}
