/**
 * AutoSwitchHA on the wire, byte by byte as AutoSwitchHAClient / AutoSwitchHAConnection 5.3.3 lay the
 * frames out: the encoders against hand-written bytes, our master driven by a raw-socket slave, and our
 * slave fed by a raw-socket master (which also cuts a record in half, as a dying master would).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerConfig, type BrokerConfig } from '../../src/config/broker-config.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import {
  encodeMasterHandshake, encodeSlaveHandshake, encodeSlaveReport, encodeTransferHeader,
} from '../../src/store/ha/autoswitch/frames.js';
import { brokerPort } from '../support/ports.js';
import { SMALL, msg } from './helpers.js';

const opened: DefaultMessageStore[] = [];
const closers: Array<() => void> = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const c of closers.splice(0)) c();
  for (const s of opened.splice(0)) await s.shutdown().catch(() => {});
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function openStore(overrides: Partial<BrokerConfig> = {}): Promise<{ s: DefaultMessageStore; cfg: BrokerConfig }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-asw-'));
  dirs.push(root);
  const cfg = brokerConfig({ ...SMALL, storePathRootDir: root, listenPort: await brokerPort(), enableControllerMode: true, ...overrides });
  cfg.brokerRole = 'SLAVE';
  const s = new DefaultMessageStore(cfg);
  await s.start();
  opened.push(s);
  return { s, cfg };
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Bytes a socket receives, awaited by count. */
function reader(sock: net.Socket): (n: number) => Promise<Buffer> {
  let buf = Buffer.alloc(0);
  sock.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
  });
  return async (n) => {
    await until(`${n} bytes`, () => buf.length >= n);
    const out = buf.subarray(0, n);
    buf = buf.subarray(n);
    return out;
  };
}

describe('AutoSwitchHA frames', () => {
  it('are laid out as the 5.3.3 Java classes write them', () => {
    expect(encodeSlaveHandshake({ syncFromLastFile: false, asyncLearner: true, brokerId: 3 }).toString('hex'))
      .toBe('00000001' + '0000' + '0001' + '0000000000000003');
    expect(encodeSlaveReport(0x1_0000_0005).toString('hex')).toBe('00000002' + '0000000100000005');
    expect(encodeMasterHandshake(1000, 2, [{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 500 }]).toString('hex'))
      .toBe('00000001' + '00000018' + '00000000000003e8' + '00000002' + '00000001' + '0000000000000000' + '00000002' + '00000000000001f4');
    expect(encodeTransferHeader({ bodySize: 7, offset: 64, epoch: 3, epochStartOffset: 32, confirmOffset: 60 }).toString('hex'))
      .toBe('00000002' + '00000007' + '0000000000000040' + '00000003' + '0000000000000020' + '000000000000003c');
    // Java's handshake buffer holds 1000 entries: the newest 1000 go.
    const many = Array.from({ length: 1001 }, (_, i) => ({ epoch: i + 1, startOffset: i * 10 }));
    const hs = encodeMasterHandshake(10_010, 1001, many);
    expect(hs.readInt32BE(4)).toBe(12_000);
    expect([hs.readInt32BE(20), hs.readInt32BE(hs.length - 12)]).toEqual([2, 1001]);
  });
});

describe('our master, driven by a raw-socket slave', () => {
  it('answers the handshake with its end and epochs, then transfers from the reported offset, one epoch per frame, with the confirm offset', async () => {
    // Small frames so that one of them meets the epoch boundary.
    const { s: master, cfg } = await openStore({ haTransferBatchSize: 1000 });
    master.autoSwitch!.setLocalBrokerId(1);
    master.autoSwitch!.setSyncStateSet(new Set([1]));
    expect(await master.autoSwitch!.changeToMaster(4)).toBe(true);
    cfg.brokerRole = 'SYNC_MASTER';
    for (let i = 0; i < 15; i++) expect((await master.putMessage(msg('TopicW', 0, `m-${i}`.padEnd(300, '.')))).status).toBe('PUT_OK');
    const e5 = master.getMaxPhyOffset();
    expect(e5 % 1000).not.toBe(0);
    expect(master.autoSwitch!.changeToMasterWhenLastRoleIsMaster(5)).toBe(true);
    for (let i = 15; i < 30; i++) expect((await master.putMessage(msg('TopicW', 0, `m-${i}`.padEnd(300, '.')))).status).toBe('PUT_OK');
    const end = master.getMaxPhyOffset();

    const sock = net.connect({ host: '127.0.0.1', port: cfg.haListenPort });
    closers.push(() => sock.destroy());
    const read = reader(sock);
    sock.write(encodeSlaveHandshake({ syncFromLastFile: false, asyncLearner: false, brokerId: 7 }));
    const hs = await read(20 + 24);
    expect(hs.readInt32BE(0)).toBe(1); // HANDSHAKE
    expect(hs.readInt32BE(4)).toBe(24);
    expect(Number(hs.readBigInt64BE(8))).toBe(end);
    expect(hs.readInt32BE(16)).toBe(5);
    expect([hs.readInt32BE(20), Number(hs.readBigInt64BE(24)), hs.readInt32BE(32), Number(hs.readBigInt64BE(36))]).toEqual([4, 0, 5, e5]);

    // Report 0 (a new replica): the transfer starts at the master's first offset.
    sock.write(encodeSlaveReport(0));
    const body: Buffer[] = [];
    let got = 0;
    let epoch4Frames = 0;
    while (got < end) {
      const h = await read(36);
      expect(h.readInt32BE(0)).toBe(2); // TRANSFER
      expect(Number(h.readBigInt64BE(8))).toBe(got);
      const n = h.readInt32BE(4);
      expect(n).toBeLessThanOrEqual(1000);
      const epoch = h.readInt32BE(16);
      // A frame's bytes are of one epoch; the frame that ends epoch 4 already names 5 (as AutoSwitchHAConnection).
      if (got + n < e5) {
        expect([epoch, Number(h.readBigInt64BE(20))]).toEqual([4, 0]);
        epoch4Frames++;
      } else {
        expect(got >= e5 || got + n === e5).toBe(true);
        expect([epoch, Number(h.readBigInt64BE(20))]).toEqual([5, e5]);
      }
      expect(Number(h.readBigInt64BE(28))).toBe(end); // a set of one: the confirm offset is the log end
      body.push(await read(n));
      got += n;
    }
    expect(epoch4Frames).toBeGreaterThan(1);
    // The bytes are the master's records in order.
    let at = 0;
    const all = Buffer.concat(body);
    while (at < end) {
      const rec = master.lookMessageByOffset(at)!;
      expect(all.subarray(at, at + rec.length).equals(rec)).toBe(true);
      at += rec.length;
    }
    // Acknowledging: the master counts the slave's offset.
    sock.write(encodeSlaveReport(end));
    await until('the ack', () => master.haStatus().slaves.some((x) => x.ackOffset === end));
  });

  it('closes a peer that speaks another protocol, and a slave claiming bytes the master never wrote', async () => {
    const { s: master, cfg } = await openStore();
    master.autoSwitch!.setLocalBrokerId(1);
    await master.autoSwitch!.changeToMaster(1);
    const closed = (payload: Buffer): Promise<boolean> => new Promise((resolve) => {
      const sock = net.connect({ host: '127.0.0.1', port: cfg.haListenPort }, () => sock.write(payload));
      closers.push(() => sock.destroy());
      sock.on('data', () => {});
      sock.on('error', () => {});
      sock.on('close', () => resolve(true));
    });
    // A 4.x slave's 8-byte offset report followed by another: state 0 is no AutoSwitchHA frame.
    expect(await closed(Buffer.alloc(16))).toBe(true);
    expect(await closed(Buffer.concat([encodeSlaveHandshake({ syncFromLastFile: false, asyncLearner: false, brokerId: 3 }), encodeSlaveReport(1 << 20)]))).toBe(true);
    expect(master.haStatus().slaves).toEqual([]);
  });
});

/**
 * A raw master serving 10 records made by one of our stores: on the first connection the first 9 whole,
 * then 40 bytes of the 10th, and it hangs up (a master dying mid-record).
 */
async function halfRecordMaster() {
  const { s: src, cfg: srcCfg } = await openStore();
  src.autoSwitch!.setLocalBrokerId(1);
  await src.autoSwitch!.changeToMaster(5);
  srcCfg.brokerRole = 'ASYNC_MASTER';
  for (let i = 0; i < 10; i++) await src.putMessage(msg('TopicW', 1, `r-${i}`, { keys: `k${i}` }));
  const recs: Buffer[] = [];
  for (let at = 0; at < src.getMaxPhyOffset();) {
    const r = src.lookMessageByOffset(at)!;
    recs.push(r);
    at += r.length;
  }
  const whole = Buffer.concat(recs.slice(0, 9));
  const half = recs[9].subarray(0, 40);
  const port = await brokerPort();
  const handshakes: Buffer[] = [];
  const reports: number[] = [];
  let conn = 0;
  const server = net.createServer((sock) => {
    conn++;
    const mine = conn;
    let buf = Buffer.alloc(0);
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 12) {
        const state = buf.readInt32BE(0);
        if (state === 1 && buf.length >= 16) {
          handshakes.push(buf.subarray(0, 16));
          buf = buf.subarray(16);
          sock.write(encodeMasterHandshake(whole.length + half.length, 5, [{ epoch: 5, startOffset: 0 }]));
        } else if (state === 2) {
          const off = Number(buf.readBigInt64BE(4));
          reports.push(off);
          buf = buf.subarray(12);
          if (mine === 1 && off === 0) {
            sock.write(encodeTransferHeader({ bodySize: whole.length, offset: 0, epoch: 5, epochStartOffset: 0, confirmOffset: whole.length }));
            sock.write(whole);
            sock.write(encodeTransferHeader({ bodySize: half.length, offset: whole.length, epoch: 5, epochStartOffset: 0, confirmOffset: whole.length }));
            sock.end(half);
          }
        } else break;
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  closers.push(() => server.close());
  const { s: slave, cfg } = await openStore();
  slave.autoSwitch!.setLocalBrokerId(9);
  expect(await slave.autoSwitch!.changeToSlave('127.0.0.1:1', 5, 9)).toBe(true);
  slave.autoSwitch!.updateHaMasterAddress(`127.0.0.1:${port}`);
  await until('the half record', () => slave.getMaxPhyOffset() === whole.length + half.length);
  return { slave, cfg, whole, half, recs, handshakes, reports };
}

describe('our slave, fed by a raw-socket master', () => {
  it('takes the frames as a new replica (a half record too), records the epoch and the confirm offset; cuts the half record before reconnecting', async () => {
    const { slave, whole, recs, handshakes, reports } = await halfRecordMaster();
    expect(handshakes[0].toString('hex')).toBe('00000001' + '0000' + '0000' + '0000000000000009');
    expect(reports[0]).toBe(0);
    expect(slave.getMaxOffsetInQueue('TopicW', 1)).toBe(9);
    expect(slave.autoSwitch!.epochEntries().map((e) => [e.epoch, e.startOffset])).toEqual([[5, 0]]);
    expect(slave.autoSwitch!.confirmOffset()).toBe(whole.length);
    // The reconnect (5 s later, as AutoSwitchHAClient waits) first cuts the half record (truncateInvalidMsg).
    await until('the second handshake', () => handshakes.length >= 2, 15_000);
    expect(slave.getMaxPhyOffset()).toBe(whole.length);
    await until('the report from the cut', () => reports.includes(whole.length));
    expect(slave.lookMessageByOffset(whole.length - recs[8].length)!.equals(recs[8])).toBe(true);
  });

  it('elected master with a half record at its end: cuts it, then the new epoch starts at the last whole record', async () => {
    const { slave, cfg, whole } = await halfRecordMaster();
    expect(await slave.autoSwitch!.changeToMaster(6)).toBe(true);
    cfg.brokerRole = 'SYNC_MASTER';
    expect(slave.getMaxPhyOffset()).toBe(whole.length);
    expect(slave.autoSwitch!.epochEntries().map((e) => [e.epoch, e.startOffset])).toEqual([[5, 0], [6, whole.length]]);
    slave.autoSwitch!.setSyncStateSet(new Set([9]));
    const r = await slave.putMessage(msg('TopicW', 1, 'after the cut'));
    expect(r.status).toBe('PUT_OK');
    expect(r.appendResult!.wroteOffset).toBe(whole.length);
    expect(r.appendResult!.logicsOffset).toBe(9);
  });
});

describe('our slave against a master that is not one', () => {
  it('hangs up on a frame of the wrong state or an impossible size, writing nothing', async () => {
    const port = await brokerPort();
    const replies = [
      Buffer.from('00000009000000000000000000000000000000000000', 'hex'), // state 9
      encodeTransferHeader({ bodySize: 8, offset: 0, epoch: 1, epochStartOffset: 0, confirmOffset: 0 }), // TRANSFER before the handshake
      Buffer.concat([encodeMasterHandshake(0, 1, []).subarray(0, 4), Buffer.from('7fffffff', 'hex'), Buffer.alloc(12)]), // body of 2 GiB
    ];
    const closedAfter: number[] = [];
    let n = 0;
    const server = net.createServer((sock) => {
      const reply = replies[n++ % replies.length];
      let sentAt = 0;
      sock.once('data', () => {
        sentAt = Date.now();
        sock.write(reply);
      });
      sock.on('close', () => closedAfter.push(sentAt ? Date.now() - sentAt : -1));
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    closers.push(() => server.close());
    for (let i = 0; i < replies.length; i++) {
      const { s: slave } = await openStore();
      await slave.autoSwitch!.changeToSlave('127.0.0.1:1', 1, 2);
      slave.autoSwitch!.updateHaMasterAddress(`127.0.0.1:${port}`);
      await until(`hang-up ${i}`, () => closedAfter.length > i);
      expect(closedAfter[i]).toBeGreaterThanOrEqual(0);
      expect(closedAfter[i]).toBeLessThan(1_000);
      expect(slave.getMaxPhyOffset()).toBe(0);
      await slave.shutdown();
    }
  });
});
