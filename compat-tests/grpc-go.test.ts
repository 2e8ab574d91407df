/**
 * The official RocketMQ 5.x Go SDK (github.com/apache/rocketmq-clients/golang/v5, the release pinned in
 * compat-tests/grpc-go/go.mod) against our gRPC endpoint: one driver process (compat-tests/grpc-go) runs the
 * scenarios of compat-tests/support/grpc-sdk.ts side by side, then the restart one alone. The SDK dials
 * TLS (InsecureSkipVerify) whatever the endpoint, as its default connection options have it; it has no
 * PushConsumer, so the DLQ scenario gives messages back with ChangeInvisibleDuration.
 *
 * beforeAll builds the driver with `go build` (downloading the pinned modules on a fresh clone).
 * COMPAT_APACHE=1 also runs against the Apache 5.3.3 proxy in local mode; COMPAT_OURS=0 skips ours.
 *
 * Captured against the Apache 5.3.3 proxy on 2026-11-29 (11:13 UTC, 98 s for the file): all 7 pass; ChangeInvisibleDuration(2 s)
 * brought the message back after 6.5 s (ours ~2.2 s), the check-back came 8.3 s after the half message (broker
 * transactionCheckInterval 5 s, transactionTimeOut 3 s), restarting the proxy JVM took most of the 42 s restart
 * scenario. Apache also hands __SHARDINGKEY (FIFO), __transactionId__ and TRANSACTION_CHECK_TIMES (transactional)
 * to the SDK as user properties; the drivers accept exactly those and list them as serverUserProps.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordMatrix } from './support/matrix.js';
import {
  GRPC_SCENARIOS, ScenarioDriver, createGrpcResources, startApacheGrpc, startOursGrpc, type GrpcTarget,
} from './support/grpc-sdk.js';
import { REPO_ROOT, makeTempDir, removeDir } from '../test/support/server.js';

const run = promisify(execFile);
const GO_DIR = path.join(REPO_ROOT, 'compat-tests', 'grpc-go');
const BUILD_TIMEOUT_MS = 600_000;
const SETUP_TIMEOUT_MS = 300_000;
/** The driver's own backstop is 100 s per scenario; restart runs after the others. */
const RESULT_TIMEOUT_MS = 220_000;
const SCENARIOS = ['normal', 'fifo', 'delay', 'transaction', 'invisible', 'dlq', 'restart'];

const targets = [
  { name: 'rocketmq-ts', enabled: process.env.COMPAT_OURS !== '0', start: startOursGrpc },
  { name: 'Apache RocketMQ 5.3.3 proxy (local)', enabled: process.env.COMPAT_APACHE === '1', start: startApacheGrpc },
];

let binary = '';
let clientLabel = '';
let buildDir = '';

beforeAll(async () => {
  buildDir = makeTempDir('rocketmq-ts-grpc-go');
  binary = path.join(buildDir, 'compat-grpc-go');
  await run('go', ['build', '-o', binary, '.'], { cwd: GO_DIR, timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
  const { stdout } = await run('go', ['list', '-m', '-f', '{{.Version}}', 'github.com/apache/rocketmq-clients/golang/v5'], { cwd: GO_DIR });
  clientLabel = `Go v5 SDK ${stdout.trim()}`;
}, BUILD_TIMEOUT_MS);

afterAll(() => {
  if (buildDir) removeDir(buildDir);
});

for (const target of targets) {
  describe.skipIf(!target.enabled)(`Go v5 SDK against ${target.name}`, () => {
    let server: GrpcTarget | undefined;
    let driver: ScenarioDriver | undefined;
    let home = '';

    beforeAll(async () => {
      server = await target.start();
      const prefix = `Go${Date.now().toString(36)}`;
      await createGrpcResources(server, prefix, SCENARIOS);
      home = makeTempDir('rocketmq-ts-grpc-go-home');
      const s = server;
      driver = new ScenarioDriver(binary, [s.grpcEndpoint, prefix, ...SCENARIOS], {
        cwd: home,
        // The SDK logs under $rocketmq.client.logRoot (default $user.home/logs/rocketmqlogs).
        env: { ...process.env, HOME: home, 'rocketmq.client.logRoot': path.join(home, 'logs') },
        onRestart: () => s.restart(),
      });
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      await driver?.stop();
      await server?.dispose();
      if (home) removeDir(home);
    }, SETUP_TIMEOUT_MS);

    for (const scenario of SCENARIOS) {
      it(`Go v5: ${scenario}: ${GRPC_SCENARIOS[scenario].title}`, async () => {
        if (!server || !driver) throw new Error('server or driver missing');
        const r = await driver.result(scenario, RESULT_TIMEOUT_MS);
        recordMatrix({ client: clientLabel, server: target.name, scenario: `grpc ${scenario}`, passed: r.passed, verdict: r.verdict, tookMs: r.tookMs });
        const restartNote = scenario === 'restart' ? `\nrestart took ${driver.restartMs} ms${driver.restartError ? `, failed: ${driver.restartError.message}` : ''}` : '';
        expect(r.passed, `${r.verdict}${restartNote}\n--- driver:\n${driver.linesOf(scenario)}\n--- server (tail):\n${server.tail()}`).toBe(true);
        if (scenario === 'restart') {
          expect(driver.restartError).toBeUndefined();
          expect(driver.restartMs, 'the driver never asked for the restart').toBeDefined();
        }
      }, RESULT_TIMEOUT_MS + 10_000);
    }
  });
}
