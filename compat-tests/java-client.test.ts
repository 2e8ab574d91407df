/**
 * The official Java client (rocketmq-client 4.9.8, compat-tests/java) against our server: every scenario,
 * once with JSON headers and once with ROCKETMQ binary headers (-Drocketmq.serialize.type=ROCKETMQ).
 *
 * COMPAT_APACHE=1 also runs the same scenarios against the Apache RocketMQ 4.9.7 NameServer and broker,
 * which is how the scenarios themselves are validated; COMPAT_OURS=0 skips ours (e.g. before dist/ exists).
 * COMPAT_KEEP_DIRS=1 keeps the servers' temp dirs (store, logs) for inspection.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApacheRocketMQ } from './support/apache.js';
import {
  BENIGN_CLIENT_WARNINGS, SCENARIOS, SERIALIZATIONS, describeFailure, normalizeWarning, javaClasspath, runJavaScenario,
  type ScenarioResult, type Serialization,
} from './support/java.js';
import { startOurServer } from '../test/support/our-server.js';
import { makeTempDir, type RunningServer } from '../test/support/server.js';

const SCENARIO_TEST_TIMEOUT_MS = 180_000;
const RESTART_TEST_TIMEOUT_MS = 300_000;
const SETUP_TIMEOUT_MS = 600_000; // a cold ~/.m2 downloads the client
const SERVER_TAIL_CHARS = 4000;

const targets = [
  { name: 'rocketmq-ts', enabled: process.env.COMPAT_OURS !== '0', start: () => startOurServer() },
  { name: 'Apache RocketMQ 4.9.7', enabled: process.env.COMPAT_APACHE === '1', start: () => startApacheRocketMQ() },
];

for (const target of targets) {
  describe.skipIf(!target.enabled)(`Java client 4.9.8 against ${target.name}`, () => {
    let server: RunningServer | undefined;
    const results: ScenarioResult[] = [];

    const run = async (scenario: string, serialization: Serialization, args: string[] = []) => {
      if (!server) throw new Error('server did not start');
      const r = await runJavaScenario(scenario, server.namesrvAddr, { jvmArgs: [...SERIALIZATIONS[serialization]], args });
      results.push(r);
      expect(r.passed, describeFailure(r, server.output().slice(-SERVER_TAIL_CHARS))).toBe(true);
      return r;
    };

    beforeAll(async () => {
      await javaClasspath();
      server = await target.start();
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      report(target.name, results);
      await server?.dispose();
    }, SETUP_TIMEOUT_MS);

    for (const serialization of Object.keys(SERIALIZATIONS) as Serialization[]) {
      for (const scenario of SCENARIOS) {
        it(`${scenario} [${serialization}]`, () => run(scenario, serialization), SCENARIO_TEST_TIMEOUT_MS);
      }

      it(`restart between send and consume [${serialization}]`, async () => {
        const state = path.join(makeTempDir('rocketmq-ts-restart'), 'state.properties');
        await run('restart-send', serialization, [state]);
        await server!.restart();
        await run('restart-consume', serialization, [state]);
        fs.rmSync(path.dirname(state), { recursive: true, force: true });
      }, RESTART_TEST_TIMEOUT_MS);
    }
  });
}

/** Per-scenario timings and verdicts, and the distinct WARN/ERROR lines the client logged. */
function report(targetName: string, results: ScenarioResult[]): void {
  if (results.length === 0) return;
  const lines = results.map((r) => {
    const summary = r.verdict.split('\n')[0].replace(/^(PASS|FAIL) \S+ \[\w+\] in \d+ ms: /, '');
    return `  ${r.passed ? 'PASS' : 'FAIL'} ${`${r.scenario} [${r.serialization}]`.padEnd(30)} ${String(r.tookMs).padStart(6)} ms  ${summary}`;
  });
  const benign = new Map<string, number>();
  const other = new Map<string, number>();
  for (const r of results) {
    for (const w of r.warnings) {
      const known = BENIGN_CLIENT_WARNINGS.find((p) => p.test(w));
      const key = known ? `/${known.source}/` : `${r.scenario} [${r.serialization}]: ${normalizeWarning(w)}`.slice(0, 400);
      const into = known ? benign : other;
      into.set(key, (into.get(key) ?? 0) + 1);
    }
  }
  const atShutdown = results.reduce((n, r) => n + r.shutdownWarnings.length, 0);
  const list = (m: Map<string, number>) => [...m].map(([k, n]) => `  ${n}x ${k}`).join('\n') || '  none';
  console.log(`Java client scenarios against ${targetName}:\n${lines.join('\n')}\n`
    + `client WARN/ERROR lines not explained by BENIGN_CLIENT_WARNINGS (${other.size} distinct):\n${list(other)}\n`
    + `client WARN/ERROR lines in BENIGN_CLIENT_WARNINGS (also logged against Apache, or client start-up/shutdown races):\n${list(benign)}\n`
    + `client WARN/ERROR lines during the clients' final shutdown (not judged): ${atShutdown}`);
}
