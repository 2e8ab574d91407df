/**
 * Consumption at the protocol level, against an in-process broker: SQL92 filtering on pull (header and
 * heartbeat subscriptions, FILTER_DATA_NOT_EXIST, SUBSCRIPTION_PARSE_FAILED, switch off), CHECK_CLIENT_CONFIG,
 * OFFSET_MOVED_EVENT, reset offset (not online, no offsets, online relay in Java and C form), the
 * ConsumerFilterManager's version rules and the rebalance lock lease.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, createResponse, requestBody, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { PullSysFlag } from '../../src/protocol/sys-flag.js';
import { toFastJson, parseFastJson } from '../../src/codec/fastjson.js';
import { decodeRecord } from '../../src/codec/message-record.js';
import { parseProperties, tagsCode } from '../../src/codec/message-properties.js';
import { ConsumerFilterManager, isDead } from '../../src/broker/filter/consumer-filter-manager.js';
import { RebalanceLockManager, REBALANCE_LOCK_MAX_LIVE_MS } from '../../src/broker/client/rebalance-lock-manager.js';
import { BROKER_CONFIG_DEFAULTS } from '../../src/config/broker-config.js';
import type { BrokerContext } from '../../src/broker/broker-context.js';

const TIMEOUT_MS = 3000;
let srv: InProcessServer;
let ctx: BrokerContext;
/** Requests the broker sends to our fake consumer connection. */
const received: RemotingCommand[] = [];
const client = new RemotingClient((conn, req) => {
  received.push(req);
  if (req.code === RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT) {
    const body = toFastJson({ messageQueueTable: new Map([[{ brokerName: 'broker-a', queueId: 0, topic: 'T' }, 7]]) });
    conn.send(createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(body)));
  }
});

const invoke = (req: RemotingCommand) => client.invoke(srv.brokerAddr, req, TIMEOUT_MS);

async function put(topic: string, queueId: number, props: Record<string, string>): Promise<void> {
  const propertiesString = Object.entries(props).map(([k, v]) => `${k}\u0001${v}`).join('\u0002');
  const r = await ctx.store.putMessage({
    topic, queueId, flag: 0, body: Buffer.from('b'), propertiesString, tagsCode: tagsCode(props.TAGS), sysFlag: 0,
    bornTimestamp: Date.now(), bornHost: ctx.storeHost, storeHost: ctx.storeHost, reconsumeTimes: 0, preparedTransactionOffset: 0,
  });
  expect(r.status).toBe('PUT_OK');
}

function pull(group: string, topic: string, offset: number, sub?: { expr: string; type: string }, subVersion = 0): RemotingCommand {
  return createRequest(RequestCode.PULL_MESSAGE, {
    consumerGroup: group, topic, queueId: '0', queueOffset: String(offset), maxMsgNums: '32',
    sysFlag: String(sub ? PullSysFlag.FLAG_SUBSCRIPTION : 0), commitOffset: '0', suspendTimeoutMillis: '0',
    subVersion: String(subVersion), ...(sub ? { subscription: sub.expr, expressionType: sub.type } : {}),
  });
}

function heartbeat(clientID: string, group: string, topic: string, expr: string, type: string, subVersion: number): RemotingCommand {
  const body = {
    clientID,
    consumerDataSet: [{
      groupName: group, consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      subscriptionDataSet: [{ classFilterMode: false, codeSet: [], expressionType: type, subString: expr, subVersion, tagsSet: [], topic }],
      unitMode: false,
    }],
    producerDataSet: [],
  };
  return createRequest(RequestCode.HEART_BEAT, undefined, Buffer.from(toFastJson(body)));
}

const idxsOf = (res: RemotingCommand) => {
  const body = requestBody(res);
  if (!body) return [];
  const out: string[] = [];
  for (let pos = 0; pos < body.length; pos += body.readInt32BE(pos)) {
    out.push(parseProperties(decodeRecord(body, pos).propertiesString).get('i')!);
  }
  return out;
};

beforeAll(async () => {
  srv = await startInProcess({ enablePropertyFilter: true });
  ctx = srv.broker.ctx;
  ctx.topics.createIfAbsent('SqlT', 1, 6);
  for (let i = 0; i < 10; i++) await put('SqlT', 0, { TAGS: i % 2 ? 'odd' : 'even', i: String(i), ...(i % 3 ? { c: 'x' } : {}) });
});
afterAll(async () => {
  client.close();
  await srv?.stop();
});

describe('SQL92 on pull', () => {
  it('filters by the expression in the pull header', async () => {
    const res = await invoke(pull('g1', 'SqlT', 0, { expr: "i >= 4 AND TAGS = 'even' AND c IS NOT NULL", type: 'SQL92' }));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(idxsOf(res)).toEqual(['4', '8']);
    expect(res.extFields?.nextBeginOffset).toBe('10');
  });

  it('answers SUBSCRIPTION_PARSE_FAILED for a malformed header expression', async () => {
    const res = await invoke(pull('g1', 'SqlT', 0, { expr: 'i >', type: 'SQL92' }));
    expect(res.code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    expect(res.remark).toBe("parse the consumer's subscription failed: unexpected end of expression at column 4 [i >]");
  });

  it('uses the filter data registered by the heartbeat, FILTER_DATA_NOT_EXIST when it did not compile', async () => {
    expect((await invoke(heartbeat('c1', 'g2', 'SqlT', 'i < 3', 'SQL92', 100))).code).toBe(ResponseCode.SUCCESS);
    const ok = await invoke(pull('g2', 'SqlT', 0, undefined, 100));
    expect(idxsOf(ok)).toEqual(['0', '1', '2']);
    expect((await invoke(pull('g2', 'SqlT', 0, undefined, 101))).code).toBe(ResponseCode.SUBSCRIPTION_NOT_LATEST);

    expect((await invoke(heartbeat('c2', 'g3', 'SqlT', 'i <', 'SQL92', 100))).code).toBe(ResponseCode.SUCCESS);
    const missing = await invoke(pull('g3', 'SqlT', 0, undefined, 100));
    expect(missing.code).toBe(ResponseCode.FILTER_DATA_NOT_EXIST);
  });

  it('CHECK_CLIENT_CONFIG compiles the expression', async () => {
    const check = (expr: string) => createRequest(RequestCode.CHECK_CLIENT_CONFIG, undefined, Buffer.from(toFastJson({
      clientId: 'c', group: 'g', subscriptionData: { classFilterMode: false, codeSet: [], expressionType: 'SQL92', subString: expr, subVersion: 1, tagsSet: [], topic: 'SqlT' },
    })));
    expect((await invoke(check('a = 1'))).code).toBe(ResponseCode.SUCCESS);
    const bad = await invoke(check("a = 'x"));
    expect(bad.code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    expect(bad.remark).toMatch(/unterminated string literal/);
  });
});

describe('offsets', () => {
  it('PULL_OFFSET_MOVED writes an OffsetMovedEvent to OFFSET_MOVED_EVENT', async () => {
    const before = ctx.store.getMaxOffsetInQueue('OFFSET_MOVED_EVENT', 0);
    const res = await invoke(pull('gm', 'SqlT', 50, { expr: '*', type: 'TAG' }));
    expect(res.code).toBe(ResponseCode.PULL_OFFSET_MOVED);
    expect(res.extFields?.nextBeginOffset).toBe('10');
    await new Promise((r) => setTimeout(r, 50));
    const got = ctx.store.getMessage('x', 'OFFSET_MOVED_EVENT', 0, before, 1);
    const rec = decodeRecord(got.buffers[0]!);
    expect(JSON.parse(rec.body.toString())).toEqual({
      consumerGroup: 'gm', messageQueue: { brokerName: 'broker-a', queueId: 0, topic: 'SqlT' }, offsetNew: 10, offsetRequest: 50,
    });
    expect(parseProperties(rec.propertiesString).get('TAGS')).toBe('gm');
  });

  it('INVOKE_BROKER_TO_RESET_OFFSET: no offsets, not online, online (Java and C body forms)', async () => {
    const reset = (group: string, language = 'JAVA') => {
      const req = createRequest(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, { topic: 'SqlT', group, timestamp: '0', isForce: 'true' });
      req.language = language;
      return invoke(req);
    };
    expect((await reset('nobody')).remark).toBe('THe consumer group <nobody> not exist');
    ctx.offsets.commitOffset('gr', 'SqlT', 0, 9);
    expect((await reset('gr')).code).toBe(ResponseCode.CONSUMER_NOT_ONLINE);

    await invoke(heartbeat('c9', 'gr', 'SqlT', '*', 'TAG', 1));
    received.length = 0;
    const ok = await reset('gr');
    expect(ok.code).toBe(ResponseCode.SUCCESS);
    expect(requestBody(ok)!.toString()).toBe('{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"SqlT"}:0}}');
    await new Promise((r) => setTimeout(r, 100));
    const told = received.find((r) => r.code === RequestCode.RESET_CONSUMER_CLIENT_OFFSET)!;
    expect(told.extFields).toMatchObject({ topic: 'SqlT', group: 'gr', timestamp: '0' });
    expect(requestBody(told)!.toString()).toBe(requestBody(ok)!.toString());

    received.length = 0;
    await reset('gr', 'CPP');
    await new Promise((r) => setTimeout(r, 100));
    const c = received.find((r) => r.code === RequestCode.RESET_CONSUMER_CLIENT_OFFSET)!;
    expect(requestBody(c)!.toString()).toBe('{"offsetTable":[{"brokerName":"broker-a","offset":0,"queueId":0,"topic":"SqlT"}]}');
  });

  it('INVOKE_BROKER_TO_GET_CONSUMER_STATUS collects each member\'s offsets', async () => {
    const res = await invoke(createRequest(RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, { topic: 'SqlT', group: 'gr' }));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const body = parseFastJson(requestBody(res)!.toString()) as { consumerTable: Record<string, Map<object, number>> };
    expect([...body.consumerTable.c9!.values()]).toEqual([7]);
  });
});

describe('SQL92 switch off', () => {
  it('refuses SQL92 pulls and CHECK_CLIENT_CONFIG with SYSTEM_ERROR', async () => {
    const off = await startInProcess({ enablePropertyFilter: false });
    try {
      off.broker.ctx.topics.createIfAbsent('SqlT', 1, 6);
      const res = await client.invoke(off.brokerAddr, pull('g', 'SqlT', 0, { expr: 'a = 1', type: 'SQL92' }), TIMEOUT_MS);
      expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
      expect(res.remark).toBe('The broker does not support consumer to filter message by SQL92');
      const bad = await client.invoke(off.brokerAddr, pull('g', 'SqlT', 0, { expr: 'a =', type: 'SQL92' }), TIMEOUT_MS);
      expect(bad.code).toBe(ResponseCode.SYSTEM_ERROR);
    } finally {
      await off.stop();
    }
  });
});

describe('ConsumerFilterManager', () => {
  const cfg = { ...BROKER_CONFIG_DEFAULTS, storePathRootDir: '/nonexistent' };

  it('keeps the newest version, revives, marks dead, drops data whose new expression does not compile', () => {
    const m = new ConsumerFilterManager(cfg);
    expect(m.register('T', 'g', 'a = 1', 'SQL92', 5)).toBe(true);
    expect(m.register('T', 'g', 'a = 2', 'SQL92', 4)).toBe(false); // older version ignored
    expect(m.get('T', 'g')!.expression).toBe('a = 1');
    m.unregisterGroup('g');
    expect(isDead(m.get('T', 'g')!)).toBe(true);
    expect(m.register('T', 'g', 'a = 1', 'SQL92', 5)).toBe(true); // same version revives
    expect(isDead(m.get('T', 'g')!)).toBe(false);
    expect(m.register('T', 'g', 'a = 3', 'SQL92', 6)).toBe(true);
    expect(m.get('T', 'g')!.compiled!.matches(new Map([['a', '3']]))).toBe(true);
    expect(m.register('T', 'g', 'a =', 'SQL92', 7)).toBe(false);
    expect(m.get('T', 'g')).toBeUndefined();
    expect(m.register('T', 'g', 'TagA', 'TAG', 8)).toBe(false);
  });

  it('a topic no longer subscribed is marked dead on the next heartbeat', () => {
    const m = new ConsumerFilterManager(cfg);
    m.registerGroup('g', [{ topic: 'T', subString: 'a = 1', expressionType: 'SQL92', subVersion: 1, tagsSet: [], codeSet: [], classFilterMode: false }]);
    m.registerGroup('g', []);
    expect(isDead(m.get('T', 'g')!)).toBe(true);
  });
});

describe('RebalanceLockManager', () => {
  it('one holder per queue until the lease runs out', () => {
    const l = new RebalanceLockManager();
    const mq = { topic: 'T', brokerName: 'b', queueId: 0 };
    expect(l.tryLockBatch('g', [mq], 'c1', 0)).toEqual([mq]);
    expect(l.tryLockBatch('g', [mq], 'c2', 1000)).toEqual([]);
    expect(l.isLocked('g', mq, 'c1', 1000)).toBe(true);
    expect(l.isLocked('g', mq, 'c2', 1000)).toBe(false);
    expect(l.tryLockBatch('g', [mq], 'c2', 1000 + REBALANCE_LOCK_MAX_LIVE_MS + 1)).toEqual([mq]);
    l.unlockBatch('g', [mq], 'c1');
    expect(l.isLocked('g', mq, 'c2', 1000 + REBALANCE_LOCK_MAX_LIVE_MS + 2)).toBe(true);
  });
});
