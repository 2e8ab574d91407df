/**
 * Runs compat-tests/grpc-java (the RocketMQ 5.x gRPC Java SDK, rocketmq-client-java) against one gRPC
 * endpoint: one JVM runs several scenarios (Main's usage), prints a SCENARIO line for each, and asks the
 * caller questions (ASK restart, ASK dlq) that onAsk answers on its stdin. No vitest imports.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { mavenClasspath } from './maven.js';
import { onExitCleanup } from '../../test/support/processes.js';
import { REPO_ROOT, makeTempDir } from '../../test/support/server.js';

export const GRPC_JAVA_PROJECT_DIR = path.join(REPO_ROOT, 'compat-tests', 'grpc-java');
export const GRPC_JAVA_SDK_VERSION = '5.2.0';
const MAIN = 'rocketmqts.grpc.Main';

let classpath: Promise<string> | undefined;

/** The driver jar plus rocketmq-client-java; built at most once per change (cached under target/). */
export function grpcJavaClasspath(): Promise<string> {
  classpath ??= mavenClasspath(GRPC_JAVA_PROJECT_DIR, true);
  return classpath;
}

export interface ScenarioSpec {
  scenario: string;
  topic: string;
  group: string;
}

export interface ScenarioResult {
  scenario: string;
  passed: boolean;
  /** The rest of the SCENARIO line: key=value facts, or the failure reason. */
  detail: string;
  facts: Record<string, string>;
  tookMs: number;
}

export interface GrpcJavaRun {
  results: Map<string, ScenarioResult>;
  exitCode: number | null;
  output: string;
  dir: string;
  tookMs: number;
}

export interface GrpcJavaOptions {
  /** Scenarios run one by one after the parallel ones (restart). */
  then?: ScenarioSpec[];
  /**
   * Answers the driver's "ASK <key> <args>" lines (ASK restart, ASK dlq <group> <id>); the answer goes back
   * on stdin as "REPLY <key> <answer>". A thrown error is answered "error <message>".
   */
  onAsk?: (key: string, args: string) => Promise<string>;
  timeoutMs?: number;
}

const TIMEOUT_MS_DEFAULT = 240_000;

function parseFacts(detail: string): Record<string, string> {
  const facts: Record<string, string> = {};
  for (const m of detail.matchAll(/(\w+)=(\[[^\]]*\]|\{[^}]*\}|\S+)/g)) facts[m[1]] = m[2];
  return facts;
}

export async function runGrpcJava(endpoint: string, parallel: ScenarioSpec[], options: GrpcJavaOptions = {}): Promise<GrpcJavaRun> {
  const cp = await grpcJavaClasspath();
  const dir = makeTempDir('rocketmq-ts-grpc-java');
  const spec = (s: ScenarioSpec) => `${s.scenario}:${s.topic}:${s.group}`;
  const args = [...parallel.map(spec), ...(options.then?.length ? ['--then', ...options.then.map(spec)] : [])];
  const started = Date.now();
  // Not startTracked: the driver reads its answers on stdin.
  const child = spawn('java', [
    '-Xms64m', '-Xmx256m', '-XX:TieredStopAtLevel=1', '-Duser.language=en', `-Duser.home=${dir}`,
    // The SDK logs to ${user.home}/logs/rocketmq/rocketmq-client.log; keep it quiet on the console.
    '-Drocketmq.log.level=INFO', '-Dmq.consoleAppender.enabled=false',
    '-cp', cp, MAIN, endpoint, ...args,
  ], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  const cleanup = onExitCleanup(() => child.kill('SIGKILL'));
  let output = '';
  let pending = '';
  const asks: Array<Promise<void>> = [];
  const onLine = (line: string) => {
    const m = /^ASK (\S+) ?(.*)$/.exec(line);
    if (!m || !options.onAsk) return;
    const [, key, rest] = m;
    asks.push(options.onAsk(key, rest)
      .catch((err: unknown) => `error ${(err as Error).message.split('\n')[0]}`)
      .then((answer) => {
        output += `[REPLY ${key} ${answer}]\n`;
        if (child.stdin.writable) child.stdin.write(`REPLY ${key} ${answer}\n`);
      }));
  };
  child.stdout.on('data', (chunk: Buffer) => {
    const s = chunk.toString('utf8');
    output += s;
    pending += s;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? TIMEOUT_MS_DEFAULT);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.once('error', (err) => {
      output += `\n[spawn error] ${err.message}\n`;
      resolve(-1);
    });
    child.once('close', (code) => resolve(code));
  });
  clearTimeout(timer);
  cleanup();
  await Promise.all(asks);
  const results = new Map<string, ScenarioResult>();
  for (const m of output.matchAll(/^SCENARIO (\S+) (PASS|FAIL) (.*)$/gm)) {
    const detail = m[3];
    const facts = parseFacts(detail);
    results.set(m[1], { scenario: m[1], passed: m[2] === 'PASS', detail, facts, tookMs: Number(facts.tookMs ?? 0) });
  }
  return { results, exitCode, output, dir, tookMs: Date.now() - started };
}
