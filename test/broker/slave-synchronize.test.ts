/**
 * SlaveSynchronize (issue 12): a SLAVE broker copying topics, groups, consumer offsets and delay offsets
 * from a real in-process master over the wire, as 4.9.8's SlaveSynchronize does; the master's answers to
 * the four requests; which port each request goes to, and that a failing step does not stop the others
 * (against a fake master); the 3 s / 10 s schedule.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { freeBrokerPort, startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { RemotingServer } from '../../src/remoting/server.js';
import { createRequest, createResponse, requestBody, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { parseFastJson, toFastJson } from '../../src/codec/fastjson.js';
import { SlaveSynchronize, brokerVipChannel } from '../../src/broker/slave/slave-synchronize.js';
import type { BrokerContext } from '../../src/broker/broker-context.js';
import { createTopicRequest, sendV2 } from '../support/wire.js';

const TIMEOUT_MS = 5000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bodyText = (r: RemotingCommand) => requestBody(r)?.toString('utf8') ?? '';
const readJson = (file: string) => parseFastJson(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;

let master: InProcessServer;
let slave: InProcessServer;
let m: BrokerContext;
let s: BrokerContext;
const client = new RemotingClient();
const toMaster = (req: RemotingCommand) => client.invoke(master.brokerAddr, req, TIMEOUT_MS);

function groupRequest(groupName: string, fields: Record<string, unknown> = {}): RemotingCommand {
  return createRequest(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined, Buffer.from(toFastJson({ groupName, ...fields })));
}

function commitRequest(group: string, topic: string, queueId: number, offset: number): RemotingCommand {
  return createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: group, topic, queueId: String(queueId), commitOffset: String(offset) });
}

beforeAll(async () => {
  master = await startInProcess();
  slave = await startInProcess({ brokerRole: 'SLAVE', brokerId: 1 });
  m = master.broker.ctx;
  s = slave.broker.ctx;
});

afterAll(async () => {
  client.close();
  await slave?.stop();
  await master?.stop();
});

describe('the master answers what a slave asks', () => {
  it('GET_ALL_CONSUMER_OFFSET (43): compact, with dataVersion, queue keys unquoted', async () => {
    expect((await toMaster(commitRequest('SG', 'ST', 0, 5))).code).toBe(ResponseCode.SUCCESS);
    expect((await toMaster(commitRequest('SG', 'ST', 1, 7))).code).toBe(ResponseCode.SUCCESS);
    const r = await toMaster(createRequest(RequestCode.GET_ALL_CONSUMER_OFFSET));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    const dv = m.offsets.dataVersion;
    expect(bodyText(r)).toBe(`{"dataVersion":{"counter":${dv.counter},"timestamp":${dv.timestamp}},"offsetTable":{"ST@SG":{0:5,1:7}}}`);
  });

  it('GET_ALL_TOPIC_CONFIG (21) on the VIP port, GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201): dataVersion and table', async () => {
    const vip = await client.invoke(brokerVipChannel(master.brokerAddr), createRequest(RequestCode.GET_ALL_TOPIC_CONFIG), TIMEOUT_MS);
    expect(vip.code).toBe(ResponseCode.SUCCESS);
    const topics = parseFastJson(bodyText(vip)) as { dataVersion: { counter: number }; topicConfigTable: Record<string, unknown> };
    expect(topics.dataVersion.counter).toBe(m.topics.dataVersion.counter);
    expect(Object.keys(topics.topicConfigTable)).toContain('TBW102');
    const groups = parseFastJson(bodyText(await toMaster(createRequest(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG)))) as Record<string, unknown>;
    expect(Object.keys(groups).sort()).toEqual(['dataVersion', 'subscriptionGroupTable']);
  });

  it('GET_ALL_MESSAGE_REQUEST_MODE (402, asked by 5.x slaves): REQUEST_CODE_NOT_SUPPORTED, as from a 4.9 master', async () => {
    const r = await toMaster(createRequest(402));
    expect([r.code, r.remark]).toEqual([ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ' request type 402 not supported']);
  });
});

describe('syncAll against a real master', () => {
  const slaveConfig = (name: string) => path.join(s.config.storePathRootDir, 'config', name);

  it('copies topics, groups, offsets and delay offsets, adopts the data versions and writes the files', async () => {
    expect((await toMaster(createTopicRequest('ST', 4))).code).toBe(ResponseCode.SUCCESS);
    expect((await toMaster(groupRequest('SG', { brokerId: 1, whichBrokerWhenConsumeSlowly: 2, retryMaxTimes: 3 }))).code).toBe(ResponseCode.SUCCESS);
    // A delay-level-1 (1 s) message: once the master delivers it, its delay offset for level 1 is 1.
    expect((await toMaster(sendV2('ST', 'later', { props: { DELAY: '1' } }))).code).toBe(ResponseCode.SUCCESS);
    const deadline = Date.now() + 10_000;
    while (!m.schedule.encode().includes('1:1') && Date.now() < deadline) await sleep(100);
    expect(m.schedule.encode()).toContain('1:1');
    // An offset only the slave has: putAll keeps it.
    s.offsets.commitOffset('OnlyHere', 'ST', 0, 9);
    expect(s.topics.select('ST')).toBeUndefined();

    const sync = new SlaveSynchronize(s);
    sync.masterAddr = master.brokerAddr;
    await sync.syncAll();
    sync.close();

    expect(s.topics.select('ST')).toMatchObject({ readQueueNums: 4, writeQueueNums: 4, perm: 6 });
    expect(s.topics.dataVersion).toEqual(m.topics.dataVersion);
    expect(s.groups.table.get('SG')).toMatchObject({ brokerId: 1, whichBrokerWhenConsumeSlowly: 2, retryMaxTimes: 3 });
    expect(s.groups.dataVersion).toEqual(m.groups.dataVersion);
    expect(s.offsets.queryOffset('SG', 'ST', 0)).toBe(5);
    expect(s.offsets.queryOffset('SG', 'ST', 1)).toBe(7);
    expect(s.offsets.queryOffset('OnlyHere', 'ST', 0)).toBe(9);
    expect(s.schedule.encode()).toBe(m.schedule.encode());

    // Written at once, not at the next periodic flush.
    const topicsJson = readJson(slaveConfig('topics.json')) as { dataVersion: unknown; topicConfigTable: Record<string, unknown> };
    expect(topicsJson.dataVersion).toEqual(m.topics.dataVersion);
    expect(Object.keys(topicsJson.topicConfigTable)).toContain('ST');
    const groupsJson = readJson(slaveConfig('subscriptionGroup.json')) as { dataVersion: unknown; subscriptionGroupTable: Record<string, unknown> };
    expect(groupsJson.dataVersion).toEqual(m.groups.dataVersion);
    expect(groupsJson.subscriptionGroupTable.SG).toMatchObject({ brokerId: 1, whichBrokerWhenConsumeSlowly: 2 });
    const offsetsJson = readJson(slaveConfig('consumerOffset.json')) as { offsetTable: Record<string, Map<number, number>> };
    expect([...offsetsJson.offsetTable['ST@SG']]).toEqual([[0, 5], [1, 7]]);
    expect([...offsetsJson.offsetTable['ST@OnlyHere']]).toEqual([[0, 9]]);
    const delayJson = readJson(slaveConfig('delayOffset.json')) as { offsetTable: Map<number, number> };
    expect(delayJson.offsetTable.get(1)).toBe(1);
  });

  it('replaces topics and groups only when the master\'s data version differs', async () => {
    const sync = new SlaveSynchronize(s);
    sync.masterAddr = master.brokerAddr;
    // Same version as the master: a local difference stays (Java compares versions, not tables).
    s.topics.table.delete('ST');
    await sync.syncAll();
    expect(s.topics.select('ST')).toBeUndefined();
    // The master changes: the slave takes the whole table again.
    expect((await toMaster(createTopicRequest('ST2', 2))).code).toBe(ResponseCode.SUCCESS);
    await sync.syncAll();
    sync.close();
    expect(s.topics.select('ST')).toBeDefined();
    expect(s.topics.select('ST2')).toMatchObject({ readQueueNums: 2 });
    expect(s.topics.dataVersion).toEqual(m.topics.dataVersion);
  });
});

describe('syncAll against a fake master', () => {
  let main: RemotingServer | undefined;
  let vip: RemotingServer | undefined;
  afterEach(async () => {
    await main?.close();
    await vip?.close();
    main = vip = undefined;
  });

  /** Records [port, code, extFields, body] of every request; `answer` decides the response. */
  async function fakeMaster(answer: (code: number, req: RemotingCommand) => RemotingCommand): Promise<{ addr: string; seen: Array<[number, number, unknown, number]> }> {
    const port = await freeBrokerPort();
    const seen: Array<[number, number, unknown, number]> = [];
    const serve = (p: number) => new RemotingServer({ host: '127.0.0.1', port: p }, (conn, req) => {
      seen.push([p, req.code, req.extFields, requestBody(req)?.length ?? 0]);
      conn.send(answer(req.code, req));
    });
    main = serve(port);
    vip = serve(port - 2);
    await main.listen();
    await vip.listen();
    return { addr: `127.0.0.1:${port}`, seen };
  }

  it('asks 21 on the VIP port and 43, 45, 201 on the listen port, bare; a refused step does not stop the others', async () => {
    const groups = toFastJson({ dataVersion: { counter: 77, timestamp: 1234 }, subscriptionGroupTable: { FakeG: { groupName: 'FakeG', brokerId: 1 } } });
    const offsets = '{"offsetTable":{"FT@FakeG":{3:33}}}';
    const fake = await fakeMaster((code, req) => {
      if (code === RequestCode.GET_ALL_TOPIC_CONFIG) return createResponse(req, ResponseCode.SYSTEM_ERROR, 'No topic in this broker');
      if (code === RequestCode.GET_ALL_CONSUMER_OFFSET) return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(offsets));
      if (code === RequestCode.GET_ALL_DELAY_OFFSET) return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from('not json'));
      return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(groups));
    });
    const before = { topics: { ...s.topics.dataVersion }, delay: s.schedule.encode() };
    const sync = new SlaveSynchronize(s);
    sync.masterAddr = fake.addr;
    await sync.syncAll();
    sync.close();
    const port = Number(fake.addr.split(':')[1]);
    expect(fake.seen.map(([p, code]) => [p, code])).toEqual([
      [port - 2, RequestCode.GET_ALL_TOPIC_CONFIG],
      [port, RequestCode.GET_ALL_CONSUMER_OFFSET],
      [port, RequestCode.GET_ALL_DELAY_OFFSET],
      [port, RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG],
    ]);
    for (const [, , ext, bodyLength] of fake.seen) {
      expect(ext ?? {}).toEqual({});
      expect(bodyLength).toBe(0);
    }
    // Topic and delay steps failed and changed nothing; the offset and group steps went through.
    expect(s.topics.dataVersion).toEqual(before.topics);
    expect(s.schedule.encode()).toBe(before.delay);
    expect(s.offsets.queryOffset('FakeG', 'FT', 3)).toBe(33);
    expect(s.groups.dataVersion).toEqual({ counter: 77, timestamp: 1234 });
    expect([...s.groups.table.keys()]).toEqual(['FakeG']);
  });

  it('asks nothing without a master, or when the master address is its own', async () => {
    const fake = await fakeMaster((_code, req) => createResponse(req, ResponseCode.SYSTEM_ERROR, 'should not be asked'));
    const sync = new SlaveSynchronize({ ...s, brokerAddr: fake.addr });
    await sync.syncAll();
    sync.masterAddr = '';
    await sync.syncAll();
    sync.masterAddr = fake.addr;
    await sync.syncAll();
    sync.close();
    expect(fake.seen).toEqual([]);
  });
});

describe('schedule', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('first run 3 s after start, then every 10 s, never two at once; stop ends it; a master never runs', async () => {
    vi.useFakeTimers();
    const sync = new SlaveSynchronize(s);
    let release: () => void = () => {};
    const spy = vi.spyOn(sync, 'syncAll').mockImplementation(() => new Promise<void>((r) => {
      release = r;
    }));
    sync.start();
    sync.start(); // a second start does not add a second timer
    await vi.advanceTimersByTimeAsync(2_999);
    expect(spy).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(spy).toHaveBeenCalledTimes(1);
    // Still running at 13 s: that round is skipped.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(spy).toHaveBeenCalledTimes(1);
    release();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(spy).toHaveBeenCalledTimes(2);
    release();
    sync.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(spy).toHaveBeenCalledTimes(2);

    const onMaster = new SlaveSynchronize(m);
    const masterSpy = vi.spyOn(onMaster, 'syncAll').mockResolvedValue();
    onMaster.start();
    await vi.advanceTimersByTimeAsync(60_000);
    onMaster.close();
    expect(masterSpy).not.toHaveBeenCalled();
  });
});
