import path from 'node:path';
import type { BrokerConfig } from '../../config/broker-config.js';
import { parseFastJson, toFastJsonPretty } from '../../codec/fastjson.js';
import { StateFile } from '../../config/persist.js';
import { compileSql92, Sql92SyntaxError, type CompiledSql92 } from '../../filter/sql92.js';
import { ExpressionType, isTagType, type SubscriptionData } from './subscription-data.js';
import { log } from '../../logger.js';

/** BrokerConfig#filterDataCleanTimeSpan: filter data of a group gone this long is dropped. */
export const FILTER_DATA_CLEAN_MS = 24 * 3600 * 1000;
/** Dead data loaded at boot is considered dead since this long ago (ConsumerFilterManager#decode). */
const LOADED_DEAD_SINCE_MS = 30_000;

/** broker/filter/ConsumerFilterData.java, without the bloom filter (we never compute CQ bit maps). */
export interface ConsumerFilterData {
  consumerGroup: string;
  topic: string;
  expression: string;
  expressionType: string;
  bornTime: number;
  /** 0 while alive; isDead() ⇔ deadTime >= bornTime. */
  deadTime: number;
  /** The subscription's subVersion that registered it; pulls with a newer one get FILTER_DATA_NOT_LATEST. */
  clientVersion: number;
  compiled?: CompiledSql92;
}

export const isDead = (d: ConsumerFilterData): boolean => d.deadTime >= d.bornTime;

/** Compiles one filter's expression; undefined when it does not compile (as ConsumerFilterManager.build returns null). */
export function buildFilterData(topic: string, group: string, expression: string, type: string, clientVersion: number): ConsumerFilterData | undefined {
  if (isTagType(type)) return undefined;
  const d: ConsumerFilterData = { consumerGroup: group, topic, expression, expressionType: type, bornTime: Date.now(), deadTime: 0, clientVersion };
  try {
    d.compiled = compileFilter(type, expression);
  } catch (e) {
    if (!(e instanceof Sql92SyntaxError)) throw e;
    log.warn(`broker: filter of ${group} on ${topic} does not compile: ${e.message} (${expression})`);
    return undefined;
  }
  return d;
}

/** FilterFactory: SQL92 is the only non-tag type (the legacy class filter was dropped in 4.x). */
export function compileFilter(type: string, expression: string): CompiledSql92 {
  if (type !== ExpressionType.SQL92) throw new Sql92SyntaxError(`unsupported expression type ${type}`);
  return compileSql92(expression);
}

/**
 * SQL92 filter data per topic and group, registered from heartbeats (broker/filter/ConsumerFilterManager.java),
 * persisted as config/consumerFilter.json. A pull without its own subscription uses the group's entry.
 */
export class ConsumerFilterManager {
  /** topic → group → data */
  private readonly byTopic = new Map<string, Map<string, ConsumerFilterData>>();
  private readonly state: StateFile<{ filterDataByTopic?: Record<string, { groupFilterData?: Record<string, Partial<ConsumerFilterData>> }> }>;

  constructor(config: BrokerConfig) {
    const file = path.join(config.storePathRootDir, 'config', 'consumerFilter.json');
    this.state = new StateFile(file, () => this.render(), parseFastJson);
  }

  get(topic: string, group: string): ConsumerFilterData | undefined {
    return this.byTopic.get(topic)?.get(group);
  }

  /** The REGISTER event of every heartbeat: (re)register each non-tag subscription, mark topics no longer subscribed dead. */
  registerGroup(group: string, subs: SubscriptionData[], nowMs = Date.now()): void {
    for (const s of subs) this.register(s.topic, group, s.subString, s.expressionType, s.subVersion, nowMs);
    const topics = new Set(subs.map((s) => s.topic));
    for (const [topic, groups] of this.byTopic) {
      const d = groups.get(group);
      if (d && !topics.has(topic) && !isDead(d)) {
        d.deadTime = nowMs;
        this.state.changed();
      }
    }
  }

  /** True when the entry was added, replaced or revived. */
  register(topic: string, group: string, expression: string, type: string, clientVersion: number, nowMs = Date.now()): boolean {
    if (isTagType(type) || !expression) return false;
    let groups = this.byTopic.get(topic);
    if (!groups) this.byTopic.set(topic, (groups = new Map()));
    const old = groups.get(group);
    if (old && clientVersion <= old.clientVersion) {
      // An older or repeated version never replaces the entry; the same version revives a dead one.
      if (clientVersion === old.clientVersion && isDead(old)) return this.revive(old);
      return false;
    }
    if (old && old.expression === expression && old.expressionType === type) {
      old.clientVersion = clientVersion;
      if (isDead(old)) this.revive(old);
      this.state.changed();
      return true;
    }
    const fresh = buildFilterData(topic, group, expression, type, clientVersion);
    if (!fresh) {
      // The new expression does not compile: drop the old one so pulls report the problem.
      if (old) groups.delete(group);
      return false;
    }
    fresh.bornTime = nowMs;
    groups.set(group, fresh);
    this.state.changed();
    return true;
  }

  private revive(d: ConsumerFilterData): boolean {
    d.deadTime = 0;
    this.state.changed();
    return true;
  }

  /** The UNREGISTER event: the group has no member left; its data stays usable but is marked dead. */
  unregisterGroup(group: string, nowMs = Date.now()): void {
    for (const groups of this.byTopic.values()) {
      const d = groups.get(group);
      if (d && !isDead(d)) {
        d.deadTime = nowMs;
        this.state.changed();
      }
    }
  }

  /** Drops data dead for longer than FILTER_DATA_CLEAN_MS (ConsumerFilterManager#clean, run before each persist). */
  clean(nowMs = Date.now()): void {
    for (const [topic, groups] of this.byTopic) {
      for (const [group, d] of groups) {
        if (isDead(d) && nowMs - d.deadTime >= FILTER_DATA_CLEAN_MS) {
          groups.delete(group);
          this.state.changed();
        }
      }
      if (groups.size === 0) this.byTopic.delete(topic);
    }
  }

  load(nowMs = Date.now()): void {
    const root = this.state.load();
    if (!root) return;
    for (const [topic, byGroup] of Object.entries(root.filterDataByTopic ?? {})) {
      for (const [group, raw] of Object.entries(byGroup?.groupFilterData ?? {})) {
        const d = buildFilterData(topic, group, String(raw.expression ?? ''), String(raw.expressionType ?? ''), Number(raw.clientVersion ?? 0));
        if (!d) continue;
        d.bornTime = Number(raw.bornTime ?? nowMs);
        // Every consumer is assumed gone after a restart until it heartbeats again.
        d.deadTime = Number(raw.deadTime ?? 0) || Math.max(d.bornTime, nowMs - LOADED_DEAD_SINCE_MS);
        let groups = this.byTopic.get(topic);
        if (!groups) this.byTopic.set(topic, (groups = new Map()));
        groups.set(group, d);
      }
    }
  }

  /** Drops long-dead data, then writes consumerFilter.json if anything changed (the broker's periodic task). */
  persist(): void {
    this.clean();
    this.state.persistIfChanged();
  }

  private render(): string {
    const filterDataByTopic: Record<string, unknown> = {};
    for (const [topic, groups] of this.byTopic) {
      const groupFilterData: Record<string, unknown> = {};
      for (const [group, d] of groups) {
        groupFilterData[group] = {
          bornTime: d.bornTime,
          clientVersion: d.clientVersion,
          consumerGroup: d.consumerGroup,
          dead: isDead(d),
          deadTime: d.deadTime,
          expression: d.expression,
          expressionType: d.expressionType,
          topic: d.topic,
        };
      }
      filterDataByTopic[topic] = { groupFilterData, topic };
    }
    return toFastJsonPretty({ filterDataByTopic });
  }
}
