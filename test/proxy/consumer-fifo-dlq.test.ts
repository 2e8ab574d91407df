/**
 * The consumer RPCs' retry, order and offset paths through the gRPC endpoint (raw @grpc/grpc-js
 * client, in-process NameServer + broker): a FIFO group (consumeMessageOrderly) gets one assignment
 * per queue and one message group in flight at a time, re-delivered in order; a message past the
 * group's attempts lands in %DLQ%<group>; ForwardMessageToDeadLetterQueue; the Telemetry settings a
 * consumer is answered with; and PullMessage / UpdateOffset / GetOffset / QueryOffset.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRig, groupRequest, receiveRequest, messagesOf, statusOf, ms, type Rig } from './consumer-client.js';
import { createRequest } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { PullSysFlag } from '../../src/protocol/sys-flag.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { decodeRecord } from '../../src/codec/message-record.js';
import { getProperty } from '../../src/codec/message-properties.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
}, 30_000);
afterAll(async () => {
  await rig?.stop();
});

async function createGroup(group: string, fields: Record<string, unknown>): Promise<void> {
  const res = await rig.broker(groupRequest(group, fields));
  expect(res.code).toBe(ResponseCode.SUCCESS);
}

/** PULL_MESSAGE of queue 0 from offset 0 with its own `*` subscription (no heartbeat needed). */
const pullAll = (topic: string) => rig.broker(createRequest(RequestCode.PULL_MESSAGE, {
  consumerGroup: 'dlq-reader', topic, queueId: '0', queueOffset: '0', maxMsgNums: '32', sysFlag: String(PullSysFlag.FLAG_SUBSCRIPTION),
  commitOffset: '0', suspendTimeoutMillis: '0', subscription: '*', subVersion: '0', expressionType: 'TAG',
}));

/** The bodies in %DLQ%<group> queue 0, read over remoting. */
async function dlqBodies(group: string): Promise<string[]> {
  const res = await pullAll(`%DLQ%${group}`);
  if (res.code !== ResponseCode.SUCCESS) return [];
  const body = res.body as Buffer;
  const out: string[] = [];
  for (let pos = 0; pos < body.length; pos += body.readInt32BE(pos)) out.push(decodeRecord(body, pos).body.toString());
  return out;
}

async function ack(topic: string, group: string, m: any): Promise<string> {
  const res = await rig.unary('AckMessage', {
    group: { name: group }, topic: { name: topic },
    entries: [{ messageId: m.systemProperties.messageId, receiptHandle: m.systemProperties.receiptHandle }],
  });
  return res.status.code;
}

async function receiveUntil(topic: string, group: string, tries: number, o: object = {}): Promise<any[]> {
  for (let i = 0; i < tries; i++) {
    const got = messagesOf(await rig.stream('ReceiveMessage', receiveRequest(topic, group, { pollMs: 300, ...o })));
    if (got.length > 0) return got;
  }
  return [];
}

describe('gRPC consumer: FIFO groups, DLQ, offsets', () => {
  it('FIFO group: one assignment per queue; a message group is delivered in order, one in flight, re-delivered in order', async () => {
    await rig.createTopic('GFF', 2);
    await createGroup('gff', { consumeMessageOrderly: true });
    const qa = await rig.unary('QueryAssignment', { topic: { name: 'GFF' }, group: { name: 'gff' }, endpoints: { scheme: 'IPv4', addresses: [{ host: '127.0.0.1', port: 1 }] } });
    expect(qa.assignments.map((a: any) => a.messageQueue.id)).toEqual([0, 1]);
    for (const b of ['f0', 'f1', 'f2']) await rig.send('GFF', b, { queueId: 0, props: { __SHARDINGKEY: 'order-1' } });

    const [m0] = messagesOf(await rig.stream('ReceiveMessage', receiveRequest('GFF', 'gff', { batch: 1, invisibleMs: 1_000 })));
    expect(m0.body.toString()).toBe('f0');
    expect(m0.systemProperties.messageGroup).toBe('order-1');
    // While f0 is in flight its queue is locked: nothing else of the group is delivered.
    const locked = await rig.stream('ReceiveMessage', receiveRequest('GFF', 'gff', { batch: 1, pollMs: 200 }));
    expect(statusOf(locked).code).toBe('MESSAGE_NOT_FOUND');
    // Not acked: after its invisible time the same f0 comes again, as attempt 2, before f1.
    const again = await receiveUntil('GFF', 'gff', 10, { batch: 1, invisibleMs: 5_000 });
    expect(again.map((m) => m.body.toString())).toEqual(['f0']);
    expect(again[0].systemProperties.deliveryAttempt).toBe(2);
    expect(await ack('GFF', 'gff', again[0])).toBe('OK');
    const rest: string[] = [];
    for (let i = 0; i < 10 && rest.length < 2; i++) {
      for (const m of messagesOf(await rig.stream('ReceiveMessage', receiveRequest('GFF', 'gff', { batch: 1, pollMs: 300 })))) {
        rest.push(m.body.toString());
        expect(m.systemProperties.deliveryAttempt).toBe(1);
        expect(await ack('GFF', 'gff', m)).toBe('OK');
      }
    }
    expect(rest).toEqual(['f1', 'f2']);
  }, 20_000);

  it('a message not consumed within the group\'s attempts (retryMaxTimes 1: 2 deliveries) ends in %DLQ%<group>', async () => {
    await rig.createTopic('GDL', 1);
    await createGroup('gdl', { retryMaxTimes: 1 });
    await rig.send('GDL', 'doomed');
    const attempts: number[] = [];
    for (let i = 0; i < 2; i++) {
      const [m] = await receiveUntil('GDL', 'gdl', 15, { invisibleMs: 1_000 });
      expect(m?.body.toString()).toBe('doomed');
      attempts.push(m.systemProperties.deliveryAttempt);
      // A PushConsumer's failure: the message made visible again soon (its backoff).
      const nack = await rig.unary('ChangeInvisibleDuration', {
        group: { name: 'gdl' }, topic: { name: 'GDL' }, receiptHandle: m.systemProperties.receiptHandle, invisibleDuration: ms(200),
        messageId: m.systemProperties.messageId,
      });
      expect(nack.status.code).toBe('OK');
    }
    expect(attempts).toEqual([1, 2]);
    let dlq: string[] = [];
    for (let i = 0; i < 30 && dlq.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      dlq = await dlqBodies('gdl');
    }
    expect(dlq).toEqual(['doomed']);
    const none = await rig.stream('ReceiveMessage', receiveRequest('GDL', 'gdl', { pollMs: 500 }));
    expect(messagesOf(none)).toEqual([]);
  }, 20_000);

  it('ForwardMessageToDeadLetterQueue: the message moves to %DLQ%<group> with its properties and is not delivered again', async () => {
    await rig.createTopic('GFW', 1);
    await rig.send('GFW', 'to-dlq', { props: { TAGS: 'T1', KEYS: 'kk', UNIQ_KEY: 'AC110001000018B4AAC20000000000FF' } });
    const [m] = await receiveUntil('GFW', 'gfw', 5, { invisibleMs: 1_000 });
    const res = await rig.unary('ForwardMessageToDeadLetterQueue', {
      group: { name: 'gfw' }, topic: { name: 'GFW' }, receiptHandle: m.systemProperties.receiptHandle, messageId: m.systemProperties.messageId,
      deliveryAttempt: 1, maxDeliveryAttempts: 16,
    });
    // The broker's SUCCESS has no remark: the 5.3.3 proxy writes the code's number (ResponseBuilder#buildStatus(int, String)).
    expect(res.status).toEqual({ code: 'OK', message: '0' });
    const pulled = await pullAll('%DLQ%gfw');
    const rec = decodeRecord(pulled.body as Buffer, 0);
    expect(rec.body.toString()).toBe('to-dlq');
    expect(getProperty(rec.propertiesString, 'UNIQ_KEY')).toBe('AC110001000018B4AAC20000000000FF');
    expect(getProperty(rec.propertiesString, 'TAGS')).toBe('T1');
    await new Promise((r) => setTimeout(r, 1_300));
    expect(messagesOf(await rig.stream('ReceiveMessage', receiveRequest('GFW', 'gfw', { pollMs: 300 })))).toEqual([]);
    const bad = await rig.unary('ForwardMessageToDeadLetterQueue', { group: { name: 'gfw' }, topic: { name: 'GFW' }, receiptHandle: '0 1 2 3 0 nowhere 0 0 5', messageId: 'x' });
    expect(bad.status).toEqual({ code: 'INVALID_RECEIPT_HANDLE', message: 'cannot find broker nowhere' });
  }, 15_000);

  it('the consumer settings hook: fifo and backoff from the group (Telemetry answers with these)', async () => {
    await rig.createTopic('GST', 1);
    await createGroup('gst', { consumeMessageOrderly: true, retryMaxTimes: 4 });
    // Group configs are cached; a group missing from the table is looked up again once the table is 1 s old.
    await new Promise((r) => setTimeout(r, 1_100));
    const merged = await rig.proxy.context.hooks.subscriptionSettings({
      clientType: 'PUSH_CONSUMER', subscription: { group: { name: 'gst' }, subscriptions: [{ topic: { name: 'GST' }, expression: { type: 'TAG', expression: '*' } }] },
    });
    expect(merged.subscription).toMatchObject({ fifo: true, receiveBatchSize: 32, longPollingTimeout: { seconds: 20, nanos: 0 }, group: { name: 'gst' } });
    expect(merged.backoffPolicy.maxAttempts).toBe(5);
    expect(merged.backoffPolicy.customizedBackoff.next[0]).toEqual({ seconds: 1, nanos: 0 });
  });

  it('PullMessage, UpdateOffset, GetOffset, QueryOffset on one queue', async () => {
    await rig.createTopic('GPL', 1);
    const t0 = Date.now();
    for (const b of ['p0', 'p1', 'p2']) await rig.send('GPL', b, { props: { TAGS: b === 'p1' ? 'skip' : 'keep' } });
    const mq = { topic: { name: 'GPL' }, id: 0, broker: { name: 'broker-a' } };
    const begin = await rig.unary('QueryOffset', { messageQueue: mq, queryOffsetPolicy: 'BEGINNING' });
    const end = await rig.unary('QueryOffset', { messageQueue: mq, queryOffsetPolicy: 'END' });
    const byTime = await rig.unary('QueryOffset', { messageQueue: mq, queryOffsetPolicy: 'TIMESTAMP', timestamp: ms(t0 - 60_000) });
    expect([begin.offset, end.offset, byTime.offset]).toEqual([0, 3, 0]);
    expect(end.status.code).toBe('OK');

    const pulled = await rig.stream('PullMessage', { group: { name: 'gpl' }, messageQueue: mq, offset: 0, batchSize: 2, filterExpression: { type: 'TAG', expression: '*' }, longPollingTimeout: ms(0) });
    expect(pulled.map((r) => r.content)).toEqual(['status', 'message', 'message', 'nextOffset']);
    expect(messagesOf(pulled).map((m) => m.body.toString())).toEqual(['p0', 'p1']);
    expect(messagesOf(pulled)[0].systemProperties.receiptHandle).toBeUndefined();
    expect(pulled[3].nextOffset).toBe(2);
    const tagged = await rig.stream('PullMessage', { group: { name: 'gpl' }, messageQueue: mq, offset: 0, batchSize: 8, filterExpression: { type: 'TAG', expression: 'keep' }, longPollingTimeout: ms(0) });
    expect(messagesOf(tagged).map((m) => m.body.toString())).toEqual(['p0', 'p2']);
    const empty = await rig.stream('PullMessage', { group: { name: 'gpl' }, messageQueue: mq, offset: 3, batchSize: 8, filterExpression: { type: 'TAG', expression: '*' }, longPollingTimeout: ms(0) });
    expect(statusOf(empty)).toEqual({ code: 'MESSAGE_NOT_FOUND', message: 'no new message' });
    expect(empty[empty.length - 1].nextOffset).toBe(3);

    // A group that never committed, on a queue still holding its first message: the broker answers 0 (ConsumerManageProcessor).
    expect(await rig.unary('GetOffset', { group: { name: 'gpl-new' }, messageQueue: mq })).toEqual({ status: { code: 'OK', message: 'OK' }, offset: 0 });
    expect((await rig.unary('UpdateOffset', { group: { name: 'gpl' }, messageQueue: mq, offset: 2 })).status).toEqual({ code: 'OK', message: 'OK' });
    expect((await rig.unary('GetOffset', { group: { name: 'gpl' }, messageQueue: mq })).offset).toBe(2);
    const wrongBroker = await rig.unary('GetOffset', { group: { name: 'gpl' }, messageQueue: { ...mq, broker: { name: 'broker-z' } } });
    expect(wrongBroker.status).toEqual({ code: 'BAD_REQUEST', message: 'cannot find broker broker-z' });
  });
});
