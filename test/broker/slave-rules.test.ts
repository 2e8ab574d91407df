/**
 * What a SLAVE broker does differently (issue 12, reference A.8/A.9), over the wire against in-process
 * brokers, following 4.9.8: suggestWhichBrokerId on pulls (master and slave), PULL_OFFSET_MOVED turned
 * into PULL_RETRY_IMMEDIATELY on a slave, no commit of a pull's offset on a slave, sends refused with
 * SERVICE_NOT_AVAILABLE and Java's remark, END_TRANSACTION refused with SLAVE_NOT_AVAILABLE, and the
 * replication keys of GET_BROKER_RUNTIME_INFO / the role keys of GET_BROKER_CONFIG.
 *
 * The slave's messages come from a master that wrote the same store directory and stopped: the slave
 * store then holds what replication would have brought, without depending on the HA stream.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, requestBody, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { PullSysFlag } from '../../src/protocol/sys-flag.js';
import { parseFastJson, toFastJson } from '../../src/codec/fastjson.js';
import { parseProperties } from '../../src/config/properties.js';
import { createTopicRequest, pulledRecords, sendV2 } from '../support/wire.js';

const TIMEOUT_MS = 5000;
const TOPIC = 'SlaveT';
/** A group that prefers broker 3 normally and broker 2 when it reads from disk (both made up: only the numbers matter). */
const GROUP = 'SlaveG';
const GROUP_SETTINGS = { brokerId: 3, whichBrokerWhenConsumeSlowly: 2 };

const client = new RemotingClient();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-slave-'));
const storeDirs = { storePathRootDir: path.join(dir, 'store'), storePathCommitLog: path.join(dir, 'store', 'commitlog') };
let slave: InProcessServer;
/** A master whose store flags every found message as "read from disk" (accessMessageInMemoryMaxRatio=0). */
let slowMaster: InProcessServer;
/** Suggestions the first master gave before it stopped (its store flags nothing: ratio 40). */
const writerSuggests: Record<string, string | undefined> = {};

function pull(group: string, offset: number, commitOffset?: number): RemotingCommand {
  let sysFlag = PullSysFlag.FLAG_SUBSCRIPTION;
  if (commitOffset !== undefined) sysFlag |= PullSysFlag.FLAG_COMMIT_OFFSET;
  return createRequest(RequestCode.PULL_MESSAGE, {
    consumerGroup: group, topic: TOPIC, queueId: '0', queueOffset: String(offset), maxMsgNums: '32',
    sysFlag: String(sysFlag), commitOffset: String(commitOffset ?? 0), suspendTimeoutMillis: '0', subVersion: '0',
    subscription: '*', expressionType: 'TAG',
  });
}

function groupRequest(): RemotingCommand {
  return createRequest(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined, Buffer.from(toFastJson({ groupName: GROUP, ...GROUP_SETTINGS })));
}

async function setUpMaster(addr: string): Promise<void> {
  const invoke = (req: RemotingCommand) => client.invoke(addr, req, TIMEOUT_MS);
  expect((await invoke(createTopicRequest(TOPIC, 1))).code).toBe(ResponseCode.SUCCESS);
  expect((await invoke(groupRequest())).code).toBe(ResponseCode.SUCCESS);
  for (let i = 0; i < 3; i++) expect((await invoke(sendV2(TOPIC, `m${i}`))).code).toBe(ResponseCode.SUCCESS);
}

beforeAll(async () => {
  const writer = await startInProcess({ ...storeDirs });
  try {
    await setUpMaster(writer.brokerAddr);
    writer.broker.ctx.config.slaveReadEnable = true;
    writerSuggests.slaveRead = (await client.invoke(writer.brokerAddr, pull(GROUP, 0), TIMEOUT_MS)).extFields?.suggestWhichBrokerId;
  } finally {
    await writer.stop();
  }
  slave = await startInProcess({ ...storeDirs, brokerRole: 'SLAVE', brokerId: 1 });
  slowMaster = await startInProcess({ accessMessageInMemoryMaxRatio: 0 });
  await setUpMaster(slowMaster.brokerAddr);
});

afterAll(async () => {
  client.close();
  await slave?.stop();
  await slowMaster?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const toSlave = (req: RemotingCommand) => client.invoke(slave.brokerAddr, req, TIMEOUT_MS);
const toSlowMaster = (req: RemotingCommand) => client.invoke(slowMaster.brokerAddr, req, TIMEOUT_MS);

describe('suggestWhichBrokerId', () => {
  it('a master with slaveReadEnable: the group\'s whichBrokerWhenConsumeSlowly when the store flags slow reading, else its brokerId', async () => {
    expect(writerSuggests.slaveRead).toBe('3');
    slowMaster.broker.ctx.config.slaveReadEnable = true;
    const slow = await toSlowMaster(pull(GROUP, 0));
    expect(slow.code).toBe(ResponseCode.SUCCESS);
    expect(slow.extFields?.suggestWhichBrokerId).toBe('2');
  });

  it('slaveReadEnable=false: always the master (0)', async () => {
    slowMaster.broker.ctx.config.slaveReadEnable = false;
    const r = await toSlowMaster(pull(GROUP, 0));
    expect([r.code, r.extFields?.suggestWhichBrokerId]).toEqual([ResponseCode.SUCCESS, '0']);
  });

  it('a slave with slaveReadEnable=false still serves the messages, with suggest 0 (4.9.8)', async () => {
    slave.broker.ctx.config.slaveReadEnable = false;
    const r = await toSlave(pull(GROUP, 0));
    expect([r.code, r.remark, r.extFields?.suggestWhichBrokerId]).toEqual([ResponseCode.SUCCESS, 'FOUND', '0']);
    expect(pulledRecords(r).map((m) => m.body.toString())).toEqual(['m0', 'm1', 'm2']);
  });

  it('a slave with slaveReadEnable=true: the group\'s brokerId while the consumer reads from memory', async () => {
    slave.broker.ctx.config.slaveReadEnable = true;
    try {
      const r = await toSlave(pull(GROUP, 1));
      expect([r.code, r.extFields?.suggestWhichBrokerId]).toEqual([ResponseCode.SUCCESS, '3']);
    } finally {
      slave.broker.ctx.config.slaveReadEnable = false;
    }
  });
});

describe('offsets on a slave', () => {
  it('PULL_OFFSET_MOVED becomes PULL_RETRY_IMMEDIATELY towards the group\'s brokerId, unless offsetCheckInSlave', async () => {
    const onMaster = await toSlowMaster(pull(GROUP, 100));
    expect([onMaster.code, onMaster.remark]).toEqual([ResponseCode.PULL_OFFSET_MOVED, 'OFFSET_OVERFLOW_BADLY']);
    const r = await toSlave(pull(GROUP, 100));
    expect([r.code, r.remark, r.extFields?.suggestWhichBrokerId]).toEqual([ResponseCode.PULL_RETRY_IMMEDIATELY, 'OFFSET_OVERFLOW_BADLY', '3']);
    expect(r.extFields?.nextBeginOffset).toBe('3');
    slave.broker.ctx.config.offsetCheckInSlave = true;
    try {
      const checked = await toSlave(pull(GROUP, 100));
      expect([checked.code, checked.extFields?.suggestWhichBrokerId]).toEqual([ResponseCode.PULL_OFFSET_MOVED, '0']);
    } finally {
      slave.broker.ctx.config.offsetCheckInSlave = false;
    }
  });

  it('a pull\'s piggy-backed commitOffset is stored by a master, never by a slave', async () => {
    expect((await toSlowMaster(pull(GROUP, 1, 1))).code).toBe(ResponseCode.SUCCESS);
    expect(slowMaster.broker.ctx.offsets.queryOffset(GROUP, TOPIC, 0)).toBe(1);
    expect((await toSlave(pull(GROUP, 1, 1))).code).toBe(ResponseCode.SUCCESS);
    expect(slave.broker.ctx.offsets.queryOffset(GROUP, TOPIC, 0)).toBe(-1);
  });
});

describe('what a slave refuses', () => {
  it('sends: SERVICE_NOT_AVAILABLE (14) with Java\'s remark and the disk figures', async () => {
    const r = await toSlave(sendV2(TOPIC, 'refused'));
    expect(r.code).toBe(ResponseCode.SERVICE_NOT_AVAILABLE);
    expect(r.remark).toMatch(
      /^service not available now\. It may be caused by one of the following reasons: the broker's disk is full \[CL: +-?\d\.\d\d CQ: +-?\d\.\d\d INDEX: +-?\d\.\d\d\], messages are put to the slave, message store has been shut down, etc\.$/,
    );
    // The store directories exist, so the figures are measured ratios, not -1.
    expect(r.remark).not.toContain('-1.00');
  });

  it('END_TRANSACTION: SLAVE_NOT_AVAILABLE (11) with no remark', async () => {
    const r = await toSlave(createRequest(RequestCode.END_TRANSACTION, {
      producerGroup: 'pg', tranStateTableOffset: '0', commitLogOffset: '0', commitOrRollback: '8', fromTransactionCheck: 'false', msgId: 'x',
    }));
    expect(r.code).toBe(ResponseCode.SLAVE_NOT_AVAILABLE);
    expect(r.remark ?? '').toBe('');
  });

  it('topic and subscription-group changes: SYSTEM_ERROR with Java\'s remark (they belong to the master)', async () => {
    const remark = "Can't modify topic or subscription group from slave broker, please execute it from master broker.";
    const requests = [
      createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
        topic: 'MadeOnSlave', defaultTopic: 'TBW102', readQueueNums: '4', writeQueueNums: '4', perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false',
      }),
      createRequest(RequestCode.DELETE_TOPIC_IN_BROKER, { topic: 'MadeOnSlave' }),
      createRequest(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined, Buffer.from('{"groupName":"GroupOnSlave"}')),
      createRequest(RequestCode.DELETE_SUBSCRIPTIONGROUP, { groupName: 'GroupOnSlave' }),
    ];
    for (const req of requests) {
      const r = await toSlave(req);
      expect([req.code, r.code, r.remark]).toEqual([req.code, ResponseCode.SYSTEM_ERROR, remark]);
    }
  });
});

describe('admin views of replication', () => {
  const runtimeInfo = async (invoke: (req: RemotingCommand) => Promise<RemotingCommand>) => {
    const r = await invoke(createRequest(RequestCode.GET_BROKER_RUNTIME_INFO));
    return (parseFastJson(requestBody(r)!.toString('utf8')) as { table: Record<string, string> }).table;
  };

  it('GET_BROKER_RUNTIME_INFO: a master reports its slaves and how far behind they are, a slave its master', async () => {
    const m = await runtimeInfo(toSlowMaster);
    const acks = Object.keys(m).filter((k) => k.startsWith('haSlaveAckOffset_'));
    expect(Number(m.haConnectionCount)).toBe(acks.length);
    expect(Number(m.slaveFallBehindMuch)).toBe(Number(m.commitLogMaxOffset) - Number(m.haPush2SlaveMaxOffset));
    expect(m.haMasterAddress).toBeUndefined();
    expect(m.brokerActive).toBe('true');
    const s = await runtimeInfo(toSlave);
    // 5.x clusterList's #ACTIVATED: a slave runs no schedule or transaction-check service.
    expect(s).toMatchObject({ haMasterConnected: 'false', brokerActive: 'false' });
    expect(Object.keys(s)).toEqual(expect.arrayContaining(['haMasterAddress', 'haLastReadAgoMs']));
    expect(s.slaveFallBehindMuch).toBeUndefined();
  });

  it('GET_BROKER_CONFIG shows the role, id, HA port and slave-read settings', async () => {
    const r = await toSlave(createRequest(RequestCode.GET_BROKER_CONFIG));
    const props = parseProperties(requestBody(r)!.toString('utf8'));
    const listenPort = Number(slave.brokerAddr.split(':')[1]);
    expect(Object.fromEntries(['brokerRole', 'brokerId', 'haListenPort', 'slaveReadEnable', 'offsetCheckInSlave', 'accessMessageInMemoryMaxRatio'].map((k) => [k, props.get(k)])))
      .toEqual({
        brokerRole: 'SLAVE', brokerId: '1', haListenPort: String(listenPort + 1), slaveReadEnable: 'false', offsetCheckInSlave: 'false',
        accessMessageInMemoryMaxRatio: '40',
      });
  });
});
