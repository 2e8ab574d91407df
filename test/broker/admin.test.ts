/**
 * The mqadmin requests at the protocol level, against an in-process broker: the admin bodies in their exact
 * fastjson form (MessageQueue objects as map keys), runtime info, stats items, live config updates,
 * QUERY_MESSAGE through the index, and the relay of GET_CONSUMER_RUNNING_INFO to a consumer.
 * The same commands through the real mqadmin are in compat-tests/mqadmin.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, createResponse, requestBody, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { toFastJson, parseFastJson } from '../../src/codec/fastjson.js';
import { decodeRecord } from '../../src/codec/message-record.js';
import { tagsCode } from '../../src/codec/message-properties.js';
import { StatsItem } from '../../src/broker/stats/stats-item.js';
import type { BrokerContext } from '../../src/broker/broker-context.js';

const TIMEOUT_MS = 5000;
let srv: InProcessServer;
let ctx: BrokerContext;
const client = new RemotingClient((conn, req) => {
  // Our fake consumer answers the relayed GET_CONSUMER_RUNNING_INFO with a marker body.
  if (req.code === RequestCode.GET_CONSUMER_RUNNING_INFO) {
    conn.send(createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(`{"jstack":"${req.extFields?.jstackEnable}"}`)));
  }
});
const invoke = (req: RemotingCommand) => client.invoke(srv.brokerAddr, req, TIMEOUT_MS);
const bodyText = (r: RemotingCommand) => requestBody(r)?.toString('utf8') ?? '';

async function put(topic: string, queueId: number, props: Record<string, string>): Promise<number> {
  const propertiesString = Object.entries(props).map(([k, v]) => `${k}\u0001${v}`).join('\u0002');
  const r = await ctx.store.putMessage({
    topic, queueId, flag: 0, body: Buffer.from('b'), propertiesString, tagsCode: tagsCode(props.TAGS), sysFlag: 0,
    bornTimestamp: Date.now(), bornHost: ctx.storeHost, storeHost: ctx.storeHost, reconsumeTimes: 0, preparedTransactionOffset: 0,
  });
  expect(r.status).toBe('PUT_OK');
  return r.appendResult!.storeTimestamp;
}

beforeAll(async () => {
  srv = await startInProcess();
  ctx = srv.broker.ctx;
  await invoke(createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'AT', readQueueNums: '2', writeQueueNums: '2', perm: '6', topicFilterType: 'SINGLE_TAG', order: 'false' }));
});

afterAll(async () => {
  client.close();
  await srv?.stop();
});

describe('consume and topic stats', () => {
  it('GET_CONSUME_STATS: one OffsetWrapper per read queue, MessageQueue keys, store time of the last consumed message', async () => {
    await put('AT', 0, { KEYS: 'k0' });
    const t1 = await put('AT', 0, { KEYS: 'k1' });
    await put('AT', 0, { KEYS: 'k2' });
    ctx.offsets.commitOffset('AG', 'AT', 0, 2);
    const r = await invoke(createRequest(RequestCode.GET_CONSUME_STATS, { consumerGroup: 'AG', topic: 'AT' }));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(bodyText(r)).toBe(
      '{"consumeTps":0.0,"offsetTable":{'
      + `{"brokerName":"broker-a","queueId":0,"topic":"AT"}:{"brokerOffset":3,"consumerOffset":2,"lastTimestamp":${t1},"pullOffset":2},`
      + '{"brokerName":"broker-a","queueId":1,"topic":"AT"}:{"brokerOffset":0,"consumerOffset":0,"lastTimestamp":0,"pullOffset":0}}}',
    );
    // No topic: every topic the group has offsets for.
    const all = await invoke(createRequest(RequestCode.GET_CONSUME_STATS, { consumerGroup: 'AG' }));
    expect(bodyText(all)).toContain('"topic":"AT"');
  });

  it('GET_TOPIC_STATS_INFO: min/max offsets and the newest store time per write queue; TOPIC_NOT_EXIST otherwise', async () => {
    const r = await invoke(createRequest(RequestCode.GET_TOPIC_STATS_INFO, { topic: 'AT' }));
    const stats = parseFastJson(bodyText(r)) as { offsetTable: Map<{ queueId: number }, { minOffset: number; maxOffset: number; lastUpdateTimestamp: number }> };
    const byQueue = new Map([...stats.offsetTable].map(([k, v]) => [k.queueId, v]));
    expect(byQueue.get(0)).toMatchObject({ minOffset: 0, maxOffset: 3 });
    expect(byQueue.get(0)!.lastUpdateTimestamp).toBeGreaterThan(0);
    expect(byQueue.get(1)).toMatchObject({ minOffset: 0, maxOffset: 0, lastUpdateTimestamp: 0 });
    const missing = await invoke(createRequest(RequestCode.GET_TOPIC_STATS_INFO, { topic: 'Nope' }));
    expect([missing.code, missing.remark]).toEqual([ResponseCode.TOPIC_NOT_EXIST, 'topic[Nope] not exist']);
  });

  it('QUERY_TOPIC_CONSUME_BY_WHO lists groups with offsets; GET_CONSUMER_CONNECTION_LIST says CONSUMER_NOT_ONLINE without members', async () => {
    const who = await invoke(createRequest(RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, { topic: 'AT' }));
    expect(bodyText(who)).toBe('{"groupList":["AG"]}');
    const conn = await invoke(createRequest(RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: 'AG' }));
    expect([conn.code, conn.remark]).toEqual([ResponseCode.CONSUMER_NOT_ONLINE, 'the consumer group[AG] not online']);
  });
});

describe('QUERY_MESSAGE', () => {
  it('finds messages by key and by unique key, QUERY_NOT_FOUND otherwise', async () => {
    await put('AT', 1, { KEYS: 'alpha beta', UNIQ_KEY: 'U1' });
    const query = (key: string, unique: boolean) => invoke(createRequest(RequestCode.QUERY_MESSAGE, {
      topic: 'AT', key, maxNum: '64', beginTimestamp: '0', endTimestamp: String(Number.MAX_SAFE_INTEGER), _UNIQUE_KEY_QUERY: String(unique),
    }));
    for (const [key, unique] of [['beta', false], ['U1', true]] as const) {
      const r = await query(key, unique);
      expect(r.code).toBe(ResponseCode.SUCCESS);
      const rec = decodeRecord(requestBody(r)!);
      expect(rec.topic).toBe('AT');
      expect(rec.queueId).toBe(1);
    }
    const none = await query('gamma', false);
    expect(none.code).toBe(ResponseCode.QUERY_NOT_FOUND);
    expect(Number(none.extFields?.indexLastUpdatePhyoffset)).toBeGreaterThanOrEqual(0);
  });
});

describe('runtime info, stats items, config', () => {
  it('GET_BROKER_RUNTIME_INFO carries every key clusterList parses, as numbers', async () => {
    const r = await invoke(createRequest(RequestCode.GET_BROKER_RUNTIME_INFO));
    const table = (parseFastJson(bodyText(r)) as { table: Record<string, string> }).table;
    expect(table.brokerVersionDesc).toBe('V4_9_8');
    for (const k of ['putTps', 'getTransferedTps', 'getTransferredTps', 'getFoundTps', 'getMissTps', 'getTotalTps']) expect(table[k]).toMatch(/^\S+ \S+ \S+$/);
    for (const k of ['sendThreadPoolQueueSize', 'pullThreadPoolQueueSize', 'sendThreadPoolQueueHeadWaitTimeMills', 'pullThreadPoolQueueHeadWaitTimeMills',
      'pageCacheLockTimeMills', 'earliestMessageTimeStamp', 'msgPutTotalYesterdayMorning', 'msgPutTotalTodayMorning', 'msgPutTotalTodayNow',
      'msgGetTotalYesterdayMorning', 'msgGetTotalTodayMorning', 'msgGetTotalTodayNow', 'commitLogMaxOffset']) {
      expect(Number.isInteger(Number(table[k])), k).toBe(true);
    }
    const ratio = Number(table.commitLogDiskRatio);
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThan(1);
    expect(Number(table.earliestMessageTimeStamp)).toBeGreaterThan(0); // messages were put above
    // Delay levels that delivered anything: "delivered offset,max offset" (ScheduleMessageService#buildRunningStats).
    for (const [k, v] of Object.entries(table)) if (k.startsWith('scheduleMessageOffset_')) expect(v).toMatch(/^\d+,\d+$/);
  });

  it('VIEW_BROKER_STATS_DATA: SYSTEM_ERROR for an unknown item, else minute/hour/day snapshots', async () => {
    const missing = await invoke(createRequest(RequestCode.VIEW_BROKER_STATS_DATA, { statsName: 'TOPIC_PUT_NUMS', statsKey: 'Nope' }));
    expect([missing.code, missing.remark]).toEqual([ResponseCode.SYSTEM_ERROR, 'The stats <TOPIC_PUT_NUMS> <Nope> not exist']);
    ctx.stats.incPut('AT', 5, 500);
    const r = await invoke(createRequest(RequestCode.VIEW_BROKER_STATS_DATA, { statsName: 'TOPIC_PUT_NUMS', statsKey: 'AT' }));
    expect(bodyText(r)).toMatch(/^\{"statsDay":\{"avgpt":[\d.E-]+,"sum":\d+,"tps":[\d.E-]+\},"statsHour":\{.*\},"statsMinute":\{.*\}\}$/);
  });

  it('StatsItem windows follow StatsItem.java: seeded zero sample one step back, sum and rate between first and last', () => {
    const item = new StatsItem();
    item.sampleMinute(100_000); // seeds (90 000, 0) and (100 000, 0)
    item.add(30, 3);
    item.sampleMinute(110_000);
    expect(item.inMinute()).toEqual({ sum: 30, tps: 1.5, avgpt: 10 });
    for (let t = 120_000; t <= 200_000; t += 10_000) item.sampleMinute(t);
    // Only 7 samples are kept: the 30 fell out of the window.
    expect(item.inMinute().sum).toBe(0);
  });

  it('UPDATE_BROKER_CONFIG applies live keys, persists them, keeps restart-only keys for the next start, rejects bad numbers', async () => {
    const before = ctx.config.maxMessageSize;
    const body = Buffer.from('maxMessageSize=1048576\nlistenPort=1\nnoSuchKey=1\nsendMessageThreadPoolNums=8\n');
    const r = await invoke(createRequest(RequestCode.UPDATE_BROKER_CONFIG, undefined, body));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(ctx.config.maxMessageSize).toBe(1048576);
    expect(ctx.config.listenPort).not.toBe(1);
    const file = fs.readFileSync(path.join(ctx.config.storePathRootDir, 'config', 'broker.properties'), 'utf8');
    expect(file).toContain('maxMessageSize=1048576');
    expect(file).toContain('listenPort=1');
    expect(file).not.toContain('noSuchKey');
    // A Java-only knob we accept but do not use is kept as given, never as "undefined", and not applied.
    expect(file).toContain('sendMessageThreadPoolNums=8');
    expect(file).not.toContain('undefined');
    expect('sendMessageThreadPoolNums' in ctx.config).toBe(false);

    const shown = await invoke(createRequest(RequestCode.GET_BROKER_CONFIG));
    expect(bodyText(shown)).toContain('maxMessageSize=1048576\n');
    expect(JSON.parse(shown.extFields!.version).counter).toBeGreaterThan(0);

    const bad = await invoke(createRequest(RequestCode.UPDATE_BROKER_CONFIG, undefined, Buffer.from('maxMessageSize=lots\n')));
    expect(bad.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(ctx.config.maxMessageSize).toBe(1048576);
    ctx.config.maxMessageSize = before;
  });
});

describe('relays to a consumer', () => {
  it('GET_CONSUMER_RUNNING_INFO goes to the named client and its answer comes back; SYSTEM_ERROR if not online', async () => {
    const hb = {
      clientID: 'c-admin',
      consumerDataSet: [{
        groupName: 'RG', consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
        subscriptionDataSet: [{ classFilterMode: false, codeSet: [], expressionType: 'TAG', subString: '*', subVersion: 1, tagsSet: [], topic: 'AT' }],
        unitMode: false,
      }],
      producerDataSet: [],
    };
    expect((await invoke(createRequest(RequestCode.HEART_BEAT, undefined, Buffer.from(toFastJson(hb))))).code).toBe(ResponseCode.SUCCESS);
    const r = await invoke(createRequest(RequestCode.GET_CONSUMER_RUNNING_INFO, { consumerGroup: 'RG', clientId: 'c-admin', jstackEnable: 'true' }));
    expect([r.code, bodyText(r)]).toEqual([ResponseCode.SUCCESS, '{"jstack":"true"}']);
    const gone = await invoke(createRequest(RequestCode.GET_CONSUMER_RUNNING_INFO, { consumerGroup: 'RG', clientId: 'other', jstackEnable: 'false' }));
    expect([gone.code, gone.remark]).toEqual([ResponseCode.SYSTEM_ERROR, 'The Consumer <RG> <other> not online']);

    const conn = await invoke(createRequest(RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: 'RG' }));
    expect(bodyText(conn)).toMatch(/^\{"connectionSet":\[\{"clientAddr":"127\.0\.0\.1:\d+","clientId":"c-admin","language":"JAVA","version":\d+\}\],"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","subscriptionTable":\{"AT":\{/);
  });
});
