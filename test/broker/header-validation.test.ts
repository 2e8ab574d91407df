/**
 * Header numbers are parsed as the Java types of the header class (Integer.parseInt / Long.parseLong):
 * a value Java refuses is answered SYSTEM_ERROR with the NumberFormatException text before anything is
 * stored, a valid long beyond 2^53 is stored exactly. Black box over TCP against our standalone server
 * (dist/, so `npm run build` first), with a real restart (SIGTERM, start on the same store).
 *
 * The property test replays with SEED=<n> (printed at the start).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOurServer } from '../support/our-server.js';
import type { RunningServer } from '../support/server.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, type ExtFields } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { decodeOffsetMessageId } from '../../src/codec/message-id.js';
import {
  GROUP, TIMEOUT_MS, V1_NUMERIC, V2_NUMERIC, createTopic, javaParses, maxOffset, nfeRemark, pull, readWholeQueue, sendRequest,
  type SendForm, type SendSpec,
} from './send-wire.js';
import { prng } from '../support/prng.js';

let server: RunningServer;
let client: RemotingClient;

beforeAll(async () => {
  server = await startOurServer();
  client = new RemotingClient();
}, 60_000);

afterAll(async () => {
  client?.close();
  await server?.dispose();
});

const send = (s: SendSpec) => client.invoke(server.brokerAddr, sendRequest(s), TIMEOUT_MS);

/** A fresh client after a restart: the old connections were closed by the stop. */
async function restart(): Promise<void> {
  client.close();
  await server.restart();
  client = new RemotingClient();
}

describe('bornTimestamp as a Java long', () => {
  it('refuses 1e308 and -1e20 before storing, stores Long.MAX_VALUE exactly, and all of it survives a restart', async () => {
    const topic = 'HvBorn';
    await createTopic(client, server.brokerAddr, topic, 2);
    const good = (born: string, body: string): SendSpec => ({ form: 'v2', topic, queueId: '0', bornTimestamp: born, flag: '0', bodies: [Buffer.from(body)] });
    const acked: Array<{ offset: number; body: string; born: bigint; msgId: string }> = [];
    const expectStored = async (born: string, body: string) => {
      const r = await send(good(born, body));
      expect([r.code, r.remark]).toEqual([ResponseCode.SUCCESS, undefined]);
      acked.push({ offset: Number(r.extFields!.queueOffset), body, born: BigInt(born), msgId: r.extFields!.msgId });
    };

    await expectStored('1700000000000', 'first');
    for (const bad of ['1e308', '-100000000000000000000', '9223372036854775808', '-9223372036854775809', '1700000000000.0', ' 1', '']) {
      const r = await send(good(bad, `refused ${bad}`));
      expect([r.code, r.remark]).toEqual([ResponseCode.SYSTEM_ERROR, nfeRemark(bad)]);
      expect(await maxOffset(client, server.brokerAddr, topic, 0)).toBe(1);
    }
    // The same through SEND_MESSAGE's long field names.
    const v1 = await send({ ...good('1e308', 'v1 refused'), form: 'v1' });
    expect([v1.code, v1.remark]).toEqual([ResponseCode.SYSTEM_ERROR, nfeRemark('1e308')]);

    await expectStored('1700000000001', 'second');
    await expectStored('9223372036854775807', 'long max');
    await expectStored('-9223372036854775808', 'long min');
    await expectStored('9007199254740993', '2^53+1');
    await expectStored('1700000000002', 'last');
    expect(acked.map((a) => a.offset)).toEqual([0, 1, 2, 3, 4, 5]);

    const check = async () => {
      const records = await readWholeQueue(client, server.brokerAddr, topic, 0);
      expect(records.map((r) => r.body.toString())).toEqual(acked.map((a) => a.body));
      expect(records.map((r) => r.bornTimestamp)).toEqual(acked.map((a) => a.born));
    };
    await check();
    await restart();
    await check();

    // A consumer's send-back (here straight to the DLQ) copies the born time exactly.
    const longMax = acked.find((a) => a.body === 'long max')!;
    const back = await client.invoke(server.brokerAddr, createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, {
      group: GROUP, offset: String(decodeOffsetMessageId(longMax.msgId)!.commitLogOffset), delayLevel: '-1', maxReconsumeTimes: '16',
    }), TIMEOUT_MS);
    expect([back.code, back.remark]).toEqual([ResponseCode.SUCCESS, undefined]);
    const [dead] = await pull(client, server.brokerAddr, `%DLQ%${GROUP}`, 0, 0);
    expect([dead.body.toString(), dead.bornTimestamp]).toEqual(['long max', 9223372036854775807n]);
    // Still appending at the next offset after the restart.
    await expectStored('1700000000003', 'after restart');
    expect(acked.at(-1)!.offset).toBe(6);
  });
});

describe('other request headers, field by field as their Java classes type them', () => {
  const pullHeader = (f: ExtFields): ExtFields => ({
    consumerGroup: 'hv_group', topic: 'HvBorn', queueId: '0', queueOffset: '0', maxMsgNums: '1', sysFlag: '4',
    commitOffset: '0', suspendTimeoutMillis: '0', subscription: '*', subVersion: '0', expressionType: 'TAG', ...f,
  });
  const q = (f: ExtFields): ExtFields => ({ topic: 'HvBorn', queueId: '0', ...f });
  // [what, code, header, bad value or undefined when the request must be accepted]
  const cases: Array<[string, number, ExtFields, string | undefined]> = [
    ['GET_MAX_OFFSET Integer queueId', RequestCode.GET_MAX_OFFSET, q({ queueId: '1e0' }), '1e0'],
    ['GET_MAX_OFFSET queueId beyond int', RequestCode.GET_MAX_OFFSET, q({ queueId: '2147483648' }), '2147483648'],
    ['GET_EARLIEST_MSG_STORETIME empty queueId', RequestCode.GET_EARLIEST_MSG_STORETIME, q({ queueId: '' }), ''],
    ['SEARCH_OFFSET_BY_TIMESTAMP Long timestamp', RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, q({ timestamp: '1.5e12' }), '1.5e12'],
    ['SEARCH_OFFSET_BY_TIMESTAMP Long.MAX_VALUE', RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, q({ timestamp: '9223372036854775807' }), undefined],
    ['PULL_MESSAGE Long queueOffset', RequestCode.PULL_MESSAGE, pullHeader({ queueOffset: '1.0' }), '1.0'],
    ['PULL_MESSAGE Integer maxMsgNums', RequestCode.PULL_MESSAGE, pullHeader({ maxMsgNums: '0x20' }), '0x20'],
    ['PULL_MESSAGE Long subVersion', RequestCode.PULL_MESSAGE, pullHeader({ subVersion: ' 1' }), ' 1'],
    ['PULL_MESSAGE queueOffset Long.MAX_VALUE', RequestCode.PULL_MESSAGE, pullHeader({ queueOffset: '9223372036854775807' }), undefined],
    ['QUERY_CONSUMER_OFFSET Integer queueId', RequestCode.QUERY_CONSUMER_OFFSET, q({ consumerGroup: 'hv_group', queueId: '+' }), '+'],
    ['UPDATE_CONSUMER_OFFSET Long commitOffset', RequestCode.UPDATE_CONSUMER_OFFSET, q({ consumerGroup: 'hv_group', commitOffset: '9223372036854775808' }), '9223372036854775808'],
    ['VIEW_MESSAGE_BY_ID Long offset', RequestCode.VIEW_MESSAGE_BY_ID, { offset: '0x10' }, '0x10'],
    ['QUERY_MESSAGE Long beginTimestamp', RequestCode.QUERY_MESSAGE, { topic: 'HvBorn', key: 'k', maxNum: '32', beginTimestamp: '-1e3', endTimestamp: '1' }, '-1e3'],
    ['QUERY_MESSAGE Integer maxNum of a unique-key query', RequestCode.QUERY_MESSAGE, { topic: 'HvBorn', key: 'k', maxNum: 'all', beginTimestamp: '0', endTimestamp: '1', _UNIQUE_KEY_QUERY: 'true' }, 'all'],
    ['CONSUMER_SEND_MSG_BACK Integer delayLevel', RequestCode.CONSUMER_SEND_MSG_BACK, { group: 'hv_group', offset: '0', delayLevel: '3.0' }, '3.0'],
    ['CONSUMER_SEND_MSG_BACK Long offset', RequestCode.CONSUMER_SEND_MSG_BACK, { group: 'hv_group', offset: '1_000', delayLevel: '0' }, '1_000'],
  ];
  it.each(cases)('%s', async (_what, code, header, bad) => {
    await createTopic(client, server.brokerAddr, 'HvBorn', 2);
    const r = await client.invoke(server.brokerAddr, createRequest(code, header), TIMEOUT_MS);
    if (bad === undefined) expect(r.code, r.remark).not.toBe(ResponseCode.SYSTEM_ERROR);
    else expect([r.code, r.remark]).toEqual([ResponseCode.SYSTEM_ERROR, nfeRemark(bad)]);
  });

  it('UNREGISTER_BROKER at the NameServer: Long brokerId', async () => {
    const h = { brokerName: 'nobody', brokerAddr: '127.0.0.1:1', clusterName: 'DefaultCluster', brokerId: '0.0' };
    const r = await client.invoke(server.namesrvAddr, createRequest(RequestCode.UNREGISTER_BROKER, h), TIMEOUT_MS);
    expect([r.code, r.remark]).toEqual([ResponseCode.SYSTEM_ERROR, nfeRemark('0.0')]);
  });
});

// ---------------------------------------------------------------- property test


/** Values at and around the Java limits, and the shapes Number() accepts but parseInt/parseLong do not. */
const EDGE_VALUES = [
  '0', '-0', '+1', '00001', '-1', '7', '2147483647', '2147483648', '-2147483648', '-2147483649',
  '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740993',
  '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '99999999999999999999999',
  '1e308', '1e3', '-1e20', '-100000000000000000000', '0x10', ' 1', '1 ', '', 'abc', '1.0', '+', '-', '1_000', 'NaN', 'Infinity', '--1',
];
/** DELAY values: malformed ones must be refused; the valid ones here are <= 0, so the message is stored as sent. */
const DELAY_VALUES = ['abc', '1.5', ' 2', '2147483648', '0x2', '-2147483649', '1e1', '-1', '0', '+0', '-0', '-2147483648'];
/**
 * TIMER_* values: unparsable or too far ⇒ MESSAGE_ILLEGAL; now or in the past ⇒ stored as sent. None is a
 * near future time, which would park the message in the timer topic instead of the queue it was sent to.
 */
const TIMER_PROPS = ['TIMER_DELAY_SEC', 'TIMER_DELAY_MS', 'TIMER_DELIVER_MS'];
const TIMER_VALUES = ['abc', '1e3', ' 5', '9223372036854775808', '9223372036854775807', '1000000000000', '-5', '0', '-0', '-9223372036854775808'];

const TOPICS = ['HvFuzzA', 'HvFuzzB'];
const QUEUES = 4;

interface Ack {
  topic: string;
  queueId: number;
  offset: number;
  body: Buffer;
  born: bigint;
  flag: number;
}

describe('property: no header or property value leaves a hole in a queue', () => {
  it('~300 mixed good and bad sends; every acknowledged message is readable at its offset, before and after a restart', async () => {
    const seed = process.env.SEED ? Number(process.env.SEED) : Math.floor(Math.random() * 2 ** 31);
    console.log(`header-validation property test: SEED=${seed}`);
    const rnd = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    for (const t of TOPICS) await createTopic(client, server.brokerAddr, t, QUEUES);

    const acks: Ack[] = [];
    const next = new Map<string, number>();
    const counts = { sent: 0, acked: 0, refused: 0 };
    for (let i = 0; i < 300; i++) {
      const form: SendForm = pick(['v1', 'v2', 'v2', 'batch']);
      const topic = pick(TOPICS);
      const bodies = Array.from({ length: form === 'batch' ? 1 + Math.floor(rnd() * 4) : 1 }, (_, k) => Buffer.from(`s${seed}-${i}-${k}-${'x'.repeat(Math.floor(rnd() * 40))}`));
      const spec: SendSpec = { form, topic, queueId: String(Math.floor(rnd() * QUEUES)), bornTimestamp: String(Date.now()), flag: String(Math.floor(rnd() * 1000)), bodies };
      // What Java would refuse with a NumberFormatException, and what else makes a send fail.
      const nfe: string[] = [];
      let mayFail = false;
      const kind = rnd();
      if (kind < 0.45) {
        const fields = form === 'v1' ? V1_NUMERIC : V2_NUMERIC;
        spec.overrides = {};
        for (let n = rnd() < 0.8 ? 1 : 2; n > 0; n--) spec.overrides[pick(Object.keys(fields))] = pick(EDGE_VALUES);
        for (const [name, v] of Object.entries(spec.overrides)) if (!javaParses(v, fields[name])) nfe.push(v);
        // A parsable queueId may be out of range, a sysFlag may make the send transactional, and so on.
        mayFail = true;
      } else if (kind < 0.6) {
        const v = pick(DELAY_VALUES);
        spec.properties = `WAIT\u0001true\u0002DELAY\u0001${v}`;
        if (!javaParses(v, 'int')) nfe.push(v);
      } else if (kind < 0.7 && form !== 'batch') {
        const v = pick(TIMER_VALUES);
        spec.properties = `WAIT\u0001true\u0002${pick(TIMER_PROPS)}\u0001${v}`;
        mayFail = true;
      }
      const r = await send(spec);
      counts.sent++;
      if (nfe.length > 0) {
        expect(r.code, `request ${i} ${JSON.stringify(spec.overrides ?? spec.properties)}`).toBe(ResponseCode.SYSTEM_ERROR);
        expect(nfe.map(nfeRemark)).toContain(r.remark);
      }
      if (r.code !== ResponseCode.SUCCESS) {
        expect(mayFail || nfe.length > 0, `request ${i} refused: ${r.code} ${r.remark}`).toBe(true);
        counts.refused++;
        continue;
      }
      counts.acked++;
      const sysFlag = Number(spec.overrides?.f ?? spec.overrides?.sysFlag ?? 0);
      // PREPARED / ROLLBACK records never take a queue offset (Java answers queueOffset 0 for them).
      if ((sysFlag & 0xc) === 0x4 || (sysFlag & 0xc) === 0xc) continue;
      const queueId = Number(r.extFields!.queueId);
      const offset = Number(r.extFields!.queueOffset);
      const key = `${topic}/${queueId}`;
      // Consecutive offsets: a refused send before this one left no hole.
      expect(offset, `request ${i} on ${key}`).toBe(next.get(key) ?? 0);
      next.set(key, offset + bodies.length);
      const born = BigInt(spec.overrides?.g ?? spec.overrides?.bornTimestamp ?? spec.bornTimestamp);
      // `| 0`: "-0" parses to 0, and the record holds no negative zero.
      const flag = form === 'batch' ? Number(spec.flag) : Number(spec.overrides?.h ?? spec.overrides?.flag ?? spec.flag) | 0;
      bodies.forEach((body, k) => acks.push({ topic, queueId, offset: offset + k, body, born, flag }));
    }
    console.log(`header-validation property test: ${counts.sent} sends, ${counts.acked} acknowledged, ${counts.refused} refused`);
    expect(counts.acked).toBeGreaterThan(50);
    expect(counts.refused).toBeGreaterThan(50);

    const verify = async () => {
      for (const topic of TOPICS) {
        for (let q = 0; q < QUEUES; q++) {
          const records = await readWholeQueue(client, server.brokerAddr, topic, q);
          expect(records.length, `${topic}/${q}`).toBe(next.get(`${topic}/${q}`) ?? 0);
        }
      }
      for (const a of acks) {
        const [rec] = await pull(client, server.brokerAddr, a.topic, a.queueId, a.offset);
        expect(rec, `${a.topic}/${a.queueId}@${a.offset}`).toBeDefined();
        expect(rec.queueOffset).toBe(BigInt(a.offset));
        expect(rec.body.equals(a.body), `${a.topic}/${a.queueId}@${a.offset} body`).toBe(true);
        expect(rec.bornTimestamp).toBe(a.born);
        expect(rec.flag).toBe(a.flag);
      }
    };
    await verify();
    await restart();
    await verify();
  }, 60_000);
});
