/**
 * Runs the Java client scenarios (compat-tests/java, rocketmq-client 4.9.8) as separate JVMs and
 * collects their verdict, output and client log. No vitest imports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mavenClasspath } from './maven.js';
import { startTracked } from '../../test/support/processes.js';
import { REPO_ROOT, makeTempDir } from '../../test/support/server.js';

export const JAVA_PROJECT_DIR = path.join(REPO_ROOT, 'compat-tests', 'java');
export const SCENARIO_MAIN = 'rocketmqts.compat.Scenarios';

/** Clients.FINAL_SHUTDOWN_MARKER: what the client logged after it is the client shutting itself down. */
export const CLIENT_FINAL_SHUTDOWN_MARKER = 'rocketmq-ts compat: final client shutdown';

/** Every scenario the Java program knows; restart-* are two phases of one test. */
export const SCENARIOS = ['send-sync', 'send-async', 'send-oneway', 'send-batch', 'push-clustering', 'shared-queues'] as const;

export const SERIALIZATIONS = {
  JSON: [] as string[],
  ROCKETMQ: ['-Drocketmq.serialize.type=ROCKETMQ'],
} as const;
export type Serialization = keyof typeof SERIALIZATIONS;

/** A scenario's own timeouts add up to about a minute; past this the JVM is stuck. */
const SCENARIO_TIMEOUT_MS_DEFAULT = 120_000;

/**
 * Client JVM flags: small heap; rebalance every second instead of 20 s so consumer groups settle fast
 * (RebalanceService reads rocketmq.client.rebalance.waitInterval); the client's own log appender
 * (not slf4j) writing into the run's log dir instead of ~/logs.
 */
export function baseJvmArgs(logDir: string): string[] {
  return [
    '-Xms64m', '-Xmx256m',
    '-Duser.language=en',
    '-Drocketmq.client.rebalance.waitInterval=1000',
    '-Drocketmq.client.logUseSlf4j=false',
    `-Drocketmq.client.logRoot=${logDir}`,
    '-Drocketmq.client.logLevel=INFO',
  ];
}

let classpath: Promise<string> | undefined;

/** Builds compat-tests/java once (cached on disk between test files) and returns its run classpath. */
export function javaClasspath(): Promise<string> {
  classpath ??= mavenClasspath(JAVA_PROJECT_DIR, true);
  return classpath;
}

export interface ScenarioResult {
  scenario: string;
  serialization: string;
  exitCode: number | null;
  passed: boolean;
  /** The PASS/FAIL line and the "  - problem" lines after it. */
  verdict: string;
  output: string;
  tookMs: number;
  /** rocketmq_client.log of this run. */
  clientLog: string;
  /** WARN and ERROR lines of the client log, up to the scenario's final client shutdown (all, if it marks none). */
  warnings: string[];
  /** WARN and ERROR lines logged during the final client shutdown (after CLIENT_FINAL_SHUTDOWN_MARKER). */
  shutdownWarnings: string[];
}

export interface RunOptions {
  jvmArgs?: string[];
  args?: string[];
  timeoutMs?: number;
  /** Where the client log goes; a fresh temp dir by default. */
  logDir?: string;
  /** Another entry point with the same PASS/FAIL output (e.g. rocketmqts.compat.ConsumeStyleScenarios). */
  mainClass?: string;
}

export async function runJavaScenario(scenario: string, namesrvAddr: string, options: RunOptions = {}): Promise<ScenarioResult> {
  const cp = await javaClasspath();
  const logDir = options.logDir ?? makeTempDir(`rocketmq-ts-client-${scenario}`);
  const jvmArgs = options.jvmArgs ?? [];
  const serialization = jvmArgs.includes(SERIALIZATIONS.ROCKETMQ[0]) ? 'ROCKETMQ' : 'JSON';
  const started = Date.now();
  const jvm = startTracked(`java ${scenario}`, 'java',
    [...baseJvmArgs(logDir), ...jvmArgs, '-cp', cp, options.mainClass ?? SCENARIO_MAIN, scenario, namesrvAddr, ...(options.args ?? [])],
    { cwd: logDir });
  const timeoutMs = options.timeoutMs ?? SCENARIO_TIMEOUT_MS_DEFAULT;
  const timer = setTimeout(() => void jvm.kill(), timeoutMs);
  const exit = await jvm.exited;
  clearTimeout(timer);
  const output = jvm.output;
  const clientLog = path.join(logDir, 'rocketmq_client.log');
  const log = fs.existsSync(clientLog) ? fs.readFileSync(clientLog, 'utf8') : '';
  const markerAt = log.lastIndexOf(CLIENT_FINAL_SHUTDOWN_MARKER);
  const warnings = warningLines(markerAt >= 0 ? log.slice(0, markerAt) : log);
  const shutdownWarnings = markerAt >= 0 ? warningLines(log.slice(markerAt)) : [];
  const verdictAt = output.search(/^(PASS|FAIL) /m);
  const verdict = verdictAt >= 0
    ? output.slice(verdictAt).split('\n').filter((l, i) => i === 0 || l.startsWith('  - ')).join('\n')
    : `no verdict: JVM exited ${JSON.stringify(exit)}${exit.signal === 'SIGKILL' ? ` (killed after ${timeoutMs} ms)` : ''}`;
  return {
    scenario,
    serialization,
    exitCode: exit.code,
    passed: exit.code === 0 && verdict.startsWith('PASS '),
    verdict,
    output,
    tookMs: Date.now() - started,
    clientLog,
    warnings,
    shutdownWarnings,
  };
}

/**
 * Client WARN lines that say nothing about the server: the same scenarios log them against the Apache
 * 4.9.7 broker, or they are races inside the client's own start-up and shutdown (which of them shows up
 * depends on timing). Route look-ups of a topic before auto-creation and of the group's %RETRY% topic;
 * pulls and callbacks cut off by the client's shutdown; the group's last member asking for the member
 * list while leaving (Apache answers with the same "no consumer for this group"); a pull run while the
 * consumer is still starting. Anything else logged against our server is worth a look.
 */
export const BENIGN_CLIENT_WARNINGS: RegExp[] = [
  /get Topic \[\S+\] RouteInfoFromNameServer is not exist value/,
  /updateTopicRouteInfoFromNameServer Exception \| org\.apache\.rocketmq\.client\.exception\.MQClientException: CODE: 17 /,
  /execute the pull request exception \| \S+MQClientException: send request failed to/,
  /PullMessageServiceScheduledThread has shutdown/,
  /ThreadPoolExecutor@\S+ .*didn't terminate!/,
  /sending heartbeat, but no consumer and no producer/,
  /execute callback in executor exception, maybe executor busy \| java\.util\.concurrent\.RejectedExecutionException: .*(Shutting down|Terminated)/,
  /No matched consumer for the PullRequest/,
  /getConsumerIdListByGroup exception, \S+ \S+ \| \S+MQBrokerException: CODE: 1 +DESC: no consumer for this group/,
  /doRebalance, \S+ \S+, get consumer id list failed/,
  /pullMessage exception, consumer state not ok \| \S+: The consumer service state not OK, START_FAILED/,
  /lock heartBeat, but failed/,
  // A pull carrying the subscription version of a rebalance whose heartbeat the broker has not seen yet (Apache too).
  /execute the pull request exception \| \S+MQBrokerException: CODE: 25 +DESC: the consumer's subscription not latest/,
  /executor not accepting a task/, // a connection opened while the client's event loops shut down
];

/** A warning line without its timestamp, thread, run-specific names and object hashes, so repeats group together. */
export function normalizeWarning(line: string): string {
  return line
    .replace(/^\S+ \S+ +(WARN|ERROR) +(\[[^\]]*\] )?/, '$1 ')
    .replace(/_[0-9a-z]{6,14}\b/g, '_<run>')
    .replace(/-[0-9a-z]{6,14}\b/g, '-<run>')
    .replace(/@[0-9a-f]{6,8}\b/g, '@<hash>')
    .replace(/opaque=\d+/g, 'opaque=<n>')
    .replace(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+/g, '<addr>');
}

/** WARN and ERROR lines of a client log, each joined with the exception line after it (the reason). */
export function warningLines(log: string): string[] {
  const lines = log.split(/\r?\n/);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\S+ \S+ (WARN|ERROR) /.test(lines[i])) continue;
    const next = lines[i + 1] ?? '';
    const isCause = next !== '' && !/^\d{4}-\d\d-\d\d /.test(next) && !next.startsWith('\tat ');
    out.push(isCause ? `${lines[i]} | ${next.trim()}` : lines[i]);
  }
  return out;
}

/** A failure message with everything needed to diagnose it without re-running. */
export function describeFailure(r: ScenarioResult, serverOutputTail = ''): string {
  const warn = r.warnings.length ? `\nclient log WARN/ERROR (${r.warnings.length}, first 30):\n${r.warnings.slice(0, 30).join('\n')}` : '';
  const server = serverOutputTail ? `\nserver output (tail):\n${serverOutputTail}` : '';
  return `${r.scenario} [${r.serialization}] ${r.verdict}\n--- scenario output:\n${r.output.slice(-8000)}${warn}\nclient log: ${r.clientLog}${server}`;
}
