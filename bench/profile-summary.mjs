#!/usr/bin/env node
/**
 * Summarises a V8 CPU profile (node --cpu-prof, e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR", or
 * one written by our server's --cpu-profile-dir on SIGUSR2) as text: self time by file, then by function,
 * as shares of the profile's wall time ((idle) included, so 100 % minus idle is the share of one core the
 * process used). For bench/results/profiles/.
 *
 * Usage: node bench/profile-summary.mjs <file.cpuprofile> [--files 30] [--functions 45]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { summarizeProfile } from './lib/profile.mjs';

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: { files: { type: 'string', default: '30' }, functions: { type: 'string', default: '45' } },
});
if (positionals.length !== 1) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [--files N] [--functions N]');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(positionals[0], 'utf8'));
console.log(summarizeProfile(profile, { files: Number(opt.files), functions: Number(opt.functions) }));
