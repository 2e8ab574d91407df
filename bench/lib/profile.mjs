/**
 * V8 CPU profiles of our server: the text summary (self time by file and by function) that
 * bench/profile-summary.mjs prints, and the per-phase profiling of `bench/run.mjs --profile`, which
 * starts our server with --cpu-profile-dir and sends it SIGUSR2 at the start and the end of a phase.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Self time by file, then by function, as shares of the profile's wall time ((idle) included). */
export function summarizeProfile(profile, { files = 30, functions = 45 } = {}) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const d = profile.timeDeltas[i] ?? 0;
    totalUs += d;
    selfUs.set(id, (selfUs.get(id) ?? 0) + d);
  });
  const byFile = new Map();
  const byFunction = new Map();
  for (const [id, us] of selfUs) {
    const f = nodes.get(id).callFrame;
    // Paths shortened to what a reader of this repository recognises.
    const file = (f.url || '').replace(/^file:\/\/.*?\/(dist|src)\//, '$1/').replace(/.*node_modules\//, '') || `(${f.functionName})`;
    byFile.set(file, (byFile.get(file) ?? 0) + us);
    const fn = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `${((100 * us) / totalUs).toFixed(1).padStart(5)}% ${k}`);
  return [`total ms ${(totalUs / 1000).toFixed(0)}`, ...top(byFile, files), '---', ...top(byFunction, functions)].join('\n');
}

/**
 * Profiles one phase of our server (`proc`, started with --cpu-profile-dir `dir`): `begin()` before the
 * phase's program starts, `end(header)` after it ends, which waits for the server to write the profile
 * and returns its summary with `header` on top.
 */
export function phaseProfiler(proc, dir) {
  let seq = 0;
  return {
    async begin() {
      proc.child.kill('SIGUSR2');
      await proc.waitFor([new RegExp(`SIGUSR2: CPU profile ${++seq} started`)], 10_000);
    },
    async end(header) {
      const file = path.join(dir, `cpu-${proc.pid}-${seq}.cpuprofile`);
      proc.child.kill('SIGUSR2');
      await proc.waitFor([new RegExp(`CPU profile written to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)], 60_000);
      const text = summarizeProfile(JSON.parse(fs.readFileSync(file, 'utf8')));
      return `${header}\n${text}\n`;
    },
  };
}
