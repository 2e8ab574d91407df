/**
 * Runs the compat-tests/java5 scenarios as separate JVMs: the jar is compiled against
 * rocketmq-client 5.3.3 and uses only API the 4.9.8 client has too, so it runs on either client's
 * classpath (`clientVersion`). Same PASS/FAIL output as compat-tests/java. No vitest imports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mavenClasspath } from './maven.js';
import { startTracked, type Tracked } from '../../test/support/processes.js';
import { REPO_ROOT, makeTempDir } from '../../test/support/server.js';

export const JAVA5_PROJECT_DIR = path.join(REPO_ROOT, 'compat-tests', 'java5');
/** Dependency-only projects that put another client version under the same jar (compiled against 5.3.3). */
const CLIENT_DIRS = {
  '4.9.8': path.join(JAVA5_PROJECT_DIR, 'client-4.9.8'),
  '5.5.0': path.join(JAVA5_PROJECT_DIR, 'client-5.5.0'),
} as const;
const MAIN = 'rocketmqts.compat5.Main';

/** The scenario set every client (Java 5.3.3, Java 4.9.8, Go) runs against one server. */
export const CLIENT_SCENARIOS = [
  'send-sync', 'send-async', 'send-batch', 'push-clustering', 'push-broadcasting',
  'orderly', 'delay', 'retry', 'transaction', 'tag-filter',
] as const;

/** The Java clients also run lite-pull (DefaultLitePullConsumer: LITE_PULL_MESSAGE 361 from 5.x, PULL_MESSAGE from 4.9.8). */
export const JAVA_SCENARIOS = [...CLIENT_SCENARIOS, 'lite-pull'] as const;

export type JavaClientVersion = '5.3.3' | '4.9.8' | '5.5.0';

/** Each scenario bounds its own waits (transaction check-back is the longest, ~60 s); past this the JVM is stuck. */
const SCENARIO_TIMEOUT_MS_DEFAULT = 150_000;

const classpaths = new Map<JavaClientVersion, Promise<string>>();

/** Our jar plus the chosen client's dependencies; built at most once per change (cached under target/). */
export function java5Classpath(version: JavaClientVersion): Promise<string> {
  let cp = classpaths.get(version);
  if (!cp) {
    cp = (async () => {
      const withJar = await mavenClasspath(JAVA5_PROJECT_DIR, true);
      if (version === '5.3.3') return withJar;
      const jar = withJar.split(path.delimiter)[0];
      return `${jar}${path.delimiter}${await mavenClasspath(CLIENT_DIRS[version], false)}`;
    })();
    classpaths.set(version, cp);
  }
  return cp;
}

/**
 * Client JVM flags: small heap; rebalance every second instead of 20 s; user.home in the run's temp dir,
 * which moves the client log (~/logs/rocketmqlogs) and the broadcasting offset store (~/.rocketmq_offsets).
 */
function jvmArgs(dir: string): string[] {
  return [
    '-Xms64m', '-Xmx256m', '-XX:TieredStopAtLevel=1',
    '-Duser.language=en',
    `-Duser.home=${dir}`,
    '-Drocketmq.client.rebalance.waitInterval=1000',
    '-Drocketmq.client.logUseSlf4j=false',
    `-Drocketmq.client.logRoot=${path.join(dir, 'logs')}`,
    '-Drocketmq.client.logLevel=INFO',
  ];
}

export interface Java5Result {
  client: string;
  scenario: string;
  passed: boolean;
  exitCode: number | null;
  /** The PASS/FAIL line and the "  - problem" lines after it. */
  verdict: string;
  output: string;
  tookMs: number;
  dir: string;
}

export interface Java5Options {
  clientVersion?: JavaClientVersion;
  /** Extra JVM flags, e.g. -Dcom.rocketmq.heartbeat.v2=true. */
  jvmArgs?: string[];
  args?: string[];
  timeoutMs?: number;
}

/** Starts a scenario JVM and returns it running (the failover test talks to it while it runs). */
export async function startJava5Scenario(scenario: string, namesrvAddr: string, options: Java5Options = {}): Promise<{ jvm: Tracked; dir: string }> {
  const version = options.clientVersion ?? '5.3.3';
  const cp = await java5Classpath(version);
  const dir = makeTempDir(`rocketmq-ts-j5-${scenario}`);
  const jvm = startTracked(`java ${version} ${scenario}`, 'java',
    [...jvmArgs(dir), ...(options.jvmArgs ?? []), '-cp', cp, MAIN, scenario, namesrvAddr, ...(options.args ?? [])], { cwd: dir });
  return { jvm, dir };
}

/** Reads the verdict of a finished (or killed) scenario JVM. */
export async function finishJava5Scenario(scenario: string, version: JavaClientVersion, jvm: Tracked, dir: string, startedMs: number,
  timeoutMs = SCENARIO_TIMEOUT_MS_DEFAULT): Promise<Java5Result> {
  const timer = setTimeout(() => void jvm.kill(), timeoutMs);
  const exit = await jvm.exited;
  clearTimeout(timer);
  const output = jvm.output;
  const at = output.search(/^(PASS|FAIL) /m);
  const verdict = at >= 0
    ? output.slice(at).split('\n').filter((l, i) => i === 0 || l.startsWith('  - ')).join('\n')
    : `no verdict: JVM exited ${JSON.stringify(exit)}${exit.signal === 'SIGKILL' ? ` (killed after ${timeoutMs} ms)` : ''}`;
  return {
    client: `java-${version}`,
    scenario,
    passed: exit.code === 0 && verdict.startsWith('PASS '),
    exitCode: exit.code,
    verdict,
    output,
    tookMs: Date.now() - startedMs,
    dir,
  };
}

export async function runJava5Scenario(scenario: string, namesrvAddr: string, options: Java5Options = {}): Promise<Java5Result> {
  const started = Date.now();
  const { jvm, dir } = await startJava5Scenario(scenario, namesrvAddr, options);
  return finishJava5Scenario(scenario, options.clientVersion ?? '5.3.3', jvm, dir, started, options.timeoutMs);
}

/** Everything needed to diagnose a failure without re-running: verdict, output tail, client log WARN/ERROR lines. */
export function describeJava5Failure(r: Java5Result, serverTail = ''): string {
  const logs: string[] = [];
  for (const f of [path.join(r.dir, 'logs', 'rocketmq_client.log'), path.join(r.dir, 'logs', 'rocketmqlogs', 'rocketmq_client.log')]) {
    if (fs.existsSync(f)) logs.push(...fs.readFileSync(f, 'utf8').split('\n').filter((l) => /\b(WARN|ERROR)\b/.test(l)).slice(0, 30));
  }
  return `${r.client} ${r.scenario}: ${r.verdict}\n--- output:\n${r.output.slice(-6000)}`
    + (logs.length ? `\n--- client log WARN/ERROR:\n${logs.join('\n')}` : '')
    + (serverTail ? `\n--- server output (tail):\n${serverTail}` : '');
}
