/**
 * Delayed, retried, dead-lettered and transactional messages through the official Java client 4.9.8: delay levels, 5.x timer properties, retry and DLQ
 * (concurrent and orderly), transactions with check-back, and a broker restart with a delayed, a timer,
 * a retry and a half message all pending (compat-tests/java .../DelayRetryTxScenarios.java).
 *
 * The broker runs with short delay levels and a 1 s transaction check interval so the suite stays fast.
 * COMPAT_APACHE=1 runs the same scenarios against Apache RocketMQ 4.9.7 (timers are skipped there: the
 * 4.9 broker ignores TIMER_* properties). COMPAT_KEEP_DIRS=1 keeps the server's temp dir.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApacheRocketMQ } from './support/apache.js';
import { JAVA_PROJECT_DIR, describeFailure, type ScenarioResult } from './support/java.js';
import { mavenClasspath } from './support/maven.js';
import { startOurServer } from '../test/support/our-server.js';
import { startTracked } from '../test/support/processes.js';
import { makeTempDir, type RunningServer } from '../test/support/server.js';

const MAIN = 'rocketmqts.compat.DelayRetryTxScenarios';
/** The scenario class and the one class it uses, compiled here so other scenarios' work in progress cannot break this suite. */
const SOURCES = ['DelayRetryTxScenarios.java', 'Outcome.java'].map((f) => path.join(JAVA_PROJECT_DIR, 'src/main/java/rocketmqts/compat', f));
const CLASSES_DIR = path.join(JAVA_PROJECT_DIR, 'target', 'delay-retry-tx-classes');
const SCENARIO_TIMEOUT_MS = 120_000;
const SETUP_TIMEOUT_MS = 600_000;
const SERVER_TAIL_CHARS = 6000;

/** Must match DelayRetryTxScenarios.BROKER_CONF. */
const BROKER_CONF = {
  messageDelayLevel: '1s 2s 3s 2s 1s 2s 1s 2s 1s 2s 1s 2s 1s 2s 1s 2s 1s 10s',
  transactionTimeOut: 3000,
  transactionCheckInterval: 1000,
  transactionCheckMax: 5,
  flushDelayOffsetInterval: 1000,
};

let classpath: Promise<string> | undefined;

/** rocketmq-client's classpath (Maven, cached) plus our two classes, compiled with javac when a source changed. */
function scenarioClasspath(): Promise<string> {
  classpath ??= (async () => {
    const deps = await mavenClasspath(JAVA_PROJECT_DIR, false);
    const stamp = path.join(CLASSES_DIR, '.built');
    const newest = Math.max(...SOURCES.map((f) => fs.statSync(f).mtimeMs));
    if (!fs.existsSync(stamp) || fs.statSync(stamp).mtimeMs < newest) {
      fs.rmSync(CLASSES_DIR, { recursive: true, force: true });
      fs.mkdirSync(CLASSES_DIR, { recursive: true });
      const javac = startTracked('javac', 'javac', ['--release', '11', '-encoding', 'UTF-8', '-d', CLASSES_DIR, '-cp', deps, ...SOURCES], {});
      const exit = await javac.exited;
      if (exit.code !== 0) throw new Error(`javac failed: ${javac.output}`);
      fs.writeFileSync(stamp, '');
    }
    return `${CLASSES_DIR}${path.delimiter}${deps}`;
  })();
  return classpath;
}

async function runScenario(scenario: string, namesrvAddr: string, args: string[] = [], jvmArgs: string[] = []): Promise<ScenarioResult> {
  const cp = await scenarioClasspath();
  const logDir = makeTempDir(`rocketmq-ts-client-${scenario}`);
  const started = Date.now();
  const jvm = startTracked(`java ${scenario}`, 'java', [
    '-Xms64m', '-Xmx256m', '-Duser.language=en',
    '-Drocketmq.client.rebalance.waitInterval=1000',
    '-Drocketmq.client.logUseSlf4j=false', `-Drocketmq.client.logRoot=${logDir}`, '-Drocketmq.client.logLevel=INFO',
    ...jvmArgs, '-cp', cp, MAIN, scenario, namesrvAddr, ...args,
  ], { cwd: logDir });
  const timer = setTimeout(() => void jvm.kill(), SCENARIO_TIMEOUT_MS);
  const exit = await jvm.exited;
  clearTimeout(timer);
  const output = jvm.output;
  const clientLog = path.join(logDir, 'rocketmq_client.log');
  const warnings = fs.existsSync(clientLog) ? fs.readFileSync(clientLog, 'utf8').split('\n').filter((l) => /\b(WARN|ERROR)\b/.test(l)) : [];
  const at = output.search(/^(PASS|FAIL) /m);
  const verdict = at >= 0
    ? output.slice(at).split('\n').filter((l, i) => i === 0 || l.startsWith('  - ')).join('\n')
    : `no verdict: JVM exited ${JSON.stringify(exit)}`;
  return {
    scenario, serialization: jvmArgs.some((a) => a.includes('ROCKETMQ')) ? 'ROCKETMQ' : 'JSON', exitCode: exit.code, passed: exit.code === 0 && verdict.startsWith('PASS '),
    verdict, output, tookMs: Date.now() - started, clientLog, warnings,
  };
}

const targets = [
  { name: 'rocketmq-ts', enabled: process.env.COMPAT_OURS !== '0', timers: true, start: () => startOurServer({ conf: BROKER_CONF }) },
  { name: 'Apache RocketMQ 4.9.7', enabled: process.env.COMPAT_APACHE === '1', timers: false, start: () => startApacheRocketMQ({ brokerConf: BROKER_CONF }) },
];

for (const target of targets) {
  describe.skipIf(!target.enabled)(`delay, retry, DLQ and transactions with the Java client against ${target.name}`, () => {
    let server: RunningServer | undefined;
    const results: ScenarioResult[] = [];

    const run = async (scenario: string, args: string[] = [], jvmArgs: string[] = []): Promise<ScenarioResult> => {
      if (!server) throw new Error('server did not start');
      const r = await runScenario(scenario, server.namesrvAddr, args, jvmArgs);
      results.push(r);
      expect(r.passed, describeFailure(r, server.output().slice(-SERVER_TAIL_CHARS))).toBe(true);
      return r;
    };

    beforeAll(async () => {
      await scenarioClasspath();
      server = await target.start();
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      for (const r of results) console.log(`${r.passed ? 'PASS' : 'FAIL'} ${`${r.scenario} [${r.serialization}]`.padEnd(34)} ${String(r.tookMs).padStart(6)} ms  ${r.verdict.split('\n')[0]}`);
      if (process.env.COMPAT_KEEP_DIRS === '1') await server?.stop();
      else await server?.dispose();
    }, SETUP_TIMEOUT_MS);

    it('delivers every delay level when due, in order, once', () => run('delay-levels'), SCENARIO_TIMEOUT_MS);
    it.skipIf(!target.timers)('delivers TIMER_DELIVER_MS / TIMER_DELAY_SEC / TIMER_DELAY_MS messages when due', () => run('timer-delays'), SCENARIO_TIMEOUT_MS);
    it('retries a failing message at the configured levels until it succeeds', () => run('retry-then-succeed'), SCENARIO_TIMEOUT_MS);
    it('moves an always-failing message to the DLQ, where a DLQ consumer reads it', () => run('retry-to-dlq'), SCENARIO_TIMEOUT_MS);
    it('retries orderly messages locally and dead-letters after the budget', () => run('orderly-retry'), SCENARIO_TIMEOUT_MS);
    it('commits, rolls back and resolves UNKNOW by check-back', () => run('transactions'), SCENARIO_TIMEOUT_MS);
    it('does the same with ROCKETMQ binary headers', () => run('transactions', [], ['-Drocketmq.serialize.type=ROCKETMQ']), SCENARIO_TIMEOUT_MS);
    it('retries with ROCKETMQ binary headers', () => run('retry-to-dlq', [], ['-Drocketmq.serialize.type=ROCKETMQ']), SCENARIO_TIMEOUT_MS);
    it.skipIf(!target.timers)('keeps delayed, timer, retry and half messages across a broker restart', async () => {
      const state = path.join(makeTempDir('rocketmq-ts-restart-pending'), 'state.properties');
      await run('restart-pending-send', [state]);
      await server!.restart();
      await run('restart-pending-check', [state]);
      fs.rmSync(path.dirname(state), { recursive: true, force: true });
    }, 2 * SCENARIO_TIMEOUT_MS);
    it.skipIf(!target.timers)('keeps them across a broker crash (SIGKILL) too', async () => {
      const state = path.join(makeTempDir('rocketmq-ts-crash-pending'), 'state.properties');
      await run('restart-pending-send', [state]);
      // Past flushDelayOffsetInterval (1 s) so progress files are as a crash normally finds them.
      await new Promise((r) => setTimeout(r, 1500));
      await server!.kill();
      await server!.restart();
      await run('restart-pending-check', [state, 'crashed']);
      fs.rmSync(path.dirname(state), { recursive: true, force: true });
    }, 2 * SCENARIO_TIMEOUT_MS);
  });
}
