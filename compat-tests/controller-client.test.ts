/**
 * Our controller client (src/broker/controller/) against the real Apache 5.3.3 controller (standalone
 * ControllerStartup, one DLedger node): two ReplicasManagers with recording stand-ins for the store
 * (AutoSwitchHa) and the broker (RoleHost), each with a remoting port that routes NOTIFY_BROKER_ROLE_CHANGED
 * to our processor. Checks: ids 1 and 2 from the controller, the first elected, the second its slave,
 * heartbeats making both alive (CONTROLLER_GET_SYNC_STATE_DATA), the in-sync set reported and accepted,
 * and after the master stops (heartbeats end, its connection closes: the controller's heartbeat manager
 * notices the close at once) the controller elects the slave and tells it so by NOTIFY (the periodic
 * GET_REPLICA_INFO is set to a minute so only the notify can do it in time). About 30 s, most of it the JVM. The whole group failover with
 * real stores is compat-tests/controller-failover.test.ts. Then our broker (dist/cli.js, controller mode)
 * seen by mqadmin 5.3.3: getSyncStateSet (the controller holds it alive from our heartbeats) and
 * getBrokerEpoch (our GET_BROKER_EPOCH_CACHE body parsed as EpochEntryCache).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apacheController, ourControllerBroker, replicaInfo, type ControllerNode } from './support/controller.js';
import { ourNamesrv, type Node } from './support/cluster.js';
import { MqadminSession } from './support/mqadmin.js';
import { ReplicasManager } from '../src/broker/controller/replicas-manager.js';
import type { RoleChange, RoleHost } from '../src/broker/controller/role-host.js';
import type { AutoSwitchHa, EpochEntry } from '../src/store/ha/autoswitch/types.js';
import { BROKER_CONFIG_DEFAULTS, type BrokerConfig } from '../src/config/broker-config.js';
import { RemotingServer } from '../src/remoting/server.js';
import { RemotingClient } from '../src/remoting/client.js';
import { createRequest, createResponse, requestBody } from '../src/remoting/command.js';
import { RequestCode as C } from '../src/protocol/request-code.js';
import { ResponseCode as R } from '../src/protocol/response-code.js';
import { notifyBrokerRoleChanged } from '../src/processors/broker/notify-role-changed.js';
import type { BrokerContext } from '../src/broker/broker-context.js';
import { brokerPort } from '../test/support/ports.js';
import { makeTempDir } from '../test/support/server.js';

class RecordingHa implements AutoSwitchHa {
  readonly calls: string[] = [];
  epochs: EpochEntry[] = [];
  set = new Set<number>();
  listener: ((s: Set<number>) => void) | undefined;
  setLocalBrokerId(id: number): void { this.calls.push(`setLocalBrokerId(${id})`); }
  async changeToMaster(e: number): Promise<boolean> { this.calls.push(`changeToMaster(${e})`); this.epochs.push({ epoch: e, startOffset: 0, endOffset: Number.MAX_SAFE_INTEGER }); return true; }
  changeToMasterWhenLastRoleIsMaster(e: number): boolean { this.calls.push(`changeToMasterWhenLastRoleIsMaster(${e})`); return true; }
  async changeToSlave(addr: string, e: number, self: number): Promise<boolean> { this.calls.push(`changeToSlave(${addr},${e},${self})`); return true; }
  changeToSlaveWhenMasterNotChange(addr: string, e: number): boolean { this.calls.push(`changeToSlaveWhenMasterNotChange(${addr},${e})`); return true; }
  updateHaMasterAddress(): void {}
  setSyncStateSet(ids: Set<number>): void { this.set = new Set(ids); this.calls.push(`setSyncStateSet(${[...ids].sort()})`); }
  getSyncStateSet(): Set<number> { return new Set(this.set); }
  onSyncStateSetChanged(l: (s: Set<number>) => void): void { this.listener = l; }
  lastEpoch(): number { return this.epochs.at(-1)?.epoch ?? -1; }
  epochEntries(): EpochEntry[] { return this.epochs; }
  confirmOffset(): number { return 0; }
  maxPhyOffset(): number { return 0; }
}

interface Member { m: ReplicasManager; ha: RecordingHa; config: BrokerConfig; changes: RoleChange[]; server: RemotingServer; addr: string }

let ctl: ControllerNode | undefined;
let dir: string;
const members: Member[] = [];
const nodes: Node[] = [];
let adm: MqadminSession | undefined;

async function member(name: string): Promise<Member> {
  const port = await brokerPort();
  const addr = `127.0.0.1:${port}`;
  const config: BrokerConfig = {
    ...BROKER_CONFIG_DEFAULTS, brokerClusterName: 'CtlCluster', brokerName: 'ctl-bn', enableControllerMode: true, controllerAddr: ctl!.controllerAddr,
    storePathRootDir: path.join(dir, name), brokerHeartbeatInterval: 500, controllerHeartBeatTimeoutMills: 3000,
    syncBrokerMetadataPeriod: 60_000, checkSyncStateSetPeriod: 60_000, brokerRole: 'SLAVE', brokerId: -1,
  };
  const ha = new RecordingHa();
  const changes: RoleChange[] = [];
  const host: RoleHost = {
    async applyRole(c) {
      config.brokerRole = c.role;
      config.brokerId = c.brokerId;
      changes.push(c);
    },
  };
  const m = new ReplicasManager({ config, brokerAddr: addr, ha, roleHost: host, timing: { registerJitterMs: 100 } });
  const ctx = { replicas: m } as unknown as BrokerContext;
  // The controller notifies the broker's remoting address one-way.
  const server = new RemotingServer({ host: '127.0.0.1', port }, (conn, req) => {
    if (req.code === C.NOTIFY_BROKER_ROLE_CHANGED) void notifyBrokerRoleChanged(ctx, req);
    else conn.send(createResponse(req, R.REQUEST_CODE_NOT_SUPPORTED));
  });
  await server.listen();
  const mem = { m, ha, config, changes, server, addr };
  members.push(mem);
  return mem;
}

async function until<T>(what: string, f: () => T | undefined | false, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** CONTROLLER_GET_SYNC_STATE_DATA (1006): the controller's view of the set, liveness from heartbeats included. */
async function syncStateData(): Promise<{ inSync: Array<{ brokerId: number; alive: boolean; brokerAddress: string }>; masterBrokerId: number; masterEpoch: number }> {
  const client = new RemotingClient();
  try {
    const res = await client.invoke(ctl!.controllerAddr, createRequest(C.CONTROLLER_GET_SYNC_STATE_DATA, {}, Buffer.from('["ctl-bn"]')), 3000);
    expect(res.code).toBe(R.SUCCESS);
    const info = JSON.parse(requestBody(res)!.toString('utf8')).replicasInfoTable['ctl-bn'];
    return { inSync: info.inSyncReplicas, masterBrokerId: info.masterBrokerId, masterEpoch: info.masterEpoch };
  } finally {
    client.close();
  }
}

beforeAll(async () => {
  dir = makeTempDir('rocketmq-ts-ctl-client');
  ctl = await apacheController();
}, 120_000);

afterAll(async () => {
  for (const x of members) {
    await x.m.shutdown();
    await x.server.close();
  }
  await adm?.stop();
  for (const n of nodes.reverse()) await n.dispose();
  await ctl?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('our controller client with the Apache 5.3.3 controller', () => {
  it('registers two brokers, elects one, reports the in-sync set, and fails over by NOTIFY', async () => {
    const a = await member('a');
    a.m.start();
    await until('a running', () => a.m.state === 'RUNNING', 30_000);
    expect([a.m.brokerControllerId, a.m.masterBrokerId, a.m.masterEpoch]).toEqual([1, 1, 1]);
    expect(a.changes).toEqual([{ role: 'SYNC_MASTER', brokerId: 0, epoch: 1 }]);
    expect(fs.readFileSync(path.join(dir, 'a', 'brokerIdentity'), 'utf8')).toBe('CtlCluster#ctl-bn#1');

    const b = await member('b');
    b.m.start();
    await until('b running', () => b.m.state === 'RUNNING', 30_000);
    expect(b.m.brokerControllerId).toBe(2);
    expect(b.changes).toEqual([{ role: 'SLAVE', brokerId: 2, masterAddr: a.addr, epoch: 1 }]);

    expect((await syncStateData()).masterBrokerId).toBe(1);

    // The store proposes {1, 2}: the controller accepts and answers the new set with a new epoch.
    const setEpoch = a.m.syncStateSetEpoch;
    a.ha.listener!(new Set([1, 2]));
    await until('set {1,2} applied', () => a.m.syncStateSetEpoch > setEpoch, 10_000);
    expect([...a.m.syncStateSet].sort()).toEqual([1, 2]);
    expect(a.ha.calls.at(-1)).toBe('setSyncStateSet(1,2)');
    const data = await syncStateData();
    expect(data.inSync.map((r) => [r.brokerId, r.alive]).sort()).toEqual([[1, true], [2, true]]);

    // The master stops (no heartbeats, connection closed): the controller elects b and notifies it.
    const t0 = Date.now();
    await a.m.shutdown();
    await until('b master by notify', () => b.config.brokerRole === 'SYNC_MASTER', 30_000);
    const failoverMs = Date.now() - t0;
    expect(b.changes.at(-1)).toEqual({ role: 'SYNC_MASTER', brokerId: 0, epoch: 2 });
    expect(b.ha.calls.at(-1)).toBe('changeToMaster(2)');
    const after = await syncStateData();
    expect([after.masterBrokerId, after.masterEpoch]).toEqual([2, 2]);
    console.log(`controller-client: master stopped -> slave told it is master: ${failoverMs} ms`);
  }, 120_000);

  it('mqadmin 5.3.3 reads our controller-mode broker: alive in the in-sync set, its epoch cache', async () => {
    const ns = await ourNamesrv();
    nodes.push(ns);
    const b = await ourControllerBroker('ctl-ep', ns.addr, ctl!.controllerAddr);
    nodes.push(b);
    let info = await replicaInfo(ctl!.controllerAddr, 'ctl-ep').catch(() => undefined);
    for (let i = 0; i < 120 && !info?.masterAddress; i++) {
      await new Promise((res) => setTimeout(res, 250));
      info = await replicaInfo(ctl!.controllerAddr, 'ctl-ep').catch(() => undefined);
    }
    if (!info?.masterAddress) throw new Error('no master elected for ctl-ep');
    expect([info.masterBrokerId, info.masterAddress, info.masterEpoch]).toEqual([1, b.addr, 1]);
    adm = await MqadminSession.start('5.3.3', ns.addr, makeTempDir('rocketmq-ts-ctl-mqadmin'));
    const sss = await adm.run('getSyncStateSet', ['-a', ctl!.controllerAddr, '-b', 'ctl-ep']);
    expect(sss.failed).toBe(false);
    expect(sss.output).toContain(`InSyncReplica:\tReplicaIdentity{brokerName='ctl-ep', brokerId=1, brokerAddress='${b.addr}', alive=true}`);
    // Registration with the namesrv follows the role: poll until the cluster lists the broker.
    let epochOut = '';
    for (let i = 0; i < 40 && !epochOut.includes('#Epoch'); i++) {
      epochOut = (await adm.run('getBrokerEpoch', ['-c', 'ControllerCluster'])).output;
      if (!epochOut.includes('#Epoch')) await new Promise((res) => setTimeout(res, 250));
    }
    expect(epochOut).toContain(`#brokerName\tctl-ep\n#brokerAddr\t${b.addr}\n#brokerId\t0\n#Epoch: EpochEntry{epoch=1, startOffset=0, endOffset=`);
  }, 120_000);
});
