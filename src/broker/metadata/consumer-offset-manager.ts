import path from 'node:path';
import type { BrokerConfig } from '../../config/broker-config.js';
import { parseFastJson, toFastJsonPretty } from '../../codec/fastjson.js';
import { StateFile } from '../../config/persist.js';
import { log } from '../../logger.js';

const TOPIC_GROUP_SEPARATOR = '@';

/**
 * Committed offsets ("next offset to consume") per topic@group and queue, persisted as
 * config/consumerOffset.json with unquoted integer queue keys (ConsumerOffsetManager.java).
 */
export class ConsumerOffsetManager {
  readonly offsetTable = new Map<string, Map<number, number>>();
  private readonly state: StateFile<{ offsetTable?: Record<string, Map<number, number> | Record<string, number>> | Map<string, Map<number, number>> }>;

  constructor(config: BrokerConfig) {
    const file = path.join(config.storePathRootDir, 'config', 'consumerOffset.json');
    this.state = new StateFile(file, () => toFastJsonPretty({ offsetTable: this.offsetTable }), parseFastJson);
  }

  load(): void {
    const obj = this.state.load();
    const table = obj?.offsetTable;
    if (!table) return;
    const entries = table instanceof Map ? [...table] : Object.entries(table);
    for (const [key, queues] of entries) {
      const m = new Map<number, number>();
      const qe = queues instanceof Map ? [...queues] : Object.entries(queues);
      for (const [q, off] of qe) m.set(Number(q), Number(off));
      this.offsetTable.set(String(key), m);
    }
    log.info(`broker: loaded consumer offsets for ${this.offsetTable.size} topic@group pairs`);
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
