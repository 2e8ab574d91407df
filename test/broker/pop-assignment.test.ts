/**
 * QUERY_ASSIGNMENT over a two-broker cluster: the broker balances the topic's queues on every broker of
 * the namesrv route (TopicRouteInfoManager), not only its own: POP gives queueId -1 per broker, PULL
 * splits all eight queues between two clients.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { freeBrokerPort, startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { parseFastJson } from '../../src/codec/fastjson.js';
import { BrokerController } from '../../src/server/broker-controller.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { consumerHeartbeat, createTopicRequest } from '../support/wire.js';
import { queryAssignmentRequest, setModeRequest } from './pop-wire.js';

const TIMEOUT_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let srv: InProcessServer | undefined;
let second: BrokerController | undefined;
let client: RemotingClient | undefined;
let other: RemotingClient | undefined;
afterEach(async () => {
  client?.close();
  other?.close();
  await second?.shutdown();
  await srv?.stop();
  srv = second = client = other = undefined;
});

type Assignment = { messageQueue: { brokerName: string; queueId: number }; mode: string };
const assignments = (res: RemotingCommand): Assignment[] =>
  ((parseFastJson(res.body!.toString()) as { messageQueueAssignments?: Assignment[] }).messageQueueAssignments ?? [])
    .sort((a, b) => a.messageQueue.brokerName.localeCompare(b.messageQueue.brokerName) || a.messageQueue.queueId - b.messageQueue.queueId);

it('balances over every broker of the route', async () => {
  srv = await startInProcess();
  const port = await freeBrokerPort();
  const root = path.join(srv.dir, 'store-b');
  fs.mkdirSync(root, { recursive: true });
  const cfg = { ...srv.broker.config, brokerName: 'broker-b', listenPort: port, haListenPort: port + 1, storePathRootDir: root, storePathCommitLog: path.join(root, 'commitlog') };
  second = new BrokerController(cfg, new DefaultMessageStore(cfg));
  await second.start();
  client = new RemotingClient();
  const c = client;
  const a = (req: RemotingCommand) => c.invoke(srv!.brokerAddr, req, TIMEOUT_MS);
  expect((await a(createTopicRequest('PT', 4))).code).toBe(ResponseCode.SUCCESS);
  expect((await c.invoke(second.brokerAddr, createTopicRequest('PT', 4), TIMEOUT_MS)).code).toBe(ResponseCode.SUCCESS);
  // Both registrations carry the topic before the first assignment is asked for.
  for (let i = 0; i < 50; i++) {
    const route = await c.invoke(srv.namesrvAddr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'PT' }), TIMEOUT_MS);
    if (route.code === ResponseCode.SUCCESS && (parseFastJson(route.body!.toString()) as { queueDatas: unknown[] }).queueDatas.length === 2) break;
    await sleep(100);
  }
  // One connection per client: the broker keeps a group's clients by channel.
  await a(consumerHeartbeat('c1', 'g', 'PT'));
  other = new RemotingClient();
  await other.invoke(srv.brokerAddr, consumerHeartbeat('c2', 'g', 'PT'), TIMEOUT_MS);
  const pull1 = assignments(await a(queryAssignmentRequest('PT', 'g', 'c1')));
  const pull2 = assignments(await a(queryAssignmentRequest('PT', 'g', 'c2')));
  const names = (l: Assignment[]) => l.map((x) => `${x.messageQueue.brokerName}:${x.messageQueue.queueId}`);
  // AllocateMessageQueueAveragely over the 8 sorted queues: the first client gets broker-a's, the second broker-b's.
  expect(names(pull1)).toEqual(['broker-a:0', 'broker-a:1', 'broker-a:2', 'broker-a:3']);
  expect(names(pull2)).toEqual(['broker-b:0', 'broker-b:1', 'broker-b:2', 'broker-b:3']);
  expect(new Set(pull1.map((x) => x.mode))).toEqual(new Set(['PULL']));
  expect((await a(setModeRequest('PT', 'g', 'POP'))).code).toBe(ResponseCode.SUCCESS);
  const pop = assignments(await a(queryAssignmentRequest('PT', 'g', 'c2')));
  expect(pop).toEqual([
    { messageQueue: { brokerName: 'broker-a', queueId: -1, topic: 'PT' }, mode: 'POP' },
    { messageQueue: { brokerName: 'broker-b', queueId: -1, topic: 'PT' }, mode: 'POP' },
  ]);
  // A client the broker has no heartbeat from gets no list (the Java client then keeps what it has).
  expect(assignments(await a(queryAssignmentRequest('PT', 'nobody', 'c9')))).toEqual([]);
});
