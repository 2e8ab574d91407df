/**
 * Runs the compat-tests/spring Spring Boot application (rocketmq-spring-boot-starter 2.3.5, which brings
 * rocketmq-client 5.3.2) as one JVM against a NameServer and splits what it printed into cases.
 * No vitest imports.
 */
import path from 'node:path';
import { mavenClasspath } from './maven.js';
import { startTracked } from '../../test/support/processes.js';
import { REPO_ROOT, makeTempDir } from '../../test/support/server.js';

export const SPRING_PROJECT_DIR = path.join(REPO_ROOT, 'compat-tests', 'spring');
export const SPRING_STARTER_VERSION = '2.3.5';
const MAIN = 'rocketmqts.spring.SpringScenario';
/** Spring start-up, five cases with 40 s waits at most each; past this the JVM is stuck. */
const SPRING_TIMEOUT_MS = 150_000;

export interface SpringRun {
  passed: boolean;
  /** case name → "PASS" or "FAIL <problems>". */
  cases: Map<string, string>;
  verdict: string;
  output: string;
  tookMs: number;
}

export function springClasspath(): Promise<string> {
  return mavenClasspath(SPRING_PROJECT_DIR, true);
}

export async function runSpringScenario(namesrvAddr: string): Promise<SpringRun> {
  const cp = await springClasspath();
  const dir = makeTempDir('rocketmq-ts-spring');
  const started = Date.now();
  const jvm = startTracked('spring', 'java', [
    '-Xms64m', '-Xmx384m', '-XX:TieredStopAtLevel=1', '-Duser.language=en', `-Duser.home=${dir}`,
    // Rebalance every second instead of 20 s; client log under the run's temp dir.
    '-Drocketmq.client.rebalance.waitInterval=1000',
    `-Drocketmq.client.logRoot=${path.join(dir, 'logs')}`,
    '-cp', cp, MAIN, namesrvAddr,
  ], { cwd: dir });
  const timer = setTimeout(() => void jvm.kill(), SPRING_TIMEOUT_MS);
  const exit = await jvm.exited;
  clearTimeout(timer);
  const output = jvm.output;
  const cases = new Map<string, string>();
  for (const m of output.matchAll(/^CASE (\S+) (.*)$/gm)) cases.set(m[1], m[2]);
  const at = output.search(/^(PASS|FAIL) spring/m);
  const verdict = at >= 0
    ? output.slice(at).split('\n').filter((l, i) => i === 0 || l.startsWith('  - ')).join('\n')
    : `no verdict: JVM exited ${JSON.stringify(exit)}`;
  return { passed: exit.code === 0 && verdict.startsWith('PASS'), cases, verdict, output, tookMs: Date.now() - started };
}
