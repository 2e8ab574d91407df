/**
 * Replication between two real stores over loopback TCP (the default HA protocol): a master store and a
 * slave store, each with its own directory. The slave's log must be byte-identical to the master's over
 * the slave's range, its queues must hold the same units, and SYNC_MASTER sends must wait for the slave.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerConfig, type BrokerConfig } from '../../src/config/broker-config.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { brokerPort } from '../support/ports.js';
import { SMALL, msg } from './helpers.js';

const opened: DefaultMessageStore[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const s of opened.splice(0)) await s.shutdown().catch(() => {});
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-ha-'));
  dirs.push(d);
  return d;
}

async function open(config: BrokerConfig): Promise<DefaultMessageStore> {
  const s = new DefaultMessageStore(config);
  await s.start();
  opened.push(s);
  return s;
}

async function pair(masterOverrides: Partial<BrokerConfig> = {}, slaveOverrides: Partial<BrokerConfig> = {}) {
  const port = await brokerPort();
  const masterCfg = brokerConfig({ ...SMALL, storePathRootDir: tempDir(), listenPort: port, ...masterOverrides });
  const slaveCfg = brokerConfig({
    ...SMALL, storePathRootDir: tempDir(), listenPort: await brokerPort(), brokerRole: 'SLAVE', brokerId: 1,
    haMasterAddress: `127.0.0.1:${masterCfg.haListenPort}`, ...slaveOverrides,
  });
  masterCfg.storePathCommitLog = path.join(masterCfg.storePathRootDir, 'commitlog');
  slaveCfg.storePathCommitLog = path.join(slaveCfg.storePathRootDir, 'commitlog');
  return { masterCfg, slaveCfg };
}

async function until(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The log bytes of a store in [from, to), read from its segment files. */
function logBytes(cfg: BrokerConfig, from: number, to: number): Buffer {
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

async function putMany(store: DefaultMessageStore, n: number, tag: string, bodyBytes = 500): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await store.putMessage(msg('TopicHA', i % 4, `${tag}-${i}-`.padEnd(bodyBytes, 'x'), { tags: tag, keys: `${tag}-${i}` }));
    expect(r.status).toBe('PUT_OK');
  }
}

describe('master/slave replication between two stores', () => {
  it('an empty slave starts at the master\'s last segment and then follows it byte for byte across rolls', async () => {
    const { masterCfg, slaveCfg } = await pair();
    const master = await open(masterCfg);
    await putMany(master, 300, 'before'); // ~150 KiB: the 64 KiB segments have rolled
    const base = master.getMaxPhyOffset() - (master.getMaxPhyOffset() % masterCfg.mappedFileSizeCommitLog);
    expect(base).toBeGreaterThan(0);
    const slave = await open(slaveCfg);
    await until('the slave to reach the master', () => slave.getMaxPhyOffset() === master.getMaxPhyOffset());
    expect(slave.getMinPhyOffset()).toBe(base);
    await putMany(master, 400, 'after');
    await until('the slave to follow', () => slave.getMaxPhyOffset() === master.getMaxPhyOffset());
    expect(logBytes(slaveCfg, base, slave.getMaxPhyOffset()).equals(logBytes(masterCfg, base, master.getMaxPhyOffset()))).toBe(true);
    // Queues: the slave has every unit from its first record on, at the master's queue offsets.
    for (let q = 0; q < 4; q++) {
      expect(slave.getMaxOffsetInQueue('TopicHA', q)).toBe(master.getMaxOffsetInQueue('TopicHA', q));
      const from = slave.getMinOffsetInQueue('TopicHA', q);
      const a = master.getMessage('g', 'TopicHA', q, from, 32);
      const b = slave.getMessage('g', 'TopicHA', q, from, 32);
      expect(b.status).toBe('FOUND');
      expect(Buffer.concat(b.buffers).equals(Buffer.concat(a.buffers))).toBe(true);
    }
    // The index was built from the replicated records too.
    const found = slave.queryMessage('TopicHA', 'after-399', 4, 0, Date.now() + 1000);
    expect(found.messageCount).toBe(1);
    expect(slave.haStatus().connected).toBe(true);
    expect(master.haStatus().slaves.length).toBe(1);
  });

  it('a slave restarted (and one killed) resumes where its log ends, without a gap or a duplicate', async () => {
    const { masterCfg, slaveCfg } = await pair();
    const master = await open(masterCfg);
    await putMany(master, 50, 'a');
    let slave = await open(slaveCfg);
    await until('first catch-up', () => slave.getMaxPhyOffset() === master.getMaxPhyOffset());
    const start = slave.getMinPhyOffset();
    // Killed mid-stream: no flush, the abort marker stays; the torn tail is cut at the next start.
    const load = putMany(master, 300, 'b');
    await until('some of the load replicated', () => slave.getMaxPhyOffset() > start + 20_000);
    slave.abandon();
    opened.splice(opened.indexOf(slave), 1);
    await load;
    slave = await open(slaveCfg);
    await until('catch-up after the kill', () => slave.getMaxPhyOffset() === master.getMaxPhyOffset());
    await slave.shutdown();
    opened.splice(opened.indexOf(slave), 1);
    await putMany(master, 50, 'c');
    slave = await open(slaveCfg);
    await until('catch-up after the restart', () => slave.getMaxPhyOffset() === master.getMaxPhyOffset());
    expect(logBytes(slaveCfg, start, slave.getMaxPhyOffset()).equals(logBytes(masterCfg, start, master.getMaxPhyOffset()))).toBe(true);
    for (let q = 0; q < 4; q++) expect(slave.getMaxOffsetInQueue('TopicHA', q)).toBe(master.getMaxOffsetInQueue('TopicHA', q));
  });

  it('SYNC_MASTER: SLAVE_NOT_AVAILABLE without a slave, PUT_OK once one has the bytes, again when it leaves', async () => {
    const { masterCfg, slaveCfg } = await pair({ brokerRole: 'SYNC_MASTER', slaveTimeout: 800 });
    const master = await open(masterCfg);
    const alone = await master.putMessage(msg('TopicHA', 0, 'alone'));
    expect(alone.status).toBe('SLAVE_NOT_AVAILABLE');
    expect(alone.appendResult?.wroteBytes).toBeGreaterThan(0); // stored on the master all the same
    const slave = await open(slaveCfg);
    await until('the slave to connect', () => master.haStatus().slaves.length === 1 && slave.getMaxPhyOffset() === master.getMaxPhyOffset());
    const t0 = Date.now();
    const ok = await master.putMessage(msg('TopicHA', 0, 'replicated'));
    expect(ok.status).toBe('PUT_OK');
    expect(Date.now() - t0).toBeLessThan(500);
    expect(slave.getMaxPhyOffset()).toBeGreaterThanOrEqual(ok.appendResult!.wroteOffset + ok.appendResult!.wroteBytes);
    // The slave goes away: the next send is refused at once, not held.
    await slave.shutdown();
    opened.splice(opened.indexOf(slave), 1);
    await until('the master to notice', () => master.haStatus().slaves.length === 0);
    const t1 = Date.now();
    const gone = await master.putMessage(msg('TopicHA', 0, 'gone'));
    expect(gone.status).toBe('SLAVE_NOT_AVAILABLE');
    expect(Date.now() - t1).toBeLessThan(200);
  });
});
