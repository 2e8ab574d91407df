/**
 * The interop matrix: every compat test that runs a client scenario records its verdict here,
 * in compat-tests/results/matrix.json; scripts/matrix.mjs turns that file into the README table.
 * Test files run one after another (vitest fileParallelism: false), so a read-modify-write per result is safe.
 * No vitest imports.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../test/support/server.js';

export const MATRIX_FILE = process.env.COMPAT_MATRIX_FILE ?? path.join(REPO_ROOT, 'compat-tests', 'results', 'matrix.json');

export interface MatrixEntry {
  /** e.g. "Java 5.3.3", "Java 4.9.8", "Go v2.1.2". */
  client: string;
  /** What served it, e.g. "rocketmq-ts", "rocketmq-ts namesrv + Apache 4.9.7 broker". */
  server: string;
  scenario: string;
  passed: boolean;
  /** The verdict line (and first problems) the scenario printed. */
  verdict: string;
  tookMs: number;
  at: string;
  commit: string;
}

interface MatrixFile {
  about: string;
  results: Record<string, MatrixEntry>;
}

let commit: string | undefined;

function headCommit(): string {
  if (commit === undefined) {
    try {
      commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    } catch {
      commit = 'unknown';
    }
  }
  return commit;
}

/** Records one client × server × scenario verdict, replacing the previous one. */
export function recordMatrix(entry: Omit<MatrixEntry, 'at' | 'commit'>): void {
  let file: MatrixFile = { about: 'Written by the compat tests; render with `node scripts/matrix.mjs`.', results: {} };
  if (fs.existsSync(MATRIX_FILE)) {
    try {
      file = JSON.parse(fs.readFileSync(MATRIX_FILE, 'utf8')) as MatrixFile;
    } catch {
      // A torn file from a killed run: start over rather than fail the test.
    }
  }
  const key = `${entry.client} | ${entry.server} | ${entry.scenario}`;
  file.results[key] = { ...entry, verdict: entry.verdict.split('\n').slice(0, 4).join('\n').slice(0, 600), at: new Date().toISOString(), commit: headCommit() };
  const sorted = Object.fromEntries(Object.entries(file.results).sort(([a], [b]) => a.localeCompare(b)));
  fs.mkdirSync(path.dirname(MATRIX_FILE), { recursive: true });
  fs.writeFileSync(MATRIX_FILE, JSON.stringify({ ...file, results: sorted }, null, 2) + '\n');
}
