import path from 'node:path';
import type { BrokerConfig } from '../../config/broker-config.js';
import { parseFastJson, toFastJson, toFastJsonPretty } from '../../codec/fastjson.js';
import { StateFile } from '../../config/persist.js';
import type { DataVersion } from '../../protocol/data-version.js';
import { newDataVersion, nextVersion } from '../../protocol/data-version.js';
import { log } from '../../logger.js';

const TOPIC_GROUP_SEPARATOR = '@';
/** 5.x BrokerConfig#consumerOffsetUpdateVersionStep: commits between two data versions. */
const COMMITS_PER_VERSION = 500;

/** An offsetTable as fastjson reads it: a Map when its queue keys are unquoted numbers, else a plain object. */
type OffsetTableJson = Record<string, Map<number, number> | Record<string, number>> | Map<string, Map<number, number>>;

/** topic@group → queue → offset, from either form the JSON reader gives. */
export function decodeOffsetTable(table: OffsetTableJson): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const [key, queues] of table instanceof Map ? [...table] : Object.entries(table)) {
    const m = new Map<number, number>();
    for (const [q, off] of queues instanceof Map ? [...queues] : Object.entries(queues)) m.set(Number(q), Number(off));
    out.set(String(key), m);
  }
  return out;
}

/**
 * Committed offsets ("next offset to consume") per topic@group and queue, persisted as
 * config/consumerOffset.json with unquoted integer queue keys (ConsumerOffsetManager.java).
 */
export class ConsumerOffsetManager {
  readonly offsetTable = new Map<string, Map<number, number>>();
  /**
   * Not in consumerOffset.json (4.9.8 has none); sent in GET_ALL_CONSUMER_OFFSET because a 5.x slave
   * adopts it and fails its sync without one. Moves every COMMITS_PER_VERSION commits, as in 5.x.
   */
  dataVersion: DataVersion = newDataVersion();
  private commitsSinceVersion = 0;
  private readonly state: StateFile<{ offsetTable?: OffsetTableJson }>;

  constructor(config: BrokerConfig) {
    const file = path.join(config.storePathRootDir, 'config', 'consumerOffset.json');
    this.state = new StateFile(file, () => toFastJsonPretty({ offsetTable: this.offsetTable }), parseFastJson);
  }

  load(): void {
    const table = this.state.load()?.offsetTable;
    if (!table) return;
    for (const [key, queues] of decodeOffsetTable(table)) this.offsetTable.set(key, queues);
    log.info(`broker: loaded consumer offsets for ${this.offsetTable.size} topic@group pairs`);
  }

  /** GET_ALL_CONSUMER_OFFSET's body: the table and its data version, compact (ConsumerOffsetManager#encode). */
  encode(): string {
    return toFastJson({ dataVersion: this.dataVersion, offsetTable: this.offsetTable });
  }

  /**
   * SlaveSynchronize#syncConsumerOffset: the master's table put over ours key by key (a topic@group the
   * master does not have is kept), then written at once.
   */
  putAll(table: Map<string, Map<number, number>>, dataVersion?: DataVersion): void {
    for (const [key, queues] of table) this.offsetTable.set(key, queues);
    // 5.x adopts the master's version too; 4.9.8 has none to adopt.
    if (dataVersion) this.dataVersion = { ...dataVersion };
    this.state.persist();
  }

  /** Writes consumerOffset.json if an offset moved since the last write (the broker's periodic task). */
  persist(): void {
    this.state.persistIfChanged();
  }

  commitOffset(group: string, topic: string, queueId: number, offset: number): void {
    const key = topic + TOPIC_GROUP_SEPARATOR + group;
    let m = this.offsetTable.get(key);
    if (!m) this.offsetTable.set(key, (m = new Map()));
    m.set(queueId, offset);
    this.state.changed();
    if (++this.commitsSinceVersion >= COMMITS_PER_VERSION) {
      this.commitsSinceVersion = 0;
      nextVersion(this.dataVersion);
    }
  }

  /** -1 when the group never committed an offset for this queue. */
  queryOffset(group: string, topic: string, queueId: number): number {
    return this.offsetTable.get(topic + TOPIC_GROUP_SEPARATOR + group)?.get(queueId) ?? -1;
  }

  queryOffsets(group: string, topic: string): Map<number, number> | undefined {
    return this.offsetTable.get(topic + TOPIC_GROUP_SEPARATOR + group);
  }

  /** Topics a group has offsets for. */
  topicsOfGroup(group: string): string[] {
    const out: string[] = [];
    for (const key of this.offsetTable.keys()) {
      const at = key.lastIndexOf(TOPIC_GROUP_SEPARATOR);
      if (key.slice(at + 1) === group) out.push(key.slice(0, at));
    }
    return out;
  }

  /** Groups that have offsets for a topic. */
  groupsOfTopic(topic: string): string[] {
    const out: string[] = [];
    for (const key of this.offsetTable.keys()) {
      const at = key.lastIndexOf(TOPIC_GROUP_SEPARATOR);
      if (key.slice(0, at) === topic) out.push(key.slice(at + 1));
    }
    return out;
  }

  removeGroup(group: string): void {
    for (const key of [...this.offsetTable.keys()]) {
      if (key.slice(key.lastIndexOf(TOPIC_GROUP_SEPARATOR) + 1) === group) this.offsetTable.delete(key);
    }
    this.state.changed();
  }

  removeTopic(topic: string): void {
    for (const key of [...this.offsetTable.keys()]) {
      if (key.slice(0, key.lastIndexOf(TOPIC_GROUP_SEPARATOR)) === topic) this.offsetTable.delete(key);
    }
    this.state.changed();
  }
}
