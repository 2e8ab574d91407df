/**
 * Controller-mode replication (AutoSwitchHA) between two real stores over loopback TCP, the roles given
 * by the test as the controller client would (setLocalBrokerId, setSyncStateSet, changeToMaster /
 * changeToSlave, updateHaMasterAddress): handshake and transfer, the epoch file following the master's,
 * in-sync set expand / shrink, the confirm offset, sends that wait for the in-sync set, and a diverged
 * slave cut back to the consistent point.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerConfig, type BrokerConfig } from '../../src/config/broker-config.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import type { AutoSwitchHa } from '../../src/store/ha/autoswitch/types.js';
import { brokerPort } from '../support/ports.js';
import { SMALL, msg } from './helpers.js';

const opened: DefaultMessageStore[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const s of opened.splice(0)) await s.shutdown().catch(() => {});
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function config(overrides: Partial<BrokerConfig> = {}): Promise<BrokerConfig> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-autoswitch-'));
  dirs.push(root);
  const cfg = brokerConfig({ ...SMALL, storePathRootDir: root, listenPort: await brokerPort(), enableControllerMode: true, slaveTimeout: 1_000, ...overrides });
  cfg.storePathCommitLog = path.join(root, 'commitlog');
  // As the broker starts in controller mode: a slave until the controller says otherwise.
  cfg.brokerRole = 'SLAVE';
  return cfg;
}

async function open(cfg: BrokerConfig): Promise<DefaultMessageStore> {
  const s = new DefaultMessageStore(cfg);
  await s.start();
  opened.push(s);
  return s;
}

function ha(s: DefaultMessageStore): AutoSwitchHa {
  expect(s.autoSwitch).toBeDefined();
  return s.autoSwitch!;
}

async function until(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** ReplicasManager#changeToMaster's store side, then the role the broker takes. */
async function makeMaster(s: DefaultMessageStore, cfg: BrokerConfig, id: number, epoch: number, set: number[] = [id]): Promise<void> {
  ha(s).setLocalBrokerId(id);
  ha(s).setSyncStateSet(new Set(set));
  expect(await ha(s).changeToMaster(epoch)).toBe(true);
  cfg.brokerRole = 'SYNC_MASTER';
  cfg.brokerId = 0;
}

async function makeSlave(s: DefaultMessageStore, cfg: BrokerConfig, id: number, epoch: number, masterCfg: BrokerConfig): Promise<void> {
  ha(s).setLocalBrokerId(id);
  cfg.brokerRole = 'SLAVE';
  cfg.brokerId = id;
  expect(await ha(s).changeToSlave(`127.0.0.1:${masterCfg.listenPort}`, epoch, id)).toBe(true);
  ha(s).updateHaMasterAddress(`127.0.0.1:${masterCfg.haListenPort}`);
}

async function putMany(store: DefaultMessageStore, n: number, tag: string, bodyBytes = 400): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await store.putMessage(msg('TopicAS', i % 4, `${tag}-${i}-`.padEnd(bodyBytes, 'x'), { tags: tag, keys: `${tag}-${i}` }));
    expect(r.status).toBe('PUT_OK');
  }
}

/** The log bytes of a store in [from, to), read from its segment files (blank segment ends included). */
function logOf(cfg: BrokerConfig, from: number, to: number): Buffer {
  const out = Buffer.alloc(to - from);
  const seg = cfg.mappedFileSizeCommitLog;
  for (let at = from; at < to;) {
    const base = at - (at % seg);
    const n = Math.min(to - at, base + seg - at);
    const fd = fs.openSync(path.join(cfg.storePathCommitLog, String(base).padStart(20, '0')), 'r');
    fs.readSync(fd, out, at - from, n, at - base);
    fs.closeSync(fd);
    at += n;
  }
  return out;
}

describe('AutoSwitchHA between two stores', () => {
  it('refuses puts without a role and as a slave; replicates byte for byte with the epochs; expands the in-sync set', async () => {
    const aCfg = await config();
    const bCfg = await config();
    const a = await open(aCfg);
    const b = await open(bCfg);
    expect((await a.putMessage(msg('TopicAS', 0, 'early'))).status).toBe('SERVICE_NOT_AVAILABLE');

    await makeMaster(a, aCfg, 1, 1);
    const proposals: number[][] = [];
    ha(a).onSyncStateSetChanged((s) => proposals.push([...s].sort()));
    await putMany(a, 200, 'e1'); // ~90 KiB: segments of 64 KiB have rolled
    await makeSlave(b, bCfg, 2, 1, aCfg);
    expect((await b.putMessage(msg('TopicAS', 0, 'to a slave'))).status).toBe('SERVICE_NOT_AVAILABLE');

    await until('the slave to reach the master', () => b.getMaxPhyOffset() === a.getMaxPhyOffset());
    // A new replica starts at the master's first offset (not its last file, unlike 4.x HA).
    expect(b.getMinPhyOffset()).toBe(0);
    expect(logOf(bCfg, 0, b.getMaxPhyOffset()).equals(logOf(aCfg, 0, a.getMaxPhyOffset()))).toBe(true);
    for (let q = 0; q < 4; q++) expect(b.getMaxOffsetInQueue('TopicAS', q)).toBe(a.getMaxOffsetInQueue('TopicAS', q));
    expect(ha(b).epochEntries().map((e) => [e.epoch, e.startOffset])).toEqual([[1, 0]]);

    await until('an expand proposal', () => proposals.length > 0);
    expect(proposals[0]).toEqual([1, 2]);
    ha(a).setSyncStateSet(new Set([1, 2]));
    expect(ha(a).getSyncStateSet()).toEqual(new Set([1, 2]));
    // allAckInSyncStateSet=false: the confirm offset is the master's end, and the slave hears it.
    expect(ha(a).confirmOffset()).toBe(a.getMaxPhyOffset());
    await putMany(a, 5, 'more');
    await until('the slave to have the confirm offset', () => ha(b).confirmOffset() === a.getMaxPhyOffset());

    // A new epoch on the same master: a new entry, which the slave records from the frames.
    expect(ha(a).changeToMasterWhenLastRoleIsMaster(2)).toBe(true);
    const e2 = a.getMaxPhyOffset();
    await putMany(a, 3, 'e2');
    await until('the slave to follow into epoch 2', () => b.getMaxPhyOffset() === a.getMaxPhyOffset());
    expect(ha(b).epochEntries().map((e) => [e.epoch, e.startOffset])).toEqual([[1, 0], [2, e2]]);
    expect(ha(a).epochEntries().map((e) => [e.epoch, e.startOffset, e.endOffset])).toEqual([[1, 0, e2], [2, e2, a.getMaxPhyOffset()]]);
  });

  it('allAckInSyncStateSet: a send waits for every in-sync replica; a lost slave leaves the set; minInSyncReplicas refuses', async () => {
    const aCfg = await config({ allAckInSyncStateSet: true, haMaxTimeSlaveNotCatchup: 1_500 });
    const bCfg = await config();
    const a = await open(aCfg);
    const b = await open(bCfg);
    await makeMaster(a, aCfg, 1, 1);
    const proposals: number[][] = [];
    ha(a).onSyncStateSetChanged((s) => proposals.push([...s].sort()));
    await putMany(a, 10, 'x');
    await makeSlave(b, bCfg, 2, 1, aCfg);
    await until('expand', () => proposals.length > 0);
    ha(a).setSyncStateSet(new Set([1, 2]));

    // Each send is answered only once the slave has it.
    for (let i = 0; i < 20; i++) {
      const r = await a.putMessage(msg('TopicAS', 1, `acked-${i}`));
      expect(r.status).toBe('PUT_OK');
      expect(b.getMaxPhyOffset()).toBeGreaterThanOrEqual(r.appendResult!.wroteOffset + r.appendResult!.wroteBytes);
    }
    expect(ha(a).confirmOffset()).toBe(a.getMaxPhyOffset());

    // The slave goes: the set is {1,2} until the controller answers, so sends time out (stored all the same).
    proposals.length = 0;
    await b.shutdown();
    opened.splice(opened.indexOf(b), 1);
    await until('the disconnect proposal', () => proposals.some((p) => p.join() === '1'));
    const t0 = Date.now();
    const late = await a.putMessage(msg('TopicAS', 1, 'unreplicated'));
    expect(late.status).toBe('FLUSH_SLAVE_TIMEOUT');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    // The confirm offset stays where the lost slave was.
    expect(ha(a).confirmOffset()).toBeLessThan(a.getMaxPhyOffset());
    // Shrink: not caught up for haMaxTimeSlaveNotCatchup.
    await until('shrink', () => ha(a).maybeShrinkSyncStateSet!().size === 1, 5_000);
    ha(a).setSyncStateSet(new Set([1]));
    expect((await a.putMessage(msg('TopicAS', 1, 'alone'))).status).toBe('PUT_OK');
    expect(ha(a).confirmOffset()).toBe(a.getMaxPhyOffset());

    aCfg.minInSyncReplicas = 2;
    expect((await a.putMessage(msg('TopicAS', 1, 'too few'))).status).toBe('IN_SYNC_REPLICAS_NOT_ENOUGH');
    // WAIT=false is not a send that waits for replicas (CommitLog#needHandleHA).
    const nowait = msg('TopicAS', 1, 'no wait');
    nowait.propertiesString = 'WAIT\u0001false';
    expect((await a.putMessage(nowait)).status).toBe('PUT_OK');
  });

  it('inSyncReplicas=2 without allAckInSyncStateSet: a send waits for one slave, FLUSH_SLAVE_TIMEOUT without one', async () => {
    const aCfg = await config({ inSyncReplicas: 2 });
    const bCfg = await config();
    const a = await open(aCfg);
    const b = await open(bCfg);
    await makeMaster(a, aCfg, 1, 1);
    const t0 = Date.now();
    expect((await a.putMessage(msg('TopicAS', 2, 'nobody yet'))).status).toBe('FLUSH_SLAVE_TIMEOUT');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    await makeSlave(b, bCfg, 2, 1, aCfg);
    await until('catch-up', () => b.getMaxPhyOffset() === a.getMaxPhyOffset());
    for (let i = 0; i < 10; i++) {
      const r = await a.putMessage(msg('TopicAS', 2, `two-${i}`));
      expect(r.status).toBe('PUT_OK');
      expect(b.getMaxPhyOffset()).toBeGreaterThanOrEqual(r.appendResult!.wroteOffset + r.appendResult!.wroteBytes);
    }
    // The set was never changed ({1}): allAckInSyncStateSet=false keeps the confirm offset at the log end.
    expect(ha(a).confirmOffset()).toBe(a.getMaxPhyOffset());
  });

  it('epochs whose bytes retention deleted leave the epoch file', async () => {
    const aCfg = await config({ fileReservedTime: 0, deleteWhen: Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0')).join(';') });
    const a = await open(aCfg);
    await makeMaster(a, aCfg, 1, 1);
    await putMany(a, 100, 'old');
    expect(ha(a).changeToMasterWhenLastRoleIsMaster(2)).toBe(true);
    const e2 = a.getMaxPhyOffset();
    await putMany(a, 400, 'new'); // a few 64 KiB segments more
    expect(a.runClean().deletedSegments).toBeGreaterThan(0);
    expect(a.getMinPhyOffset()).toBeGreaterThan(e2);
    await until('epoch 1 to go', () => ha(a).epochEntries().length === 1, 5_000);
    expect(ha(a).epochEntries().map((e) => [e.epoch, e.startOffset])).toEqual([[2, e2]]);
  });

  it('a diverged old master rejoins as slave: cut back to the consistent point, then replicates the new epoch', async () => {
    const aCfg = await config();
    const bCfg = await config();
    let a = await open(aCfg);
    const b = await open(bCfg);
    await makeMaster(a, aCfg, 1, 1);
    await putMany(a, 100, 'both');
    await makeSlave(b, bCfg, 2, 1, aCfg);
    await until('catch-up', () => b.getMaxPhyOffset() === a.getMaxPhyOffset());
    const common = a.getMaxPhyOffset();

    // B loses A (no master address); A goes on alone with a tail nobody else has, then stops.
    ha(b).updateHaMasterAddress('');
    await putMany(a, 30, 'lost');
    const aEnd = a.getMaxPhyOffset();
    await a.shutdown();
    opened.splice(opened.indexOf(a), 1);

    // B is elected for epoch 2 and takes writes.
    await makeMaster(b, bCfg, 2, 2);
    expect(ha(b).epochEntries().map((e) => [e.epoch, e.startOffset])).toEqual([[1, 0], [2, common]]);
    await putMany(b, 40, 'new');

    // A restarts (epoch file from disk) and follows B.
    aCfg.brokerRole = 'SLAVE';
    a = await open(aCfg);
    expect(a.getMaxPhyOffset()).toBe(aEnd);
    expect(ha(a).lastEpoch()).toBe(1);
    await makeSlave(a, aCfg, 1, 2, bCfg);
    await until('A to follow B', () => a.getMaxPhyOffset() === b.getMaxPhyOffset());
    expect(logOf(aCfg, 0, a.getMaxPhyOffset()).equals(logOf(bCfg, 0, b.getMaxPhyOffset()))).toBe(true);
    expect(ha(a).epochEntries().map((e) => [e.epoch, e.startOffset])).toEqual([[1, 0], [2, common]]);
    for (let q = 0; q < 4; q++) {
      expect(a.getMaxOffsetInQueue('TopicAS', q)).toBe(b.getMaxOffsetInQueue('TopicAS', q));
      const got = a.getMessage('g', 'TopicAS', q, 0, 64);
      const want = b.getMessage('g', 'TopicAS', q, 0, 64);
      expect(Buffer.concat(got.buffers).equals(Buffer.concat(want.buffers))).toBe(true);
    }
    // The lost tail is gone from the index too (its keys do not resolve to a record).
    expect(a.queryMessage('TopicAS', 'lost-3', 4, 0, Date.now() + 1000).messageCount).toBe(0);
    expect(a.queryMessage('TopicAS', 'new-3', 4, 0, Date.now() + 1000).messageCount).toBe(1);
  });
});
