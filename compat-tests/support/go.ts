/**
 * Builds and runs the Go client scenarios (compat-tests/go, the rocketmq-client-go v2 release pinned in its
 * go.mod). `go build` downloads the pinned modules on a fresh clone. Same PASS/FAIL output as the Java
 * scenario programs. No vitest imports.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTracked, type Tracked } from '../../test/support/processes.js';
import { REPO_ROOT, makeTempDir, removeDir } from '../../test/support/server.js';

const run = promisify(execFile);
export const GO_DIR = path.join(REPO_ROOT, 'compat-tests', 'go');
/** A cold module cache downloads the client and its dependencies. */
export const GO_BUILD_TIMEOUT_MS = 600_000;
/** Each scenario bounds its own waits (retry ~75 s, transaction check-back ~60 s at most). */
const SCENARIO_TIMEOUT_MS = 150_000;

export interface GoScenarios {
  binary: string;
  /** e.g. "Go v2.1.2". */
  clientLabel: string;
  dispose(): void;
}

export async function buildGoScenarios(): Promise<GoScenarios> {
  const dir = makeTempDir('rocketmq-ts-go');
  const binary = path.join(dir, 'compat-go');
  try {
    await run('go', ['build', '-o', binary, '.'], { cwd: GO_DIR, timeout: GO_BUILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    const { stdout } = await run('go', ['list', '-m', '-f', '{{.Version}}', 'github.com/apache/rocketmq-client-go/v2'], { cwd: GO_DIR });
    return { binary, clientLabel: `Go ${stdout.trim()}`, dispose: () => removeDir(dir) };
  } catch (err) {
    removeDir(dir);
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`go build in ${GO_DIR} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

export interface GoResult {
  scenario: string;
  passed: boolean;
  verdict: string;
  output: string;
  tookMs: number;
}

export interface RunningGoScenario {
  proc: Tracked;
  scenario: string;
  home: string;
  startedMs: number;
}

/** Starts a scenario and returns it running (the failover test talks to it while it runs). */
export function startGoScenario(go: GoScenarios, scenario: string, namesrvAddr: string, args: string[] = []): RunningGoScenario {
  // HOME moves the broadcasting consumer's local offset store (~/.rocketmq_offsets) and client logs into a temp dir.
  const home = makeTempDir(`rocketmq-ts-go-${scenario}`);
  const proc = startTracked(`go ${scenario}`, go.binary, [scenario, namesrvAddr, ...args], { cwd: home, env: { ...process.env, HOME: home } });
  return { proc, scenario, home, startedMs: Date.now() };
}

/** Waits for a started scenario to end (killing it after timeoutMs) and reads its verdict. */
export async function finishGoScenario(r: RunningGoScenario, timeoutMs = SCENARIO_TIMEOUT_MS): Promise<GoResult> {
  const timer = setTimeout(() => void r.proc.kill(), timeoutMs);
  const exit = await r.proc.exited;
  clearTimeout(timer);
  removeDir(r.home);
  const output = r.proc.output;
  const at = output.search(/^(PASS|FAIL) /m);
  const verdict = at >= 0
    ? output.slice(at).split('\n').filter((l, i) => i === 0 || l.startsWith('  - ')).join('\n')
    : `no verdict: exited ${JSON.stringify(exit)}${exit.signal === 'SIGKILL' ? ` (killed after ${timeoutMs} ms)` : ''}`;
  return { scenario: r.scenario, passed: exit.code === 0 && verdict.startsWith('PASS '), verdict, output, tookMs: Date.now() - r.startedMs };
}

export function runGoScenario(go: GoScenarios, scenario: string, namesrvAddr: string, args: string[] = []): Promise<GoResult> {
  return finishGoScenario(startGoScenario(go, scenario, namesrvAddr, args));
}

export function describeGoFailure(r: GoResult, serverTail = ''): string {
  return `Go ${r.scenario}: ${r.verdict}\n--- output:\n${r.output.slice(-6000)}` + (serverTail ? `\n--- server (tail):\n${serverTail}` : '');
}
