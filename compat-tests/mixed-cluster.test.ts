/**
 * Mixed clusters with Apache RocketMQ 4.9.7 (the newest 4.x server on Maven Central), each checked
 * by the `spread` scenario of compat-tests/java5 (a topic created on every broker, one producer spreading
 * over all of them, a two-consumer group draining every queue), with the Java 4.9.8 and 5.3.3 clients, and
 * the Go client's `spread` (topic created on every broker first, see test/support/topics.ts; Go parses route data its own way):
 *   1. our broker registered with the Apache NameServer, clients finding it there;
 *   2. the Apache broker registered with our NameServer, clients finding it through us;
 *   3. an Apache broker (broker-a) and our broker (broker-b) side by side in one cluster behind our NameServer.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apacheBroker, apacheNamesrv, disposeAll, ourBroker, ourNamesrv, type Node } from './support/cluster.js';
import { GO_BUILD_TIMEOUT_MS, buildGoScenarios, describeGoFailure, runGoScenario, type GoScenarios } from './support/go.js';
import { describeJava5Failure, java5Classpath, runJava5Scenario, type JavaClientVersion } from './support/java5.js';
import { recordMatrix } from './support/matrix.js';
import { createTopicOnBrokers } from './support/topics.js';

const TEST_TIMEOUT_MS = 420_000;
const CLIENTS: JavaClientVersion[] = ['4.9.8', '5.3.3'];

const setups: Array<{ name: string; brokers: number; start: () => Promise<{ namesrv: Node; nodes: Node[] }> }> = [
  {
    name: 'Apache 4.9.7 namesrv + rocketmq-ts broker',
    brokers: 1,
    async start() {
      const namesrv = await apacheNamesrv();
      return { namesrv, nodes: [namesrv, await ourBroker('broker-a', namesrv.addr)] };
    },
  },
  {
    name: 'rocketmq-ts namesrv + Apache 4.9.7 broker',
    brokers: 1,
    async start() {
      const namesrv = await ourNamesrv();
      return { namesrv, nodes: [namesrv, await apacheBroker('broker-a', namesrv.addr)] };
    },
  },
  {
    name: 'rocketmq-ts namesrv + Apache 4.9.7 broker-a + rocketmq-ts broker-b',
    brokers: 2,
    async start() {
      const namesrv = await ourNamesrv();
      const a = await apacheBroker('broker-a', namesrv.addr);
      const b = await ourBroker('broker-b', namesrv.addr);
      return { namesrv, nodes: [namesrv, a, b] };
    },
  },
];

describe('mixed clusters with Apache RocketMQ 4.9.7', () => {
  let nodes: Node[] = [];
  let go: GoScenarios | undefined;

  beforeAll(async () => {
    go = await buildGoScenarios();
  }, GO_BUILD_TIMEOUT_MS);

  afterAll(() => go?.dispose());

  afterEach(async () => {
    await disposeAll(nodes);
    nodes = [];
  }, TEST_TIMEOUT_MS);

  for (const setup of setups) {
    it(setup.name, async () => {
      for (const v of CLIENTS) await java5Classpath(v);
      const started = await setup.start();
      nodes = started.nodes;
      const failures: string[] = [];
      for (const client of CLIENTS) {
        const r = await runJava5Scenario('spread', started.namesrv.addr, { clientVersion: client, args: [String(setup.brokers)] });
        recordMatrix({ client: `Java ${client}`, server: setup.name, scenario: 'spread', passed: r.passed, verdict: r.verdict, tookMs: r.tookMs });
        if (!r.passed) {
          failures.push(describeJava5Failure(r, nodes.map((n) => `--- ${n.kind}\n${n.output().slice(-2500)}`).join('\n')));
        }
      }
      if (go) {
        const topic = `GoSpread_${Date.now().toString(36)}`;
        const brokerAddrs = started.nodes.filter((n) => n !== started.namesrv).map((n) => n.addr);
        await createTopicOnBrokers(started.namesrv.addr, brokerAddrs, topic);
        const r = await runGoScenario(go, 'spread', started.namesrv.addr, [String(setup.brokers), topic]);
        recordMatrix({ client: go.clientLabel, server: setup.name, scenario: 'spread', passed: r.passed, verdict: r.verdict, tookMs: r.tookMs });
        if (!r.passed) failures.push(describeGoFailure(r, nodes.map((n) => `--- ${n.kind}\n${n.output().slice(-2500)}`).join('\n')));
      }
      expect(failures.join('\n\n'), 'spread scenario per client').toBe('');
    }, TEST_TIMEOUT_MS);
  }
});
