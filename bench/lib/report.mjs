/**
 * Machine facts, the comparison table (printed and written as Markdown) and the results files
 * bench/results/<date>-<commit>[-quick][-ours-only|-apache-only].{json,md} (<date>T<time> instead of
 * <date>-<commit> outside a git checkout).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './servers.mjs';

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    return `${(err.stderr ?? err.message ?? '').toString().trim().split('\n')[0]}`;
  }
}

/** git's output, or undefined when git fails (no git, or not a checkout). */
function git(args) {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export const loadAvg = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

export function machineInfo() {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  return {
    nproc: Number(sh('nproc', [])) || os.availableParallelism(),
    cpuModel: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    memTotalMiB: Math.round(os.totalmem() / 1024 / 1024),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    java: javaVersion(),
    loadAvgAtStart: loadAvg(),
  };
}

function javaVersion() {
  try {
    // `java -version` prints to stderr.
    const r = execFileSync('sh', ['-c', 'java -version 2>&1'], { encoding: 'utf8' });
    return r.split('\n')[0].trim();
  } catch {
    return 'unknown';
  }
}

/** What results say for a copy of the project that is not a git checkout (an unpacked tarball, a CI artifact). */
export const COMMIT_UNKNOWN = 'unknown (not a git checkout)';

/**
 * The commit the numbers are for, and whether src/ differed from it. Outside a checkout of this project
 * (git missing, no repository, or the folder copied inside another repository) the commit is COMMIT_UNKNOWN
 * and srcDirty null: nothing is known either way.
 */
export function commitInfo() {
  const top = git(['rev-parse', '--show-toplevel']);
  if (top === undefined || fs.realpathSync(top) !== fs.realpathSync(REPO_ROOT)) return { commit: COMMIT_UNKNOWN, srcDirty: null };
  const commit = git(['rev-parse', '--short=12', 'HEAD']) ?? COMMIT_UNKNOWN;
  // The tree is shared by several engineers: only changes to what runs (src/) make the numbers not the commit's.
  const status = git(['status', '--porcelain', '--', 'src', 'package.json', 'tsconfig.json']);
  return { commit, srcDirty: status === undefined ? null : status !== '' };
}

/** The results file's name: date and commit, or date and start time when the commit is unknown. */
function resultsStem(results) {
  if (results.commit !== COMMIT_UNKNOWN) return `${results.date}-${results.commit}`;
  return (results.startedAt ?? new Date().toISOString()).replace(/[:.]/g, '-').slice(0, 19);
}

/** The brokers' default syncFlushTimeout (MessageStoreConfig), which neither run changes. */
const SYNC_FLUSH_TIMEOUT_MS = 5_000;

export const fmt = (x, digits = 0) => (x === undefined || x === null || Number.isNaN(x) ? 'n/a' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

/** [label, value getter, digits, lower is better] */
const ROWS = [
  ['Send TPS, 128 B, 64 threads', (r) => r.phases.send128?.tps, 0, false],
  ['Send avg RT (ms), 128 B', (r) => r.phases.send128?.avgRtMs, 2, true],
  ['Send TPS, 1 KiB, 64 threads', (r) => r.phases.send1k?.tps, 0, false],
  ['Send avg RT (ms), 1 KiB', (r) => r.phases.send1k?.avgRtMs, 2, true],
  ['Consume TPS, draining a 128 B backlog', (r) => r.phases.consume?.tps, 0, false],
  ['Send TPS, SYNC_FLUSH, 128 B, 64 threads', (r) => r.phases.sendSync?.tps, 0, false],
  ['Send avg RT (ms), SYNC_FLUSH', (r) => r.phases.sendSync?.avgRtMs, 2, true],
  ['Server CPU µs per message, send 128 B', (r) => r.phases.send128?.serverCpuUsPerMsg, 0, true],
  ['Server CPU µs per message, send 1 KiB', (r) => r.phases.send1k?.serverCpuUsPerMsg, 0, true],
  ['Server CPU µs per message, send 128 B, SYNC_FLUSH', (r) => r.phases.sendSync?.serverCpuUsPerMsg, 0, true],
  ['Server CPU µs per message, consume', (r) => r.phases.consume?.serverCpuUsPerMsg, 0, true],
  ['Peak RSS (MiB, all server processes)', (r) => r.memory?.peakRssMiB, 0, true],
  ['  of which anonymous (MiB)', (r) => r.memory?.anonAtPeakMiB, 0, true],
  ['Failed sends (all phases)', (r) => failures(r), 0, true],
];

function failures(r) {
  const ps = [r.phases.send128, r.phases.send1k, r.phases.sendSync].filter((p) => p?.ok);
  if (ps.length === 0) return undefined;
  return ps.reduce((a, p) => a + p.sendFailedTotal + p.responseFailedTotal, 0);
}

export function tableRows(results, rowDefs = ROWS) {
  const ours = results.servers['rocketmq-ts'];
  const java = results.servers['apache-4.9.7'];
  return rowDefs.map(([label, get, digits, lowerBetter]) => {
    const a = ours ? get(ours) : undefined;
    const b = java ? get(java) : undefined;
    const ratio = typeof a === 'number' && typeof b === 'number' && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a';
    return { label, ours: fmt(a, digits), java: fmt(b, digits), ratio, lowerBetter };
  });
}

export function markdownTable(results, rowDefs = ROWS) {
  const rows = tableRows(results, rowDefs);
  const out = ['| | rocketmq-ts | Apache RocketMQ 4.9.7 | ours / Java |', '|---|---:|---:|---:|'];
  for (const r of rows) out.push(`| ${r.label.trim()} | ${r.ours} | ${r.java} | ${r.ratio}${r.lowerBetter ? ' (lower is better)' : ''} |`);
  return out.join('\n');
}

export function consoleTable(results, rowDefs = ROWS) {
  const rows = tableRows(results, rowDefs);
  const w = [Math.max(...rows.map((r) => r.label.length)), 12, 12, 8];
  const line = (c) => `${c[0].padEnd(w[0])}  ${c[1].padStart(w[1])}  ${c[2].padStart(w[2])}  ${c[3].padStart(w[3])}`;
  return [line(['', 'rocketmq-ts', 'Java 4.9.7', 'ours/Java']), ...rows.map((r) => line([r.label, r.ours, r.java, r.ratio]))].join('\n');
}

function notes(results) {
  const out = [];
  const m = results.machine;
  const busiest = Math.max(m.loadAvgAtStart[0], results.loadAvgAtEnd?.[0] ?? 0);
  if (busiest > m.nproc) out.push(`the machine was busy (1-min load average up to ${busiest} on ${m.nproc} cores): TPS and RT are noisy; CPU per message is the steadier comparison`);
  for (const [name, r] of Object.entries(results.servers)) {
    for (const [phase, p] of Object.entries(r.phases)) {
      if (!p) continue;
      if (!p.ok) out.push(`${name} ${phase}: no samples (${p.ended ?? 'failed'})`);
      else if (p.warmupUsed) out.push(`${name} ${phase}: only the warm-up window was printed; it is what is shown`);
      else if (p.steady === false) out.push(`${name} ${phase}: the backlog drained before a full steady window; the non-zero windows are shown`);
      // The benchmark Producer ignores SendResult's status, so a FLUSH_DISK_TIMEOUT reply (after
      // syncFlushTimeout, 5 s by default) would pass as a success: only a send that slow can be one.
      if (phase === 'sendSync' && p.ok && p.maxRtMs >= SYNC_FLUSH_TIMEOUT_MS) out.push(`${name} ${phase}: max RT ${p.maxRtMs} ms reaches syncFlushTimeout: some sends may have been FLUSH_DISK_TIMEOUT, counted as sent`);
      if (p.clientLog?.sendExceptions) {
        const kinds = p.clientLog.kinds.map((k) => `${k.count}x ${k.message}`).join('; ');
        out.push(`${name} ${phase}: ${p.clientLog.sendExceptions} failed sends in the client log: ${kinds}`);
      }
    }
    for (const e of r.errors ?? []) out.push(`${name}: ${e.split('\n')[0]}`);
  }
  return out;
}

export function markdownReport(results) {
  const m = results.machine;
  const c = results.config;
  return [
    `# Benchmark ${results.date}, commit ${results.commit}${results.srcDirty ? ' (src/ had uncommitted changes)' : ''}${c.quick ? ' (--quick)' : ''}`,
    '',
    `Machine: ${m.nproc} cores (nproc), ${m.cpuModel}, ${(m.memTotalMiB / 1024).toFixed(1)} GiB RAM, ${m.kernel}; load average at start ${m.loadAvgAtStart.join(' ')}, at end ${results.loadAvgAtEnd?.join(' ')}.`,
    `Node ${m.node}; ${m.java.split('\n')[0]}.`,
    `Programs: ${results.programs}. Each phase: ${c.warmupSec} s warm-up then ${c.phaseSec} s measured (10 s windows),`,
    `${c.threads} sender threads; backlog for the consume phase: the 128 B phase's topic plus ${c.fillSec} s more sending;`,
    `mappedFileSizeCommitLog=${c.segmentBytes}. Apache broker JVM: ${results.apacheJvm}.`,
    '',
    markdownTable(results),
    '',
    ...notes(results).map((n) => `- ${n}`),
    '',
  ].join('\n');
}

/** `kind` names a run other than the standard phases (e.g. 'replication'); `markdown` renders its report. */
export function writeResults(results, { kind, markdown = markdownReport } = {}) {
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const suffix = `${kind ? `-${kind}` : ''}${results.config.quick ? '-quick' : ''}${results.config.only ? `-${results.config.only}-only` : ''}`;
  const base = path.join(dir, `${resultsStem(results)}${suffix}`);
  fs.writeFileSync(`${base}.json`, JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(`${base}.md`, markdown(results));
  return base;
}

/** WARN/ERROR lines of a server's own output, as evidence: how many, and the first few distinct ones. */
export function logIssues(files) {
  const out = { lines: 0, first: [] };
  const seen = new Set();
  for (const f of files) {
    if (!fs.existsSync(f)) continue;
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      if (!/\b(WARN|ERROR|Error|FATAL|exception)\b/i.test(line)) continue;
      out.lines++;
      const key = line.replace(/\d+/g, '#').slice(0, 160);
      if (seen.has(key) || out.first.length >= 8) continue;
      seen.add(key);
      out.first.push(`${path.basename(path.dirname(f))}/${path.basename(f)}: ${line.slice(0, 400)}`);
    }
  }
  return out;
}
