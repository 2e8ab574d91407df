/**
 * The official RocketMQ 5.x Node.js SDK (rocketmq-client-nodejs, the version pinned in
 * compat-tests/grpc-node/package.json) against our gRPC endpoint: one driver process
 * (compat-tests/grpc-node/driver.mjs) runs the scenarios of compat-tests/support/grpc-sdk.ts side by side,
 * then the restart one alone. The SDK's default transport is kept (plaintext). Its PushConsumer covers the
 * retry-to-DLQ path twice: standard (the server moves the message after maxAttempts) and FIFO (the SDK
 * sends ForwardMessageToDeadLetterQueue itself).
 *
 * beforeAll installs the driver's dependencies (`npm install` in compat-tests/grpc-node, which .ci/run also
 * does up front) when they are missing. COMPAT_APACHE=1 also runs against the Apache 5.3.3 proxy in local
 * mode; COMPAT_OURS=0 skips ours.
 *
 * Captured against the Apache 5.3.3 proxy on 2026-11-29 (11:13 UTC, 121 s for the file): all 9 pass. 1.0.8 implements
 * only the exponential backoff policy, and the proxy's settings carry a customized one, so the SDK has no retry
 * policy: the standard PushConsumer gives a failed message back with invisible duration 0 (the server re-delivers
 * it: 43 s to the DLQ on Apache, 3 s on ours) and the FIFO PushConsumer forwards it to the DLQ after one attempt.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordMatrix } from './support/matrix.js';
import {
  GRPC_SCENARIOS, ScenarioDriver, createGrpcResources, startApacheGrpc, startOursGrpc, type GrpcTarget,
} from './support/grpc-sdk.js';
import { REPO_ROOT, makeTempDir, removeDir } from '../test/support/server.js';

const run = promisify(execFile);
const NODE_DIR = path.join(REPO_ROOT, 'compat-tests', 'grpc-node');
const INSTALL_TIMEOUT_MS = 600_000;
const SETUP_TIMEOUT_MS = 300_000;
/** The driver's own backstop is 100 s per scenario; restart runs after the others. */
const RESULT_TIMEOUT_MS = 220_000;
const SCENARIOS = ['normal', 'fifo', 'delay', 'transaction', 'invisible', 'dlq', 'fifodlq', 'pushfifo', 'restart'];

const targets = [
  { name: 'rocketmq-ts', enabled: process.env.COMPAT_OURS !== '0', start: startOursGrpc },
  { name: 'Apache RocketMQ 5.3.3 proxy (local)', enabled: process.env.COMPAT_APACHE === '1', start: startApacheGrpc },
];

let clientLabel = '';

beforeAll(async () => {
  const installed = path.join(NODE_DIR, 'node_modules', 'rocketmq-client-nodejs', 'package.json');
  if (!fs.existsSync(installed)) {
    await run('npm', ['install', '--no-audit', '--no-fund'], { cwd: NODE_DIR, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
  }
  clientLabel = `Node.js SDK ${(JSON.parse(fs.readFileSync(installed, 'utf8')) as { version: string }).version}`;
}, INSTALL_TIMEOUT_MS);

for (const target of targets) {
  describe.skipIf(!target.enabled)(`Node.js 5.x SDK against ${target.name}`, () => {
    let server: GrpcTarget | undefined;
    let driver: ScenarioDriver | undefined;
    let home = '';

    beforeAll(async () => {
      server = await target.start();
      const prefix = `Node${Date.now().toString(36)}`;
      await createGrpcResources(server, prefix, SCENARIOS);
      home = makeTempDir('rocketmq-ts-grpc-node-home');
      const s = server;
      // HOME: the SDK's default logger would write ~/logs/rocketmq (the driver passes its own logger anyway).
      driver = new ScenarioDriver(process.execPath, [path.join(NODE_DIR, 'driver.mjs'), s.grpcEndpoint, prefix, ...SCENARIOS], {
        cwd: NODE_DIR, env: { ...process.env, HOME: home }, onRestart: () => s.restart(),
      });
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      await driver?.stop();
      await server?.dispose();
      if (home) removeDir(home);
    }, SETUP_TIMEOUT_MS);

    for (const scenario of SCENARIOS) {
      it(`Node.js SDK: ${scenario}: ${GRPC_SCENARIOS[scenario].title}`, async () => {
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
