import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import { startInProcess, type InProcessServer } from './in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, SerializeType } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';

let srv: InProcessServer;
const client = new RemotingClient();

beforeAll(async () => {
  srv = await startInProcess();
});
afterAll(async () => {
  client.close();
  await srv?.stop();
});

function rawExchange(addr: string, bytes: Buffer): Promise<'closed' | 'open'> {
  const [host, port] = addr.split(':');
  return new Promise((resolve) => {
    const s = net.connect({ host, port: Number(port) }, () => s.write(bytes));
    const t = setTimeout(() => {
      s.destroy();
      resolve('open');
    }, 1000);
    s.on('close', () => {
      clearTimeout(t);
      resolve('closed');
    });
    s.on('error', () => {});
  });
}

describe('bad input is answered, never fatal', () => {
  test.each([
    ['oversized length', Buffer.from('7fffffff', 'hex')],
    ['unknown serialize type', Buffer.from('0000000809000000' + '00000000', 'hex')],
    ['header longer than frame', Buffer.from('00000008000000ff00000000', 'hex')],
    ['broken JSON header', Buffer.concat([Buffer.from('0000000900000005', 'hex'), Buffer.from('{"cod')])],
  ])('%s closes only that connection', async (_name, bytes) => {
    for (const addr of [srv.namesrvAddr, srv.brokerAddr]) {
      expect(await rawExchange(addr, bytes)).toBe('closed');
      // the server is still serving other connections
      const res = await client.invoke(srv.namesrvAddr, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO), 3000);
      expect(res.code).toBe(ResponseCode.SUCCESS);
    }
  });

  test('unknown request code gets REQUEST_CODE_NOT_SUPPORTED with a remark, in the request serialization', async () => {
    for (const addr of [srv.namesrvAddr, srv.brokerAddr]) {
      const res = await client.invoke(addr, createRequest(9999, undefined, undefined, SerializeType.ROCKETMQ), 3000);
      expect(res.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
      expect(res.remark).toBe(' request type 9999 not supported');
      expect(res.serializeType).toBe(SerializeType.ROCKETMQ);
    }
  });

  test('missing required header field gets SYSTEM_ERROR naming it', async () => {
    const res = await client.invoke(srv.brokerAddr, createRequest(RequestCode.GET_MAX_OFFSET, { topic: 'T' }), 3000);
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toContain('queueId');
  });

  test('unparsable number in a header gets SYSTEM_ERROR with the value', async () => {
    const res = await client.invoke(srv.brokerAddr, createRequest(RequestCode.GET_MAX_OFFSET, { topic: 'T', queueId: 'x1' }), 3000);
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toContain('x1');
  });

  test('a body that is not the JSON object the code takes gets SYSTEM_ERROR saying so, and the server goes on', async () => {
    const cases: Array<[number, string, string]> = [
      [RequestCode.HEART_BEAT, 'null', 'heartbeat body is not a JSON object'],
      [RequestCode.HEART_BEAT, '{"clientID":', 'heartbeat body is not valid JSON'],
      [RequestCode.HEART_BEAT, '{"clientID":"c","consumerDataSet":5}', 'consumerDataSet is not a list'],
      [RequestCode.HEART_BEAT, '{"clientID":"c","consumerDataSet":[null]}', 'consumerDataSet holds null, not an object'],
      [RequestCode.HEART_BEAT, '{"clientID":"c","consumerDataSet":[{"groupName":"g","subscriptionDataSet":"x"}]}', 'subscriptionDataSet is not a list'],
      [RequestCode.LOCK_BATCH_MQ, '[1,2]', 'lock request body is not a JSON object'],
      [RequestCode.UNLOCK_BATCH_MQ, '', 'lock request body is empty'],
      [RequestCode.LOCK_BATCH_MQ, '{"consumerGroup":"g","clientId":"c","mqSet":7}', 'mqSet is not a list'],
      [RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, '"text"', 'subscription group config body is not a JSON object'],
    ];
    for (const [code, body, remark] of cases) {
      const res = await client.invoke(srv.brokerAddr, createRequest(code, undefined, body ? Buffer.from(body) : undefined), 3000);
      expect(res.code, `${code} ${body}`).toBe(ResponseCode.SYSTEM_ERROR);
      expect(res.remark, `${code} ${body}`).toContain(remark);
    }
    const dv = await client.invoke(srv.namesrvAddr, createRequest(RequestCode.QUERY_DATA_VERSION, { brokerAddr: '127.0.0.1:1', brokerName: 'b', clusterName: 'c', brokerId: '0' }, Buffer.from('7')), 3000);
    expect(dv.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(dv.remark).toContain('data version body is not a JSON object');
  });

  test('a one-way request gets no response', async () => {
    const conn = await client.connect(srv.brokerAddr);
    let answered = false;
    const req = createRequest(9999);
    conn.invoke({ ...req, flag: 2 }, 500).then(() => (answered = true), () => {});
    await new Promise((r) => setTimeout(r, 600));
    expect(answered).toBe(false);
  });
});

describe('namesrv', () => {
  test('unknown topic route is TOPIC_NOT_EXIST', async () => {
    const res = await client.invoke(srv.namesrvAddr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'NoSuchTopic' }), 3000);
    expect(res.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect(res.remark).toContain('NoSuchTopic');
  });

  test('route form depends on the client version: unquoted ids before 4.9.4, standard JSON after', async () => {
    const old = createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'TBW102' });
    old.version = 317;
    const a = await client.invoke(srv.namesrvAddr, old, 3000);
    expect(a.code).toBe(ResponseCode.SUCCESS);
    expect(String(a.body)).toContain(`"brokerAddrs":{0:"${srv.brokerAddr}"}`);
    const b = await client.invoke(srv.namesrvAddr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'TBW102' }), 3000);
    expect(String(b.body)).toContain(`"brokerAddrs":{"0":"${srv.brokerAddr}"}`);
    expect(() => JSON.parse(String(b.body))).not.toThrow();
  });

  test('KV config put/get/delete', async () => {
    const put = await client.invoke(srv.namesrvAddr, createRequest(RequestCode.PUT_KV_CONFIG, { namespace: 'NS', key: 'k', value: 'v 中' }), 3000);
    expect(put.code).toBe(ResponseCode.SUCCESS);
    const get = await client.invoke(srv.namesrvAddr, createRequest(RequestCode.GET_KV_CONFIG, { namespace: 'NS', key: 'k' }), 3000);
    expect(get.extFields?.value).toBe('v 中');
    await client.invoke(srv.namesrvAddr, createRequest(RequestCode.DELETE_KV_CONFIG, { namespace: 'NS', key: 'k' }), 3000);
    const gone = await client.invoke(srv.namesrvAddr, createRequest(RequestCode.GET_KV_CONFIG, { namespace: 'NS', key: 'k' }), 3000);
    expect(gone.code).toBe(ResponseCode.QUERY_NOT_FOUND);
  });

  test('broker expiry: a broker silent for 120 s is dropped', () => {
    const routes = srv.namesrv.routes;
    expect(routes.brokerAddrTable.size).toBe(1);
    expect(routes.scanNotActiveBroker(Date.now() + 60_000)).toBe(0);
    expect(routes.brokerAddrTable.size).toBe(1);
    expect(routes.scanNotActiveBroker(Date.now() + 121_000)).toBe(1);
    expect(routes.brokerAddrTable.size).toBe(0);
    expect(routes.pickupTopicRouteData('TBW102')).toBeUndefined();
  });
});
