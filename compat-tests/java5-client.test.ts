/**
 * The Java client 5.3.3 (remoting API: version 479, standard-JSON routes, `bname` and the other 5.x
 * header fields) runs the client scenario set against our server. The same scenario jar also runs on the
 * 4.9.8 client and on 5.5.0 (the newest 5.x on Maven Central), giving the matrix their rows.
 *
 * COMPAT_APACHE=1 also runs everything against Apache RocketMQ 4.9.7 (how the scenarios are validated);
 * COMPAT_OURS=0 skips ours. Every verdict goes to compat-tests/results/matrix.json (scripts/matrix.mjs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApacheRocketMQ } from './support/apache.js';
import { JAVA_SCENARIOS, describeJava5Failure, java5Classpath, runJava5Scenario, type JavaClientVersion } from './support/java5.js';
import { recordMatrix } from './support/matrix.js';
import { startOurServer } from '../test/support/our-server.js';
import type { RunningServer } from '../test/support/server.js';

const SCENARIO_TEST_TIMEOUT_MS = 180_000;
const SETUP_TIMEOUT_MS = 600_000; // a cold ~/.m2 downloads both clients
const SERVER_TAIL_CHARS = 4000;
/** Check-back within seconds, not the default minute: keeps the transaction scenario short on both servers. */
const TRANSACTION_CHECK_INTERVAL_MS = 5000;
/** The brief's 2-core budget for an Apache broker. */
const APACHE_BROKER_JVM = ['-Xms512m', '-Xmx512m', '-XX:MaxDirectMemorySize=512m'];

const CLIENTS: Array<{ label: string; version: JavaClientVersion; jvmArgs: string[]; scenarios: readonly string[] }> = [
  { label: 'Java 5.3.3', version: '5.3.3', jvmArgs: [], scenarios: JAVA_SCENARIOS },
  { label: 'Java 4.9.8', version: '4.9.8', jvmArgs: [], scenarios: JAVA_SCENARIOS },
  // The newest 5.x client Maven Central serves (compat-tests/java5/client-5.5.0), same jar. Six scenarios by
  // default (sends, consume styles, transactions); COMPAT_ALL_CLIENTS=1 runs all of them, as for 5.3.3.
  {
    label: 'Java 5.5.0', version: '5.5.0', jvmArgs: [],
    scenarios: process.env.COMPAT_ALL_CLIENTS === '1' ? JAVA_SCENARIOS : ['send-sync', 'send-batch', 'push-clustering', 'orderly', 'transaction', 'lite-pull'],
  },
  // Heartbeat v2 (opt-in in 5.x): after a full beat the client sends beats without subscriptions
  // (withoutSub) once the broker answered IS_SUPPORT_HEART_BEAT_V2; consumers must keep working either way.
  // ROCKETMQ binary headers: 5.x's fast-encoded headers (SendMessageRequestHeaderV2, PullMessageRequestHeader
  // with bname and the 5.x additions) instead of JSON extFields.
  {
    label: 'Java 5.3.3 ROCKETMQ headers', version: '5.3.3', jvmArgs: ['-Drocketmq.serialize.type=ROCKETMQ'],
    scenarios: ['send-sync', 'send-batch', 'push-clustering', 'orderly', 'retry', 'transaction', 'lite-pull'],
  },
  { label: 'Java 5.3.3 heartbeat v2', version: '5.3.3', jvmArgs: ['-Dcom.rocketmq.heartbeat.v2=true'], scenarios: ['push-clustering', 'orderly'] },
];

const targets = [
  {
    name: 'rocketmq-ts',
    enabled: process.env.COMPAT_OURS !== '0',
    start: () => startOurServer({ conf: { transactionCheckInterval: TRANSACTION_CHECK_INTERVAL_MS } }),
  },
  {
    name: 'Apache RocketMQ 4.9.7',
    enabled: process.env.COMPAT_APACHE === '1',
    start: () => startApacheRocketMQ({ brokerJvmArgs: APACHE_BROKER_JVM, brokerConf: { transactionCheckInterval: TRANSACTION_CHECK_INTERVAL_MS } }),
  },
];

for (const target of targets) {
  describe.skipIf(!target.enabled)(`Java clients 5.3.3, 5.5.0 and 4.9.8 against ${target.name}`, () => {
    let server: RunningServer | undefined;

    beforeAll(async () => {
      for (const c of CLIENTS) await java5Classpath(c.version);
      server = await target.start();
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      await server?.dispose();
    }, SETUP_TIMEOUT_MS);

    for (const client of CLIENTS) {
      for (const scenario of client.scenarios) {
        // The 4.9.x broker has no LITE_PULL_MESSAGE (361), which the 5.x lite pull consumer sends: nothing to validate there.
        const notOnApache = scenario === 'lite-pull' && client.version !== '4.9.8' && target.name.startsWith('Apache');
        it.skipIf(notOnApache)(`${client.label}: ${scenario}`, async () => {
          if (!server) throw new Error('server did not start');
          const r = await runJava5Scenario(scenario, server.namesrvAddr, { clientVersion: client.version, jvmArgs: client.jvmArgs });
          recordMatrix({ client: client.label, server: target.name, scenario, passed: r.passed, verdict: r.verdict, tookMs: r.tookMs });
          expect(r.passed, describeJava5Failure(r, server.output().slice(-SERVER_TAIL_CHARS))).toBe(true);
        }, SCENARIO_TEST_TIMEOUT_MS);
      }
    }
  });
}
