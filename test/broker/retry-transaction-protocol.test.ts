/**
 * Delay, timer, retry and transaction routing at the protocol level, against an in-process broker: the send path's delay / timer / retry /
 * half-message routing, CONSUMER_SEND_MSG_BACK, END_TRANSACTION refusals and GET_ALL_DELAY_OFFSET.
 * (The official Java client covers the happy paths end to end in compat-tests/delay-retry-transaction.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, requestBody, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { decodeRecord } from '../../src/codec/message-record.js';
import { getProperty } from '../../src/codec/message-properties.js';
import { decodeOffsetMessageId } from '../../src/codec/message-id.js';
import type { BrokerContext } from '../../src/broker/broker-context.js';

const TIMEOUT_MS = 3000;
let srv: InProcessServer;
let ctx: BrokerContext;
const client = new RemotingClient(() => {});
const invoke = (req: RemotingCommand) => client.invoke(srv.brokerAddr, req, TIMEOUT_MS);

function send(topic: string, props: Record<string, string>, extra: Record<string, string> = {}, sysFlag = 0): RemotingCommand {
  const properties = Object.entries(props).map(([k, v]) => `${k}\u0001${v}`).join('\u0002');
  return createRequest(RequestCode.SEND_MESSAGE_V2, {
    a: 'pg', b: topic, c: 'TBW102', d: '4', e: '0', f: String(sysFlag), g: String(Date.now()), h: '0', i: properties, j: '0', k: 'false', m: 'false',
    ...extra,
  }, Buffer.from(`body-${topic}`));
}

function lastRecord(topic: string, queueId: number) {
  const max = ctx.store.getMaxOffsetInQueue(topic, queueId);
  if (max === 0) return undefined;
  const r = ctx.store.getMessage('t', topic, queueId, max - 1, 1);
  return r.buffers.length ? decodeRecord(r.buffers[0]) : undefined;
}

beforeAll(async () => {
  srv = await startInProcess({ messageDelayLevel: '1s 1s 1s 1s 1s', transactionCheckInterval: 3_600_000 });
  ctx = srv.broker.ctx;
});
afterAll(async () => {
  client.close();
  await srv?.stop();
});

describe('send path routing', () => {
  it('parks DELAY>0 in SCHEDULE_TOPIC_XXXX and GET_ALL_DELAY_OFFSET reports the progress', async () => {
    const empty = await invoke(createRequest(RequestCode.GET_ALL_DELAY_OFFSET));
    expect(empty.code).toBe(ResponseCode.SUCCESS);
    expect(requestBody(empty)?.toString()).toBe('{"offsetTable":{}}');
    const r = await invoke(send('DelayP', { DELAY: '9', TAGS: 't' }));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    const parked = lastRecord('SCHEDULE_TOPIC_XXXX', 4)!;
    expect(getProperty(parked.propertiesString, 'REAL_TOPIC')).toBe('DelayP');
    expect(getProperty(parked.propertiesString, 'DELAY')).toBe('5');
    await new Promise((res) => setTimeout(res, 1500));
    expect(lastRecord('DelayP', 0)?.body.toString()).toBe('body-DelayP');
    const after = await invoke(createRequest(RequestCode.GET_ALL_DELAY_OFFSET));
    expect(requestBody(after)?.toString()).toBe('{"offsetTable":{5:1}}');
  });

  it('parks a future TIMER_DELAY_SEC in rmq_sys_wheel_timer and refuses one beyond timerMaxDelaySec', async () => {
    const ok = await invoke(send('TimerP', { TIMER_DELAY_SEC: '60' }));
    expect(ok.code).toBe(ResponseCode.SUCCESS);
    const parked = lastRecord('rmq_sys_wheel_timer', 0)!;
    expect(getProperty(parked.propertiesString, 'REAL_TOPIC')).toBe('TimerP');
    expect(Number(getProperty(parked.propertiesString, 'TIMER_OUT_MS'))).toBeGreaterThan(Date.now() + 55_000);
    expect(ctx.timer.pendingCount).toBe(1);
    const far = await invoke(send('TimerP', { TIMER_DELAY_SEC: String(8 * 86_400) }));
    expect(far.code).toBe(ResponseCode.MESSAGE_ILLEGAL);
    const bad = await invoke(send('TimerP', { TIMER_DELIVER_MS: 'tomorrow' }));
    expect(bad.code).toBe(ResponseCode.MESSAGE_ILLEGAL);
  });

  it('sends to %RETRY% past the budget go to %DLQ% (read+write, one queue), without delay', async () => {
    const r = await invoke(send('%RETRY%gx', { DELAY: '3', RETRY_TOPIC: 'Orig' }, { j: '2', l: '2' }));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    const dlq = ctx.topics.select('%DLQ%gx')!;
    expect(dlq).toMatchObject({ perm: 6, readQueueNums: 1, writeQueueNums: 1 });
    const rec = lastRecord('%DLQ%gx', 0)!;
    expect(getProperty(rec.propertiesString, 'RETRY_TOPIC')).toBe('Orig');
    expect(getProperty(rec.propertiesString, 'DELAY')).toBeUndefined();
    // Within the budget it is a delayed retry.
    const again = await invoke(send('%RETRY%gx', { DELAY: '3', RETRY_TOPIC: 'Orig' }, { j: '1', l: '2' }));
    expect(again.code).toBe(ResponseCode.SUCCESS);
    expect(getProperty(lastRecord('SCHEDULE_TOPIC_XXXX', 2)!.propertiesString, 'REAL_TOPIC')).toBe('%RETRY%gx');
  });
});

describe('batches', () => {
  it('refuses delayed and transactional batches, as CommitLog#asyncPutMessages does', async () => {
    const batch = (props: Record<string, string>, sysFlag = 0) => {
      const req = send('BatchT', props, { m: 'true' }, sysFlag);
      req.code = RequestCode.SEND_BATCH_MESSAGE;
      return req;
    };
    expect((await invoke(batch({ DELAY: '2' }))).code).toBe(ResponseCode.MESSAGE_ILLEGAL);
    expect((await invoke(batch({}, 0x4))).code).toBe(ResponseCode.MESSAGE_ILLEGAL);
  });
});

describe('CONSUMER_SEND_MSG_BACK', () => {
  const back = (offset: number, delayLevel: number, extra: Record<string, string> = {}) =>
    createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, { offset: String(offset), group: 'gb', delayLevel: String(delayLevel), unitMode: 'false', ...extra });

  it('refuses an offset with no message', async () => {
    const r = await invoke(back(987_654_321, 0));
    expect(r.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(r.remark).toBe('look message by offset failed, 987654321');
  });

  it('retries with level 3 + reconsumeTimes, keeping RETRY_TOPIC and ORIGIN_MESSAGE_ID; delayLevel -1 goes to the DLQ', async () => {
    const sent = await invoke(send('BackT', { TAGS: 'x', UNIQ_KEY: 'U1' }));
    const offset = decodeOffsetMessageId(sent.extFields!.msgId)!.commitLogOffset;
    const r = await invoke(back(offset, 0, { maxReconsumeTimes: '5' }));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    const parked = lastRecord('SCHEDULE_TOPIC_XXXX', 2)!;
    expect(parked.reconsumeTimes).toBe(1);
    expect(getProperty(parked.propertiesString, 'REAL_TOPIC')).toBe('%RETRY%gb');
    expect(getProperty(parked.propertiesString, 'RETRY_TOPIC')).toBe('BackT');
    expect(getProperty(parked.propertiesString, 'ORIGIN_MESSAGE_ID')).toBe(sent.extFields!.msgId);
    expect(getProperty(parked.propertiesString, 'UNIQ_KEY')).toBe('U1');
    const dead = await invoke(back(offset, -1));
    expect(dead.code).toBe(ResponseCode.SUCCESS);
    const rec = lastRecord('%DLQ%gb', 0)!;
    expect(rec.body.toString()).toBe('body-BackT');
    expect(getProperty(rec.propertiesString, 'DELAY')).toBe('0');
    expect(ctx.topics.select('%DLQ%gb')?.perm).toBe(6);
  });
});

describe('END_TRANSACTION', () => {
  it('checks the half message against the header; UNKNOWN does nothing', async () => {
    const half = await invoke(send('TxP', { TRAN_MSG: 'true', PGROUP: 'pg' }, {}, 0x4));
    expect(half.code).toBe(ResponseCode.SUCCESS);
    expect(ctx.store.getMaxOffsetInQueue('TxP', 0)).toBe(0);
    const commitLogOffset = String(decodeOffsetMessageId(half.extFields!.msgId)!.commitLogOffset);
    const end = (h: Record<string, string>) =>
      createRequest(RequestCode.END_TRANSACTION, { producerGroup: 'pg', tranStateTableOffset: half.extFields!.queueOffset, commitLogOffset, commitOrRollback: '8', msgId: 'm', ...h });
    expect((await invoke(end({ producerGroup: 'other' }))).remark).toBe('The producer group wrong');
    expect((await invoke(end({ tranStateTableOffset: '77' }))).remark).toBe('The transaction state table offset wrong');
    expect((await invoke(end({ commitLogOffset: '3' }))).remark).toBe('Find prepared transaction message failed');
    // No answer at all (EndTransactionProcessor returns null).
    await expect(client.invoke(srv.brokerAddr, end({ commitOrRollback: '0' }), 300)).rejects.toThrow(/timeout/);
    expect(ctx.transactions.pendingCount).toBe(1);
    expect((await invoke(end({}))).code).toBe(ResponseCode.SUCCESS);
    const committed = lastRecord('TxP', 0)!;
    expect(committed.sysFlag & 0xc).toBe(0x8);
    expect(committed.preparedTransactionOffset).toBe(Number(commitLogOffset));
    expect(ctx.transactions.pendingCount).toBe(0);
    // A second commit is ignored: still one message.
    expect((await invoke(end({}))).code).toBe(ResponseCode.SUCCESS);
    expect(ctx.store.getMaxOffsetInQueue('TxP', 0)).toBe(1);
  });
});
