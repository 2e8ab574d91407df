/**
 * Bounded work per request (issue #14). NameServer and broker share one event loop here, as in the
 * standalone server, so a request that holds the loop delays every other client:
 *   - a heartbeat naming thousands of new groups writes subscriptionGroup.json and topics.json a few
 *     times, not once per group, and other clients' sends and route lookups keep being answered;
 *   - no path leaves a topic (or a group's retry topic) with more than maxTopicQueueNums queues, so a
 *     stats request can never be asked to walk 2^31 queues;
 *   - a stats request over many queues runs in slices: another client's request is answered in between.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { JavaDouble, parseFastJson, toFastJson } from '../../src/codec/fastjson.js';
import type { Connection } from '../../src/remoting/connection.js';
import type { BrokerContext } from '../../src/broker/broker-context.js';
import { toFastJsonSliced } from '../../src/processors/broker/slices.js';
import { consumeOffsets } from '../../src/processors/broker/admin-group.js';
import { heartBeat } from '../../src/processors/broker/client-manage.js';
import { BROKER_CONFIG_DEFAULTS, type BrokerConfig } from '../../src/config/broker-config.js';
import { TopicConfigManager, topicConfig } from '../../src/broker/metadata/topic-config-manager.js';
import { SubscriptionGroupManager, subscriptionGroupConfig } from '../../src/broker/metadata/subscription-group-manager.js';
import { consumerHeartbeat, createTopicRequest, sendV2 } from '../support/wire.js';

const MAX = BROKER_CONFIG_DEFAULTS.maxTopicQueueNums;
const HUGE = 2_147_483_647;
const GROUPS = 2_000;

let srv: InProcessServer;
const admin = new RemotingClient(() => {});
const other = new RemotingClient(() => {});
const heavy = new RemotingClient(() => {});

beforeAll(async () => {
  srv = await startInProcess();
  expect((await admin.invoke(srv.brokerAddr, createTopicRequest('BwTopic', 4), 5_000)).code).toBe(ResponseCode.SUCCESS);
}, 60_000);

afterAll(async () => {
  for (const c of [admin, other, heavy]) c.close();
  await srv?.stop();
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Renames onto `name` (sync or async): one per completed write of that state file. */
function countWrites(name: string): () => number {
  let n = 0;
  const hit = (to: unknown): void => {
    if (path.basename(String(to)) === name) n++;
  };
  const renameSync = fs.renameSync;
  vi.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
    hit(to);
    return renameSync(from, to);
  });
  const rename = fs.promises.rename;
  vi.spyOn(fs.promises, 'rename').mockImplementation((from, to) => {
    hit(to);
    return rename(from, to);
  });
  return () => n;
}

/** HEART_BEAT of one client naming `count` consumer groups, each subscribed to BwTopic (about 300 bytes each). */
function bigHeartbeat(clientID: string, prefix: string, count: number): RemotingCommand {
  const consumerDataSet = Array.from({ length: count }, (_, i) => ({
    groupName: `${prefix}${i}`, consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    subscriptionDataSet: [{ classFilterMode: false, codeSet: [], expressionType: 'TAG', subString: '*', subVersion: Date.now(), tagsSet: [], topic: 'BwTopic' }],
    unitMode: false,
  }));
  return createRequest(RequestCode.HEART_BEAT, undefined, Buffer.from(toFastJson({ clientID, consumerDataSet, producerDataSet: [] })));
}

/**
 * Round trips of `other` (a send to the broker, then a route lookup at the NameServer) one after another
 * until `until` settles; the slowest one.
 */
async function roundTripsDuring(until: Promise<unknown>): Promise<{ max: number; count: number }> {
  let settled = false;
  void until.finally(() => (settled = true));
  let max = 0;
  let count = 0;
  while (!settled) {
    const t0 = performance.now();
    expect((await other.invoke(srv.brokerAddr, sendV2('BwTopic', 'ping'), 10_000)).code).toBe(ResponseCode.SUCCESS);
    const route = await other.invoke(srv.namesrvAddr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'BwTopic' }), 10_000);
    expect(route.code).toBe(ResponseCode.SUCCESS);
    max = Math.max(max, performance.now() - t0);
    count++;
  }
  return { max, count };
}

function groupRequest(groupName: string, fields: Record<string, unknown> = {}): RemotingCommand {
  return createRequest(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined, Buffer.from(JSON.stringify({ groupName, ...fields })));
}

async function topicQueueNums(topic: string): Promise<{ readQueueNums: number; writeQueueNums: number }> {
  const r = await admin.invoke(srv.brokerAddr, createRequest(RequestCode.GET_TOPIC_CONFIG, { topic }), 5_000);
  expect(r.code).toBe(ResponseCode.SUCCESS);
  return parseFastJson(r.body!.toString()) as { readQueueNums: number; writeQueueNums: number };
}

describe('a heartbeat naming thousands of new groups', () => {
  it(`creates ${GROUPS} groups and their retry topics with a write or two of each file, while other clients are answered`, async () => {
    const groupWrites = countWrites('subscriptionGroup.json');
    const topicWrites = countWrites('topics.json');
    const hb = bigHeartbeat('bw-client@1', 'BwGroup', GROUPS);
    expect(hb.body!.length).toBeGreaterThan(500 * 1024);
    const t0 = performance.now();
    const answer = heavy.invoke(srv.brokerAddr, hb, 120_000);
    const timed = answer.then(() => performance.now() - t0);
    const others = await roundTripsDuring(answer);
    expect((await answer).code).toBe(ResponseCode.SUCCESS);
    const took = await timed;
    // Everything written, once the writes scheduled by the heartbeat have run.
    await srv.broker.ctx.groups.persist();
    await srv.broker.ctx.topics.persist();
    console.log(`heartbeat of ${GROUPS} groups: ${took.toFixed(0)} ms; subscriptionGroup.json written ${groupWrites()}x, topics.json ${topicWrites()}x;`
      + ` other client: ${others.count} round trips, slowest ${others.max.toFixed(0)} ms`);
    expect(took).toBeLessThan(2_000);
    expect(others.max).toBeLessThan(500);
    expect(groupWrites()).toBeLessThanOrEqual(2);
    expect(topicWrites()).toBeLessThanOrEqual(2);
    const configDir = path.join(srv.dir, 'store', 'config');
    const groups = fs.readFileSync(path.join(configDir, 'subscriptionGroup.json'), 'utf8');
    const topics = fs.readFileSync(path.join(configDir, 'topics.json'), 'utf8');
    for (const i of [0, GROUPS / 2, GROUPS - 1]) {
      expect(groups).toContain(`"BwGroup${i}"`);
      expect(topics).toContain(`"%RETRY%BwGroup${i}"`);
    }
  }, 120_000);

  it('an explicit group create is on disk when its answer arrives (one write)', async () => {
    const groupWrites = countWrites('subscriptionGroup.json');
    expect((await admin.invoke(srv.brokerAddr, groupRequest('BwExplicit'), 5_000)).code).toBe(ResponseCode.SUCCESS);
    expect(groupWrites()).toBe(1);
    expect(fs.readFileSync(path.join(srv.dir, 'store', 'config', 'subscriptionGroup.json'), 'utf8')).toContain('"BwExplicit"');
    const topicWrites = countWrites('topics.json');
    expect((await admin.invoke(srv.brokerAddr, createTopicRequest('BwExplicitTopic', 2), 5_000)).code).toBe(ResponseCode.SUCCESS);
    expect(topicWrites()).toBe(1);
    expect(fs.readFileSync(path.join(srv.dir, 'store', 'config', 'topics.json'), 'utf8')).toContain('"BwExplicitTopic"');
  });
});

describe('queue counts never exceed maxTopicQueueNums', () => {
  it('UPDATE_AND_CREATE_SUBSCRIPTIONGROUP refuses a retryQueueNums above maxTopicQueueNums, so no huge retry topic follows', async () => {
    const r = await admin.invoke(srv.brokerAddr, groupRequest('BwHugeRetry', { retryQueueNums: HUGE }), 5_000);
    expect([r.code, r.remark]).toEqual([ResponseCode.INVALID_PARAMETER, `retryQueueNums ${HUGE} is out of range: 0 to ${MAX} (maxTopicQueueNums)`]);
    expect((await admin.invoke(srv.brokerAddr, groupRequest('BwNegRetry', { retryQueueNums: -1 }), 5_000)).code).toBe(ResponseCode.INVALID_PARAMETER);
    expect((await admin.invoke(srv.brokerAddr, groupRequest('BwMaxRetry', { retryQueueNums: MAX }), 5_000)).code).toBe(ResponseCode.SUCCESS);
    // The heartbeat of the refused group auto-creates it with the default: one retry queue.
    expect((await admin.invoke(srv.brokerAddr, consumerHeartbeat('bw-huge@1', 'BwHugeRetry', 'BwTopic'), 5_000)).code).toBe(ResponseCode.SUCCESS);
    expect((await topicQueueNums('%RETRY%BwHugeRetry')).writeQueueNums).toBe(1);
    const t0 = performance.now();
    const stats = await admin.invoke(srv.brokerAddr, createRequest(RequestCode.GET_TOPIC_STATS_INFO, { topic: '%RETRY%BwHugeRetry' }), 30_000);
    expect(stats.code).toBe(ResponseCode.SUCCESS);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('a send auto-creating a topic takes at most the default topic\'s queues, whatever defaultTopicQueueNums the client names', async () => {
    const r = await admin.invoke(srv.brokerAddr, sendV2('BwAutoHuge', 'x', { header: { d: String(HUGE) } }), 5_000);
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(await topicQueueNums('BwAutoHuge')).toMatchObject({ readQueueNums: BROKER_CONFIG_DEFAULTS.defaultTopicQueueNums, writeQueueNums: BROKER_CONFIG_DEFAULTS.defaultTopicQueueNums });
  });

  describe('tables from disk, from a master, from the config', () => {
    const dirs: string[] = [];
    afterAll(() => {
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });
    function config(over: Partial<BrokerConfig> = {}): BrokerConfig {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rocketmq-ts-bounded-'));
      dirs.push(dir);
      fs.mkdirSync(path.join(dir, 'config'));
      return { ...BROKER_CONFIG_DEFAULTS, storePathRootDir: dir, ...over };
    }
    const huge = { ...topicConfig('HugeT', 4), readQueueNums: HUGE, writeQueueNums: HUGE };

    it('topics.json: a topic with more queues is cut to maxTopicQueueNums at load, TBW102 included', async () => {
      const c = config();
      const tbw = { ...topicConfig('TBW102', HUGE), perm: 7 };
      fs.writeFileSync(path.join(c.storePathRootDir, 'config', 'topics.json'), toFastJson({ topicConfigTable: { HugeT: huge, TBW102: tbw } }));
      const m = new TopicConfigManager(c);
      m.load();
      expect(m.select('HugeT')).toMatchObject({ readQueueNums: MAX, writeQueueNums: MAX });
      const auto = m.createTopicInSendMessageMethod('AutoT', 'TBW102', '127.0.0.1:1', HUGE, 0);
      expect(auto).toMatchObject({ readQueueNums: MAX, writeQueueNums: MAX });
      // Written before the directory is removed.
      await m.persist();
    });

    it('slave sync: the master\'s table is cut the same way', async () => {
      const m = new TopicConfigManager(config());
      await m.replaceAll([huge], { counter: 3, timestamp: 1 });
      expect(m.select('HugeT')).toMatchObject({ readQueueNums: MAX, writeQueueNums: MAX });
      const g = new SubscriptionGroupManager(config());
      await g.replaceAll([{ ...subscriptionGroupConfig('HugeG'), retryQueueNums: HUGE }], { counter: 3, timestamp: 1 });
      expect(g.table.get('HugeG')!.retryQueueNums).toBe(MAX);
    });

    it('subscriptionGroup.json: a retryQueueNums above the bound is cut at load', () => {
      const c = config();
      fs.writeFileSync(path.join(c.storePathRootDir, 'config', 'subscriptionGroup.json'),
        toFastJson({ subscriptionGroupTable: { HugeG: { ...subscriptionGroupConfig('HugeG'), retryQueueNums: HUGE } } }));
      const g = new SubscriptionGroupManager(c);
      g.load();
      expect(g.table.get('HugeG')!.retryQueueNums).toBe(MAX);
    });

    it('a defaultTopicQueueNums above maxTopicQueueNums gives TBW102 maxTopicQueueNums queues; retry topics are bounded too', async () => {
      const m = new TopicConfigManager(config({ defaultTopicQueueNums: HUGE }));
      expect(m.select('TBW102')).toMatchObject({ readQueueNums: MAX, writeQueueNums: MAX });
      expect(m.createIfAbsent('%RETRY%G', HUGE, 6)).toMatchObject({ readQueueNums: MAX, writeQueueNums: MAX });
      await m.persist();
    });
  });
});

describe('requests whose work grows with a client-chosen count run in slices', () => {
  const TOPICS = 24;

  beforeAll(async () => {
    for (let t = 0; t < TOPICS; t++) {
      expect((await admin.invoke(srv.brokerAddr, createTopicRequest(`BwWide${t}`, MAX), 5_000)).code).toBe(ResponseCode.SUCCESS);
    }
    // One message in every queue of the first topic, so its stats read store times too.
    for (let q = 0; q < MAX; q += 1) {
      expect((await admin.invoke(srv.brokerAddr, sendV2('BwWide0', 'm', { queueId: q }), 5_000)).code).toBe(ResponseCode.SUCCESS);
    }
  }, 120_000);

  /**
   * `big` from one client while another sends one message after another: the slowest of those sends,
   * and the longest the event loop went without running a timer (this process is the server too).
   */
  async function interleaves(big: RemotingCommand): Promise<{ bigMs: number; slowestOther: number; others: number; loopStall: number; res: RemotingCommand }> {
    let stall = 0;
    let last = performance.now();
    const lag = setInterval(() => {
      const now = performance.now();
      stall = Math.max(stall, now - last);
      last = now;
    }, 1);
    try {
      const t0 = performance.now();
      const answer = heavy.invoke(srv.brokerAddr, big, 60_000);
      const timed = answer.then(() => performance.now() - t0);
      let slowestOther = 0;
      let others = 0;
      let settled = false;
      void answer.finally(() => (settled = true));
      while (!settled) {
        const t1 = performance.now();
        expect((await other.invoke(srv.brokerAddr, sendV2('BwTopic', 'between'), 10_000)).code).toBe(ResponseCode.SUCCESS);
        slowestOther = Math.max(slowestOther, performance.now() - t1);
        others++;
      }
      return { bigMs: await timed, slowestOther, others, loopStall: stall, res: await answer };
    } finally {
      clearInterval(lag);
    }
  }

  it('GET_CONSUME_STATS over many topics of maxTopicQueueNums queues', async () => {
    const req = createRequest(RequestCode.GET_CONSUME_STATS, { consumerGroup: 'BwStatsGroup', topicList: Array.from({ length: TOPICS }, (_, t) => `BwWide${t}`).join(',') });
    const r = await interleaves(req);
    console.log(`GET_CONSUME_STATS of ${TOPICS}x${MAX} queues: ${r.bigMs.toFixed(0)} ms; meanwhile ${r.others} sends, slowest ${r.slowestOther.toFixed(1)} ms; longest loop stall ${r.loopStall.toFixed(1)} ms`);
    expect(r.res.code).toBe(ResponseCode.SUCCESS);
    const body = parseFastJson(r.res.body!.toString()) as { offsetTable: Map<unknown, unknown> };
    expect(body.offsetTable.size).toBe(TOPICS * MAX);
    expect(r.others).toBeGreaterThan(1);
  });

  it('GET_TOPIC_STATS_INFO of a topic with a message in each of maxTopicQueueNums queues', async () => {
    const one = await admin.invoke(srv.brokerAddr, createRequest(RequestCode.GET_TOPIC_STATS_INFO, { topic: 'BwWide0' }), 10_000);
    const body = parseFastJson(one.body!.toString()) as { offsetTable: Map<{ queueId: number }, { maxOffset: number }> };
    expect(body.offsetTable.size).toBe(MAX);
    expect([...body.offsetTable.values()].every((w) => w.maxOffset === 1)).toBe(true);
  });

  it('LOCK_BATCH_MQ with a large set of queues', async () => {
    const mqSet = Array.from({ length: 50_000 }, (_, i) => ({ brokerName: 'broker-a', queueId: i, topic: 'BwLockTopic' }));
    const req = createRequest(RequestCode.LOCK_BATCH_MQ, undefined, Buffer.from(toFastJson({ clientId: 'bw-lock@1', consumerGroup: 'BwLockGroup', mqSet })));
    const r = await interleaves(req);
    console.log(`LOCK_BATCH_MQ of 50000 queues: ${r.bigMs.toFixed(0)} ms; meanwhile ${r.others} sends, slowest ${r.slowestOther.toFixed(1)} ms; longest loop stall ${r.loopStall.toFixed(1)} ms`);
    const body = parseFastJson(r.res.body!.toString()) as { lockOKMQSet: unknown[] };
    expect(body.lockOKMQSet.length).toBe(50_000);
  });
});

describe('answers built in slices are the bytes they were', () => {
  it('toFastJsonSliced gives toFastJson\'s text for the bodies\' shapes', async () => {
    const mq = (topic: string, queueId: number) => ({ brokerName: 'broker-a', queueId, topic });
    const offsetTable = new Map<object, unknown>();
    for (let q = 0; q < 3000; q++) offsetTable.set(mq(`T${q % 7}`, q), { brokerOffset: q * 3, consumerOffset: q, lastTimestamp: q ? 1_700_000_000_000 + q : 0, pullOffset: q });
    const values: unknown[] = [
      { consumeTps: new JavaDouble(1.5), offsetTable },
      { brokerAddr: '127.0.0.1:10911', consumeStatsList: [new Map([['G1', [{ consumeTps: new JavaDouble(0), offsetTable }]]]), new Map([['G2', []]])], totalDiff: 12 },
      { lockOKMQSet: Array.from({ length: 500 }, (_, i) => mq('L', i)) },
      new Map<unknown, unknown>(Array.from({ length: 200 }, (_, i) => [i % 3 === 0 ? i : `k"\u2028\u0001${i}`, i % 5 === 0 ? null : { n: i, s: new Set(['a', 'b']), u: undefined, big: 2n ** 62n }])),
      Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? undefined : i % 10 === 1 ? null : [i, `x${i}`, new JavaDouble(i / 3)])),
      { a: null, b: undefined, c: [], d: new Map(), e: Array.from({ length: 70 }, () => ({})), f: '\u007f/' },
      { dataVersion: { counter: 3, timestamp: 1 }, topicConfigTable: new Map(Array.from({ length: 100 }, (_, i) => [`t${i}`, topicConfig(`t${i}`, i)])) },
      [], new Map(), {}, 'plain', 42, null,
    ];
    for (const v of values) expect(await toFastJsonSliced(v)).toBe(toFastJson(v));
  });

  /** GET_BROKER_CONSUME_STATS as it was built in one go (AdminBrokerProcessor's loops, topicsOfGroup per group). */
  function brokerConsumeStatsInOneGo(ctx: BrokerContext): string {
    let totalDiff = 0;
    const consumeStatsList: Array<Map<string, unknown[]>> = [];
    for (const group of ctx.groups.table.keys()) {
      const list: unknown[] = [];
      const gi = ctx.consumers.get(group);
      for (const topic of ctx.offsets.topicsOfGroup(group)) {
        const tc = ctx.topics.select(topic);
        if (!tc) continue;
        if (gi && gi.subscriptionTable.size > 0 && !gi.subscriptionTable.has(topic)) continue;
        const offsetTable = new Map<object, unknown>();
        for (let queueId = 0; queueId < tc.writeQueueNums; queueId++) {
          const w = consumeOffsets(ctx, group, topic, queueId);
          totalDiff += w.brokerOffset - w.consumerOffset;
          offsetTable.set({ brokerName: ctx.config.brokerName, queueId, topic }, w);
        }
        list.push({ consumeTps: new JavaDouble(ctx.stats.groupGetTps(group, topic)), offsetTable });
      }
      consumeStatsList.push(new Map([[group, list]]));
    }
    return toFastJson({ brokerAddr: ctx.brokerAddr, consumeStatsList, totalDiff });
  }

  it('GET_BROKER_CONSUME_STATS and GET_CONSUME_STATS: the same body as built in one go', async () => {
    const ctx = srv.broker.ctx;
    for (const [group, topic, q, off] of [['BwOffG1', 'BwTopic', 0, 1], ['BwOffG1', 'BwExplicitTopic', 1, 0], ['BwOffG2', 'BwTopic', 3, 2], ['BwOffG1', 'BwGone', 0, 5]] as const) {
      ctx.offsets.commitOffset(group, topic, q, off);
    }
    ctx.groups.find('BwOffG1');
    ctx.groups.find('BwOffG2');
    const r = await admin.invoke(srv.brokerAddr, createRequest(RequestCode.GET_BROKER_CONSUME_STATS, { isOrder: 'false' }), 30_000);
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(r.body!.toString()).toBe(brokerConsumeStatsInOneGo(ctx));
    // A topic named twice is counted once, as Java collects the list into a Set.
    const once = await admin.invoke(srv.brokerAddr, createRequest(RequestCode.GET_CONSUME_STATS, { consumerGroup: 'BwOffG1', topicList: 'BwTopic,BwExplicitTopic' }), 5_000);
    const twice = await admin.invoke(srv.brokerAddr, createRequest(RequestCode.GET_CONSUME_STATS, { consumerGroup: 'BwOffG1', topicList: 'BwTopic,BwExplicitTopic,BwTopic' }), 5_000);
    expect(twice.body!.toString()).toBe(once.body!.toString());
    const offsetTable = new Map<object, unknown>();
    for (const topic of ['BwTopic', 'BwExplicitTopic']) {
      for (let q = 0; q < ctx.topics.select(topic)!.readQueueNums; q++) offsetTable.set({ brokerName: ctx.config.brokerName, queueId: q, topic }, consumeOffsets(ctx, 'BwOffG1', topic, q));
    }
    expect(once.body!.toString()).toBe(toFastJson({ consumeTps: new JavaDouble(0), offsetTable }));
  });

  it('a heartbeat whose connection closes midway registers nothing for it after the close', async () => {
    const ctx = srv.broker.ctx;
    const conn = { closed: false, remoteAddr: '127.0.0.1:1', invokeOneway: () => true, send: () => true } as unknown as Connection;
    const req = bigHeartbeat('bw-closing@1', 'BwClosing', GROUPS);
    const done = heartBeat(ctx, req, conn);
    // What the server does when the socket closes: the connection leaves every group it is in.
    setImmediate(() => {
      (conn as { closed: boolean }).closed = true;
      ctx.consumers.onConnectionClosed(conn);
    });
    await done;
    const left = [...ctx.consumers.groups.values()].filter((g) => g.channels.has(conn)).length;
    expect(left).toBe(0);
    // It was cut short: some groups were created before the close, not all of them.
    const created = [...ctx.groups.table.keys()].filter((g) => g.startsWith('BwClosing')).length;
    expect(created).toBeGreaterThan(0);
    expect(created).toBeLessThan(GROUPS);
  });
});
