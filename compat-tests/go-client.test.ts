/**
 * Issue 7: the official Go client (github.com/apache/rocketmq-client-go/v2, the release pinned in
 * compat-tests/go/go.mod) runs the client scenario set against our server. It declares language GO and
 * version 317, sends SEND_MESSAGE (10) with full header names, always JSON headers, and parses route data
 * with its own string splitting (protocol.md §4.5, §9).
 *
 * beforeAll builds compat-tests/go with `go build` (which downloads the pinned modules on a fresh clone).
 * COMPAT_APACHE=1 also runs against Apache RocketMQ 4.9.7; COMPAT_OURS=0 skips ours.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApacheRocketMQ } from '../test/support/apache.js';
import { CLIENT_SCENARIOS } from '../test/support/java5.js';
import { recordMatrix } from '../test/support/matrix.js';
import { startOurServer } from '../test/support/our-server.js';
import { startTracked } from '../test/support/processes.js';
import { REPO_ROOT, makeTempDir, removeDir, type RunningServer } from '../test/support/server.js';

const run = promisify(execFile);
const GO_DIR = path.join(REPO_ROOT, 'compat-tests', 'go');
/** A cold module cache downloads the client and its dependencies. */
const BUILD_TIMEOUT_MS = 600_000;
/** Each scenario bounds its own waits (transaction check-back ~60 s at most). */
const SCENARIO_TIMEOUT_MS = 150_000;
const SCENARIO_TEST_TIMEOUT_MS = 180_000;
const SERVER_TAIL_CHARS = 4000;
const TRANSACTION_CHECK_INTERVAL_MS = 5000;
const APACHE_BROKER_JVM = ['-Xms512m', '-Xmx512m', '-XX:MaxDirectMemorySize=512m'];

let binDir = '';
let binary = '';
let clientLabel = 'Go';

async function buildGoScenarios(): Promise<void> {
  binDir = makeTempDir('rocketmq-ts-go');
  binary = path.join(binDir, 'compat-go');
  try {
    await run('go', ['build', '-o', binary, '.'], { cwd: GO_DIR, timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    const { stdout } = await run('go', ['list', '-m', '-f', '{{.Version}}', 'github.com/apache/rocketmq-client-go/v2'], { cwd: GO_DIR });
    clientLabel = `Go ${stdout.trim()}`;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`go build in ${GO_DIR} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

interface GoResult {
  passed: boolean;
  verdict: string;
  output: string;
  tookMs: number;
}

async function runGoScenario(scenario: string, namesrvAddr: string): Promise<GoResult> {
  const started = Date.now();
  // HOME moves the broadcasting consumer's local offset store (~/.rocketmq_offsets) and client logs into a temp dir.
  const home = makeTempDir(`rocketmq-ts-go-${scenario}`);
  const proc = startTracked(`go ${scenario}`, binary, [scenario, namesrvAddr], { cwd: home, env: { ...process.env, HOME: home } });
  const timer = setTimeout(() => void proc.kill(), SCENARIO_TIMEOUT_MS);
  const exit = await proc.exited;
  clearTimeout(timer);
  removeDir(home);
  const output = proc.output;
  const at = output.search(/^(PASS|FAIL) /m);
  const verdict = at >= 0
    ? output.slice(at).split('\n').filter((l, i) => i === 0 || l.startsWith('  - ')).join('\n')
    : `no verdict: exited ${JSON.stringify(exit)}${exit.signal === 'SIGKILL' ? ` (killed after ${SCENARIO_TIMEOUT_MS} ms)` : ''}`;
  return { passed: exit.code === 0 && verdict.startsWith('PASS '), verdict, output, tookMs: Date.now() - started };
}

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

beforeAll(buildGoScenarios, BUILD_TIMEOUT_MS);
afterAll(() => {
  if (binDir) removeDir(binDir);
});

for (const target of targets) {
  describe.skipIf(!target.enabled)(`Go client against ${target.name}`, () => {
    let server: RunningServer | undefined;

    beforeAll(async () => {
      server = await target.start();
    }, BUILD_TIMEOUT_MS);

    afterAll(async () => {
      await server?.dispose();
    }, BUILD_TIMEOUT_MS);

    for (const scenario of CLIENT_SCENARIOS) {
      it(`Go: ${scenario}`, async () => {
        if (!server) throw new Error('server did not start');
        const r = await runGoScenario(scenario, server.namesrvAddr);
        recordMatrix({ client: clientLabel, server: target.name, scenario, passed: r.passed, verdict: r.verdict, tookMs: r.tookMs });
        expect(r.passed, `${scenario}: ${r.verdict}\n--- output:\n${r.output.slice(-6000)}\n--- server (tail):\n${server.output().slice(-SERVER_TAIL_CHARS)}`).toBe(true);
      }, SCENARIO_TEST_TIMEOUT_MS);
    }
  });
}
