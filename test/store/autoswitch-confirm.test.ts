/**
 * Controller mode: ConsumeQueues held back to the confirm offset (the 5.3.3 store's readUnCommitted=false:
 * the reput dispatches up to CommitLog#getConfirmOffset). Two real stores over loopback TCP, the roles given by
 * the test as the controller client would. A record not yet on every in-sync replica is in the master's log
 * but not in its queues (no GET max offset, no pull, no arrival wake-up) until the slave acknowledges it; an
 * acknowledged send is readable when its answer comes; a slave dispatches only up to the confirm offset the
 * master last sent; truncation and role changes drop or hand over what is held.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerConfig, type BrokerConfig } from '../../src/config/broker-config.js';
import type { MessageInner } from '../../src/codec/message.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import type { AutoSwitchHa } from '../../src/store/ha/autoswitch/types.js';
import { brokerPort } from '../support/ports.js';
import { SMALL, msg } from './helpers.js';

const opened: DefaultMessageStore[] = [];
const dirs: string[] = [];
const T = 'TopicHeld';

afterEach(async () => {
  for (const s of opened.splice(0)) await s.shutdown().catch(() => {});
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function config(overrides: Partial<BrokerConfig> = {}): Promise<BrokerConfig> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-held-'));
  dirs.push(root);
  const cfg = brokerConfig({
    ...SMALL, storePathRootDir: root, listenPort: await brokerPort(), enableControllerMode: true, allAckInSyncStateSet: true,
    slaveTimeout: 1_000, ...overrides,
  });
  cfg.brokerRole = 'SLAVE';
  return cfg;
}

async function open(cfg: BrokerConfig): Promise<DefaultMessageStore> {
  const s = new DefaultMessageStore(cfg);
  await s.start();
  opened.push(s);
  return s;
}

async function close(s: DefaultMessageStore): Promise<void> {
  opened.splice(opened.indexOf(s), 1);
  await s.shutdown();
}

function ha(s: DefaultMessageStore): AutoSwitchHa {
  return s.autoSwitch!;
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function makeMaster(s: DefaultMessageStore, cfg: BrokerConfig, id: number, epoch: number, set: number[]): Promise<void> {
  ha(s).setLocalBrokerId(id);
  ha(s).setSyncStateSet(new Set(set));
  expect(await ha(s).changeToMaster(epoch)).toBe(true);
  cfg.brokerRole = 'SYNC_MASTER';
  cfg.brokerId = 0;
}

async function makeSlave(s: DefaultMessageStore, cfg: BrokerConfig, id: number, epoch: number, master: BrokerConfig): Promise<void> {
  ha(s).setLocalBrokerId(id);
  cfg.brokerRole = 'SLAVE';
  cfg.brokerId = id;
  expect(await ha(s).changeToSlave(`127.0.0.1:${master.listenPort}`, epoch, id)).toBe(true);
  ha(s).updateHaMasterAddress(`127.0.0.1:${master.haListenPort}`);
}

/** A send that does not wait for replicas (WAIT=false): answered at once, its record unconfirmed. */
function noWait(m: MessageInner): MessageInner {
  m.propertiesString = m.propertiesString ? `${m.propertiesString}\u0002WAIT\u0001false` : 'WAIT\u0001false';
  return m;
}

async function put(s: DefaultMessageStore, m: MessageInner): Promise<{ offset: number; end: number; queueOffset: number }> {
  const r = await s.putMessage(m);
  expect(r.status).toBe('PUT_OK');
  const a = r.appendResult!;
  return { offset: a.wroteOffset, end: a.wroteOffset + a.wroteBytes, queueOffset: a.logicsOffset };
}

/** The bodies a pull from `from` returns (their text is unique in each test). */
function bodies(s: DefaultMessageStore, queueId: number, from: number, want: string[]): boolean[] {
  const got = Buffer.concat(s.getMessage('g', T, queueId, from, 64).buffers);
  return want.map((w) => got.includes(Buffer.from(w)));
}

/** Master a (id 1) and slave b (id 2), both in the in-sync set {1,2}, allAckInSyncStateSet=true. */
async function pair(aOver: Partial<BrokerConfig> = {}): Promise<{ a: DefaultMessageStore; b: DefaultMessageStore; aCfg: BrokerConfig; bCfg: BrokerConfig }> {
  const aCfg = await config(aOver);
  const bCfg = await config();
  const a = await open(aCfg);
  const b = await open(bCfg);
  await makeMaster(a, aCfg, 1, 1, [1]);
  const proposals: number[][] = [];
  ha(a).onSyncStateSetChanged((p) => proposals.push([...p].sort()));
  await put(a, msg(T, 0, 'first'));
  await makeSlave(b, bCfg, 2, 1, aCfg);
  await until('the expand proposal', () => proposals.some((p) => p.join() === '1,2'));
  ha(a).setSyncStateSet(new Set([1, 2]));
  return { a, b, aCfg, bCfg };
}

describe('controller mode: ConsumeQueues held back to the confirm offset', () => {
  it('master: an unreplicated record is not in the queue (max offset, pull, arrival) until the in-sync slave acks; an acked send is readable at its answer', async () => {
    const { a, b, aCfg } = await pair();
    const arrivals: number[] = [];
    a.onArrival((topic, queueId, maxOffset) => {
      if (topic === T && queueId === 1) arrivals.push(maxOffset);
    });
    // Acknowledged sends (allAckInSyncStateSet: the slave has each): readable the moment the answer comes.
    for (let i = 0; i < 10; i++) {
      const p = await put(a, msg(T, 1, `acked-${i}`));
      expect(a.getMaxOffsetInQueue(T, 1)).toBe(p.queueOffset + 1);
      expect(bodies(a, 1, p.queueOffset, [`acked-${i}`])).toEqual([true]);
    }
    expect(arrivals).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    // The slave is cut off (the controller has not changed the set): sends that do not wait are stored, not readable.
    ha(b).updateHaMasterAddress('');
    await until('the slave gone', () => a.haStatus().slaves.length === 0);
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await put(a, noWait(msg(T, 1, `held-${i}`))));
    expect(held.map((p) => p.queueOffset)).toEqual([10, 11, 12]);
    expect(a.getMaxPhyOffset()).toBe(held[2].end);
    expect(ha(a).confirmOffset()).toBeLessThanOrEqual(held[0].offset);
    expect(a.getMaxOffsetInQueue(T, 1)).toBe(10);
    expect(a.getMessage('g', T, 1, 10, 32).status).toBe('OFFSET_OVERFLOW_ONE');
    expect(a.lookMessageByOffset(held[0].offset)).toBeDefined(); // in the log all the same
    expect(arrivals.length).toBe(10);
    // A send that waits is stored and times out: not readable either.
    const late = await a.putMessage(msg(T, 1, 'timed-out'));
    expect(late.status).toBe('FLUSH_SLAVE_TIMEOUT');
    expect(a.getMaxOffsetInQueue(T, 1)).toBe(10);

    // The slave comes back and acknowledges: everything appears, in order, and held pulls are woken.
    ha(b).updateHaMasterAddress(`127.0.0.1:${aCfg.haListenPort}`);
    await until('the held units to be released', () => a.getMaxOffsetInQueue(T, 1) === 14);
    expect(ha(a).confirmOffset()).toBe(a.getMaxPhyOffset());
    expect(bodies(a, 1, 10, ['held-0', 'held-1', 'held-2', 'timed-out'])).toEqual([true, true, true, true]);
    expect(arrivals.slice(10)).toEqual([11, 12, 13, 14]);
  });

  it('slave: units only up to the confirm offset the master sent; a slave elected master holds the rest for its own', async () => {
    const { a, b, bCfg } = await pair({ haSendHeartbeatInterval: 1_000 });
    const p = await put(a, msg(T, 2, 'on-both'));
    // Answered once b has it; the frame that brought it carried the confirm offset from before b's ack.
    expect(b.getMaxPhyOffset()).toBe(p.end);
    expect(ha(b).confirmOffset()).toBeLessThanOrEqual(p.offset);
    expect(b.getMaxOffsetInQueue(T, 2)).toBe(0);
    const units = b.consumeQueueUnits(T, 0, 0, 100)!.units;
    for (const u of units) expect(u.phyOffset + u.size).toBeLessThanOrEqual(ha(b).confirmOffset());
    // The master's next heartbeat brings the new confirm offset, and the unit.
    await until('the slave unit', () => b.getMaxOffsetInQueue(T, 2) === 1, 5_000);
    expect(ha(b).confirmOffset()).toBe(p.end);

    // Again, then a is lost before any heartbeat: b has the record, unconfirmed.
    const q = await put(a, msg(T, 2, 'unconfirmed-on-b'));
    expect(b.getMaxPhyOffset()).toBe(q.end);
    expect(b.getMaxOffsetInQueue(T, 2)).toBe(1);
    ha(b).updateHaMasterAddress(''); // at once: no heartbeat from a reaches b any more
    await close(a);
    // b is elected with a still in the set: its confirm offset starts from the one it had, so the record waits.
    await makeMaster(b, bCfg, 2, 2, [1, 2]);
    expect(b.getMaxOffsetInQueue(T, 2)).toBe(1);
    const r = await put(b, noWait(msg(T, 2, 'new-on-b')));
    expect(r.queueOffset).toBe(2); // after the held record, whose queue offset stays taken
    expect(b.getMaxOffsetInQueue(T, 2)).toBe(1);
    // The controller drops a from the set: b alone confirms its whole log.
    ha(b).setSyncStateSet(new Set([2]));
    expect(b.getMaxOffsetInQueue(T, 2)).toBe(3);
    expect(bodies(b, 2, 1, ['unconfirmed-on-b', 'new-on-b'])).toEqual([true, true]);
    const both = b.consumeQueueUnits(T, 2, 1, 2)!.units;
    expect(both.map((u) => u.phyOffset)).toEqual([q.offset, r.offset]);
  });

  it('truncation drops the held units of cut records and keeps the queue offsets of the rest', async () => {
    const { a, b, aCfg } = await pair();
    ha(b).updateHaMasterAddress('');
    await until('the slave gone', () => a.haStatus().slaves.length === 0);
    const held = [];
    for (let i = 0; i < 5; i++) held.push(await put(a, noWait(msg(T, 3, `cut-${i}`))));
    expect(a.getMaxOffsetInQueue(T, 3)).toBe(0);
    await a.truncateTo(held[3].offset);
    expect(a.getMaxPhyOffset()).toBe(held[3].offset);
    const after = await put(a, noWait(msg(T, 3, 'after-cut')));
    expect(after.queueOffset).toBe(3);
    ha(b).updateHaMasterAddress(`127.0.0.1:${aCfg.haListenPort}`);
    await until('the release', () => a.getMaxOffsetInQueue(T, 3) === 4);
    expect(bodies(a, 3, 0, ['cut-0', 'cut-1', 'cut-2', 'after-cut', 'cut-3', 'cut-4'])).toEqual([true, true, true, true, false, false]);
    expect(a.consumeQueueUnits(T, 3, 0, 10)!.units.map((u) => u.phyOffset)).toEqual([held[0].offset, held[1].offset, held[2].offset, after.offset]);
  });

  it('a master with held units becomes slave: they are dropped, the replica dispatches on from the log (cut to the new master\'s)', async () => {
    const { a, b, aCfg, bCfg } = await pair();
    const arrivals: string[] = [];
    a.onArrival((topic, queueId, maxOffset) => arrivals.push(`${topic}/${queueId}/${maxOffset}`));
    ha(b).updateHaMasterAddress('');
    await until('the slave gone', () => a.haStatus().slaves.length === 0);
    const common = a.getMaxPhyOffset();
    for (let i = 0; i < 4; i++) await put(a, noWait(msg(T, 0, `lost-${i}`)));
    expect(a.getMaxOffsetInQueue(T, 0)).toBe(1); // 'first' only
    // b is elected (epoch 2, alone), writes; a follows it.
    await makeMaster(b, bCfg, 2, 2, [2]);
    for (let i = 0; i < 3; i++) await put(b, msg(T, 0, `epoch2-${i}`));
    await makeSlave(a, aCfg, 1, 2, bCfg);
    await until('a to follow b', () => a.getMaxOffsetInQueue(T, 0) === 4 && a.getMaxPhyOffset() === b.getMaxPhyOffset());
    expect(a.consumeQueueUnits(T, 0, 0, 10)!.units.map((u) => u.phyOffset)).toEqual(b.consumeQueueUnits(T, 0, 0, 10)!.units.map((u) => u.phyOffset));
    expect(bodies(a, 0, 1, ['epoch2-0', 'epoch2-2', 'lost-0'])).toEqual([true, true, false]);
    expect(a.consumeQueueUnits(T, 0, 1, 1)!.units[0].phyOffset).toBe(common);
    // Nobody was told of the lost records: the first arrival on queue 0 is epoch 2's first record.
    expect(arrivals.filter((x) => x.startsWith(`${T}/0/`))).toEqual([`${T}/0/2`, `${T}/0/3`, `${T}/0/4`]);
  });
});
