#!/usr/bin/env node
/**
 * Summarises a V8 CPU profile (node --cpu-prof, e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR")
 * as text: self time by file, then by function, as shares of the profile's wall time ((idle) included, so
 * 100 % minus idle is the share of one core the process used). For bench/results/profiles/.
 *
 * Usage: node bench/profile-summary.mjs <file.cpuprofile> [--files 30] [--functions 45]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: { files: { type: 'string', default: '30' }, functions: { type: 'string', default: '45' } },
});
if (positionals.length !== 1) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [--files N] [--functions N]');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(positionals[0], 'utf8'));
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
console.log(`total ms ${(totalUs / 1000).toFixed(0)}`);
console.log(top(byFile, Number(opt.files)).join('\n'));
console.log('---');
console.log(top(byFunction, Number(opt.functions)).join('\n'));
