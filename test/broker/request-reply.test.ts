/**
 * Request/reply at the protocol level, against an in-process broker: a fake requester (a producer that
 * heartbeated with a clientId and answers PUSH_REPLY_MESSAGE_TO_CLIENT) and a fake responder sending
 * SEND_REPLY_MESSAGE_V2 (325) and SEND_REPLY_MESSAGE (324) as the Java and Go clients build them.
 * The same flows through the real clients are in compat-tests/request-reply.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, createResponse, requestBody, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { toFastJson } from '../../src/codec/fastjson.js';
import { parseProperties } from '../../src/codec/message-properties.js';
import { consumerHeartbeat, pullRequest, pulledRecords, sendV2 } from '../support/wire.js';
import type { DecodedRecord } from '../../src/codec/message-record.js';

const TIMEOUT_MS = 5000;
const REQUESTER_ID = '127.0.0.1@requester-1';
const CLUSTER = 'ReplyTestCluster';
const REPLY_TOPIC = `${CLUSTER}_REPLY_TOPIC`;
let srv: InProcessServer;

/** What the fake requester answers to a push, and every push it got. */
let pushAnswer = ResponseCode.SUCCESS;
const pushes: RemotingCommand[] = [];
const requester = new RemotingClient((conn, req) => {
  if (req.code !== RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT) return;
  pushes.push(req);
  conn.send(createResponse(req, pushAnswer, pushAnswer === ResponseCode.SUCCESS ? undefined : 'process reply message fail'));
});
const responder = new RemotingClient();

const props = (m: Record<string, string>): string => Object.entries(m).map(([k, v]) => `${k}\u0001${v}`).join('\u0002');
const replyProps = (extra: Record<string, string> = {}): Record<string, string> =>
  ({ MSG_TYPE: 'reply', CORRELATION_ID: 'corr-1', REPLY_TO_CLIENT: REQUESTER_ID, TTL: '3000', replyKey: 'v\u00e9', ...extra });

/** SEND_REPLY_MESSAGE_V2 (325) with the V2 header DefaultMQProducer sends for a reply (queueId -1 unless given). */
function replyV2(body: string, p: Record<string, string>, queueId = 0): RemotingCommand {
  const req = sendV2(REPLY_TOPIC, body, { queueId, props: p, producerGroup: 'responder-group' });
  return { ...req, code: RequestCode.SEND_REPLY_MESSAGE_V2 };
}

async function replyQueueMax(): Promise<number> {
  const r = await responder.invoke(srv.brokerAddr, createRequest(RequestCode.GET_MAX_OFFSET, { topic: REPLY_TOPIC, queueId: '0' }), TIMEOUT_MS);
  return Number(r.extFields?.offset);
}

/** The records of queue 0 of `topic` from `offset`, read by a consumer group of our own. */
async function pull(topic: string, offset: number): Promise<DecodedRecord[]> {
  const group = `reader-${topic}`;
  await responder.invoke(srv.brokerAddr, consumerHeartbeat('reader', group, topic), TIMEOUT_MS);
  const r = await responder.invoke(srv.brokerAddr, pullRequest(group, topic, 0, offset), TIMEOUT_MS);
  expect(r.code).toBe(ResponseCode.SUCCESS);
  return pulledRecords(r);
}

beforeAll(async () => {
  srv = await startInProcess({ brokerClusterName: CLUSTER });
  const hb = { clientID: REQUESTER_ID, consumerDataSet: [], producerDataSet: [{ groupName: 'requester-group' }] };
  const r = await requester.invoke(srv.brokerAddr, createRequest(RequestCode.HEART_BEAT, undefined, Buffer.from(toFastJson(hb))), TIMEOUT_MS);
  expect(r.code).toBe(ResponseCode.SUCCESS);
});

afterAll(async () => {
  requester.close();
  responder.close();
  await srv?.stop();
});

describe('request/reply over the wire', () => {
  it('stamps CLUSTER on a request sent with SEND_MESSAGE_V2, and the reply topic exists with 1 queue', async () => {
    const sent = await responder.invoke(srv.brokerAddr, sendV2('ReqTopic', 'ask', { props: { REPLY_TO_CLIENT: REQUESTER_ID, CORRELATION_ID: 'c0' } }), TIMEOUT_MS);
    expect(sent.code).toBe(ResponseCode.SUCCESS);
    const pulled = await pull('ReqTopic', 0);
    expect(parseProperties(pulled[0].propertiesString).get('CLUSTER')).toBe(CLUSTER);
    const tc = srv.broker.ctx.topics.select(REPLY_TOPIC)!;
    expect([tc.readQueueNums, tc.writeQueueNums, tc.perm]).toEqual([1, 1, 6]);
    expect(srv.broker.ctx.topics.systemTopics.has(REPLY_TOPIC)).toBe(true);
  });

  it('325: pushes 326 to the requester with the ReplyMessageRequestHeader fields, answers SUCCESS with the stored msgId, stores without PUSH_REPLY_TIME', async () => {
    pushes.length = 0;
    const before = await replyQueueMax();
    const res = await responder.invoke(srv.brokerAddr, replyV2('answer-1', replyProps()), TIMEOUT_MS);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.extFields?.queueId).toBe('0');
    expect(res.extFields?.queueOffset).toBe(String(before));
    expect(res.extFields?.msgId).toMatch(/^[0-9A-F]{32}$/);
    expect(pushes).toHaveLength(1);
    const h = pushes[0].extFields!;
    expect(Object.keys(h).sort()).toEqual([
      'bornHost', 'bornTimestamp', 'defaultTopic', 'defaultTopicQueueNums', 'flag', 'producerGroup', 'properties', 'queueId',
      'reconsumeTimes', 'storeHost', 'storeTimestamp', 'sysFlag', 'topic', 'unitMode',
    ]);
    expect(h).toMatchObject({ producerGroup: 'responder-group', topic: REPLY_TOPIC, defaultTopic: 'TBW102', defaultTopicQueueNums: '4', queueId: '0', sysFlag: '0', flag: '0', unitMode: 'false', reconsumeTimes: '0' });
    expect(h.bornHost).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(h.storeHost).toBe(`${srv.broker.ctx.storeHost.ip}:${srv.broker.ctx.storeHost.port}`);
    expect(Math.abs(Number(h.storeTimestamp) - Date.now())).toBeLessThan(5000);
    const pushedProps = parseProperties(h.properties);
    expect(Object.fromEntries(pushedProps)).toMatchObject(replyProps());
    expect(Number(pushedProps.get('PUSH_REPLY_TIME'))).toBeGreaterThan(Date.now() - 5000);
    expect(requestBody(pushes[0])?.toString()).toBe('answer-1');

    expect(await replyQueueMax()).toBe(before + 1);
    const stored = await pull(REPLY_TOPIC, before);
    const storedProps = parseProperties(stored[0].propertiesString);
    expect(storedProps.has('PUSH_REPLY_TIME')).toBe(false);
    expect(storedProps.get('CORRELATION_ID')).toBe('corr-1');
    expect(stored[0].body.toString()).toBe('answer-1');
  });

  it('324 (V1 header, as Go sends a reply) is pushed the same way; a negative queueId picks queue 0 of the 1', async () => {
    pushes.length = 0;
    const properties = props(replyProps({ CORRELATION_ID: 'corr-v1' }));
    const req = createRequest(RequestCode.SEND_REPLY_MESSAGE, {
      producerGroup: 'go-responder', topic: REPLY_TOPIC, defaultTopic: 'TBW102', defaultTopicQueueNums: '4', queueId: '-1', sysFlag: '0',
      bornTimestamp: String(Date.now()), flag: '0', properties, reconsumeTimes: '0', unitMode: 'false', batch: 'false',
    }, Buffer.from('answer-v1'));
    const res = await responder.invoke(srv.brokerAddr, req, TIMEOUT_MS);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.extFields?.queueId).toBe('0');
    expect(pushes).toHaveLength(1);
    expect(pushes[0].extFields).toMatchObject({ producerGroup: 'go-responder', queueId: '-1' });
    expect(parseProperties(pushes[0].extFields!.properties).get('CORRELATION_ID')).toBe('corr-v1');
  });

  it('answers Java\'s SYSTEM_ERROR remarks when the push cannot happen, and still stores the reply', async () => {
    const before = await replyQueueMax();
    const gone = await responder.invoke(srv.brokerAddr, replyV2('x', replyProps({ REPLY_TO_CLIENT: '10.0.0.9@gone' })), TIMEOUT_MS);
    expect([gone.code, gone.remark]).toEqual([ResponseCode.SYSTEM_ERROR, 'push reply message fail, channel of <10.0.0.9@gone> not found.']);
    expect(gone.extFields?.msgId).toMatch(/^[0-9A-F]{32}$/);
    expect(gone.extFields?.queueOffset).toBe(String(before));

    const { REPLY_TO_CLIENT: _omit, ...noReplyTo } = replyProps();
    const none = await responder.invoke(srv.brokerAddr, replyV2('y', noReplyTo), TIMEOUT_MS);
    expect([none.code, none.remark]).toEqual([ResponseCode.SYSTEM_ERROR, 'reply message properties[REPLY_TO_CLIENT] is null']);

    pushAnswer = ResponseCode.SYSTEM_ERROR;
    try {
      const refused = await responder.invoke(srv.brokerAddr, replyV2('z', replyProps()), TIMEOUT_MS);
      expect([refused.code, refused.remark]).toEqual([ResponseCode.SYSTEM_ERROR, `push reply message to ${REQUESTER_ID}fail.`]);
    } finally {
      pushAnswer = ResponseCode.SUCCESS;
    }
    expect(await replyQueueMax()).toBe(before + 3);
  });

  it('storeReplyMessageEnable=false: pushed only, answered msgId "0" and queueOffset 0', async () => {
    const ctx = srv.broker.ctx;
    const before = await replyQueueMax();
    ctx.config.storeReplyMessageEnable = false;
    try {
      const res = await responder.invoke(srv.brokerAddr, replyV2('not-stored', replyProps()), TIMEOUT_MS);
      expect(res.code).toBe(ResponseCode.SUCCESS);
      expect([res.extFields?.msgId, res.extFields?.queueId, res.extFields?.queueOffset]).toEqual(['0', '0', '0']);
      const gone = await responder.invoke(srv.brokerAddr, replyV2('lost', replyProps({ REPLY_TO_CLIENT: 'nobody' })), TIMEOUT_MS);
      expect(gone.code).toBe(ResponseCode.SYSTEM_ERROR);
      expect(gone.extFields?.msgId).toBeUndefined();
    } finally {
      ctx.config.storeReplyMessageEnable = true;
    }
    expect(await replyQueueMax()).toBe(before);
  });

  it('a requester slow to take the push does not hold other requests', async () => {
    let release: (() => void) | undefined;
    const slow = new RemotingClient((conn, req) => {
      if (req.code === RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT) release = () => conn.send(createResponse(req, ResponseCode.SUCCESS));
    });
    try {
      const hb = { clientID: 'slow-requester', consumerDataSet: [], producerDataSet: [{ groupName: 'slow-group' }] };
      await slow.invoke(srv.brokerAddr, createRequest(RequestCode.HEART_BEAT, undefined, Buffer.from(toFastJson(hb))), TIMEOUT_MS);
      const held = responder.invoke(srv.brokerAddr, replyV2('slow', replyProps({ REPLY_TO_CLIENT: 'slow-requester' })), TIMEOUT_MS);
      while (!release) await new Promise((r) => setTimeout(r, 10));
      // The push waits; another reply and a send go through meanwhile.
      expect((await responder.invoke(srv.brokerAddr, replyV2('fast', replyProps()), TIMEOUT_MS)).code).toBe(ResponseCode.SUCCESS);
      expect((await responder.invoke(srv.brokerAddr, sendV2('ReqTopic', 'meanwhile'), TIMEOUT_MS)).code).toBe(ResponseCode.SUCCESS);
      release();
      expect((await held).code).toBe(ResponseCode.SUCCESS);
    } finally {
      slow.close();
    }
  });

  it('a requester that disconnected is no longer found', async () => {
    const temp = new RemotingClient(() => {});
    const hb = { clientID: 'short-lived', consumerDataSet: [], producerDataSet: [{ groupName: 'short-group' }] };
    await temp.invoke(srv.brokerAddr, createRequest(RequestCode.HEART_BEAT, undefined, Buffer.from(toFastJson(hb))), TIMEOUT_MS);
    temp.close();
    await new Promise((r) => setTimeout(r, 200));
    const res = await responder.invoke(srv.brokerAddr, replyV2('late', replyProps({ REPLY_TO_CLIENT: 'short-lived' })), TIMEOUT_MS);
    expect([res.code, res.remark]).toEqual([ResponseCode.SYSTEM_ERROR, 'push reply message fail, channel of <short-lived> not found.']);
  });
});
