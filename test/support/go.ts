/**
 * Builds and runs the Go client scenarios (compat-tests/go, the rocketmq-client-go v2 release pinned in its
 * go.mod). `go build` downloads the pinned modules on a fresh clone. Same PASS/FAIL output as the Java
 * scenario programs. No vitest imports.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTracked } from './processes.js';
import { REPO_ROOT, makeTempDir, removeDir } from './server.js';

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

export async function runGoScenario(go: GoScenarios, scenario: string, namesrvAddr: string, args: string[] = []): Promise<GoResult> {
  const started = Date.now();
  // HOME moves the broadcasting consumer's local offset store (~/.rocketmq_offsets) and client logs into a temp dir.
  const home = makeTempDir(`rocketmq-ts-go-${scenario}`);
  const proc = startTracked(`go ${scenario}`, go.binary, [scenario, namesrvAddr, ...args], { cwd: home, env: { ...process.env, HOME: home } });
  const timer = setTimeout(() => void proc.kill(), SCENARIO_TIMEOUT_MS);
  const exit = await proc.exited;
  clearTimeout(timer);
  removeDir(home);
  const output = proc.output;
  const at = output.search(/^(PASS|FAIL) /m);
  const verdict = at >= 0
    ? output.slice(at).split('\n').filter((l, i) => i === 0 || l.startsWith('  - ')).join('\n')
    : `no verdict: exited ${JSON.stringify(exit)}${exit.signal === 'SIGKILL' ? ` (killed after ${SCENARIO_TIMEOUT_MS} ms)` : ''}`;
  return { scenario, passed: exit.code === 0 && verdict.startsWith('PASS '), verdict, output, tookMs: Date.now() - started };
}

export function describeGoFailure(r: GoResult, serverTail = ''): string {
  return `Go ${r.scenario}: ${r.verdict}\n--- output:\n${r.output.slice(-6000)}` + (serverTail ? `\n--- server (tail):\n${serverTail}` : '');
}
