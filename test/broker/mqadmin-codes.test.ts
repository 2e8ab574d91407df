/**
 * The admin codes added for mqadmin 4.9.8 / 5.3.3 (docs/mqadmin-subcommands.md), at the protocol level
 * against an in-process broker: list creation goes through the single-item checks, queryCq returns the
 * units a send wrote, cold-read thresholds round-trip, offsets clone, and the refusals are Java's. The
 * real tools run the same commands end to end in compat-tests/mqadmin-all.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, requestBody, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import type { BrokerContext } from '../../src/broker/broker-context.js';

const TIMEOUT_MS = 3000;
let srv: InProcessServer;
let ctx: BrokerContext;
const client = new RemotingClient(() => {});
const invoke = (req: RemotingCommand) => client.invoke(srv.brokerAddr, req, TIMEOUT_MS);
const body = (r: RemotingCommand) => JSON.parse(requestBody(r)!.toString('utf8'));

function send(topic: string, queueId: number): RemotingCommand {
  return createRequest(RequestCode.SEND_MESSAGE_V2, {
    a: 'pg', b: topic, c: 'TBW102', d: '4', e: String(queueId), f: '0', g: String(Date.now()), h: '0', i: 'TAGS\u0001TagA\u0002WAIT\u0001true', j: '0', k: 'false', m: 'false',
  }, Buffer.from(`body-${topic}`));
}

beforeAll(async () => {
  srv = await startInProcess({});
  ctx = srv.broker.ctx;
});
afterAll(async () => {
  client.close();
  await srv?.stop();
});

describe('list creation (updateTopicList, updateSubGroupList)', () => {
  it('creates every topic of the list with its queue counts', async () => {
    const topicConfigList = [
      { topicName: 'ListA', readQueueNums: 2, writeQueueNums: 3, perm: 6 },
      { topicName: 'ListB', readQueueNums: 1, writeQueueNums: 1, perm: 4, order: true },
    ];
    const r = await invoke(createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC_LIST, {}, Buffer.from(JSON.stringify({ topicConfigList }))));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(ctx.topics.select('ListA')).toMatchObject({ readQueueNums: 2, writeQueueNums: 3, perm: 6 });
    expect(ctx.topics.select('ListB')).toMatchObject({ readQueueNums: 1, perm: 4, order: true });
  });

  it('answers a refused item as UPDATE_AND_CREATE_TOPIC would', async () => {
    const topicConfigList = [{ topicName: 'SCHEDULE_TOPIC_XXXX', readQueueNums: 1, writeQueueNums: 1, perm: 6 }];
    const r = await invoke(createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC_LIST, {}, Buffer.from(JSON.stringify({ topicConfigList }))));
    const one = await invoke(createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'SCHEDULE_TOPIC_XXXX', readQueueNums: '1', writeQueueNums: '1', perm: '6' }));
    expect(r.code).not.toBe(ResponseCode.SUCCESS);
    expect([r.code, r.remark]).toEqual([one.code, one.remark]);
  });

  it('creates every group of the list', async () => {
    const groupConfigList = [{ groupName: 'ListG1', retryMaxTimes: 5 }, { groupName: 'ListG2', consumeBroadcastEnable: false }];
    const r = await invoke(createRequest(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST, {}, Buffer.from(JSON.stringify({ groupConfigList }))));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(ctx.groups.find('ListG1')?.retryMaxTimes).toBe(5);
    expect(ctx.groups.find('ListG2')?.consumeBroadcastEnable).toBe(false);
  });
});

describe('queryCq (QUERY_CONSUME_QUEUE)', () => {
  it('returns the units the sends wrote, from the index asked', async () => {
    for (let i = 0; i < 3; i++) expect((await invoke(send('CqT', 1))).code).toBe(ResponseCode.SUCCESS);
    const r = await invoke(createRequest(RequestCode.QUERY_CONSUME_QUEUE, { topic: 'CqT', queueId: '1', index: '1', count: '5' }));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    const b = body(r);
    expect([b.minQueueIndex, b.maxQueueIndex]).toEqual([0, 3]);
    expect(b.queueData).toHaveLength(2);
    const units = ctx.store.consumeQueueUnits('CqT', 1, 0, 3)!.units;
    expect(b.queueData.map((u: { physicOffset: number }) => u.physicOffset)).toEqual([units[1].phyOffset, units[2].phyOffset]);
    expect(b.queueData[0].physicSize).toBe(units[1].size);
  });

  it('refuses a queue that does not exist with Java\'s remark', async () => {
    const r = await invoke(createRequest(RequestCode.QUERY_CONSUME_QUEUE, { topic: 'NoSuchCq', queueId: '0', index: '0', count: '1' }));
    expect([r.code, r.remark]).toEqual([ResponseCode.SYSTEM_ERROR, '0@NoSuchCq is not exist!']);
  });
});

describe('cold-read thresholds, read-ahead mode, epoch cache', () => {
  it('keeps what updateColdDataFlowCtrGroupConfig sets until removeColdDataFlowCtrGroupConfig', async () => {
    const set = await invoke(createRequest(RequestCode.UPDATE_COLD_DATA_FLOW_CTR_CONFIG, {}, Buffer.from('G1=100\nG2=oops\n')));
    expect(set.code).toBe(ResponseCode.SUCCESS);
    expect(body(await invoke(createRequest(RequestCode.GET_COLD_DATA_FLOW_CTR_INFO))).configTable).toEqual({ G1: 100 });
    await invoke(createRequest(RequestCode.REMOVE_COLD_DATA_FLOW_CTR_CONFIG, {}, Buffer.from('G1')));
    expect(body(await invoke(createRequest(RequestCode.GET_COLD_DATA_FLOW_CTR_INFO))).configTable).toEqual({});
  });

  it('accepts read-ahead modes 0 and 1 only', async () => {
    const ok = await invoke(createRequest(RequestCode.SET_COMMITLOG_READ_MODE, { READ_AHEAD_MODE: '1' }));
    expect([ok.code, ok.remark]).toEqual([ResponseCode.SUCCESS, 'set commitlog readahead mode success, mode: 1']);
    const bad = await invoke(createRequest(RequestCode.SET_COMMITLOG_READ_MODE, { READ_AHEAD_MODE: '7' }));
    expect(bad.code).toBe(ResponseCode.INVALID_PARAMETER);
  });

  it('refuses the epoch cache outside controller mode, as Java does', async () => {
    const r = await invoke(createRequest(RequestCode.GET_BROKER_EPOCH_CACHE));
    expect([r.code, r.remark]).toEqual([ResponseCode.SYSTEM_ERROR, 'this request only for controllerMode ']);
  });

  it('reports a master without slaves as haStatus does', async () => {
    const b = body(await invoke(createRequest(RequestCode.GET_BROKER_HA_STATUS)));
    expect(b).toMatchObject({ master: true, inSyncSlaveNums: 0, haConnectionInfo: [] });
    expect(b.masterCommitLogMaxOffset).toBe(ctx.store.getMaxPhyOffset());
  });
});

describe('cloneGroupOffset (CLONE_GROUP_OFFSET)', () => {
  it('gives the destination group the source group\'s offsets on the topic', async () => {
    ctx.offsets.commitOffset('SrcG', 'CqT', 1, 2);
    const r = await invoke(createRequest(RequestCode.CLONE_GROUP_OFFSET, { srcGroup: 'SrcG', destGroup: 'DstG', topic: 'CqT', offline: 'false' }));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(ctx.offsets.queryOffset('DstG', 'CqT', 1)).toBe(2);
  });
});
