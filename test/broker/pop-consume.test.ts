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
import { createRequest } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { toFastJson } from '../../src/codec/fastjson.js';
import { BrokerController } from '../../src/server/broker-controller.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { ackRequest, changeInvisibleRequest, extraInfoOf, popRequest, queryAssignmentRequest, records, setModeRequest } from './pop-wire.js';

const TIMEOUT_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let srv: InProcessServer | undefined;
let client: RemotingClient | undefined;
/** Brokers a test restarted on srv's store: stopped before srv (whose stop removes the store). */
const restarted: BrokerController[] = [];
afterEach(async () => {
  client?.close();
  client = undefined;
  for (const b of restarted.splice(0)) await b.shutdown();
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
    const again = await invoke(popRequest('g', 'PT', { invisibleTime: 1500 }));
    const back = records(again);
    expect(back.map((r) => r.body.toString())).toEqual(['m2']);
    // Answered as the popped topic, with the broker's POP_CK naming the retry queue, reconsumeTimes 1.
    expect(back[0].topic).toBe('PT');
    expect(back[0].reconsumeTimes).toBe(1);
    const ck = getProperty(back[0].propertiesString, 'POP_CK')!;
    expect(ck.split(' ').slice(4, 7)).toEqual(['1', 'broker-a', '0']);
    expect(again.extFields!.startOffsetInfo).toBe('1 0 0');
    expect((await invoke(ackRequest('g', '%RETRY%g_PT', 0, back[0].queueOffset, ck))).code).toBe(ResponseCode.SUCCESS);
    await sleep(1_800);
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

  it('a first pop with initMode MAX starts at 0 while the queue holds its first message, and commits the pop offset', async () => {
    const invoke = await start();
    await invoke(createTopicRequest('PT', 1));
    await sendN(invoke, 'PT', 2);
    const res = await invoke(popRequest('g', 'PT', { initMode: 1, queueId: 0 }));
    expect(res.extFields!.msgOffsetInfo).toBe('0 0 0,1');
    expect(srv!.broker.ctx.offsets.queryOffset('g', 'PT', 0)).toBe(2);
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
    expect(again.extFields!.orderCountInfo).toBe('0 qo0%0 1;0 0 1');
    const [r] = records(again);
    expect((await invoke(ackRequest('g', 'PT', 0, r.queueOffset, extraInfoOf(again, r)))).code).toBe(ResponseCode.SUCCESS);
    const next = await invoke(popRequest('g', 'PT', { order: true }));
    expect(records(next).map((x) => x.body.toString())).toEqual(['m1']);
  });

  it('a restart keeps checkpoints and acks: acked messages stay acked, the rest come back after the invisible time', async () => {
    let invoke = await start();
    await invoke(createTopicRequest('PT', 1));
    await sendN(invoke, 'PT', 4);
    const res = await invoke(popRequest('g', 'PT', { invisibleTime: 1_500 }));
    const recs = records(res);
    expect(recs).toHaveLength(4);
    for (const r of recs.filter((x) => x.queueOffset % 2 === 0)) {
      expect((await invoke(ackRequest('g', 'PT', 0, r.queueOffset, extraInfoOf(res, r)))).code).toBe(ResponseCode.SUCCESS);
    }
    const cfg = srv!.broker.config;
    client!.close();
    await srv!.broker.shutdown();
    const broker = new BrokerController(cfg, new DefaultMessageStore(cfg));
    restarted.push(broker);
    await broker.start();
    client = new RemotingClient();
    const c = client;
    invoke = (req) => c.invoke(broker.brokerAddr, req, TIMEOUT_MS);
    // Still invisible after the restart, and nothing new to pop.
    expect((await invoke(popRequest('g', 'PT'))).code).toBe(ResponseCode.POLLING_TIMEOUT);
    await sleep(1_800);
    const again = records(await invoke(popRequest('g', 'PT', { invisibleTime: 10_000 })));
    expect(again.map((r) => r.body.toString()).sort()).toEqual(['m1', 'm3']);
  });

  it('BATCH_ACK_MESSAGE acks the bit set positions; PEEK, NOTIFICATION and POLLING_INFO answer as 5.3.3', async () => {
    const invoke = await start();
    await invoke(createTopicRequest('PT', 1));
    await sendN(invoke, 'PT', 3);
    const peek = await invoke(createRequest(RequestCode.PEEK_MESSAGE, { consumerGroup: 'g', topic: 'PT', queueId: '-1', maxMsgNums: '32' }));
    expect(peek.code).toBe(ResponseCode.SUCCESS);
    expect(peek.extFields).toEqual({ popTime: '0', invisibleTime: '0', reviveQid: '0', restNum: '0' });
    expect(records(peek)).toHaveLength(3);
    const note = (pollTime: number) => createRequest(RequestCode.NOTIFICATION, { consumerGroup: 'g', topic: 'PT', queueId: '-1', pollTime: String(pollTime), bornTime: String(Date.now()) });
    expect((await invoke(note(0))).extFields).toEqual({ hasMsg: 'true', pollingFull: 'false' });
    const res = await invoke(popRequest('g', 'PT', { invisibleTime: 400 }));
    const h = res.extFields!;
    // Offsets 0 and 2 of the checkpoint starting at 0: bits 0 and 2 = byte 0x05 = "BQ==".
    const body = { brokerName: 'broker-a', acks: [{ c: 'g', t: 'PT', r: '0', so: 0, q: 0, rq: Number(h.reviveQid), pt: Number(h.popTime), it: 400, b: 'BQ==' }] };
    expect((await invoke(createRequest(RequestCode.BATCH_ACK_MESSAGE, undefined, Buffer.from(toFastJson(body))))).code).toBe(ResponseCode.SUCCESS);
    expect((await invoke(createRequest(RequestCode.BATCH_ACK_MESSAGE))).code).toBe(ResponseCode.NO_MESSAGE);
    // Nothing to pop: a NOTIFICATION with a poll time is held; POLLING_INFO counts it.
    const held = invoke(note(3_000));
    await sleep(200);
    const info = await invoke(createRequest(RequestCode.POLLING_INFO, { consumerGroup: 'g', topic: 'PT', queueId: '-1' }));
    expect(info.extFields).toEqual({ pollingNum: '1' });
    // The un-acked m1 is revived into the retry topic: that wakes the held notification.
    const woke = await held;
    expect(woke.extFields).toEqual({ hasMsg: 'true', pollingFull: 'false' });
    const again = records(await invoke(popRequest('g', 'PT')));
    expect(again.map((r) => r.body.toString())).toEqual(['m1']);
  });
});
