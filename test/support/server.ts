/** What every server launcher (ours, Apache's) hands back: the same stop/kill/restart interface. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExitStatus } from './processes.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface StopResult extends ExitStatus {
  /** True when it ignored SIGTERM for the grace period and had to be SIGKILLed. */
  killed: boolean;
}

export interface RunningServer {
  readonly kind: string;
  /** 127.0.0.1:port of the NameServer: what clients get as namesrvAddr. */
  readonly namesrvAddr: string;
  /** 127.0.0.1:listenPort of the (master) broker. */
  readonly brokerAddr: string;
  /** Temp dir holding the config files, the store and logs; kept across restart(). */
  readonly dir: string;
  /** Graceful: SIGTERM, wait for exit (SIGKILL after the grace period). */
  stop(): Promise<StopResult[]>;
  /** SIGKILL, no flush: for crash tests. */
  kill(): Promise<void>;
  /** stop() then start again on the same ports and data; throws if the stop had to kill. */
  restart(): Promise<void>;
  /** stop() and delete dir (unless COMPAT_KEEP_DIRS=1). */
  dispose(): Promise<void>;
  /** Everything the processes printed, for failure messages. */
  output(): string;
}

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

export function removeDir(dir: string): void {
  if (process.env.COMPAT_KEEP_DIRS === '1') return;
  fs.rmSync(dir, { recursive: true, force: true });
}

export function assertCleanStops(what: string, results: StopResult[], output: string): void {
  const bad = results.filter((r) => r.killed);
  if (bad.length > 0) {
    throw new Error(`${what}: did not exit within the grace period after SIGTERM and was killed:\n${output.slice(-4000)}`);
  }
}
