import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';

/**
 * Creates `topic` on every broker (UPDATE_AND_CREATE_TOPIC, as `mqadmin updateTopic -b` does) and waits
 * until the NameServer routes it to all of them. Needed for the Go client in multi-broker scenarios:
 * it adopts a topic's own route as soon as the topic exists on any broker, so auto-creation through
 * TBW102 lands on one broker whenever the first send wins the race (the same against Apache brokers).
 */
export async function createTopicOnBrokers(namesrvAddr: string, brokerAddrs: string[], topic: string, queueNums = 4): Promise<void> {
  const client = new RemotingClient();
  try {
    for (const addr of brokerAddrs) {
      const res = await client.invoke(
        addr,
        createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
          topic, defaultTopic: 'TBW102', readQueueNums: String(queueNums), writeQueueNums: String(queueNums),
          perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false',
        }),
        5000,
      );
      if (res.code !== ResponseCode.SUCCESS) throw new Error(`creating ${topic} on ${addr}: code ${res.code} ${res.remark ?? ''}`);
    }
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const route = await client.invoke(namesrvAddr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }), 5000);
      if (route.code === ResponseCode.SUCCESS) {
        const data = JSON.parse(String(route.body)) as { queueDatas?: unknown[] };
        if ((data.queueDatas?.length ?? 0) >= brokerAddrs.length) return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the NameServer at ${namesrvAddr} never routed ${topic} to ${brokerAddrs.length} brokers`);
  } finally {
    client.close();
  }
}
