/**
 * Requests that make a broker's exporter print its admin and DLQ families, sent the same way to ours
 * (test/broker/metrics-names.test.ts) and to the Apache 5.3.3 broker (compat-tests/metrics-apache.test.ts):
 * UPDATE_AND_CREATE_TOPIC, UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, and a send to a group's retry topic with
 * reconsumeTimes past its budget (which goes to the DLQ). No vitest imports.
 */
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { createTopicRequest, sendV2 } from './wire.js';

export const ADMIN_TOPIC = 'MetricsAdminTopic';
export const ADMIN_GROUP = 'MetricsAdminGroup';
export const DLQ_PRODUCER_GROUP = 'MetricsDlqProducer';

/** Throws unless every request is answered SUCCESS. */
export async function adminAndDlqTraffic(invoke: (req: RemotingCommand) => Promise<RemotingCommand>): Promise<void> {
  const expectOk = (what: string, r: RemotingCommand) => {
    if (r.code !== ResponseCode.SUCCESS) throw new Error(`${what}: ${r.code} ${r.remark ?? ''}`);
  };
  expectOk('create topic', await invoke(createTopicRequest(ADMIN_TOPIC, 4)));
  const group = { groupName: ADMIN_GROUP, consumeEnable: true, consumeBroadcastEnable: true, retryQueueNums: 1, retryMaxTimes: 16, brokerId: 0, whichBrokerWhenConsumeSlowly: 1 };
  expectOk('create group', await invoke(createRequest(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined, Buffer.from(JSON.stringify(group)))));
  // reconsumeTimes 17 with maxReconsumeTimes 16: past the budget on either broker.
  expectOk('send past the retry budget', await invoke(sendV2(`%RETRY%${ADMIN_GROUP}`, 'dead letter', {
    producerGroup: DLQ_PRODUCER_GROUP, header: { j: '17', l: '16' },
  })));
}
