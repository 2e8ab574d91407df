/**
 * The dispatcher as the single gate, against an in-process broker: the permission column refuses pulls on a
 * broker without read permission before the processor runs, and a held long-poll pull woken by a message
 * is answered through the dispatcher, so a throw while re-running it reaches the client as SYSTEM_ERROR
 * with a remark instead of a timeout.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startInProcess, type InProcessServer } from './in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { PullSysFlag } from '../../src/protocol/sys-flag.js';
import type { BrokerContext } from '../../src/broker/broker-context.js';

const TIMEOUT_MS = 5_000;
let srv: InProcessServer;
let ctx: BrokerContext;
const client = new RemotingClient(() => {});
const invoke = (req: RemotingCommand, timeoutMs = TIMEOUT_MS) => client.invoke(srv.brokerAddr, req, timeoutMs);

const send = (topic: string): RemotingCommand =>
  createRequest(RequestCode.SEND_MESSAGE_V2, {
    a: 'pg', b: topic, c: 'TBW102', d: '1', e: '0', f: '0', g: String(Date.now()), h: '0', i: 'WAIT\u0001true', j: '0', k: 'false', m: 'false',
  }, Buffer.from('body'));

const pull = (topic: string, queueOffset: number, suspendMs: number): RemotingCommand =>
  createRequest(RequestCode.PULL_MESSAGE, {
    consumerGroup: 'gate_group', topic, queueId: '0', queueOffset: String(queueOffset), maxMsgNums: '32',
    sysFlag: String(PullSysFlag.FLAG_SUSPEND | PullSysFlag.FLAG_SUBSCRIPTION), commitOffset: '0',
    suspendTimeoutMillis: String(suspendMs), subscription: '*', subVersion: '0', expressionType: 'TAG',
  });

beforeAll(async () => {
  srv = await startInProcess();
  ctx = srv.broker.ctx;
});
afterAll(async () => {
  client.close();
  await srv?.stop();
});

describe('dispatcher gate', () => {
  it('refuses a pull on a broker without read permission with the Java remark', async () => {
    expect((await invoke(send('GateT'))).code).toBe(ResponseCode.SUCCESS);
    ctx.config.brokerPermission = 2;
    try {
      const r = await invoke(pull('GateT', 0, 0));
      expect(r.code).toBe(ResponseCode.NO_PERMISSION);
      expect(r.remark).toBe(`the broker[${ctx.config.brokerIP1}] pulling message is forbidden`);
    } finally {
      ctx.config.brokerPermission = 6;
    }
    expect((await invoke(pull('GateT', 0, 0))).code).toBe(ResponseCode.SUCCESS);
  });

  it('a held pull woken by a send whose re-run throws is answered with SYSTEM_ERROR', async () => {
    expect((await invoke(send('WokenT'))).code).toBe(ResponseCode.SUCCESS);
    const held = invoke(pull('WokenT', 1, 20_000), 15_000);
    await vi.waitFor(() => expect(ctx.pullHold.size).toBe(1));
    const spy = vi.spyOn(ctx.store, 'getMessage').mockImplementation(() => {
      throw new Error('boom while re-running');
    });
    try {
      expect((await invoke(send('WokenT'))).code).toBe(ResponseCode.SUCCESS);
      const r = await held;
      expect(r.code).toBe(ResponseCode.SYSTEM_ERROR);
      expect(r.remark).toBe('Error: boom while re-running');
    } finally {
      spy.mockRestore();
    }
    expect(ctx.pullHold.size).toBe(0);
  });

  it('a woken pull that works is answered with the new message', async () => {
    const held = invoke(pull('WokenT', 2, 20_000), 15_000);
    await vi.waitFor(() => expect(ctx.pullHold.size).toBe(1));
    expect((await invoke(send('WokenT'))).code).toBe(ResponseCode.SUCCESS);
    const r = await held;
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(r.extFields?.nextBeginOffset).toBe('3');
  });
});
