/**
 * The HA port against peers that do not behave: raw sockets playing a slave or a master. A slave that
 * claims more than the master has is dropped (as Java's HAConnection does); a master that pushes bytes for
 * the wrong offset makes our slave reconnect; garbage closes that one connection and nothing else; a
 * slave that stops acknowledging turns SYNC_MASTER sends into FLUSH_SLAVE_TIMEOUT after slaveTimeout.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerConfig, type BrokerConfig } from '../../src/config/broker-config.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { encodeReport, encodeTransferHeader } from '../../src/store/ha/ha-frames.js';
import { brokerPort, freePort } from '../support/ports.js';
import { SMALL, msg } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function store(overrides: Partial<BrokerConfig>): Promise<DefaultMessageStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-ha-peer-'));
  const cfg = brokerConfig({ ...SMALL, storePathRootDir: dir, listenPort: await brokerPort(), ...overrides });
  cfg.storePathCommitLog = path.join(dir, 'commitlog');
  const s = new DefaultMessageStore(cfg);
  await s.start();
  cleanups.push(async () => {
    await s.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return Object.assign(s, { cfg });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.resume(); // read (and drop) what the master sends, so its close is seen
    s.once('error', reject);
    cleanups.push(() => void s.destroy());
  });
}

const closed = (s: net.Socket, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    if (s.destroyed) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('HA peers that misbehave', () => {
  it('a slave reporting an offset beyond the master\'s end is disconnected; a real slave is unaffected', async () => {
    const master = await store({});
    await master.putMessage(msg('T', 0, 'one'));
    const real = await store({ brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${master.cfg.haListenPort}` });
    await until('the real slave to catch up', () => real.getMaxPhyOffset() === master.getMaxPhyOffset());
    const fake = await connect(master.cfg.haListenPort);
    fake.write(encodeReport(0)); // the request: accepted (Java checks only later reports)
    // (Sent apart: the master acts on the last whole report of what it reads at once.)
    await until('the request to be read', () => master.haStatus().slaves.some((x) => x.ackOffset === 0));
    fake.write(encodeReport(master.getMaxPhyOffset() + 1_000_000));
    expect(await closed(fake, 3000)).toBe(true);
    await master.putMessage(msg('T', 0, 'two'));
    await until('the real slave to follow', () => real.getMaxPhyOffset() === master.getMaxPhyOffset());
    expect(master.haStatus().slaves.length).toBe(1);
  });

  it('garbage on the HA port closes that connection only', async () => {
    const master = await store({});
    const real = await store({ brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${master.cfg.haListenPort}` });
    const junk = await connect(master.cfg.haListenPort);
    junk.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.padEnd(64, '\xff'), 'latin1'));
    expect(await closed(junk, 3000)).toBe(true);
    await master.putMessage(msg('T', 0, 'after the junk'));
    await until('the real slave to get it', () => real.getMaxPhyOffset() === master.getMaxPhyOffset() && master.getMaxPhyOffset() > 0);
  });

  it('a master pushing bytes for an offset the slave does not end at makes the slave reconnect; garbage from a master too', async () => {
    // First a real master gives the slave some log, so its end is not 0 (an empty slave accepts any start).
    const master = await store({});
    await master.putMessage(msg('T', 0, 'seed'));
    const port = await freePort();
    // No haMasterAddress: the address comes as a NameServer answer would bring it.
    const slave = await store({ brokerRole: 'SLAVE', brokerId: 1 });
    slave.updateHaMasterAddress(`127.0.0.1:${master.cfg.haListenPort}`);
    await until('the seed to arrive', () => slave.getMaxPhyOffset() === master.getMaxPhyOffset());
    const end = slave.getMaxPhyOffset();
    // Now the slave is pointed at a fake master.
    const connections: net.Socket[] = [];
    const reports: number[] = [];
    const fakeMaster = net.createServer((s) => {
      connections.push(s);
      s.on('data', (b: Buffer) => reports.push(Number(b.readBigInt64BE(b.length - 8))));
      const n = connections.length;
      if (n === 1) s.write(Buffer.concat([encodeTransferHeader(end + 4096, 4), Buffer.from('abcd')])); // wrong offset
      else if (n === 2) s.write(Buffer.concat([encodeTransferHeader(end, -5), Buffer.alloc(16, 0xff)])); // not a frame
      else s.write(encodeTransferHeader(end, 0)); // a heartbeat at the right offset: kept
    });
    await new Promise<void>((r) => fakeMaster.listen(port, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => fakeMaster.close(() => r())));
    cleanups.push(() => connections.forEach((c) => c.destroy()));
    slave.updateHaMasterAddress(`127.0.0.1:${port}`);
    await until('two reconnects', () => connections.length >= 3, 8000);
    expect(connections[0].destroyed || connections[0].readableEnded).toBe(true);
    expect(reports.every((r) => r === end)).toBe(true); // it never took the mismatched bytes
    expect(slave.getMaxPhyOffset()).toBe(end);
  });

  it('SYNC_MASTER: a slave that stops acknowledging turns sends into FLUSH_SLAVE_TIMEOUT after slaveTimeout, never a hang', async () => {
    const master = await store({ brokerRole: 'SYNC_MASTER', slaveTimeout: 700 });
    const frozen = await connect(master.cfg.haListenPort);
    frozen.write(encodeReport(0));
    frozen.pause(); // takes no more bytes and sends no acks
    const t0 = Date.now();
    const sends = await Promise.all([0, 1, 2].map((i) => master.putMessage(msg('T', i, `held ${i}`))));
    const took = Date.now() - t0;
    expect(sends.map((s) => s.status)).toEqual(['FLUSH_SLAVE_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT']);
    expect(took).toBeGreaterThanOrEqual(650);
    expect(took).toBeLessThan(700 + 1000);
    // The messages are stored on the master all the same.
    expect(master.getMaxOffsetInQueue('T', 2)).toBe(1);
  });

  it('the master closes a slave that sends nothing for haHousekeepingInterval', async () => {
    const master = await store({ haHousekeepingInterval: 1500 });
    const silent = await connect(master.cfg.haListenPort);
    expect(await closed(silent, 5000)).toBe(true);
  });
});
