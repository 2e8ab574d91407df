/**
 * Set-up and read-back for the 5.x gRPC SDK suites, over remoting to the broker (ours, or the broker inside
 * the Apache proxy's JVM), so no mqadmin JVM is needed:
 *  - topics with a message type: UPDATE_AND_CREATE_TOPIC (17) with the 5.x `attributes` header
 *    (`+message.type=FIFO`, as `mqadmin updateTopic -a` sends it), then waiting for the NameServer's route;
 *  - subscription groups: UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200) with consumeMessageOrderly (FIFO
 *    delivery) and retryMaxTimes (delivery attempts = retryMaxTimes + 1 before the DLQ);
 *  - reading a topic back (e.g. %DLQ%group) with PULL_MESSAGE from offset 0 of every queue.
 * No vitest imports.
 */
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { toFastJson } from '../../src/codec/fastjson.js';
import { pulledRecords } from '../../test/support/wire.js';
import type { DecodedRecord } from '../../src/codec/message-record.js';

export type MessageType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION';

const RPC_TIMEOUT_MS = 5000;
/** PullSysFlag.FLAG_SUBSCRIPTION. */
const FLAG_SUBSCRIPTION = 0x4;
const ROUTE_WAIT_MS = 15_000;

export interface GroupSettings {
  consumeMessageOrderly?: boolean;
  retryMaxTimes?: number;
}

export class GrpcTopics {
  private readonly client = new RemotingClient();

  constructor(private readonly namesrvAddr: string, private readonly brokerAddr: string) {}

  /** Creates `topic` with the message.type attribute and waits until the NameServer routes it. */
  async createTopic(topic: string, type: MessageType, queueNums = 4): Promise<void> {
    const res = await this.client.invoke(this.brokerAddr, createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
      topic, defaultTopic: 'TBW102', readQueueNums: String(queueNums), writeQueueNums: String(queueNums),
      perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false', attributes: `+message.type=${type}`,
    }), RPC_TIMEOUT_MS);
    if (res.code !== ResponseCode.SUCCESS) throw new Error(`creating ${topic} (${type}) on ${this.brokerAddr}: code ${res.code} ${res.remark ?? ''}`);
    const deadline = Date.now() + ROUTE_WAIT_MS;
    while (Date.now() < deadline) {
      const route = await this.client.invoke(this.namesrvAddr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }), RPC_TIMEOUT_MS);
      if (route.code === ResponseCode.SUCCESS) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the NameServer at ${this.namesrvAddr} never routed ${topic}`);
  }

  async createGroup(group: string, settings: GroupSettings = {}): Promise<void> {
    const body = {
      groupName: group, consumeEnable: true, consumeFromMinEnable: true, consumeBroadcastEnable: true,
      consumeMessageOrderly: settings.consumeMessageOrderly ?? false, retryQueueNums: 1, retryMaxTimes: settings.retryMaxTimes ?? 16,
      brokerId: 0, whichBrokerWhenConsumeSlowly: 1, notifyConsumerIdsChangedEnable: true,
    };
    const res = await this.client.invoke(this.brokerAddr,
      createRequest(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined, Buffer.from(toFastJson(body))), RPC_TIMEOUT_MS);
    if (res.code !== ResponseCode.SUCCESS) throw new Error(`creating group ${group} on ${this.brokerAddr}: code ${res.code} ${res.remark ?? ''}`);
  }

  /** Every record of `topic` in queues 0..queueNums-1 from offset 0 (one pull per queue, up to 32 each). */
  async readAll(topic: string, queueNums = 1, group = 'grpc-suite-reader'): Promise<{ code: number; remark?: string; records: DecodedRecord[] }> {
    const records: DecodedRecord[] = [];
    let last: { code: number; remark?: string } = { code: ResponseCode.SUCCESS };
    for (let q = 0; q < queueNums; q++) {
      // With the subscription in the request (PullSysFlag FLAG_SUBSCRIPTION), as a 4.x pull consumer's first
      // pull: without it a 5.3.3 broker refuses a group that never sent a heartbeat (SUBSCRIPTION_NOT_EXIST).
      const res = await this.client.invoke(this.brokerAddr, createRequest(RequestCode.PULL_MESSAGE, {
        consumerGroup: group, topic, queueId: String(q), queueOffset: '0', maxMsgNums: '32', sysFlag: String(FLAG_SUBSCRIPTION),
        commitOffset: '0', suspendTimeoutMillis: '0', subscription: '*', subVersion: String(Date.now()), expressionType: 'TAG',
      }), RPC_TIMEOUT_MS);
      last = { code: res.code, remark: res.remark ?? undefined };
      if (res.code === ResponseCode.SUCCESS) records.push(...pulledRecords(res));
    }
    return { ...last, records };
  }

  close(): void {
    this.client.close();
  }
}

/** A record's properties string (name\u0001value\u0002...) as an object. */
export function recordProperties(r: DecodedRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of r.propertiesString.split('\u0002')) {
    const i = kv.indexOf('\u0001');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}
