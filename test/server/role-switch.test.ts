/**
 * Two of our brokers of one group in controller mode, behind our NameServer, their roles changed at run time
 * through BrokerController#applyRole as the controller client (ReplicasManager) does it: A goes
 * SLAVE (start) → SYNC_MASTER → SLAVE, B goes SLAVE → SYNC_MASTER. Checked at each step: brokerRole and
 * brokerId, the master-only services started and stopped, the registration (routes a client reads from the
 * NameServer, the slave's answer naming the master's HA address handed to AutoSwitchHa), and sends accepted
 * on the master and refused on a slave with the Java broker's code and remark.
 *
 * No controller runs here: the store side is a fake AutoSwitchHa recording what the broker hands it (the
 * real one is src/store/ha/autoswitch/, tested there and in the controller compat suite). Each store is
 * built before controller mode is switched on in its config, so it runs without AutoSwitchHA and refuses
 * puts by brokerRole alone, which is what this suite watches.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BROKER_CONFIG_DEFAULTS, type BrokerConfig } from '../../src/config/broker-config.js';
import { NAMESRV_CONFIG_DEFAULTS } from '../../src/config/namesrv-config.js';
import { BrokerController } from '../../src/server/broker-controller.js';
import { NamesrvController } from '../../src/server/namesrv-controller.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import type { AutoSwitchHa, EpochEntry } from '../../src/store/ha/autoswitch/types.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { parseRoute } from '../../src/proxy/topic-routes.js';
import { freeBrokerPort } from './in-process.js';
import { createTopicRequest, sendV2 } from '../support/wire.js';
import { encodeRegisterBrokerBody } from '../../src/codec/register-broker-body.js';

const TOPIC = 'TopicRoleSwitch';
const client = new RemotingClient();
let dir = '';
let namesrv: NamesrvController;
let namesrvAddr = '';
const brokers: BrokerController[] = [];

/** What the broker hands the store side; the rest answers as an idle replica would. */
class FakeHa implements AutoSwitchHa {
  haMasterAddrs: string[] = [];
  setLocalBrokerId(): void {}
  async changeToMaster(): Promise<boolean> { return true; }
  changeToMasterWhenLastRoleIsMaster(): boolean { return true; }
  async changeToSlave(): Promise<boolean> { return true; }
  changeToSlaveWhenMasterNotChange(): boolean { return true; }
  updateHaMasterAddress(haAddr: string): void { this.haMasterAddrs.push(haAddr); }
  setSyncStateSet(): void {}
  getSyncStateSet(): Set<number> { return new Set(); }
  onSyncStateSetChanged(): void {}
  lastEpoch(): number { return 0; }
  epochEntries(): EpochEntry[] { return []; }
  confirmOffset(): number { return 0; }
  maxPhyOffset(): number { return 0; }
}

async function startBroker(name: string): Promise<{ broker: BrokerController; ha: FakeHa }> {
  const listenPort = await freeBrokerPort();
  const root = path.join(dir, name);
  const cfg: BrokerConfig = {
    ...BROKER_CONFIG_DEFAULTS,
    brokerName: 'broker-cm',
    listenPort,
    haListenPort: listenPort + 1,
    storePathRootDir: root,
    storePathCommitLog: path.join(root, 'commitlog'),
    mappedFileSizeCommitLog: 4 * 1024 * 1024,
    namesrvAddr,
  };
  const store = new DefaultMessageStore(cfg);
  cfg.enableControllerMode = true;
  const ha = new FakeHa();
  (store as { autoSwitch?: AutoSwitchHa }).autoSwitch = ha;
  const broker = new BrokerController(cfg, store);
  brokers.push(broker);
  await broker.start();
  return { broker, ha };
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The group's addresses by id as a client's GET_ROUTEINFO_BY_TOPIC answer gives them ({} when no route). */
async function routeIds(): Promise<Record<number, string>> {
  const res = await client.invoke(namesrvAddr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: TOPIC }), 3000);
  if (res.code !== ResponseCode.SUCCESS) return {};
  return Object.fromEntries(parseRoute(res.body).brokerDatas.find((b) => b.brokerName === 'broker-cm')?.brokerAddrs ?? []);
}

async function send(broker: BrokerController): Promise<{ code: number; remark?: string }> {
  const res = await client.invoke(broker.brokerAddr, sendV2(TOPIC, 'hello'), 5000);
  return { code: res.code, remark: res.remark };
}

/** Spies on the master-only services of a broker (BrokerController#changeSpecialServiceStatus). */
function watchServices(b: BrokerController) {
  const { schedule, timer, transactions } = b.ctx;
  const started = [vi.spyOn(schedule, 'start'), vi.spyOn(timer, 'start'), vi.spyOn(transactions, 'start')];
  const stopped = [vi.spyOn(schedule, 'shutdown'), vi.spyOn(timer, 'shutdown'), vi.spyOn(transactions, 'shutdown')];
  return () => ({ started: started.map((s) => s.mock.calls.length), stopped: stopped.map((s) => s.mock.calls.length) });
}

let A: { broker: BrokerController; ha: FakeHa };
let B: { broker: BrokerController; ha: FakeHa };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-roles-'));
  namesrv = new NamesrvController({ ...NAMESRV_CONFIG_DEFAULTS, listenPort: 0, kvConfigPath: path.join(dir, 'kvConfig.json') });
  await namesrv.start();
  namesrvAddr = `127.0.0.1:${namesrv.port}`;
  A = await startBroker('a');
  B = await startBroker('b');
}, 60_000);

afterAll(async () => {
  for (const b of brokers) await b.shutdown();
  await namesrv?.shutdown();
  client.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a controller-mode broker whose role changes at run time', () => {
  it('starts without a role: writes refused, nothing registered', async () => {
    for (const { broker } of [A, B]) expect(broker.config.brokerRole).toBe('SLAVE');
    expect(namesrv.routes.brokerAddrTable.size).toBe(0);
    const refused = await send(A.broker);
    expect(refused.code).toBe(ResponseCode.SERVICE_NOT_AVAILABLE);
  });

  it('SLAVE → SYNC_MASTER → SLAVE, with a second broker taking over as master', async () => {
    const aServices = watchServices(A.broker);
    const bServices = watchServices(B.broker);

    // A elected master (epoch 1): id 0, services on, registered at once, writes accepted.
    await A.broker.applyRole({ role: 'SYNC_MASTER', brokerId: 0, epoch: 1 });
    await A.broker.roleSettled();
    expect([A.broker.config.brokerRole, A.broker.config.brokerId]).toEqual(['SYNC_MASTER', 0]);
    expect(aServices()).toEqual({ started: [1, 1, 1], stopped: [0, 0, 0] });
    // The epoch is the registration's stateVersion (a later topic change puts it back to 0, as DataVersion#nextVersion()).
    expect(namesrv.routes.brokerDataVersion(A.broker.brokerAddr)?.stateVersion).toBe(1);
    const created = await client.invoke(A.broker.brokerAddr, createTopicRequest(TOPIC, 2), 3000);
    expect(created.code).toBe(ResponseCode.SUCCESS);
    await until('the topic route', async () => (await routeIds())[0] === A.broker.brokerAddr);
    expect((await send(A.broker)).code).toBe(ResponseCode.SUCCESS);

    // B a slave (controller id 2) of A: its registration's answer carries A's HA address, handed to AutoSwitchHa.
    await B.broker.applyRole({ role: 'SLAVE', brokerId: 2, masterAddr: A.broker.brokerAddr, epoch: 1 });
    await B.broker.roleSettled();
    expect(B.ha.haMasterAddrs).toEqual([`${A.broker.config.brokerIP2}:${A.broker.config.haListenPort}`]);
    expect(await routeIds()).toEqual({ 0: A.broker.brokerAddr, 2: B.broker.brokerAddr });
    expect(bServices()).toEqual({ started: [0, 0, 0], stopped: [0, 0, 0] });
    const onSlave = await send(B.broker);
    expect(onSlave.code).toBe(ResponseCode.SERVICE_NOT_AVAILABLE);
    expect(onSlave.remark).toContain('messages are put to the slave');
    // B knows the topic before it becomes master (SlaveSynchronize copies it; the refused send may have made it).
    await until('the topic on the slave', () => B.broker.ctx.topics.table.has(TOPIC));

    // Failover (epoch 2): B master first, then A a slave of B, as the controller notifies them.
    await B.broker.applyRole({ role: 'SYNC_MASTER', brokerId: 0, epoch: 2 });
    await B.broker.roleSettled();
    expect([B.broker.config.brokerRole, B.broker.config.brokerId]).toEqual(['SYNC_MASTER', 0]);
    expect(bServices()).toEqual({ started: [1, 1, 1], stopped: [0, 0, 0] });
    // B's newer stateVersion takes id 0 from A, still alive; B's old id 2 is gone.
    expect(await routeIds()).toEqual({ 0: B.broker.brokerAddr });
    expect((await send(B.broker)).code).toBe(ResponseCode.SUCCESS);

    await A.broker.applyRole({ role: 'SLAVE', brokerId: 1, masterAddr: B.broker.brokerAddr, epoch: 2 });
    await A.broker.roleSettled();
    expect([A.broker.config.brokerRole, A.broker.config.brokerId]).toEqual(['SLAVE', 1]);
    expect(aServices()).toEqual({ started: [1, 1, 1], stopped: [1, 1, 1] });
    expect(A.ha.haMasterAddrs).toEqual([`${B.broker.config.brokerIP2}:${B.broker.config.haListenPort}`]);
    expect(await routeIds()).toEqual({ 0: B.broker.brokerAddr, 1: A.broker.brokerAddr });
    const onOldMaster = await send(A.broker);
    expect(onOldMaster.code).toBe(ResponseCode.SERVICE_NOT_AVAILABLE);
    // Topic changes on a slave are refused (AdminBrokerProcessor#validateSlave), read per request too.
    const onSlaveCreate = await client.invoke(A.broker.brokerAddr, createTopicRequest('TopicOnSlave', 1), 3000);
    expect(onSlaveCreate.code).toBe(ResponseCode.SYSTEM_ERROR);

    // The same master in a new epoch (the controller re-elected B): nothing restarts, the version moves, B re-registers.
    await B.broker.applyRole({ role: 'SYNC_MASTER', brokerId: 0, epoch: 3 });
    await B.broker.roleSettled();
    expect(bServices()).toEqual({ started: [1, 1, 1], stopped: [0, 0, 0] });
    expect(namesrv.routes.brokerDataVersion(B.broker.brokerAddr)?.stateVersion).toBe(3);
  }, 60_000);

  it('a master whose connection to the NameServer closes (a SIGKILLed process) leaves the routes at once', async () => {
    // A master of a later epoch registers from its own connection, as a broker process does.
    const killed = new RemotingClient();
    const addr = '127.0.0.1:1';
    const body = encodeRegisterBrokerBody({ counter: 1, timestamp: Date.now(), stateVersion: 9 }, new Map([[TOPIC, { topicName: TOPIC, readQueueNums: 2, writeQueueNums: 2, perm: 6 }]]));
    const reg = createRequest(RequestCode.REGISTER_BROKER, {
      brokerAddr: addr, brokerId: '0', brokerName: 'broker-cm', clusterName: 'DefaultCluster', haServerAddr: '127.0.0.1:2', compressed: 'false',
    }, body);
    expect((await killed.invoke(namesrvAddr, reg, 3000)).code).toBe(ResponseCode.SUCCESS);
    expect(await routeIds()).toEqual({ 0: addr, 1: A.broker.brokerAddr });
    killed.close();
    await until('the closed master out of the routes', async () => (await routeIds())[0] === undefined, 5000);
    expect(await routeIds()).toEqual({ 1: A.broker.brokerAddr });
  });

  it('a slave that registered before its new master did asks again until a NameServer names the master', async () => {
    await A.broker.applyRole({ role: 'SLAVE', brokerId: 1, masterAddr: '127.0.0.1:3', epoch: 10 });
    await A.broker.roleSettled();
    const known = A.ha.haMasterAddrs.length;
    // The new master registers only now, from its own connection.
    const master = new RemotingClient();
    try {
      const body = encodeRegisterBrokerBody({ counter: 1, timestamp: Date.now(), stateVersion: 10 }, new Map());
      const reg = createRequest(RequestCode.REGISTER_BROKER, {
        brokerAddr: '127.0.0.1:3', brokerId: '0', brokerName: 'broker-cm', clusterName: 'DefaultCluster', haServerAddr: '127.0.0.1:4', compressed: 'false',
      }, body);
      expect((await master.invoke(namesrvAddr, reg, 3000)).code).toBe(ResponseCode.SUCCESS);
      // Well before the periodic registration (registerNameServerPeriod, 30 s).
      await until('the HA address handed to AutoSwitchHa', () => A.ha.haMasterAddrs.length > known, 5000);
      expect(A.ha.haMasterAddrs.at(-1)).toBe('127.0.0.1:4');
    } finally {
      master.close();
    }
  });
});
