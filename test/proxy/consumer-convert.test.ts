/**
 * The consumer side's conversions without a server: stored records → gRPC Message (GrpcConverter's
 * rules), a POP_MESSAGE answer → messages with the proxy's receipt handles (processPopResponse +
 * createHandle), receipt handle decoding, and the Telemetry settings a group's config gives.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeRecord, planRecord } from '../../src/codec/message-record.js';
import type { MessageInner } from '../../src/codec/message.js';
import { MessageSysFlag } from '../../src/protocol/sys-flag.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { createRequest, createResponse } from '../../src/remoting/command.js';
import { decodeMessages, resourceOf, toGrpcMessage } from '../../src/proxy/convert/from-remoting.js';
import { popResultOf } from '../../src/proxy/consumer/pop-result.js';
import { decodeReceiptHandle, isExpired, renewedHandle } from '../../src/proxy/consumer/receipt-handle.js';
import { backoffOf } from '../../src/proxy/consumer/subscription-settings.js';
import { ProxyError } from '../../src/proxy/proxy-error.js';

function record(o: Partial<MessageInner> & { props?: Record<string, string>; queueOffset?: number; physicalOffset?: number }): Buffer {
  const msg: MessageInner = {
    topic: 'T', queueId: 2, flag: 0, body: Buffer.from('body'), tagsCode: 0, sysFlag: 0, bornTimestamp: 1_700_000_000_123,
    bornHost: { ip: '10.0.0.7', port: 50123 }, storeHost: { ip: '10.0.0.1', port: 10911 }, reconsumeTimes: 0, preparedTransactionOffset: 0,
    ...o,
    propertiesString: Object.entries(o.props ?? {}).map(([k, v]) => `${k}\u0001${v}`).join('\u0002'),
  };
  const plan = planRecord(msg);
  if ('error' in plan) throw new Error(plan.remark);
  const buf = Buffer.alloc(plan.totalSize);
  encodeRecord(buf, 0, msg, plan, o.queueOffset ?? 5, o.physicalOffset ?? 4096, 1_700_000_000_456);
  return buf;
}

describe('stored message → gRPC Message', () => {
  it('system properties, user properties and the body as GrpcConverter#buildMessage', () => {
    const [m] = decodeMessages(record({
      props: { TAGS: 'tg', KEYS: 'a b', UNIQ_KEY: 'U1', __SHARDINGKEY: 'grp', TRACE_CONTEXT: 'tc', WAIT: 'true', biz: 'v', MAX_OFFSET: '9' },
      reconsumeTimes: 2,
    }));
    const g = toGrpcMessage(m) as any;
    expect(g.topic).toEqual({ resourceNamespace: '', name: 'T' });
    expect(g.body.toString()).toBe('body');
    // Reserved names (MessageConst.STRING_HASH_SET) stay out; __SHARDINGKEY and TRACE_CONTEXT are not in it.
    expect(g.userProperties).toEqual({ __SHARDINGKEY: 'grp', TRACE_CONTEXT: 'tc', biz: 'v' });
    expect(g.systemProperties).toMatchObject({
      tag: 'tg', keys: ['a', 'b'], messageId: 'U1', messageType: 'FIFO', messageGroup: 'grp', traceContext: 'tc',
      bornHost: '10.0.0.7', storeHost: '10.0.0.1:10911', queueId: 2, queueOffset: 5, deliveryAttempt: 3, bodyEncoding: 'IDENTITY',
      bornTimestamp: { seconds: 1_700_000_000, nanos: 123_000_000 }, storeTimestamp: { seconds: 1_700_000_000, nanos: 456_000_000 },
    });
    expect(g.systemProperties.bodyDigest).toEqual({ type: 'MD5', checksum: '841A2D689AD86BD1611447453C22C6FC' });
    expect(g.systemProperties.receiptHandle).toBeUndefined();
  });

  it('message id falls back to the offset id; message types; delivery timestamps; DLQ origin; __BORNHOST wins', () => {
    const [plain] = decodeMessages(record({ props: {}, physicalOffset: 255 }));
    expect((toGrpcMessage(plain) as any).systemProperties.messageId).toBe('0A00000100002A9F00000000000000FF');
    const type = (props: Record<string, string>): string => (toGrpcMessage(decodeMessages(record({ props }))[0]) as any).systemProperties.messageType;
    expect(type({ TRAN_MSG: 'true' })).toBe('TRANSACTION');
    expect(type({ DELAY: '3' })).toBe('DELAY');
    expect(type({ TIMER_DELIVER_MS: '1700000009000' })).toBe('DELAY');
    expect(type({})).toBe('NORMAL');
    const at = toGrpcMessage(decodeMessages(record({ props: { TIMER_DELIVER_MS: '1700000009000' } }))[0]) as any;
    expect(at.systemProperties.deliveryTimestamp).toEqual({ seconds: 1_700_000_009, nanos: 0 });
    const sec = toGrpcMessage(decodeMessages(record({ props: { TIMER_DELAY_SEC: '10' } }))[0], 1_000_000) as any;
    expect(sec.systemProperties.deliveryTimestamp).toEqual({ seconds: 1010, nanos: 0 });
    const dlq = toGrpcMessage(decodeMessages(record({ props: { DLQ_ORIGIN_TOPIC: 'T0', DLQ_ORIGIN_MESSAGE_ID: 'M0', __BORNHOST: '1.2.3.4' } }))[0]) as any;
    expect(dlq.systemProperties.deadLetterQueue).toEqual({ topic: 'T0', messageId: 'M0' });
    expect(dlq.systemProperties.bornHost).toBe('1.2.3.4');
  });

  it('a zlib-compressed body is inflated and flagged IDENTITY, as MessageDecoder with decompressBody', () => {
    const raw = Buffer.from('x'.repeat(5000));
    const [m] = decodeMessages(record({ body: zlib.deflateSync(raw), sysFlag: MessageSysFlag.COMPRESSED_FLAG }));
    expect(m.body.equals(raw)).toBe(true);
    const g = toGrpcMessage(m) as any;
    expect(g.systemProperties.bodyEncoding).toBe('IDENTITY');
  });

  it('a batch of records decodes in order; a truncated tail ends the list', () => {
    const body = Buffer.concat([record({ queueOffset: 1 }), record({ queueOffset: 2 })]);
    expect(decodeMessages(body).map((m) => m.queueOffset)).toEqual([1, 2]);
    expect(decodeMessages(body.subarray(0, body.length - 3)).map((m) => m.queueOffset)).toEqual([1]);
  });

  it('namespaced resources split as NamespaceUtil does', () => {
    expect(resourceOf('ns1%T')).toEqual({ resourceNamespace: 'ns1', name: 'T' });
    expect(resourceOf('%RETRY%ns1%G')).toEqual({ resourceNamespace: 'ns1', name: '%RETRY%G' });
    expect(resourceOf('rmq_sys_x%y')).toEqual({ resourceNamespace: '', name: 'rmq_sys_x%y' });
  });
});

describe('POP answer → receipt handles', () => {
  const popReq = createRequest(1, {});
  it('each message gets extraInfo from startOffsetInfo plus its CommitLog offset; orderly attempt counts from orderCountInfo', () => {
    const body = Buffer.concat([record({ queueId: 1, queueOffset: 7, physicalOffset: 100 }), record({ queueId: 1, queueOffset: 8, physicalOffset: 200 })]);
    const res = createResponse(popReq, ResponseCode.SUCCESS, 'FOUND', {
      popTime: '1000', invisibleTime: '30000', reviveQid: '999', restNum: '4', startOffsetInfo: '0 1 7', msgOffsetInfo: '0 1 7,8',
      orderCountInfo: '0 qo1%8 3;0 1 2',
    }, body);
    const r = popResultOf(res, 'broker-x', 'T', true);
    expect(r.status).toBe('FOUND');
    expect(r.restNum).toBe(4);
    expect(r.messages.map((m) => m.properties.get('POP_CK'))).toEqual(['7 1000 30000 999 0 broker-x 1 7 100', '7 1000 30000 999 0 broker-x 1 8 200']);
    expect(r.messages.map((m) => m.reconsumeTimes)).toEqual([2, 3]);
    expect(r.messages[0].properties.get('1ST_POP_TIME')).toBe('1000');
    // No UNIQ_KEY: the offset message id stands in (ConsumerProcessor#fillUniqIDIfNeed).
    expect(r.messages[0].properties.get('UNIQ_KEY')).toBe(r.messages[0].msgId);
  });

  it('a retry message the broker re-encoded keeps its POP_CK; statuses and refusals', () => {
    const body = record({ props: { POP_CK: '0 1000 30000 3 1 broker-x 0 0' }, physicalOffset: 300 });
    const r = popResultOf(createResponse(popReq, ResponseCode.SUCCESS, 'FOUND', { popTime: '1000', invisibleTime: '30000', reviveQid: '3', startOffsetInfo: '1 0 0', msgOffsetInfo: '1 0 0' }, body), 'broker-x', 'T', false);
    expect(r.messages[0].properties.get('POP_CK')).toBe('0 1000 30000 3 1 broker-x 0 0 300');
    expect(popResultOf(createResponse(popReq, ResponseCode.POLLING_FULL), 'b', 'T', false).status).toBe('POLLING_FULL');
    expect(popResultOf(createResponse(popReq, ResponseCode.POLLING_TIMEOUT), 'b', 'T', false).status).toBe('POLLING_NOT_FOUND');
    expect(() => popResultOf(createResponse(popReq, ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, 'no group'), 'b', 'T', false))
      .toThrow(expect.objectContaining({ code: 'CONSUMER_GROUP_NOT_FOUND', message: 'no group' }));
  });
});

describe('receipt handles', () => {
  it('decode, expiry, renewal, and malformed handles as INVALID_RECEIPT_HANDLE', () => {
    const h = decodeReceiptHandle('7 1000 30000 999 1 broker-x 1 8 200');
    expect(h).toMatchObject({ startOffset: 7, retrieveTime: 1000, invisibleTime: 30000, reviveQueueId: 999, topicType: '1', brokerName: 'broker-x', queueId: 1, offset: 8, commitLogOffset: 200 });
    expect(isExpired(h, 30_999)).toBe(false);
    expect(isExpired(h, 31_000)).toBe(true);
    expect(renewedHandle(h, '%RETRY%g_T', 5000, 60000, 4)).toBe('8 5000 60000 4 1 broker-x 1 8 200');
    expect(() => decodeReceiptHandle('1 2 3')).toThrow(new ProxyError('INVALID_RECEIPT_HANDLE', 'Parse failed, dataList size 3'));
    expect(() => decodeReceiptHandle('a 2 3 4 0 b 1 2')).toThrow(ProxyError);
  });
});

describe('consumer settings from the group', () => {
  it('backoff: customized steps by default, exponential when the group says so; maxAttempts = retryMaxTimes + 1', () => {
    const base = { groupName: 'g', consumeEnable: true, consumeMessageOrderly: false };
    const c = backoffOf({ ...base, retryMaxTimes: 16 }) as any;
    expect(c.maxAttempts).toBe(17);
    expect(c.customizedBackoff.next.slice(0, 3)).toEqual([{ seconds: 1, nanos: 0 }, { seconds: 5, nanos: 0 }, { seconds: 10, nanos: 0 }]);
    const e = backoffOf({ ...base, retryMaxTimes: 3, groupRetryPolicy: { type: 'EXPONENTIAL', exponentialRetryPolicy: { initial: 1500, max: 60000, multiplier: 3 } } }) as any;
    expect(e).toEqual({ maxAttempts: 4, exponentialBackoff: { initial: { seconds: 1, nanos: 500_000_000 }, max: { seconds: 60, nanos: 0 }, multiplier: 3 } });
  });
});
