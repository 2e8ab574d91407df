/**
 * The topic admin requests checked as the Apache broker checks them (AdminBrokerProcessor#updateAndCreateTopic
 * and #deleteTopic with TopicValidator, 5.3.3 codes and remarks), black-box over TCP against an
 * in-process server: a blank delete must not touch the store, system topics cannot be redefined or
 * deleted, queue counts are bounded, and ordinary topics are still created and deleted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, requestBody, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { PullSysFlag } from '../../src/protocol/sys-flag.js';
import { decodeRecord } from '../../src/codec/message-record.js';
import { parseFastJson } from '../../src/codec/fastjson.js';
import { BROKER_CONFIG_DEFAULTS } from '../../src/config/broker-config.js';

const TIMEOUT_MS = 5000;
const KEEP = 'KeepT';
const BLANK = 'The specified topic is blank.';
const ILLEGAL = 'The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$';
const TOO_LONG = 'The specified topic is longer than topic max length.';
const conflict = (topic: string) => `The topic[${topic}] is conflict with system topic.`;

let srv: InProcessServer;
const client = new RemotingClient(() => {});
const invoke = (req: RemotingCommand) => client.invoke(srv.brokerAddr, req, TIMEOUT_MS);
const cqRoot = () => path.join(srv.dir, 'store', 'consumequeue');

function createTopic(topic: string, readQueueNums = 4, writeQueueNums = 4): Promise<RemotingCommand> {
  return invoke(createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
    topic, defaultTopic: 'TBW102', readQueueNums: String(readQueueNums), writeQueueNums: String(writeQueueNums),
    perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false',
  }));
}

const deleteTopic = (topic: string) => invoke(createRequest(RequestCode.DELETE_TOPIC_IN_BROKER, { topic }));

async function send(topic: string, body: string): Promise<void> {
  const r = await invoke(createRequest(RequestCode.SEND_MESSAGE_V2, {
    a: 'admin-pg', b: topic, c: 'TBW102', d: '4', e: '0', f: '0', g: String(Date.now()), h: '0', i: '', j: '0', k: 'false', m: 'false',
  }, Buffer.from(body)));
  expect(r.code, r.remark).toBe(ResponseCode.SUCCESS);
}

async function pullBodies(topic: string): Promise<string[]> {
  const r = await invoke(createRequest(RequestCode.PULL_MESSAGE, {
    consumerGroup: 'admin-cg', topic, queueId: '0', queueOffset: '0', maxMsgNums: '32',
    sysFlag: String(PullSysFlag.FLAG_SUBSCRIPTION), subscription: '*', expressionType: 'TAG',
    commitOffset: '0', suspendTimeoutMillis: '0', subVersion: '0',
  }));
  if (r.code !== ResponseCode.SUCCESS) return [];
  const body = requestBody(r) ?? Buffer.alloc(0);
  const out: string[] = [];
  for (let pos = 0; pos < body.length; pos += body.readInt32BE(pos)) out.push(decodeRecord(body, pos).body.toString('utf8'));
  return out;
}

async function topicConfigs(): Promise<Map<string, { readQueueNums: number; writeQueueNums: number; perm: number }>> {
  const r = await invoke(createRequest(RequestCode.GET_ALL_TOPIC_CONFIG));
  const wrapper = parseFastJson(requestBody(r)!.toString('utf8')) as { topicConfigTable: Record<string, { readQueueNums: number; writeQueueNums: number; perm: number }> };
  return new Map(Object.entries(wrapper.topicConfigTable));
}

beforeAll(async () => {
  srv = await startInProcess();
  expect((await createTopic(KEEP)).code).toBe(ResponseCode.SUCCESS);
  for (let i = 0; i < 3; i++) await send(KEEP, `keep-${i}`);
});

afterAll(async () => {
  client.close();
  await srv?.stop();
});

describe('DELETE_TOPIC_IN_BROKER', () => {
  it.each([[''], ['   ']])('a blank topic (%j) is refused and the store is left alone', async (topic) => {
    const r = await deleteTopic(topic);
    expect([r.code, r.remark]).toEqual([ResponseCode.INVALID_PARAMETER, BLANK]);
    expect(fs.readdirSync(cqRoot())).toContain(KEEP);
    expect(await pullBodies(KEEP)).toEqual(['keep-0', 'keep-1', 'keep-2']);
  });

  it.each([['SCHEDULE_TOPIC_XXXX'], ['RMQ_SYS_TRANS_HALF_TOPIC'], ['rmq_sys_wheel_timer'], [BROKER_CONFIG_DEFAULTS.brokerClusterName]])(
    'the system topic %s cannot be deleted', async (topic) => {
      const before = (await topicConfigs()).get(topic);
      const r = await deleteTopic(topic);
      expect([r.code, r.remark]).toEqual([ResponseCode.INVALID_PARAMETER, conflict(topic)]);
      expect((await topicConfigs()).get(topic)).toEqual(before);
    },
  );

  it('an ordinary topic is deleted with its queues; other topics keep theirs', async () => {
    expect((await createTopic('GoneT')).code).toBe(ResponseCode.SUCCESS);
    await send('GoneT', 'gone');
    expect(fs.readdirSync(cqRoot())).toContain('GoneT');
    const r = await deleteTopic('GoneT');
    expect(r.code, r.remark).toBe(ResponseCode.SUCCESS);
    expect((await topicConfigs()).has('GoneT')).toBe(false);
    expect(fs.readdirSync(cqRoot())).not.toContain('GoneT');
    expect(await pullBodies(KEEP)).toEqual(['keep-0', 'keep-1', 'keep-2']);
  });
});

describe('UPDATE_AND_CREATE_TOPIC', () => {
  it.each([
    ['SCHEDULE_TOPIC_XXXX'], ['TBW102'], ['BenchmarkTest'], ['RMQ_SYS_TRANS_OP_HALF_TOPIC'], ['OFFSET_MOVED_EVENT'],
    ['CHECKPOINT_TOPIC'], ['rmq_sys_anything'],
    // registered by this broker as system topics, as TopicConfigManager does in Java
    [BROKER_CONFIG_DEFAULTS.brokerClusterName], [BROKER_CONFIG_DEFAULTS.brokerName], [`${BROKER_CONFIG_DEFAULTS.brokerClusterName}_REPLY_TOPIC`],
  ])('the system topic %s cannot be redefined', async (topic) => {
    const before = (await topicConfigs()).get(topic);
    const r = await createTopic(topic, 1, 1);
    expect([r.code, r.remark]).toEqual([ResponseCode.INVALID_PARAMETER, conflict(topic)]);
    expect((await topicConfigs()).get(topic)).toEqual(before);
  });

  it.each([
    ['', BLANK],
    [' ', BLANK],
    ['a/b', ILLEGAL],
    ['..', ILLEGAL],
    ['topic with space', ILLEGAL],
    ['Tópico', ILLEGAL],
    ['x'.repeat(128), TOO_LONG],
  ])('the name %j is refused with TopicValidator\'s remark', async (topic, remark) => {
    const r = await createTopic(topic);
    expect([r.code, r.remark]).toEqual([ResponseCode.INVALID_PARAMETER, remark]);
    expect((await topicConfigs()).has(topic)).toBe(false);
  });

  it.each([
    [-1, 4, 'readQueueNums'],
    [4, -1, 'writeQueueNums'],
    [BROKER_CONFIG_DEFAULTS.maxTopicQueueNums + 1, 4, 'readQueueNums'],
    [4, 2 ** 31 - 1, 'writeQueueNums'],
  ])('queue counts out of range (read %i, write %i) are refused', async (read, write, field) => {
    const r = await createTopic('RangeT', read, write);
    expect(r.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect(r.remark).toBe(`${field} ${field === 'readQueueNums' ? read : write} is out of range: 0 to ${BROKER_CONFIG_DEFAULTS.maxTopicQueueNums} (maxTopicQueueNums)`);
    expect((await topicConfigs()).has('RangeT')).toBe(false);
  });

  it('good names and counts at the bounds are created: 127 characters, 0 and maxTopicQueueNums queues, retry-style names', async () => {
    const names = ['y'.repeat(127), 'A-b_c|d%e', '%RETRY%someGroup'];
    for (const name of names) expect((await createTopic(name)).code).toBe(ResponseCode.SUCCESS);
    expect((await createTopic('BoundsT', 0, BROKER_CONFIG_DEFAULTS.maxTopicQueueNums)).code).toBe(ResponseCode.SUCCESS);
    const table = await topicConfigs();
    for (const name of names) expect(table.has(name)).toBe(true);
    expect(table.get('BoundsT')).toMatchObject({ readQueueNums: 0, writeQueueNums: BROKER_CONFIG_DEFAULTS.maxTopicQueueNums });
  });
});

describe('GET_SYSTEM_TOPIC_LIST_FROM_BROKER', () => {
  it('lists TopicValidator\'s set and the names this broker added, the ones the admin requests refuse', async () => {
    const r = await invoke(createRequest(RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_BROKER));
    const { topicList } = JSON.parse(requestBody(r)!.toString('utf8')) as { topicList: string[] };
    expect(topicList).toEqual(expect.arrayContaining([
      'TBW102', 'SCHEDULE_TOPIC_XXXX', 'RMQ_SYS_TRANS_HALF_TOPIC', 'CHECKPOINT_TOPIC',
      BROKER_CONFIG_DEFAULTS.brokerClusterName, BROKER_CONFIG_DEFAULTS.brokerName, `${BROKER_CONFIG_DEFAULTS.brokerClusterName}_REPLY_TOPIC`,
    ]));
    expect(topicList).not.toContain(KEEP);
  });
});

describe('the store and the NameServer', () => {
  it('the store never deletes the consumequeue root or outside it, whatever name it is given', async () => {
    srv.broker.ctx.store.deleteTopics(['', '.', '..', `${KEEP}/..`, `../consumequeue`]);
    expect(fs.readdirSync(cqRoot())).toContain(KEEP);
    expect(await pullBodies(KEEP)).toEqual(['keep-0', 'keep-1', 'keep-2']);
  });

  it('DELETE_TOPIC_IN_NAMESRV with a blank topic deletes no route (Java accepts it as a no-op)', async () => {
    const route = () => client.invoke(srv.namesrvAddr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: KEEP }), TIMEOUT_MS);
    // Registration of the topic created above may still be on its way.
    for (let i = 0; i < 50 && (await route()).code !== ResponseCode.SUCCESS; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await route()).code).toBe(ResponseCode.SUCCESS);
    const r = await client.invoke(srv.namesrvAddr, createRequest(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic: '' }), TIMEOUT_MS);
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect((await route()).code).toBe(ResponseCode.SUCCESS);
  });

  it('DELETE_SUBSCRIPTIONGROUP with a blank group removes no other group\'s offsets', async () => {
    const commit = await invoke(createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'admin-cg', topic: KEEP, queueId: '0', commitOffset: '2' }));
    expect(commit.code).toBe(ResponseCode.SUCCESS);
    const r = await invoke(createRequest(RequestCode.DELETE_SUBSCRIPTIONGROUP, { groupName: '', removeOffset: 'true', cleanOffset: 'true' }));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    const q = await invoke(createRequest(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'admin-cg', topic: KEEP, queueId: '0' }));
    expect([q.code, q.extFields?.offset]).toEqual([ResponseCode.SUCCESS, '2']);
  });
});
