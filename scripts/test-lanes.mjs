#!/usr/bin/env node
/**
 * `npm test`: every test file, in TEST_LANES (default 2) vitest processes at once.
 *
 * Inside one vitest process the files run one after another (vitest.config.ts says why: servers and
 * JVMs side by side in one process make each other flaky). Most of a compat suite's time is waiting
 * (a JVM starting, a long poll, a broker's expiry), so two lanes finish in little more than half the
 * time on 2 cores. Files are dealt to lanes longest first by the durations of an earlier full run
 * (scripts/test-durations.json; a file not listed counts as DEFAULT_MS), so the lanes end together.
 * Every test picks free ports, and Maven builds shared by two lanes take a lock
 * (test/support/file-lock.ts), so the lanes do not collide.
 *
 * Each lane's lines are printed as they come, prefixed with its number; the exit code is non-zero if
 * any lane failed. `TEST_DURATIONS_WRITE=1` rewrites scripts/test-durations.json from this run.
 * Arguments are passed to every lane's `vitest run` (e.g. a path filter).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DURATIONS_FILE = path.join(ROOT, 'scripts', 'test-durations.json');
const TEST_DIRS = ['test', 'compat-tests'];
/** A file with no recorded duration: a middling compat suite. */
const DEFAULT_MS = 30_000;

function testFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'target') out.push(...testFiles(rel));
    } else if (e.name.endsWith('.test.ts')) {
      out.push(rel.split(path.sep).join('/'));
    }
  }
  return out;
}

function readDurations() {
  try {
    return JSON.parse(fs.readFileSync(DURATIONS_FILE, 'utf8'));
  } catch {
    return {};
  }
}

/** Longest first, each to the lane with the least work so far. */
function deal(files, durations, laneCount) {
  const lanes = Array.from({ length: laneCount }, () => ({ files: [], ms: 0 }));
  const cost = (f) => durations[f] ?? DEFAULT_MS;
  for (const f of [...files].sort((a, b) => cost(b) - cost(a) || a.localeCompare(b))) {
    const lane = lanes.reduce((min, l) => (l.ms < min.ms ? l : min));
    lane.files.push(f);
    lane.ms += cost(f);
  }
  return lanes;
}

function runLane(index, files, extraArgs) {
  const report = path.join(ROOT, '.tmp', `test-lane-${index}.json`);
  fs.mkdirSync(path.dirname(report), { recursive: true });
  fs.rmSync(report, { force: true });
  // Absolute paths: a vitest filter is a substring match, and `test/x.test.ts` is inside `compat-tests/x.test.ts`.
  const args = [path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--passWithNoTests',
    '--reporter=default', '--reporter=json', `--outputFile.json=${report}`,
    ...extraArgs, ...files.map((f) => path.join(ROOT, f))];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, TEST_LANE: String(index) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[lane ${index}] `;
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => process.stdout.write(prefix + line + '\n'));
  }
  return new Promise((resolve) => {
    child.on('close', (code, signal) => resolve({ index, code: code ?? 1, signal, report }));
  });
}

function durationsFrom(reports) {
  const measured = {};
  for (const r of reports) {
    if (!fs.existsSync(r.report)) continue;
    const json = JSON.parse(fs.readFileSync(r.report, 'utf8'));
    for (const t of json.testResults ?? []) {
      const rel = path.relative(ROOT, t.name).split(path.sep).join('/');
      measured[rel] = Math.round((t.endTime ?? 0) - (t.startTime ?? 0));
    }
  }
  return measured;
}

async function main() {
  const extraArgs = process.argv.slice(2);
  const laneCount = Math.max(1, Number(process.env.TEST_LANES ?? 2) || 1);
  const durations = readDurations();
  const files = TEST_DIRS.flatMap(testFiles);
  const lanes = deal(files, durations, laneCount).filter((l) => l.files.length > 0);
  for (const [i, l] of lanes.entries()) {
    console.log(`[lanes] lane ${i + 1}: ${l.files.length} files, about ${Math.round(l.ms / 60_000)} min by the last recorded run`);
  }
  const started = Date.now();
  const results = await Promise.all(lanes.map((l, i) => runLane(i + 1, l.files, extraArgs)));
  const measured = durationsFrom(results);
  for (const r of results) {
    console.log(`[lanes] lane ${r.index}: ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code}${r.signal ? `, ${r.signal}` : ''})`}`);
  }
  console.log(`[lanes] all lanes done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (process.env.TEST_DURATIONS_WRITE === '1') {
    const merged = Object.fromEntries(Object.entries({ ...durations, ...measured }).filter(([f]) => files.includes(f)).sort());
    fs.writeFileSync(DURATIONS_FILE, JSON.stringify(merged, null, 1) + '\n');
    console.log(`[lanes] ${DURATIONS_FILE} rewritten (${Object.keys(measured).length} files measured)`);
  }
  process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
