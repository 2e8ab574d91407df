/**
 * Answers a 5.x broker gives where 4.9 says nothing, at the protocol level against an in-process broker:
 * the send response's transactionId (UNIQ_KEY) and recallHandle, the timer's slot rounding and refusals
 * (5.3.3 HookUtils#transformTimerMessage), and topic attributes (AttributeParser / AttributeUtil rules).
 * The real 5.x client and mqadmin cover the same end to end in compat-tests/java5-answers.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, requestBody, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { decodeRecord } from '../../src/codec/message-record.js';
import { getProperty } from '../../src/codec/message-properties.js';
import { effectiveTimerPrecisionMs, timerSlotMs } from '../../src/config/timer.js';
import { alterTopicAttributes, parseAttributeModification } from '../../src/broker/metadata/topic-attributes.js';
import type { BrokerContext } from '../../src/broker/broker-context.js';

const TIMEOUT_MS = 3000;
let srv: InProcessServer;
let ctx: BrokerContext;
const client = new RemotingClient(() => {});
const invoke = (req: RemotingCommand) => client.invoke(srv.brokerAddr, req, TIMEOUT_MS);

function send(topic: string, props: Record<string, string>): RemotingCommand {
  const properties = Object.entries(props).map(([k, v]) => `${k}\u0001${v}`).join('\u0002');
  return createRequest(RequestCode.SEND_MESSAGE_V2, {
    a: 'pg', b: topic, c: 'TBW102', d: '4', e: '0', f: '0', g: String(Date.now()), h: '0', i: properties, j: '0', k: 'false', m: 'false',
  }, Buffer.from(`body-${topic}`));
}

function lastRecord(topic: string, queueId: number) {
  const max = ctx.store.getMaxOffsetInQueue(topic, queueId);
  if (max === 0) return undefined;
  const r = ctx.store.getMessage('t', topic, queueId, max - 1, 1);
  return r.buffers.length ? decodeRecord(r.buffers[0]) : undefined;
}

beforeAll(async () => {
  srv = await startInProcess({ timerMaxDelaySec: 3600, timerPrecisionMs: 700 });
  ctx = srv.broker.ctx;
});
afterAll(async () => {
  client.close();
  await srv?.stop();
});

describe('send response', () => {
  it('carries transactionId = UNIQ_KEY when the message has one, nothing otherwise', async () => {
    const r = await invoke(send('TxIdT', { UNIQ_KEY: '7F0000017A2C18B4AAC2', WAIT: 'true' }));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(r.extFields?.transactionId).toBe('7F0000017A2C18B4AAC2');
    expect(r.extFields?.recallHandle).toBeUndefined();
    const none = await invoke(send('TxIdT', { WAIT: 'true' }));
    expect(none.extFields?.transactionId).toBeUndefined();
  });
});

describe('timer rounding and limits (timerPrecisionMs 700 → 500, timerMaxDelaySec 3600)', () => {
  it('snaps the precision and rounds a due time to its slot as 5.3.3 does', () => {
    expect([1, 150, 200, 499, 500, 700, 999, 1000, 5000].map(effectiveTimerPrecisionMs)).toEqual([100, 100, 200, 200, 500, 500, 500, 1000, 1000]);
    expect(timerSlotMs(10_250, 1000)).toBe(10_000);
    // On a boundary: one slot earlier (delivered when the clock passes the slot, i.e. at 10 000).
    expect(timerSlotMs(10_000, 1000)).toBe(9_000);
  });

  it('parks at the slot, answers a recallHandle, and delivers no earlier than due', async () => {
    const before = Date.now();
    const r = await invoke(send('TimerR', { TIMER_DELAY_MS: '1200', UNIQ_KEY: 'AB12', WAIT: 'true' }));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    const parked = lastRecord('rmq_sys_wheel_timer', 0)!;
    const slot = Number(getProperty(parked.propertiesString, 'TIMER_OUT_MS'));
    expect(slot % 500).toBe(0);
    expect(slot).toBeGreaterThanOrEqual(before + 1200 - 500);
    const handle = Buffer.from(r.extFields!.recallHandle!.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    expect(handle).toBe(`v1 TimerR ${ctx.config.brokerName} ${slot + 1} AB12`);
    const deadline = Date.now() + 5000;
    while (!lastRecord('TimerR', 0) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    const delivered = lastRecord('TimerR', 0);
    expect(delivered).toBeDefined();
    expect(delivered!.storeTimestamp).toBeGreaterThanOrEqual(before + 1200);
    // As TimerMessageStore#convert: REAL_TOPIC / REAL_QID gone, enqueue and dequeue times added.
    expect(getProperty(delivered!.propertiesString, 'REAL_TOPIC')).toBeUndefined();
    expect(getProperty(delivered!.propertiesString, 'TIMER_DEQUEUE_MS')).toBeDefined();
    expect(getProperty(delivered!.propertiesString, 'TIMER_ENQUEUE_MS')).toBe(String(parked.storeTimestamp));
  });

  it('refuses a delay beyond timerMaxDelaySec, a non-long, and a due TIMER_DEL_UNIQKEY with 5.3.3\'s remark', async () => {
    const remark = 'timer message illegal, the delay time should not be bigger than the max delay 3600000ms; or if set del msg, the delay time should be bigger than the current time';
    for (const props of [{ TIMER_DELAY_SEC: '3601' }, { TIMER_DELIVER_MS: 'soon' }, { TIMER_DELAY_MS: '0', TIMER_DEL_UNIQKEY: 'x' }]) {
      const r = await invoke(send('TimerR', props));
      expect([r.code, r.remark]).toEqual([ResponseCode.MESSAGE_ILLEGAL, remark]);
    }
    expect((await invoke(send('TimerR', { TIMER_DELAY_SEC: '3599' }))).code).toBe(ResponseCode.SUCCESS);
  });

  it('GET_BROKER_RUNTIME_INFO reports the timer keys 5.3.3 adds', async () => {
    const res = await invoke(createRequest(RequestCode.GET_BROKER_RUNTIME_INFO));
    const table = (JSON.parse(requestBody(res)!.toString()) as { table: Record<string, string> }).table;
    expect(Number(table.timerCongestNum)).toBe(ctx.timer.pendingCount);
    expect(ctx.timer.pendingCount).toBeGreaterThanOrEqual(1);
    expect(table).toMatchObject({ timerReadBehind: '0', timerOffsetBehind: '0' });
    expect(table.timerEnqueueTps).toMatch(/^\d+\.\d+/);
    expect(table.timerDequeueTps).toMatch(/^\d+\.\d+/);
  });
});

describe('topic attributes', () => {
  it('parses modification strings as AttributeParser#parseToMap', () => {
    expect(parseAttributeModification('+message.type=FIFO,-reserve.time')).toEqual(new Map([['+message.type', 'FIFO'], ['-reserve.time', '']]));
    expect(parseAttributeModification('')).toEqual(new Map());
    expect(parseAttributeModification('message.type=FIFO')).toEqual({ error: 'add/alter attribute format is wrong: message.type' });
    expect(parseAttributeModification('+a')).toEqual({ error: 'delete attribute format is wrong: +a' });
    expect(parseAttributeModification('+a=1,+a=2')).toEqual({ error: 'key duplication: +a' });
  });

  it('alters as AttributeUtil#alterCurrentAttributes over TopicAttributes.ALL', () => {
    const m = (s: string) => parseAttributeModification(s) as Map<string, string>;
    expect(alterTopicAttributes(true, {}, m('+message.type=FIFO'))).toEqual({ 'message.type': 'FIFO' });
    expect(alterTopicAttributes(true, {}, m('-message.type'))).toEqual({ error: 'only add attribute is supported while creating topic. key: message.type' });
    expect(alterTopicAttributes(false, { 'message.type': 'FIFO' }, m('-message.type'))).toEqual({});
    expect(alterTopicAttributes(false, {}, m('-message.type'))).toEqual({ error: 'attempt to delete a nonexistent key: message.type' });
    expect(alterTopicAttributes(false, {}, m('+queue.type=BatchCQ'))).toEqual({ error: 'attempt to update an unchangeable attribute. key: queue.type' });
    expect(alterTopicAttributes(true, {}, m('+queue.type=BatchCQ'))).toEqual({ 'queue.type': 'BatchCQ' });
    expect(alterTopicAttributes(true, {}, m('+foo=1'))).toEqual({ error: 'unsupported key: foo' });
    expect(alterTopicAttributes(true, {}, m('+reserve.time=x'))).toEqual({ error: 'For input string: "x"' });
    expect(alterTopicAttributes(true, {}, m('+reserve.time=-2'))).toEqual({ error: 'value is not in range(-1, 9223372036854775807)' });
  });

  it('UPDATE_AND_CREATE_TOPIC stores them, GET_TOPIC_CONFIG answers them, topics.json keeps them', async () => {
    const create = (attributes?: string) => invoke(createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
      topic: 'AttrT', readQueueNums: '2', writeQueueNums: '2', perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false',
      ...(attributes === undefined ? {} : { attributes }),
    }));
    expect((await create('+message.type=MIXED')).code).toBe(ResponseCode.INVALID_PARAMETER);
    const bad = await create('+cleanup.policy=KEEP');
    expect([bad.code, bad.remark]).toEqual([ResponseCode.SYSTEM_ERROR, 'value is not in set: [DELETE, COMPACTION]']);
    expect((await create('+message.type=FIFO')).code).toBe(ResponseCode.SUCCESS);
    expect((await create()).code).toBe(ResponseCode.SUCCESS);
    const got = await invoke(createRequest(RequestCode.GET_TOPIC_CONFIG, { topic: 'AttrT' }));
    expect(JSON.parse(requestBody(got)!.toString())).toMatchObject({ topicName: 'AttrT', attributes: { 'message.type': 'FIFO' } });
    expect(ctx.topics.select('AttrT')?.attributes).toEqual({ 'message.type': 'FIFO' });
    await ctx.topics.persist();
    const plain = await invoke(createRequest(RequestCode.GET_TOPIC_CONFIG, { topic: 'TxIdT' }));
    expect(JSON.parse(requestBody(plain)!.toString()).attributes).toEqual({});
  });
});
