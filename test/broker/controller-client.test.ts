/**
 * The controller client (src/broker/controller/) against a fake controller on a loopback port
 * (fake-controller.ts), with a recording AutoSwitchHa and RoleHost: the registration sequence and its
 * files, heartbeat fields, election, role changes by NOTIFY_BROKER_ROLE_CHANGED and by the periodic
 * GET_REPLICA_INFO (epochs only move forward), the in-sync set report, and GET_BROKER_EPOCH_CACHE.
 * The real Apache controller end to end is compat-tests/controller-failover.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeController } from './fake-controller.js';
import { ReplicasManager } from '../../src/broker/controller/replicas-manager.js';
import type { RoleChange, RoleHost } from '../../src/broker/controller/role-host.js';
import type { AutoSwitchHa, EpochEntry } from '../../src/store/ha/autoswitch/types.js';
import { BROKER_CONFIG_DEFAULTS, type BrokerConfig } from '../../src/config/broker-config.js';
import { createRequest, requestBody } from '../../src/remoting/command.js';
import { RequestCode as C } from '../../src/protocol/request-code.js';
import { ResponseCode as R } from '../../src/protocol/response-code.js';
import { encodeSyncStateSet } from '../../src/broker/controller/controller-api.js';
import { notifyBrokerRoleChanged } from '../../src/processors/broker/notify-role-changed.js';
import { getBrokerEpochCache } from '../../src/processors/broker/admin-inspect.js';
import type { BrokerContext } from '../../src/broker/broker-context.js';

/** Records every call in order; epochs and offsets as a store would report them. */
class RecordingHa implements AutoSwitchHa {
  readonly calls: string[] = [];
  localId: number | undefined;
  epochs: EpochEntry[] = [];
  set = new Set<number>();
  listener: ((s: Set<number>) => void) | undefined;
  maxOffset = 4096;
  confirm = 2048;
  setLocalBrokerId(id: number): void { this.localId = id; this.calls.push(`setLocalBrokerId(${id})`); }
  private epoch(e: number): boolean {
    if (e < this.lastEpoch()) return false;
    const last = this.epochs.at(-1);
    if (last) last.endOffset = this.maxOffset;
    this.epochs.push({ epoch: e, startOffset: this.maxOffset, endOffset: Number.MAX_SAFE_INTEGER });
    return true;
  }
  async changeToMaster(e: number): Promise<boolean> { this.calls.push(`changeToMaster(${e})`); return this.epoch(e); }
  changeToMasterWhenLastRoleIsMaster(e: number): boolean { this.calls.push(`changeToMasterWhenLastRoleIsMaster(${e})`); return this.epoch(e); }
  async changeToSlave(addr: string, e: number, self: number): Promise<boolean> { this.calls.push(`changeToSlave(${addr},${e},${self})`); return e >= this.lastEpoch(); }
  changeToSlaveWhenMasterNotChange(addr: string, e: number): boolean { this.calls.push(`changeToSlaveWhenMasterNotChange(${addr},${e})`); return true; }
  updateHaMasterAddress(): void {}
  setSyncStateSet(ids: Set<number>): void { this.set = new Set(ids); this.calls.push(`setSyncStateSet(${[...ids].sort()})`); }
  getSyncStateSet(): Set<number> { return new Set(this.set); }
  onSyncStateSetChanged(l: (s: Set<number>) => void): void { this.listener = l; }
  lastEpoch(): number { return this.epochs.at(-1)?.epoch ?? -1; }
  epochEntries(): EpochEntry[] { return this.epochs.map((e) => ({ ...e })); }
  confirmOffset(): number { return this.confirm; }
  maxPhyOffset(): number { return this.maxOffset; }
}

/** Does to the config what BrokerController#applyRole (src/server/role-switch.ts) does, and records the change. */
class RecordingHost implements RoleHost {
  readonly changes: RoleChange[] = [];
  constructor(private readonly config: BrokerConfig, private readonly ha: RecordingHa) {}
  async applyRole(c: RoleChange): Promise<void> {
    this.config.brokerRole = c.role;
    this.config.brokerId = c.brokerId;
    this.changes.push(c);
    this.ha.calls.push(`applyRole(${c.role},${c.brokerId},${c.epoch})`);
  }
}

const FAST = { retryStartMs: 100, firstSyncDelayMs: 30, scanControllersMs: 100, metadataRetryMs: 30, registerJitterMs: 20 };

async function until<T>(what: string, f: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let ctl: FakeController;
let dir: string;
const started: ReplicasManager[] = [];

interface Broker { m: ReplicasManager; ha: RecordingHa; host: RecordingHost; config: BrokerConfig; fenced: boolean[] }

function broker(name: string, port: number, over: Partial<BrokerConfig> = {}): Broker {
  const config: BrokerConfig = {
    ...BROKER_CONFIG_DEFAULTS, brokerClusterName: 'C1', brokerName: 'bn', enableControllerMode: true, controllerAddr: `${ctl.addr};`,
    storePathRootDir: path.join(dir, name), brokerHeartbeatInterval: 50, syncBrokerMetadataPeriod: 100, checkSyncStateSetPeriod: 100,
    syncControllerMetadataPeriod: 500, brokerElectionPriority: 7, controllerHeartBeatTimeoutMills: 1234, brokerRole: 'SLAVE', brokerId: -1, ...over,
  };
  const ha = new RecordingHa();
  const host = new RecordingHost(config, ha);
  const fenced: boolean[] = [];
  const m = new ReplicasManager({ config, brokerAddr: `127.0.0.1:${port}`, ha, roleHost: host, timing: FAST, setFenced: (f) => fenced.push(f) });
  started.push(m);
  return { m, ha, host, config, fenced };
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-ctl-'));
  ctl = await new FakeController().start();
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((m) => m.shutdown()));
  await ctl.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('registration', () => {
  it('finds the leader, gets and applies an id through the temp file, registers, heartbeats, is elected', async () => {
    const b = broker('b1', 30911);
    b.m.start();
    await until('running', () => b.m.state === 'RUNNING');
    // The leader lookup first; it repeats every syncControllerMetadataPeriod (here 500 ms, first after 30 ms).
    expect(ctl.codes()[0]).toBe(C.CONTROLLER_GET_METADATA_INFO);
    const codes = ctl.codes().filter((c) => c !== C.BROKER_HEARTBEAT && c !== C.CONTROLLER_GET_METADATA_INFO);
    expect(codes.slice(0, 4)).toEqual([C.CONTROLLER_GET_NEXT_BROKER_ID, C.CONTROLLER_APPLY_BROKER_ID, C.CONTROLLER_REGISTER_BROKER, C.CONTROLLER_ELECT_MASTER]);
    const seen = (code: number) => ctl.seen.find((s) => s.code === code)!;
    expect(seen(C.CONTROLLER_GET_NEXT_BROKER_ID).ext).toMatchObject({ clusterName: 'C1', brokerName: 'bn' });
    const apply = seen(C.CONTROLLER_APPLY_BROKER_ID).ext;
    expect(apply).toMatchObject({ clusterName: 'C1', brokerName: 'bn', appliedBrokerId: '1' });
    expect(apply.registerCheckCode).toMatch(/^127\.0\.0\.1:30911;\d+$/);
    expect(seen(C.CONTROLLER_REGISTER_BROKER).ext).toMatchObject({ clusterName: 'C1', brokerName: 'bn', brokerId: '1', brokerAddress: '127.0.0.1:30911' });
    expect(seen(C.CONTROLLER_ELECT_MASTER).ext).toMatchObject({ clusterName: 'C1', brokerName: 'bn', brokerId: '1', designateElect: 'false' });
    // A heartbeat goes out between registration and the election (the controller elects only live brokers).
    const iReg = ctl.codes().indexOf(C.CONTROLLER_REGISTER_BROKER);
    const iElect = ctl.codes().indexOf(C.CONTROLLER_ELECT_MASTER);
    expect(ctl.codes().slice(iReg, iElect)).toContain(C.BROKER_HEARTBEAT);
    // The identity file in the Java format; the temp file gone.
    expect(fs.readFileSync(path.join(dir, 'b1', 'brokerIdentity'), 'utf8')).toBe('C1#bn#1');
    expect(fs.existsSync(path.join(dir, 'b1', 'brokerIdentity-temp'))).toBe(false);
    // Java's order: in-sync set, store to master, then the broker's role (which registers with the namesrvs).
    expect(b.ha.calls).toEqual(['setLocalBrokerId(1)', 'setSyncStateSet(1)', 'changeToMaster(1)', 'applyRole(SYNC_MASTER,0,1)']);
    expect(b.fenced).toEqual([true, false]);
    expect([b.m.masterBrokerId, b.m.masterEpoch, b.m.masterAddress]).toEqual([1, 1, '127.0.0.1:30911']);
  });

  it('a second broker gets the next id and follows the master the register answer names', async () => {
    const a = broker('a', 30911);
    a.m.start();
    await until('a running', () => a.m.state === 'RUNNING');
    const b = broker('b', 30921);
    b.m.start();
    await until('b running', () => b.m.state === 'RUNNING');
    expect(fs.readFileSync(path.join(dir, 'b', 'brokerIdentity'), 'utf8')).toBe('C1#bn#2');
    // No election: the register answer had a master. The store switches before the role (its answer carries the HA address).
    expect(b.ha.calls).toEqual(['setLocalBrokerId(2)', 'changeToSlave(127.0.0.1:30911,1,2)', 'applyRole(SLAVE,2,1)']);
    expect(b.host.changes[0]).toEqual({ role: 'SLAVE', brokerId: 2, masterAddr: '127.0.0.1:30911', epoch: 1 });
    expect(ctl.seen.filter((s) => s.code === C.CONTROLLER_ELECT_MASTER)).toHaveLength(1);
  });

  it('a restart reuses the identity file; a leftover temp file is applied as it is', async () => {
    fs.mkdirSync(path.join(dir, 'r'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'r', 'brokerIdentity'), 'C1#bn#5');
    ctl.brokers.set(5, { checkCode: 'x' });
    const r = broker('r', 30931);
    r.m.start();
    await until('r running', () => r.m.state === 'RUNNING');
    expect(ctl.codes()).not.toContain(C.CONTROLLER_GET_NEXT_BROKER_ID);
    expect(r.m.brokerControllerId).toBe(5);

    fs.mkdirSync(path.join(dir, 't'), { recursive: true });
    fs.writeFileSync(path.join(dir, 't', 'brokerIdentity-temp'), 'C1#bn#9#127.0.0.1:30941;123');
    const t = broker('t', 30941);
    t.m.start();
    await until('t running', () => t.m.state === 'RUNNING');
    const applies = ctl.seen.filter((s) => s.code === C.CONTROLLER_APPLY_BROKER_ID).map((s) => s.ext);
    expect(applies).toEqual([{ clusterName: 'C1', brokerName: 'bn', appliedBrokerId: '9', registerCheckCode: '127.0.0.1:30941;123' }]);
    expect(fs.readFileSync(path.join(dir, 't', 'brokerIdentity'), 'utf8')).toBe('C1#bn#9');
    expect(fs.existsSync(path.join(dir, 't', 'brokerIdentity-temp'))).toBe(false);
  });

  it('an id taken meanwhile sends the broker back for a new one; files of another broker name stop it', async () => {
    ctl.brokers.set(1, { checkCode: 'someone-else' });
    fs.mkdirSync(path.join(dir, 'x'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'x', 'brokerIdentity-temp'), 'C1#bn#1#mine;1');
    const x = broker('x', 30951);
    x.m.start();
    await until('x running', () => x.m.state === 'RUNNING');
    expect(x.m.brokerControllerId).toBe(2);

    fs.mkdirSync(path.join(dir, 'y'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'y', 'brokerIdentity'), 'C1#other#3');
    const y = broker('y', 30961);
    const before = ctl.seen.length;
    y.m.start();
    await until('y tried', () => ctl.seen.slice(before).some((s) => s.code === C.CONTROLLER_GET_METADATA_INFO));
    await new Promise((r) => setTimeout(r, 300));
    expect(y.m.state).toBe('FIRST_TIME_SYNC_CONTROLLER_METADATA_DONE');
    expect(ctl.seen.slice(before).map((s) => s.code)).not.toContain(C.CONTROLLER_REGISTER_BROKER);
    expect(y.fenced).toEqual([true]);
  });
});

describe('heartbeat', () => {
  it('sends the Java header one-way every brokerHeartbeatInterval once running', async () => {
    const b = broker('h', 30971);
    b.m.start();
    await until('running', () => b.m.state === 'RUNNING');
    const t0 = Date.now();
    await until('3 periodic heartbeats', () => ctl.seen.filter((s) => s.code === C.BROKER_HEARTBEAT && s.at >= t0).length >= 3);
    const hb = ctl.seen.filter((s) => s.code === C.BROKER_HEARTBEAT).at(-1)!;
    expect(hb.oneway).toBe(true);
    expect(hb.ext).toEqual({
      clusterName: 'C1', brokerName: 'bn', brokerAddr: '127.0.0.1:30971', brokerId: '1', epoch: '1', maxOffset: '4096', confirmOffset: '2048',
      heartbeatTimeoutMills: '1234', electionPriority: '7',
    });
  });
});

describe('role changes', () => {
  it('NOTIFY_BROKER_ROLE_CHANGED switches a master to slave; an older epoch is ignored', async () => {
    const a = broker('a', 30911);
    a.m.start();
    await until('running', () => a.m.state === 'RUNNING');
    ctl.brokers.set(2, { addr: '127.0.0.1:30921', checkCode: 'b' });
    const ctx = { replicas: a.m } as unknown as BrokerContext;
    const notify = (id: number, addr: string, epoch: number, setEpoch: number, set: number[]) => notifyBrokerRoleChanged(ctx, createRequest(
      C.NOTIFY_BROKER_ROLE_CHANGED,
      { masterAddress: addr, masterEpoch: String(epoch), syncStateSetEpoch: String(setEpoch), masterBrokerId: String(id) },
      encodeSyncStateSet({ syncStateSet: new Set(set), syncStateSetEpoch: setEpoch }),
    ));
    expect((await notify(2, '127.0.0.1:30921', 2, 2, [2])).code).toBe(R.SUCCESS);
    expect(a.ha.calls.slice(-2)).toEqual(['changeToSlave(127.0.0.1:30921,2,1)', 'applyRole(SLAVE,1,2)']);
    expect([a.config.brokerRole, a.config.brokerId, a.m.masterEpoch, a.m.masterBrokerId]).toEqual(['SLAVE', 1, 2, 2]);
    const n = a.ha.calls.length;
    await notify(1, '127.0.0.1:30911', 2, 3, [1]);
    await notify(1, '127.0.0.1:30911', 1, 3, [1]);
    expect(a.ha.calls.length).toBe(n);
    // Back to master with a newer epoch, through the processor again.
    await notify(1, '127.0.0.1:30911', 3, 3, [1, 2]);
    expect(a.ha.calls.slice(n)).toEqual(['setSyncStateSet(1,2)', 'changeToMaster(3)', 'applyRole(SYNC_MASTER,0,3)']);
  });

  it('the periodic GET_REPLICA_INFO moves master and slave when the controller elects another broker', async () => {
    const a = broker('a', 30911);
    a.m.start();
    await until('a running', () => a.m.state === 'RUNNING');
    const b = broker('b', 30921);
    b.m.start();
    await until('b running', () => b.m.state === 'RUNNING');
    ctl.elect(2);
    await until('a slave', () => a.config.brokerRole === 'SLAVE' && b.config.brokerRole === 'SYNC_MASTER');
    expect(a.ha.calls.slice(-2)).toEqual(['changeToSlave(127.0.0.1:30921,2,1)', 'applyRole(SLAVE,1,2)']);
    expect(b.ha.calls.slice(-3)).toEqual(['setSyncStateSet(2)', 'changeToMaster(2)', 'applyRole(SYNC_MASTER,0,2)']);
    const q = ctl.seen.filter((s) => s.code === C.CONTROLLER_GET_REPLICA_INFO).at(-1)!;
    expect(q.ext).toEqual({ brokerName: 'bn' });
    // Same master, new epoch: the store only adds an epoch, the broker re-registers.
    ctl.masterEpoch++;
    await until('b new epoch', () => b.ha.calls.includes('changeToMasterWhenLastRoleIsMaster(3)'));
    await until('a new epoch', () => a.ha.calls.includes('changeToSlaveWhenMasterNotChange(127.0.0.1:30921,3)'));
    expect(b.host.changes.at(-1)).toEqual({ role: 'SYNC_MASTER', brokerId: 0, epoch: 3 });
  });

  it('asks for an election when the controller has no master, and registers again when the controller lost it', async () => {
    const a = broker('a', 30911);
    a.m.start();
    await until('running', () => a.m.state === 'RUNNING');
    ctl.elect(undefined);
    await until('re-elected', () => a.ha.calls.includes('applyRole(SYNC_MASTER,0,3)'));
    expect(ctl.seen.filter((s) => s.code === C.CONTROLLER_ELECT_MASTER)).toHaveLength(2);
    ctl.forgetBrokers = true;
    const before = ctl.seen.filter((s) => s.code === C.CONTROLLER_REGISTER_BROKER).length;
    await until('registered again', () => ctl.seen.filter((s) => s.code === C.CONTROLLER_REGISTER_BROKER).length > before);
  });
});

describe('in-sync set', () => {
  it('reports the store\'s proposal with the master and set epochs and applies the controller\'s answer', async () => {
    const a = broker('a', 30911);
    a.m.start();
    await until('running', () => a.m.state === 'RUNNING');
    ctl.brokers.set(2, { addr: '127.0.0.1:30921', checkCode: 'b' });
    a.ha.listener!(new Set([1, 2]));
    await until('set applied', () => a.m.syncStateSetEpoch === 2);
    const alter = ctl.seen.find((s) => s.code === C.CONTROLLER_ALTER_SYNC_STATE_SET)!;
    expect(alter.ext).toMatchObject({ brokerName: 'bn', masterBrokerId: '1', masterEpoch: '1' });
    expect(Number(alter.ext.invokeTime)).toBeGreaterThan(0);
    expect(alter.body).toEqual({ syncStateSet: [1, 2], syncStateSetEpoch: 1 });
    expect(a.ha.calls.at(-1)).toBe('setSyncStateSet(1,2)');
    expect([...a.m.syncStateSet].sort()).toEqual([1, 2]);
    // The same set proposed again (the store proposes once per caught-up slave) is not sent: the controller refuses it.
    const alters = () => ctl.seen.filter((s) => s.code === C.CONTROLLER_ALTER_SYNC_STATE_SET).length;
    a.ha.listener!(new Set([1, 2]));
    a.ha.listener!(new Set([2, 1]));
    await new Promise((r) => setTimeout(r, 50));
    expect(alters()).toBe(1);
    // The periodic check re-reports a shrink the store computes (maybeShrinkSyncStateSet).
    a.ha.maybeShrinkSyncStateSet = () => new Set([1]);
    await until('shrunk', () => a.m.syncStateSetEpoch === 3);
    expect(ctl.seen.filter((s) => s.code === C.CONTROLLER_ALTER_SYNC_STATE_SET).at(-1)!.body).toEqual({ syncStateSet: [1], syncStateSetEpoch: 2 });
    expect([...ctl.syncStateSet]).toEqual([1]);
  });
});

describe('GET_BROKER_EPOCH_CACHE', () => {
  it('answers EpochEntryCache from the store in controller mode', async () => {
    const ha = new RecordingHa();
    await ha.changeToMaster(1);
    ha.maxOffset = 9000;
    ha.changeToMasterWhenLastRoleIsMaster(4);
    const ctx = {
      config: { ...BROKER_CONFIG_DEFAULTS, enableControllerMode: true, brokerClusterName: 'C1', brokerName: 'bn', brokerId: 0 },
      store: { autoSwitch: ha, getMaxPhyOffset: () => 9100 },
    } as unknown as BrokerContext;
    const res = getBrokerEpochCache(ctx, createRequest(C.GET_BROKER_EPOCH_CACHE));
    expect(res.code).toBe(R.SUCCESS);
    expect(requestBody(res)!.toString('utf8')).toBe(
      '{"brokerId":0,"brokerName":"bn","clusterName":"C1","epochList":[{"endOffset":9000,"epoch":1,"startOffset":4096},' +
      '{"endOffset":9223372036854775807,"epoch":4,"startOffset":9000}],"maxOffset":9100}',
    );
  });
});
