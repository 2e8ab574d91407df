/**
 * POP consumption through the wire against an in-process broker: QUERY_ASSIGNMENT / SET_MESSAGE_REQUEST_MODE,
 * POP_MESSAGE with its header strings, ACK, CHANGE_MESSAGE_INVISIBLETIME, re-delivery through the POP
 * retry topic after the invisible time, the DLQ past retryMaxTimes, orderly POP, and a restart that
 * keeps checkpoints and acks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import type { RemotingCommand } from '../../src/remoting/command.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { parseFastJson } from '../../src/codec/fastjson.js';
import { getProperty } from '../../src/codec/message-properties.js';
import { sendV2, createTopicRequest, consumerHeartbeat } from '../support/wire.js';
import { decodeRecord } from '../../src/codec/message-record.js';
import { ackRequest, changeInvisibleRequest, extraInfoOf, popRequest, queryAssignmentRequest, records, setModeRequest } from './pop-wire.js';

const TIMEOUT_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let srv: InProcessServer | undefined;
let client: RemotingClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await srv?.stop();
  srv = undefined;
});

async function start(overrides = {}): Promise<(req: RemotingCommand) => Promise<RemotingCommand>> {
  srv = await startInProcess({ reviveInterval: 100, popFromRetryProbability: 0, ...overrides });
  client = new RemotingClient();
  const c = client;
  return (req) => c.invoke(srv!.brokerAddr, req, TIMEOUT_MS);
}

async function sendN(invoke: (r: RemotingCommand) => Promise<RemotingCommand>, topic: string, n: number, queueId = 0): Promise<void> {
  for (let i = 0; i < n; i++) expect((await invoke(sendV2(topic, `m${i}`, { queueId }))).code).toBe(ResponseCode.SUCCESS);
}

describe('POP consumption', () => {
  it('SET_MESSAGE_REQUEST_MODE refusals, persistence, and QUERY_ASSIGNMENT with queueId -1 in POP mode', async () => {
    const invoke = await start();
    await invoke(createTopicRequest('PT', 4));
    expect((await invoke(setModeRequest('%RETRY%g', 'g', 'POP'))).remark).toBe('retry topic is not allowed to set mode');
    expect((await invoke(setModeRequest('Nope', 'g', 'POP'))).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    await invoke(consumerHeartbeat('c1', 'g', 'PT'));
    let a = parseFastJson((await invoke(queryAssignmentRequest('PT', 'g', 'c1'))).body!.toString()) as { messageQueueAssignments: Array<{ mode: string; messageQueue: { queueId: number } }> };
    expect(a.messageQueueAssignments.map((x) => x.mode)).toEqual(['PULL', 'PULL', 'PULL', 'PULL']);
    expect((await invoke(setModeRequest('PT', 'g', 'POP'))).code).toBe(ResponseCode.SUCCESS);
    a = parseFastJson((await invoke(queryAssignmentRequest('PT', 'g', 'c1'))).body!.toString()) as typeof a;
    expect(a.messageQueueAssignments).toEqual([{ messageQueue: { brokerName: 'broker-a', queueId: -1, topic: 'PT' }, mode: 'POP' }]);
    const fs = await import('node:fs');
    const file = `${srv!.dir}/store/config/messageRequestMode.json`;
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).messageRequestModeMap.PT.g.mode).toBe('POP');
  });

  it('pops with exact header strings, acks, and an acked message is not delivered again', async () => {
    const invoke = await start();
    await invoke(createTopicRequest('PT', 2));
    await sendN(invoke, 'PT', 3, 1);
    const res = await invoke(popRequest('g', 'PT', { queueId: 1, invisibleTime: 1000 }));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.remark).toBe('FOUND');
    const h = res.extFields!;
    expect(h.startOffsetInfo).toBe('0 1 0');
    expect(h.msgOffsetInfo).toBe('0 1 0,1,2');
    expect(h.restNum).toBe('0');
    expect(h.invisibleTime).toBe('1000');
    expect(Number(h.reviveQid)).toBeGreaterThanOrEqual(0);
    expect(Number(h.reviveQid)).toBeLessThan(8);
    expect(h.orderCountInfo).toBeUndefined();
    const recs = records(res);
    expect(recs.map((r) => r.body.toString())).toEqual(['m0', 'm1', 'm2']);
    // Nothing left to pop while they are invisible.
    expect((await invoke(popRequest('g', 'PT', { queueId: 1 }))).code).toBe(ResponseCode.POLLING_TIMEOUT);
    for (const r of recs.slice(0, 2)) expect((await invoke(ackRequest('g', 'PT', 1, r.queueOffset, extraInfoOf(res, r)))).code).toBe(ResponseCode.SUCCESS);
    await sleep(1_400);
    const again = await invoke(popRequest('g', 'PT', { invisibleTime: 5000 }));
    const back = records(again);
    expect(back.map((r) => r.body.toString())).toEqual(['m2']);
    // Answered as the popped topic, with the broker's POP_CK naming the retry queue, reconsumeTimes 1.
    expect(back[0].topic).toBe('PT');
    expect(back[0].reconsumeTimes).toBe(1);
    const ck = getProperty(back[0].propertiesString, 'POP_CK')!;
    expect(ck.split(' ').slice(4, 7)).toEqual(['1', 'broker-a', '0']);
    expect(again.extFields!.startOffsetInfo).toBe('1 0 0');
    expect((await invoke(ackRequest('g', '%RETRY%g_PT', 0, back[0].queueOffset, ck))).code).toBe(ResponseCode.SUCCESS);
    await sleep(5_300);
    expect((await invoke(popRequest('g', 'PT'))).code).toBe(ResponseCode.POLLING_TIMEOUT);
  });

  it('ACK and CHANGE_MESSAGE_INVISIBLETIME refusals, and a changed invisible time re-delivers later', async () => {
    const invoke = await start();
    await invoke(createTopicRequest('PT', 1));
    await sendN(invoke, 'PT', 1);
    const res = await invoke(popRequest('g', 'PT', { invisibleTime: 500 }));
    const [r] = records(res);
    const extra = extraInfoOf(res, r);
    expect((await invoke(ackRequest('g', 'Nope', 0, 0, extra))).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect((await invoke(ackRequest('g', 'PT', 5, 0, extra))).code).toBe(ResponseCode.MESSAGE_ILLEGAL);
    const far = await invoke(ackRequest('g', 'PT', 0, 9, extra));
    expect(far.code).toBe(ResponseCode.NO_MESSAGE);
    expect(far.remark).toBe('offset is illegal, key:PT@0, commit:9, store:0~1');
    const ch = await invoke(changeInvisibleRequest('g', 'PT', 0, 0, extra, 2_000));
    expect(ch.code).toBe(ResponseCode.SUCCESS);
    expect(ch.extFields!.invisibleTime).toBe('2000');
    expect(ch.extFields!.reviveQid).toBe(res.extFields!.reviveQid);
    await sleep(900);
    // The old deadline passed, the new one not: nothing comes back yet.
    expect((await invoke(popRequest('g', 'PT'))).code).toBe(ResponseCode.POLLING_TIMEOUT);
    await sleep(1_500);
    const again = records(await invoke(popRequest('g', 'PT')));
    expect(again.map((x) => x.body.toString())).toEqual(['m0']);
  });

  it('long-polls an empty topic and answers when a message arrives', async () => {
    const invoke = await start();
    await invoke(createTopicRequest('PT', 2));
    const t0 = Date.now();
    const pending = invoke(popRequest('g', 'PT', { pollTime: 5_000 }));
    await sleep(300);
    await sendN(invoke, 'PT', 1, 1);
    const res = await pending;
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(Date.now() - t0).toBeLessThan(3_000);
    const timeout = await invoke(popRequest('g', 'PT', { pollTime: 400 }));
    expect(timeout.code).toBe(ResponseCode.POLLING_TIMEOUT);
    expect((await invoke(popRequest('g', 'PT', { bornTime: Date.now() - 10_000, pollTime: 1000 }))).code).toBe(ResponseCode.POLLING_TIMEOUT);
    expect((await invoke(popRequest('g', 'PT', { max: 33 }))).code).toBe(ResponseCode.INVALID_PARAMETER);
  });

  it('past retryMaxTimes an un-acked message goes to %DLQ%<group>', async () => {
    const invoke = await start();
    await invoke(createTopicRequest('PT', 1));
    // retryMaxTimes 1: popped twice (reconsumeTimes 0, then 1), then dead.
    srv!.broker.ctx.groups.find('g')!.retryMaxTimes = 1;
    await sendN(invoke, 'PT', 1);
    const bodies: number[] = [];
    for (let i = 0; i < 2; i++) {
      const deadline = Date.now() + 5_000;
      let got: ReturnType<typeof records> = [];
      while (got.length === 0 && Date.now() < deadline) {
        got = records(await invoke(popRequest('g', 'PT', { invisibleTime: 300 })));
        if (got.length === 0) await sleep(100);
      }
      bodies.push(got[0].reconsumeTimes);
    }
    expect(bodies).toEqual([0, 1]);
    await sleep(800);
    const dlq = srv!.broker.ctx.store.getMessage('x', '%DLQ%g', 0, 0, 32).buffers.map((b) => decodeRecord(b));
    expect(dlq.map((r) => [r.body.toString(), r.reconsumeTimes])).toEqual([['m0', 2]]);
    expect((await invoke(popRequest('g', 'PT'))).code).toBe(ResponseCode.POLLING_TIMEOUT);
  });

  it('orderly POP locks a queue until acked, re-delivers the same messages with orderCountInfo', async () => {
    const invoke = await start();
    await invoke(createTopicRequest('PT', 1));
    await sendN(invoke, 'PT', 2);
    const res = await invoke(popRequest('g', 'PT', { order: true, invisibleTime: 400, max: 1 }));
    expect(res.extFields!.reviveQid).toBe('999');
    expect(res.extFields!.orderCountInfo).toBe('0 0 0');
    expect(records(res).map((r) => r.body.toString())).toEqual(['m0']);
    // Locked: m1 waits behind the un-acked m0.
    expect((await invoke(popRequest('g', 'PT', { order: true }))).code).toBe(ResponseCode.POLLING_TIMEOUT);
    await sleep(600);
    const again = await invoke(popRequest('g', 'PT', { order: true, invisibleTime: 5_000 }));
    expect(records(again).map((r) => r.body.toString())).toEqual(['m0']);
    expect(again.extFields!.orderCountInfo).toBe('0 0 1');
    const [r] = records(again);
    expect((await invoke(ackRequest('g', 'PT', 0, r.queueOffset, extraInfoOf(again, r)))).code).toBe(ResponseCode.SUCCESS);
    const next = await invoke(popRequest('g', 'PT', { order: true }));
    expect(records(next).map((x) => x.body.toString())).toEqual(['m1']);
  });
});
