/**
 * Timer messages across a controller-mode failover: a master answers GET_TIMER_CHECK_POINT (60) with
 * TimerCheckpoint#encode's 56 bytes; a controller-mode slave's SlaveSynchronize hands the master's
 * lastReadTimeMs to its timer service; and a slave made master (it never delivered anything, its timer
 * queue replicated) drops the parked messages of slots below that time, which the old master delivered,
 * and keeps the others (at least once, none delivered twice when the read time is fresh).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { SlaveSynchronize, brokerVipChannel } from '../../src/broker/slave/slave-synchronize.js';
import { TimerMessageService } from '../../src/broker/schedule/timer-message-service.js';
import { decodeTimerCheckpoint, encodeTimerCheckpoint } from '../../src/codec/timer-checkpoint.js';
import { effectiveTimerPrecisionMs } from '../../src/config/timer.js';
import { createTopicRequest, sendV2 } from '../support/wire.js';

const TOPIC = 'TimerFailover';
const client = new RemotingClient();
let master: InProcessServer;
let slave: InProcessServer;
let dir = '';

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-timer-fo-'));
  master = await startInProcess();
  slave = await startInProcess({ brokerRole: 'SLAVE', brokerId: 1 });
});

afterAll(async () => {
  client.close();
  await slave?.stop();
  await master?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('timer messages and a failover', () => {
  let early = 0;
  let late = 0;

  it('a master answers GET_TIMER_CHECK_POINT; a controller-mode slave hands the read time to its timer', async () => {
    expect((await client.invoke(master.brokerAddr, createTopicRequest(TOPIC, 1), 3000)).code).toBe(ResponseCode.SUCCESS);
    early = Date.now() + 200;
    late = Date.now() + 120_000;
    for (const at of [early, early, late]) {
      const r = await client.invoke(master.brokerAddr, sendV2(TOPIC, `at ${at}`, { props: { TIMER_DELIVER_MS: String(at) } }), 3000);
      expect(r.code).toBe(ResponseCode.SUCCESS);
    }
    const store = master.broker.store;
    await until('the two early messages delivered', () => store.getMaxOffsetInQueue(TOPIC, 0) === 2);

    const res = await client.invoke(brokerVipChannel(master.brokerAddr), createRequest(RequestCode.GET_TIMER_CHECK_POINT), 3000);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.body?.length).toBe(56);
    const cp = decodeTimerCheckpoint(res.body)!;
    // Three parked; with only the late one pending, every slot up to now - precision is done.
    const precisionMs = effectiveTimerPrecisionMs(master.broker.config.timerPrecisionMs);
    expect(cp.lastTimerQueueOffset).toBe(3);
    expect(cp.lastReadTimeMs).toBeLessThanOrEqual(Date.now() + 1 - precisionMs);
    expect(cp.lastReadTimeMs).toBeGreaterThan(Date.now() - 5_000 - precisionMs);
    expect(decodeTimerCheckpoint(encodeTimerCheckpoint(cp))).toEqual(cp);

    const s = slave.broker.ctx;
    const applied = vi.spyOn(s.timer, 'applyMasterCheckpoint');
    const sync = new SlaveSynchronize(s);
    sync.masterAddr = master.brokerAddr;
    try {
      await sync.syncAll();
      expect(applied).not.toHaveBeenCalled(); // not in controller mode: a 4.x master does not answer code 60
      s.config.enableControllerMode = true;
      await sync.syncAll();
      expect(applied).toHaveBeenCalledTimes(1);
      expect(applied.mock.calls[0][0]).toBeGreaterThanOrEqual(cp.lastReadTimeMs);
    } finally {
      s.config.enableControllerMode = false;
      sync.close();
    }
  });

  it('a slave made master drops the parked messages the old master delivered and keeps the rest', async () => {
    // A broker holding the master's log (as a replica does) whose timer never ran: no checkpoint of its own.
    const m = master.broker;
    const config = { ...m.config, brokerRole: 'SLAVE' as const, storePathRootDir: dir };
    const promoted = new TimerMessageService(config, m.store);
    const cp = decodeTimerCheckpoint(encodeTimerCheckpoint(m.ctx.timer.checkpoint()))!;
    promoted.applyMasterCheckpoint(cp.lastReadTimeMs);
    config.brokerRole = 'SYNC_MASTER';
    promoted.start();
    try {
      const slot = (deliverMs: number) => deliverMs - effectiveTimerPrecisionMs(config.timerPrecisionMs);
      const pending = promoted.pendingDeliverTimes().map(slot);
      expect(pending).toHaveLength(1);
      expect(pending[0]).toBeGreaterThan(late - 60_000);
      // Without the master's read time the same broker would park (and deliver again) all three.
      const unaware = new TimerMessageService({ ...config, storePathRootDir: path.join(dir, 'unaware') }, m.store);
      unaware.start();
      expect(unaware.pendingCount).toBe(3);
      await unaware.shutdown();
    } finally {
      await promoted.shutdown();
    }
    expect(m.store.getMaxOffsetInQueue(TOPIC, 0)).toBe(2);
  });
});
