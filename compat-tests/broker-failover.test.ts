/**
 * Two of our brokers and one fails: our NameServer and broker-a, broker-b (one cluster, separate
 * processes); a topic with 4 queues on each. The `failover` scenario of compat-tests/java5 runs the client
 * side and asks for the faults: when it prints "AWAIT killed-b" this test SIGKILLs broker-b, when it prints
 * "AWAIT restarted-b" it starts broker-b again on the same store. The scenario checks that sends keep
 * succeeding through broker-a within the client's own retries, consumers keep consuming broker-a, the
 * NameServer drops broker-b from the route, broker-b's backlog is consumed after it returns, and no
 * acknowledged message is lost.
 *
 * The Go client runs the same scenario (compat-tests/go failover.go); it needs more send retries than the
 * Java client (see there) and up to ~50 s to notice a route change, since its route poll is fixed at 30 s.
 *
 * The NameServer's expiry is shortened (brokerChannelExpiredTime) so a broker that stopped registering
 * without closing its connection would also be dropped within seconds; a SIGKILL closes it, which drops
 * broker-b at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GO_BUILD_TIMEOUT_MS, buildGoScenarios, describeGoFailure, finishGoScenario, startGoScenario, type GoScenarios } from './support/go.js';
import type { Tracked } from '../test/support/processes.js';
import { disposeAll, ourBroker, ourNamesrv, type Node } from './support/cluster.js';
import { describeJava5Failure, finishJava5Scenario, java5Classpath, startJava5Scenario, type JavaClientVersion } from './support/java5.js';
import { recordMatrix } from './support/matrix.js';
import { createTopicOnBrokers } from './support/topics.js';
import { makeTempDir, removeDir } from '../test/support/server.js';

const TEST_TIMEOUT_MS = 480_000;
/** Topic creation, two consumers settling, 32 messages consumed: well under a minute when healthy. */
const PHASE_TIMEOUT_MS = 180_000;
const SCENARIO_TIMEOUT_MS = 400_000;
const NAMESRV_CONF = { brokerChannelExpiredTime: 25_000, scanNotActiveBrokerInterval: 2_000 };
/** Brokers re-register every 10 s here (the floor, as in Java), so the expiry above never drops a live one. */
const BROKER_CONF = { registerNameServerPeriod: 10_000 };
const CLIENTS: JavaClientVersion[] = ['4.9.8', '5.3.3'];
const SERVER_LABEL = 'rocketmq-ts namesrv + broker-a + broker-b (broker-b SIGKILLed, restarted)';

describe('two of our brokers, broker-b killed and restarted', () => {
  let nodes: Node[] = [];
  let controlDir = '';

  afterEach(async () => {
    await disposeAll(nodes);
    nodes = [];
    if (controlDir) removeDir(controlDir);
  }, TEST_TIMEOUT_MS);

  /** Answers the scenario's AWAIT lines: SIGKILL broker-b, later start it again on the same store. */
  async function drive(proc: Tracked, setup: { b: Node }, onFail: (err: Error) => void): Promise<boolean> {
    try {
      await proc.waitFor([/^INFO AWAIT killed-b$/m], PHASE_TIMEOUT_MS);
      await setup.b.kill();
      fs.writeFileSync(path.join(controlDir, 'killed-b'), '');
      await proc.waitFor([/^INFO AWAIT restarted-b$/m], PHASE_TIMEOUT_MS);
      await setup.b.start();
      fs.writeFileSync(path.join(controlDir, 'restarted-b'), '');
      return true;
    } catch (err) {
      await proc.kill();
      onFail(err as Error);
      return false;
    }
  }

  async function startCluster(): Promise<{ namesrvAddr: string; a: Node; b: Node }> {
    const namesrv = await ourNamesrv(NAMESRV_CONF);
    nodes.push(namesrv);
    const a = await ourBroker('broker-a', namesrv.addr, BROKER_CONF);
    nodes.push(a);
    const b = await ourBroker('broker-b', namesrv.addr, BROKER_CONF);
    nodes.push(b);
    controlDir = makeTempDir('rocketmq-ts-failover');
    return { namesrvAddr: namesrv.addr, a, b };
  }

  const serverTail = () => nodes.map((n) => `--- ${n.kind}\n${n.output().slice(-2500)}`).join('\n');

  for (const client of CLIENTS) {
    it(`Java ${client}: producers and consumers ride through broker-b's crash`, async () => {
      await java5Classpath(client);
      const cluster = await startCluster();
      const started = Date.now();
      const { jvm, dir } = await startJava5Scenario('failover', cluster.namesrvAddr, { clientVersion: client, args: [controlDir] });
      const driven = await drive(jvm, cluster, (err) => {
        recordMatrix({ client: `Java ${client}`, server: SERVER_LABEL, scenario: 'failover', passed: false, verdict: err.message.slice(0, 400), tookMs: Date.now() - started });
        throw new Error(`${err.message}\n${serverTail()}`);
      });
      if (!driven) return;
      const r = await finishJava5Scenario('failover', client, jvm, dir, started, SCENARIO_TIMEOUT_MS);
      recordMatrix({ client: `Java ${client}`, server: SERVER_LABEL, scenario: 'failover', passed: r.passed, verdict: r.verdict, tookMs: r.tookMs });
      expect(r.passed, describeJava5Failure(r, serverTail())).toBe(true);
    }, TEST_TIMEOUT_MS);
  }

  describe('Go client', () => {
    let go: GoScenarios | undefined;

    beforeAll(async () => {
      go = await buildGoScenarios();
    }, GO_BUILD_TIMEOUT_MS);

    afterAll(() => go?.dispose());

    it('Go: producers and consumers ride through broker-b\'s crash', async () => {
      if (!go) throw new Error('Go build missing');
      const cluster = await startCluster();
      const topic = `GoFailover_${Date.now().toString(36)}`;
      await createTopicOnBrokers(cluster.namesrvAddr, [cluster.a.addr, cluster.b.addr], topic);
      const running = startGoScenario(go, 'failover', cluster.namesrvAddr, [controlDir, topic]);
      const label = go.clientLabel;
      const driven = await drive(running.proc, cluster, (err) => {
        recordMatrix({ client: label, server: SERVER_LABEL, scenario: 'failover', passed: false, verdict: err.message.slice(0, 400), tookMs: Date.now() - running.startedMs });
        throw new Error(`${err.message}\n${serverTail()}`);
      });
      if (!driven) return;
      const r = await finishGoScenario(running, SCENARIO_TIMEOUT_MS);
      recordMatrix({ client: label, server: SERVER_LABEL, scenario: 'failover', passed: r.passed, verdict: r.verdict, tookMs: r.tookMs });
      expect(r.passed, describeGoFailure(r, serverTail())).toBe(true);
    }, TEST_TIMEOUT_MS);
  });
});
