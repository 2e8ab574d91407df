/**
 * Answers a 5.x broker gives where a 4.9 broker says nothing, through the real 5.x tools:
 * - SendResult.getTransactionId() of transactional and plain sends is the message id (5.x
 *   SendMessageProcessor sets transactionId to UNIQ_KEY), Java 5.3.3 and 5.5.0 clients;
 * - timer messages (Message#setDelayTimeMs / setDeliverTimeMs) delivered no earlier than due, with a
 *   recallHandle, and a delay beyond timerMaxDelaySec refused with 5.3.3's code and remark;
 * - topic attributes: mqadmin 5.3.3 `updateTopic -a +message.type=FIFO` stored (topics.json) and answered
 *   by GET_TOPIC_CONFIG (351), kept by an update without -a, removed by `-a -message.type`, and the
 *   5.3.3 refusals (unknown key, value outside the set, unchangeable attribute) with its remarks.
 * The expected remarks were captured from Apache RocketMQ 5.3.3 (broker 5.3.3 behind our NameServer,
 * COMPAT_APACHE_REFERENCE=1 runs the same checks there) on 2026-11-29.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeJava5Failure, java5Classpath, runJava5Scenario, type JavaClientVersion } from './support/java5.js';
import { MqadminSession, mqadminClasspath } from './support/mqadmin.js';
import { recordMatrix } from './support/matrix.js';
import { apache5Broker, disposeAll, nodeTail, ourNamesrv } from './support/cluster.js';
import { waitForRoute } from './support/route.js';
import { startOurServer } from '../test/support/our-server.js';
import { makeTempDir } from '../test/support/server.js';
import { RemotingClient } from '../src/remoting/client.js';
import { createRequest } from '../src/remoting/command.js';
import { RequestCode } from '../src/protocol/request-code.js';
import { ResponseCode } from '../src/protocol/response-code.js';

const SETUP_TIMEOUT_MS = 600_000;
const SCENARIO_TIMEOUT_MS = 120_000;
/** 5.x MessageStoreConfig#timerMaxDelaySec default (3 days): neither server sets it. */
const TIMER_MAX_DELAY_SEC = 3 * 86_400;
/** SendMessageProcessor#handlePutMessageResult, WHEEL_TIMER_MSG_ILLEGAL (5.3.3). */
const TIMER_ILLEGAL_REMARK = `timer message illegal, the delay time should not be bigger than the max delay ${TIMER_MAX_DELAY_SEC * 1000}ms; or if set del msg, the delay time should be bigger than the current time`;
/** EnumAttribute#verify of message.type: the set as Java's HashSet prints it (5.3.3). */
const MESSAGE_TYPE_SET_REMARK = 'value is not in set: [UNSPECIFIED, TRANSACTION, FIFO, MIXED, DELAY, NORMAL]';
const CLIENTS: JavaClientVersion[] = ['5.3.3', '5.5.0'];

interface Target {
  name: string;
  enabled: boolean;
  start(): Promise<{ namesrvAddr: string; brokerAddr: string; topicsJson?: string; tail(): string; dispose(): Promise<void> }>;
}

const targets: Target[] = [
  {
    name: 'rocketmq-ts',
    enabled: process.env.COMPAT_OURS !== '0',
    start: async () => {
      const s = await startOurServer({ conf: { transactionCheckInterval: 5000 } });
      return {
        namesrvAddr: s.namesrvAddr, brokerAddr: s.brokerAddr, topicsJson: path.join(s.dir, 'store', 'config', 'topics.json'),
        tail: () => s.output().slice(-4000), dispose: () => s.dispose(),
      };
    },
  },
  {
    name: 'rocketmq-ts namesrv + Apache 5.3.3 broker',
    enabled: process.env.COMPAT_APACHE_REFERENCE === '1',
    start: async () => {
      const ns = await ourNamesrv();
      const b = await apache5Broker('answers-apache5', ns.addr, { transactionCheckInterval: 5000 });
      await waitForRoute(ns.addr, 'TBW102');
      return {
        namesrvAddr: ns.addr, brokerAddr: b.addr, topicsJson: path.join(b.dir, 'store', 'config', 'topics.json'),
        tail: () => nodeTail(b), dispose: () => disposeAll([b, ns]),
      };
    },
  },
];

async function getTopicConfig(brokerAddr: string, topic: string): Promise<{ code: number; remark?: string; config?: Record<string, unknown> }> {
  const client = new RemotingClient();
  try {
    const res = await client.invoke(brokerAddr, createRequest(RequestCode.GET_TOPIC_CONFIG, { topic }), 5000);
    return { code: res.code, remark: res.remark ?? undefined, config: res.body ? JSON.parse(String(res.body)) : undefined };
  } finally {
    client.close();
  }
}

for (const target of targets) {
  describe.skipIf(!target.enabled)(`5.x answers against ${target.name}`, () => {
    let server: Awaited<ReturnType<Target['start']>>;
    let admin: MqadminSession | undefined;

    beforeAll(async () => {
      for (const v of CLIENTS) await java5Classpath(v);
      await mqadminClasspath('5.3.3');
      server = await target.start();
      admin = await MqadminSession.start('5.3.3', server.namesrvAddr, makeTempDir('rocketmq-ts-answers-mqadmin'));
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      await admin?.stop();
      await server?.dispose();
    }, SETUP_TIMEOUT_MS);

    for (const version of CLIENTS) {
      it(`Java ${version}: SendResult.getTransactionId() is the msgId (transactional and plain sends)`, async () => {
        const r = await runJava5Scenario('tx-id', server.namesrvAddr, { clientVersion: version });
        recordMatrix({ client: `Java ${version}`, server: target.name, scenario: 'tx-id', passed: r.passed, verdict: r.verdict, tookMs: r.tookMs });
        expect(r.passed, describeJava5Failure(r, server.tail())).toBe(true);
      }, SCENARIO_TIMEOUT_MS);

      it(`Java ${version}: setDelayTimeMs / setDeliverTimeMs delivered no earlier than due; beyond timerMaxDelaySec refused`, async () => {
        const r = await runJava5Scenario('timer', server.namesrvAddr, { clientVersion: version, args: [String(TIMER_MAX_DELAY_SEC)] });
        recordMatrix({ client: `Java ${version}`, server: target.name, scenario: 'timer', passed: r.passed, verdict: r.verdict, tookMs: r.tookMs });
        expect(r.passed, describeJava5Failure(r, server.tail())).toBe(true);
        expect(r.output).toContain(`REFUSED code=13 remark=${TIMER_ILLEGAL_REMARK}`);
      }, SCENARIO_TIMEOUT_MS);
    }

    it('mqadmin 5.3.3 updateTopic -a: attributes stored, answered by GET_TOPIC_CONFIG, refused as 5.3.3 refuses', async () => {
      const topic = `AttrTopic_${Date.now()}`;
      const update = async (...extra: string[]) => (await admin!.run('updateTopic', ['-b', server.brokerAddr, '-t', topic, '-r', '4', '-w', '4', ...extra])).output;

      // Creating with an unknown key or a value outside the set: refused, nothing created.
      expect(await update('-a', '+foo=bar')).toContain('unsupported key: foo');
      expect(await update('-a', '+message.type=BAD')).toContain(MESSAGE_TYPE_SET_REMARK);
      expect((await getTopicConfig(server.brokerAddr, topic)).code).toBe(ResponseCode.TOPIC_NOT_EXIST);

      expect(await update('-a', '+message.type=FIFO')).toContain('success');
      let tc = await getTopicConfig(server.brokerAddr, topic);
      expect(tc.code).toBe(ResponseCode.SUCCESS);
      expect(tc.config).toMatchObject({ topicName: topic, readQueueNums: 4, writeQueueNums: 4, attributes: { 'message.type': 'FIFO' } });
      if (server.topicsJson) {
        const table = JSON.parse(fs.readFileSync(server.topicsJson, 'utf8')).topicConfigTable as Record<string, { attributes?: Record<string, string> }>;
        expect(table[topic]?.attributes).toEqual({ 'message.type': 'FIFO' });
      }

      // An update without -a keeps them; queue.type cannot change on an existing topic; "-key" removes one.
      expect(await update('-p', '6')).toContain('success');
      tc = await getTopicConfig(server.brokerAddr, topic);
      expect(tc.config).toMatchObject({ perm: 6, attributes: { 'message.type': 'FIFO' } });
      expect(await update('-a', '+queue.type=BatchCQ')).toContain('attempt to update an unchangeable attribute. key: queue.type');
      expect(await update('-a', '-message.type')).toContain('success');
      tc = await getTopicConfig(server.brokerAddr, topic);
      expect(tc.config?.attributes ?? {}).toEqual({});
      const status = (await admin!.run('topicStatus', ['-t', topic])).output;
      expect(status).toContain('#Broker Name');
      recordMatrix({ client: 'mqadmin 5.3.3', server: target.name, scenario: 'updateTopic -a attributes', passed: true, verdict: 'PASS', tookMs: 0 });
    }, SCENARIO_TIMEOUT_MS);
  });
}
