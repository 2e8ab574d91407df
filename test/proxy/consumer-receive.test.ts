/**
 * The consumer RPCs through the gRPC endpoint, with a raw @grpc/grpc-js client, against an
 * in-process NameServer + broker: QueryAssignment, ReceiveMessage (stream order, message content,
 * long polling, filters, refusals), AckMessage, ChangeInvisibleDuration (re-delivery as the next
 * attempt), and the receipt handle's checks. Messages are produced over remoting, so this suite
 * does not depend on the producer side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { startRig, receiveRequest, messagesOf, statusOf, ms, type Rig } from './consumer-client.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
}, 30_000);
afterAll(async () => {
  await rig?.stop();
});

const sleep = (t: number): Promise<void> => new Promise((r) => setTimeout(r, t));
const tsMs = (t: { seconds: number; nanos: number }): number => Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6);

describe('gRPC consumer: QueryAssignment, ReceiveMessage, AckMessage, ChangeInvisibleDuration', () => {
  it('QueryAssignment: one assignment of queue -1 on broker-a at our endpoint; unknown topic TOPIC_NOT_FOUND; system topic ILLEGAL_TOPIC', async () => {
    await rig.createTopic('GQA', 4);
    const res = await rig.unary('QueryAssignment', {
      topic: { name: 'GQA' }, group: { name: 'gqa' }, endpoints: { scheme: 'IPv4', addresses: [{ host: '127.0.0.1', port: 1 }] },
    });
    expect(res.status).toEqual({ code: 'OK', message: 'OK' });
    expect(res.assignments).toHaveLength(1);
    const mq = res.assignments[0].messageQueue;
    expect(mq).toMatchObject({ topic: { name: 'GQA' }, id: -1, permission: 'READ_WRITE', broker: { name: 'broker-a', id: 0 } });
    expect(mq.broker.endpoints.addresses).toEqual([{ host: '127.0.0.1', port: rig.proxy.port }]);
    const missing = await rig.unary('QueryAssignment', { topic: { name: 'NoSuchTopicG' }, group: { name: 'gqa' } });
    expect(missing.status.code).toBe('TOPIC_NOT_FOUND');
    const sys = await rig.unary('QueryAssignment', { topic: { name: 'rmq_sys_x' }, group: { name: 'gqa' } });
    expect(sys.status).toEqual({ code: 'ILLEGAL_TOPIC', message: 'cannot access system topic' });
  });

  it('ReceiveMessage: status OK, the messages with their content, then delivery_timestamp; acked messages are gone', async () => {
    await rig.createTopic('GRM', 1);
    const before = Date.now();
    await rig.send('GRM', 'hello', { props: { TAGS: 'TagA', KEYS: 'k1 k2', UNIQ_KEY: 'AC110001000018B4AAC2000000000001', color: 'red' } });
    await rig.send('GRM', 'fifo-body', { props: { TAGS: 'TagB', __SHARDINGKEY: 'order-7', UNIQ_KEY: 'AC110001000018B4AAC2000000000002' } });
    const responses = await rig.stream('ReceiveMessage', receiveRequest('GRM', 'grm'));
    expect(responses.map((r) => r.content)).toEqual(['status', 'message', 'message', 'deliveryTimestamp']);
    expect(statusOf(responses)).toEqual({ code: 'OK', message: 'OK' });
    expect(tsMs(responses[3].deliveryTimestamp)).toBeGreaterThanOrEqual(before);
    const [m1, m2] = messagesOf(responses);
    expect(m1.topic).toEqual({ name: 'GRM', resourceNamespace: '' });
    expect(m1.body.toString()).toBe('hello');
    expect(m1.userProperties).toEqual({ color: 'red' });
    const s1 = m1.systemProperties;
    expect(s1).toMatchObject({
      tag: 'TagA', keys: ['k1', 'k2'], messageId: 'AC110001000018B4AAC2000000000001', bodyEncoding: 'IDENTITY', messageType: 'NORMAL',
      queueId: 0, queueOffset: 0, deliveryAttempt: 1,
      bodyDigest: { type: 'MD5', checksum: createHash('md5').update('hello').digest('hex').toUpperCase() },
    });
    expect(tsMs(s1.bornTimestamp)).toBeGreaterThanOrEqual(before - 1000);
    expect(tsMs(s1.storeTimestamp)).toBeGreaterThanOrEqual(tsMs(s1.bornTimestamp));
    expect(s1.storeHost).toBe(rig.srv.brokerAddr);
    const handle = s1.receiptHandle.split(' ');
    expect(handle).toHaveLength(9);
    expect(handle[5]).toBe('broker-a');
    expect(m2.systemProperties).toMatchObject({ messageGroup: 'order-7', messageType: 'FIFO', queueOffset: 1, tag: 'TagB' });
    // __SHARDINGKEY is not in MessageConst.STRING_HASH_SET: the 5.3.3 proxy hands it on as a user property too.
    expect(m2.userProperties).toEqual({ __SHARDINGKEY: 'order-7' });

    const ack = await rig.unary('AckMessage', {
      group: { name: 'grm' }, topic: { name: 'GRM' },
      entries: [m1, m2].map((m) => ({ messageId: m.systemProperties.messageId, receiptHandle: m.systemProperties.receiptHandle })),
    });
    expect(ack.status).toEqual({ code: 'OK', message: 'OK' });
    expect(ack.entries.map((e: any) => e.status.code)).toEqual(['OK', 'OK']);
    const again = await rig.stream('ReceiveMessage', receiveRequest('GRM', 'grm', { pollMs: 200 }));
    expect(statusOf(again)).toEqual({ code: 'MESSAGE_NOT_FOUND', message: 'no new message' });
    expect(again.map((r) => r.content)).toEqual(['status', 'deliveryTimestamp']);
  });

  it('long polling: a receive waiting on an empty queue gets the message sent meanwhile', async () => {
    await rig.createTopic('GLP', 1);
    // The group's first pop sets its start offset (ConsumeInitMode.MAX: the queue's end).
    await rig.stream('ReceiveMessage', receiveRequest('GLP', 'glp', { pollMs: 100 }));
    const t0 = Date.now();
    const pending = rig.stream('ReceiveMessage', receiveRequest('GLP', 'glp', { pollMs: 5_000 }));
    await sleep(300);
    await rig.send('GLP', 'late');
    const responses = await pending;
    expect(messagesOf(responses).map((m) => m.body.toString())).toEqual(['late']);
    expect(Date.now() - t0).toBeLessThan(4_000);
  });

  it('ChangeInvisibleDuration: a new handle; the message comes back after the duration as delivery attempt 2', async () => {
    await rig.createTopic('GCI', 1);
    await rig.stream('ReceiveMessage', receiveRequest('GCI', 'gci', { pollMs: 100 }));
    await rig.send('GCI', 'retry-me', { props: { UNIQ_KEY: 'AC110001000018B4AAC2000000000099' } });
    const [m] = messagesOf(await rig.stream('ReceiveMessage', receiveRequest('GCI', 'gci', { invisibleMs: 20_000 })));
    expect(m.systemProperties.deliveryAttempt).toBe(1);
    const changed = await rig.unary('ChangeInvisibleDuration', {
      group: { name: 'gci' }, topic: { name: 'GCI' }, receiptHandle: m.systemProperties.receiptHandle,
      invisibleDuration: ms(500), messageId: m.systemProperties.messageId,
    });
    expect(changed.status).toEqual({ code: 'OK', message: 'OK' });
    expect(changed.receiptHandle).not.toBe(m.systemProperties.receiptHandle);
    expect(changed.receiptHandle.split(' ')).toHaveLength(9);
    let redelivered: any;
    for (let i = 0; i < 20 && !redelivered; i++) {
      [redelivered] = messagesOf(await rig.stream('ReceiveMessage', receiveRequest('GCI', 'gci', { pollMs: 500 })));
    }
    expect(redelivered?.body.toString()).toBe('retry-me');
    expect(redelivered.systemProperties).toMatchObject({ messageId: 'AC110001000018B4AAC2000000000099', deliveryAttempt: 2 });
    expect(redelivered.topic.name).toBe('GCI');
    const ack = await rig.unary('AckMessage', {
      group: { name: 'gci' }, topic: { name: 'GCI' },
      entries: [{ messageId: 'AC110001000018B4AAC2000000000099', receiptHandle: redelivered.systemProperties.receiptHandle }],
    });
    expect(ack.status.code).toBe('OK');
  }, 20_000);

  it('AckMessage: malformed and expired handles are INVALID_RECEIPT_HANDLE; mixed results are MULTIPLE_RESULTS', async () => {
    await rig.createTopic('GAK', 1);
    await rig.stream('ReceiveMessage', receiveRequest('GAK', 'gak', { pollMs: 100 }));
    await rig.send('GAK', 'a');
    const [m] = messagesOf(await rig.stream('ReceiveMessage', receiveRequest('GAK', 'gak')));
    const parts = m.systemProperties.receiptHandle.split(' ');
    const expired = [parts[0], String(Date.now() - 60_000), '1000', ...parts.slice(3)].join(' ');
    const res = await rig.unary('AckMessage', {
      group: { name: 'gak' }, topic: { name: 'GAK' },
      entries: [
        { messageId: 'x', receiptHandle: 'not a handle' },
        { messageId: 'y', receiptHandle: expired },
        { messageId: m.systemProperties.messageId, receiptHandle: m.systemProperties.receiptHandle },
      ],
    });
    expect(res.status).toEqual({ code: 'MULTIPLE_RESULTS', message: 'MULTIPLE_RESULTS' });
    expect(res.entries.map((e: any) => e.status)).toEqual([
      { code: 'INVALID_RECEIPT_HANDLE', message: 'Parse failed, dataList size 3' },
      { code: 'INVALID_RECEIPT_HANDLE', message: 'receipt handle is expired' },
      { code: 'OK', message: 'OK' },
    ]);
    expect(res.entries[1].receiptHandle).toBe(expired);
    const one = await rig.unary('AckMessage', { group: { name: 'gak' }, topic: { name: 'GAK' }, entries: [{ messageId: 'x', receiptHandle: expired }] });
    expect(one.status).toEqual({ code: 'INVALID_RECEIPT_HANDLE', message: 'INVALID_RECEIPT_HANDLE' });
  });

  it('filters: TAG expressions, SQL92 on properties; a bad SQL92 is ILLEGAL_FILTER_EXPRESSION', async () => {
    await rig.createTopic('GFT', 1);
    await rig.stream('ReceiveMessage', receiveRequest('GFT', 'gft-tag', { pollMs: 100, filter: { type: 'TAG', expression: 'A || C' } }));
    await rig.stream('ReceiveMessage', receiveRequest('GFT', 'gft-sql', { pollMs: 100, filter: { type: 'SQL', expression: 'n > 1' } }));
    for (const [tag, n] of [['A', 1], ['B', 2], ['C', 3]] as const) await rig.send('GFT', `${tag}${n}`, { props: { TAGS: tag, n: String(n) } });
    const byTag = messagesOf(await rig.stream('ReceiveMessage', receiveRequest('GFT', 'gft-tag', { filter: { type: 'TAG', expression: 'A || C' } })));
    expect(byTag.map((m) => m.body.toString())).toEqual(['A1', 'C3']);
    const bySql = messagesOf(await rig.stream('ReceiveMessage', receiveRequest('GFT', 'gft-sql', { filter: { type: 'SQL', expression: 'n > 1' } })));
    expect(bySql.map((m) => m.body.toString())).toEqual(['B2', 'C3']);
    const bad = await rig.stream('ReceiveMessage', receiveRequest('GFT', 'gft-sql', { filter: { type: 'SQL', expression: 'n >>> (' } }));
    expect(statusOf(bad).code).toBe('ILLEGAL_FILTER_EXPRESSION');
    expect(bad.map((r) => r.content)).toEqual(['status', 'deliveryTimestamp']);
    const empty = await rig.stream('ReceiveMessage', receiveRequest('GFT', 'gft-sql', { filter: { type: 'SQL', expression: '' } }));
    expect(statusOf(empty)).toEqual({ code: 'ILLEGAL_FILTER_EXPRESSION', message: "Expression can't be null! SQL92" });
  });

  it('refusals: invisible time, group and topic names, deadline too short for polling', async () => {
    await rig.createTopic('GRF', 1);
    const small = await rig.stream('ReceiveMessage', receiveRequest('GRF', 'grf', { invisibleMs: 500 }));
    expect(statusOf(small)).toEqual({ code: 'ILLEGAL_INVISIBLE_TIME', message: 'the invisibleTime is too small. min is 1000' });
    const sysGroup = await rig.stream('ReceiveMessage', receiveRequest('GRF', 'CID_RMQ_SYS_x'));
    expect(statusOf(sysGroup)).toEqual({ code: 'ILLEGAL_CONSUMER_GROUP', message: 'cannot use system consumer group' });
    const badTopic = await rig.stream('ReceiveMessage', receiveRequest('G R F', 'grf'));
    expect(statusOf(badTopic).code).toBe('ILLEGAL_TOPIC');
    // A deadline leaving less than grpcClientConsumerMinLongPollingTimeoutMillis: ILLEGAL_POLLING_TIME, BAD_REQUEST before 5.0.3.
    const cfg = rig.proxy.context.config;
    const min = cfg.grpcClientConsumerMinLongPollingTimeoutMillis;
    cfg.grpcClientConsumerMinLongPollingTimeoutMillis = 5_000;
    try {
      const late = await rig.stream('ReceiveMessage', receiveRequest('GRF', 'grf', { pollMs: 5_000 }), { deadlineMs: 2_000 });
      expect(statusOf(late)).toEqual({ code: 'ILLEGAL_POLLING_TIME', message: 'The deadline time remaining is not enough for polling, please check network condition' });
      const old = await rig.stream('ReceiveMessage', receiveRequest('GRF', 'grf', { pollMs: 5_000 }), { deadlineMs: 2_000, version: '5.0.2' });
      expect(statusOf(old).code).toBe('BAD_REQUEST');
    } finally {
      cfg.grpcClientConsumerMinLongPollingTimeoutMillis = min;
    }
    const missing = await rig.stream('ReceiveMessage', receiveRequest('NoSuchTopicR', 'grf'));
    expect(statusOf(missing).code).toBe('TOPIC_NOT_FOUND');
  });

  it('auto_renew: popped with defaultInvisibleTimeMills, renewed before it runs out, acked with the handle the client got', async () => {
    await rig.createTopic('GAR', 1);
    await rig.stream('ReceiveMessage', receiveRequest('GAR', 'gar', { pollMs: 100, autoRenew: true }));
    await rig.send('GAR', 'renewed');
    const [m] = messagesOf(await rig.stream('ReceiveMessage', receiveRequest('GAR', 'gar', { autoRenew: true }), { clientId: 'renew-client' }));
    const handle = m.systemProperties.receiptHandle;
    expect(handle.split(' ')[2]).toBe('60000');
    const { consumerState } = await import('../../src/proxy/consumer/consumer-state.js');
    const state = consumerState(rig.proxy.context);
    expect(state.trackedCount).toBe(1);
    // The renewal scan as it runs 55 s later: within renewAheadTimeMillis of the end, so the proxy
    // changes the invisible time (RenewStrategyPolicy's first step, 1 min) and keeps the new handle.
    await state.renewDue(Date.now() + 55_000);
    const current = state.currentHandle('renew-client', 'gar', m.systemProperties.messageId, handle)!;
    expect(current).not.toBe(handle);
    expect(current.split(' ')[2]).toBe('60000');
    const pop = rig.srv.broker.ctx.pop.state;
    const unacked = (): number => [...pop.cks.values()].filter((c) => c.group === 'gar').reduce((n, c) => n + c.offsets.filter((o) => !c.acked.has(o)).length, 0);
    expect(unacked()).toBe(1);
    const ack = await rig.unary('AckMessage', {
      group: { name: 'gar' }, topic: { name: 'GAR' }, entries: [{ messageId: m.systemProperties.messageId, receiptHandle: handle }],
    }, 'renew-client');
    expect(ack.status.code).toBe('OK');
    // The ack went out with the renewed handle: the broker's live checkpoint for the message is acked.
    expect(unacked()).toBe(0);
    expect(state.trackedCount).toBe(0);
  });
});
