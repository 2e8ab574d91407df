/**
 * Consumer groups' configs as brokers keep them (SubscriptionGroupConfig), cached per broker as the
 * Apache proxy's ClusterMetadataService caches them. The consumer RPCs read two things from one:
 * consumeMessageOrderly (a FIFO group: orderly POP, one assignment per queue) and retryMaxTimes (a
 * message delivered that many times + 1 goes to the DLQ). The table is read with
 * GET_ALL_SUBSCRIPTIONGROUP_CONFIG, which our brokers and Apache 4.9.x / 5.x brokers all answer
 * (the 5.x proxy asks one group with GET_SUBSCRIPTIONGROUP_CONFIG, which 4.9.x brokers lack).
 */
import { parseFastJson } from '../../codec/fastjson.js';
import { createRequest } from '../../remoting/command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { BrokerApi } from '../broker-api.js';

/** The fields the consumer side reads, with SubscriptionGroupConfig's defaults. */
export interface GroupConfig {
  groupName: string;
  consumeEnable: boolean;
  consumeMessageOrderly: boolean;
  retryMaxTimes: number;
  /** 5.x GroupRetryPolicy as the broker sends it (type CUSTOMIZED or EXPONENTIAL), when it has one. */
  groupRetryPolicy?: unknown;
}

/** SubscriptionGroupConfig's defaults (a group a broker does not list yet, e.g. before auto-creation). */
export const defaultGroupConfig = (groupName: string): GroupConfig => ({
  groupName, consumeEnable: true, consumeMessageOrderly: false, retryMaxTimes: 16,
});

/**
 * A group the cached table does not list is looked up again once the table is this old: a group
 * created (mqadmin updateSubGroup) just before its first consumer starts is seen at once.
 */
const MISSING_GROUP_REFRESH_MS = 1_000;

interface Table {
  groups: Map<string, GroupConfig>;
  atMs: number;
}

export class GroupConfigs {
  private readonly tables = new Map<string, Table>();
  private readonly inflight = new Map<string, Promise<Table>>();

  constructor(
    private readonly api: BrokerApi,
    private readonly cacheMs: number,
  ) {}

  /** The group's config on the broker at `brokerAddr`; its defaults when the broker does not list it or cannot be read. */
  async get(brokerAddr: string, group: string): Promise<GroupConfig> {
    try {
      let t = await this.table(brokerAddr);
      if (!t.groups.has(group) && Date.now() - t.atMs >= MISSING_GROUP_REFRESH_MS) t = await this.table(brokerAddr, true);
      return t.groups.get(group) ?? defaultGroupConfig(group);
    } catch {
      return defaultGroupConfig(group);
    }
  }

  private async table(addr: string, refresh = false): Promise<Table> {
    const hit = this.tables.get(addr);
    if (hit && !refresh && Date.now() - hit.atMs < this.cacheMs) return hit;
    let p = this.inflight.get(addr);
    if (!p) {
      p = this.fetch(addr).finally(() => this.inflight.delete(addr));
      this.inflight.set(addr, p);
    }
    try {
      return await p;
    } catch (e) {
      if (hit) return hit;
      throw e;
    }
  }

  private async fetch(addr: string): Promise<Table> {
    const res = await this.api.invoke(addr, createRequest(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG));
    if (res.code !== ResponseCode.SUCCESS) throw new Error(`GET_ALL_SUBSCRIPTIONGROUP_CONFIG: ${res.code} ${res.remark ?? ''}`);
    const body = Array.isArray(res.body) ? Buffer.concat(res.body) : res.body;
    const o = (body?.length ? parseFastJson(body.toString('utf8')) : null) as { subscriptionGroupTable?: unknown } | null;
    const raw = o?.subscriptionGroupTable;
    const entries = raw instanceof Map ? [...raw.values()] : Object.values((raw as object | undefined) ?? {});
    const groups = new Map<string, GroupConfig>();
    for (const e of entries as Record<string, unknown>[]) {
      const name = String(e.groupName ?? '');
      if (!name) continue;
      groups.set(name, {
        groupName: name,
        consumeEnable: e.consumeEnable !== false,
        consumeMessageOrderly: e.consumeMessageOrderly === true,
        retryMaxTimes: e.retryMaxTimes === undefined ? 16 : Number(e.retryMaxTimes),
        groupRetryPolicy: e.groupRetryPolicy,
      });
    }
    const t = { groups, atMs: Date.now() };
    this.tables.set(addr, t);
    return t;
  }
}
