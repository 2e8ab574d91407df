/**
 * The official Go client (github.com/apache/rocketmq-client-go/v2, the release pinned in
 * compat-tests/go/go.mod) runs the client scenario set against our server. It declares language GO and
 * version 317, sends SEND_MESSAGE (10) with full header names, always JSON headers, sends subscription
 * codeSets as strings, and parses route data with its own string splitting.
 *
 * beforeAll builds compat-tests/go with `go build` (which downloads the pinned modules on a fresh clone).
 * COMPAT_APACHE=1 also runs against Apache RocketMQ 4.9.7; COMPAT_OURS=0 skips ours.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApacheRocketMQ } from './support/apache.js';
import { GO_BUILD_TIMEOUT_MS, buildGoScenarios, describeGoFailure, runGoScenario, type GoScenarios } from './support/go.js';
import { CLIENT_SCENARIOS } from './support/java5.js';
import { recordMatrix } from './support/matrix.js';
import { startOurServer } from '../test/support/our-server.js';
import type { RunningServer } from '../test/support/server.js';

const SCENARIO_TEST_TIMEOUT_MS = 180_000;
const SERVER_TAIL_CHARS = 4000;
const TRANSACTION_CHECK_INTERVAL_MS = 5000;
const APACHE_BROKER_JVM = ['-Xms512m', '-Xmx512m', '-XX:MaxDirectMemorySize=512m'];

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

let go: GoScenarios | undefined;

beforeAll(async () => {
  go = await buildGoScenarios();
}, GO_BUILD_TIMEOUT_MS);

afterAll(() => go?.dispose());

for (const target of targets) {
  describe.skipIf(!target.enabled)(`Go client against ${target.name}`, () => {
    let server: RunningServer | undefined;

    beforeAll(async () => {
      server = await target.start();
    }, GO_BUILD_TIMEOUT_MS);

    afterAll(async () => {
      await server?.dispose();
    }, GO_BUILD_TIMEOUT_MS);

    for (const scenario of CLIENT_SCENARIOS) {
      it(`Go: ${scenario}`, async () => {
        if (!server || !go) throw new Error('server or Go build missing');
        const r = await runGoScenario(go, scenario, server.namesrvAddr);
        recordMatrix({ client: go.clientLabel, server: target.name, scenario, passed: r.passed, verdict: r.verdict, tookMs: r.tookMs });
        expect(r.passed, describeGoFailure(r, server.output().slice(-SERVER_TAIL_CHARS))).toBe(true);
      }, SCENARIO_TEST_TIMEOUT_MS);
    }
  });
}
