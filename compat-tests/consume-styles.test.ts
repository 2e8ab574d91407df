/**
 * Every way to consume, through the official Java client 4.9.8 against our server:
 * clustering with members joining, crashing and expiring; broadcasting; orderly; DefaultMQPullConsumer and
 * DefaultLitePullConsumer (subscribe and assign); tag and SQL92 filters; ConsumeFromWhere; replay by time;
 * large and compressed bodies. Scenarios live in compat-tests/java (ConsumeStyleScenarios and the
 * *Scenarios classes it registers); each asserts content, not just counts.
 *
 * Two servers: the main one with enablePropertyFilter=true, and one with the switch off and a short
 * channelExpiredTimeout, for the refusal of SQL92 and for the member that stops heartbeating.
 * COMPAT_APACHE=1 also runs them against Apache RocketMQ 4.9.7, which is how the scenarios were validated
 * (clustering-members is left out there: the Java broker's channel expiry is a fixed 120 s); COMPAT_OURS=0
 * skips ours. COMPAT_KEEP_DIRS=1 keeps the servers' temp dirs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure, javaClasspath, runJavaScenario, SERIALIZATIONS, type Serialization } from './support/java.js';
import { startOurServer } from '../test/support/our-server.js';
import { startApacheRocketMQ } from './support/apache.js';
import { makeTempDir, type RunningServer } from '../test/support/server.js';

const MAIN_CLASS = 'rocketmqts.compat.ConsumeStyleScenarios';
const SCENARIO_TEST_TIMEOUT_MS = 240_000;
const SETUP_TIMEOUT_MS = 600_000;
const SERVER_TAIL_CHARS = 4000;
/** Short enough that the expiry scenario sees a silent member dropped within seconds (Java default 120 s). */
const CHANNEL_EXPIRED_TIMEOUT_MS = 6_000;

/** On the main server (enablePropertyFilter=true). */
const MAIN_SCENARIOS = [
  'broadcasting',
  'orderly',
  'pull-consumer',
  'lite-pull-subscribe',
  'lite-pull-assign',
  'filter-tags',
  'filter-sql92',
  'consume-from-where',
  'replay-by-time',
  'large-bodies',
  'compressed-bodies',
] as const;
/** Scenarios that also run with ROCKETMQ binary headers: the ones whose requests carry new header fields. */
const BINARY_TOO = new Set(['filter-sql92', 'replay-by-time', 'pull-consumer']);
/** On the second server (property filter off, short channel expiry). */
const SECOND_SCENARIOS = ['clustering-members', 'filter-sql92-disabled'] as const;

/** Tells a scenario it talks to the Apache broker (ConsumeStyleScenarios.JAVA_BROKER). */
const JAVA_BROKER_ARG = '--java-broker';

async function run(server: RunningServer | undefined, scenario: string, serialization: Serialization): Promise<void> {
  if (!server) throw new Error('server did not start');
  const offsets = makeTempDir('rocketmq-ts-offsets');
  const r = await runJavaScenario(scenario, server.namesrvAddr, {
    mainClass: MAIN_CLASS,
    // Broadcasting consumers keep offsets in local files: keep them out of ~/.rocketmq_offsets.
    jvmArgs: [...SERIALIZATIONS[serialization], `-Drocketmq.client.localOffsetStoreDir=${offsets}`, '-Xmx512m'],
    timeoutMs: SCENARIO_TEST_TIMEOUT_MS - 10_000,
    args: server.kind === 'rocketmq-ts' ? [] : [JAVA_BROKER_ARG],
  });
  console.log(`${r.passed ? 'PASS' : 'FAIL'} ${scenario} [${serialization}] ${r.tookMs} ms: ${r.verdict.split('\n')[0]}`);
  expect(r.passed, describeFailure(r, server.output().slice(-SERVER_TAIL_CHARS))).toBe(true);
}

const targets = [
  {
    name: 'rocketmq-ts',
    enabled: process.env.COMPAT_OURS !== '0',
    main: () => startOurServer({ conf: { enablePropertyFilter: true } }),
    second: () => startOurServer({ conf: { enablePropertyFilter: false, channelExpiredTimeout: CHANNEL_EXPIRED_TIMEOUT_MS } }),
    secondScenarios: SECOND_SCENARIOS as readonly string[],
  },
  {
    name: 'Apache RocketMQ 4.9.7',
    enabled: process.env.COMPAT_APACHE === '1',
    main: () => startApacheRocketMQ({ brokerConf: { enablePropertyFilter: true } }),
    second: () => startApacheRocketMQ({ brokerConf: { enablePropertyFilter: false } }),
    secondScenarios: ['filter-sql92-disabled'] as readonly string[],
  },
];

for (const target of targets) {
  describe.skipIf(!target.enabled)(`consumption styles: Java client 4.9.8 against ${target.name}`, () => {
    let server: RunningServer | undefined;

    beforeAll(async () => {
      await javaClasspath();
      server = await target.main();
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      await server?.dispose();
    }, SETUP_TIMEOUT_MS);

    for (const scenario of MAIN_SCENARIOS) {
      it(`${scenario} [JSON]`, () => run(server, scenario, 'JSON'), SCENARIO_TEST_TIMEOUT_MS);
      if (BINARY_TOO.has(scenario)) it(`${scenario} [ROCKETMQ]`, () => run(server, scenario, 'ROCKETMQ'), SCENARIO_TEST_TIMEOUT_MS);
    }
  });

  describe.skipIf(!target.enabled)(`consumption styles against ${target.name}: property filter off, short channel expiry`, () => {
    let server: RunningServer | undefined;

    beforeAll(async () => {
      await javaClasspath();
      server = await target.second();
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      await server?.dispose();
    }, SETUP_TIMEOUT_MS);

    for (const scenario of target.secondScenarios) {
      it(`${scenario} [JSON]`, () => run(server, scenario, 'JSON'), SCENARIO_TEST_TIMEOUT_MS);
    }
  });
}
