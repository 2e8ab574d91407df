#!/usr/bin/env node
/**
 * `npm run bench`: our standalone server against the Apache RocketMQ 4.9.7 NameServer + broker, one
 * after the other on free loopback ports, driven by the official benchmark programs with the same flags:
 *   send128   Producer -s 128  -w 64   (then keeps sending --fill-sec more: the consume phase's backlog)
 *   send1k    Producer -s 1024 -w 64
 *   consume   Consumer on the send128 topic, a new group draining the backlog from offset 0
 *   sendSync  Producer -s 128  -w 64 against a fresh broker with flushDiskType=SYNC_FLUSH
 * while polling each server's resident memory. Prints a table with our/Java ratios and writes
 * bench/results/<date>-<commit>[-quick].{json,md}. Not a test: nothing here gates CI.
 *
 * --profile (ours only) profiles each phase with V8's CPU profiler (our server's --cpu-profile-dir, SIGUSR2
 * at a phase's start and end) and writes each summary to bench/results/profiles/<date>-<commit>-<phase>-ours.txt;
 * the profiler costs CPU, so that run's numbers are kept apart (<...>-profiled-ours-only.{json,md}).
 *
 * --replication runs the replication phases instead (bench/replication.mjs): NameServer + SYNC_MASTER +
 * SLAVE, then NameServer + ASYNC_MASTER + SLAVE, ours and then Apache's, the Producer -s 128 against
 * each master; send TPS, CPU per message of master and slave, their peak RSS, and the ASYNC_MASTER
 * replication lag idle (--idle-sec) and under load. Results: bench/results/<date>-<commit>-replication*.
 *
 * Usage: node bench/run.mjs [--quick] [--phase-sec 40] [--warmup-sec 20] [--fill-sec 90] [--threads 64]
 *                           [--segment-mib 1024] [--only ours|apache] [--keep] [--profile] [--replication [--idle-sec 30]]
 * Each flag also reads BENCH_<NAME> from the environment (BENCH_PHASE_SEC=60 ...); flags win.
 * Logs of every process stay under bench/.work/<run>/ (server output, the programs' stdout and client logs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RssSampler, cpuSec } from './lib/rss.mjs';
import { REPO_ROOT, startApache, startOurs } from './lib/servers.mjs';
import { SAMPLE_PERIOD_SEC, benchClasspath, runProgram, summarizeConsumer, summarizeProducer } from './lib/programs.mjs';
import { benchReplication, replicationConsole, replicationMarkdown } from './replication.mjs';
import { commitInfo, consoleTable, loadAvg, logIssues, machineInfo, markdownReport, writeResults } from './lib/report.mjs';
import { atExit, sleep } from './lib/processes.mjs';

/** Lets the server finish flushing and the previous client disconnect before the next phase. */
const PAUSE_BETWEEN_PHASES_MS = 3_000;
/** Consumer windows that may print zero before anything arrives (start, rebalance) before we give up. */
const CONSUMER_IDLE_WINDOWS_MAX = 3;

const PROGRAMS = 'org.apache.rocketmq.example.benchmark.{Producer,Consumer} from rocketmq-example 4.7.0 with rocketmq-client 4.9.8, binary (ROCKETMQ) headers';
const APACHE_JVM = '-Xms1g -Xmx1g -XX:MaxDirectMemorySize=1g (namesrv -Xmx256m), JDK 17 --add-opens';

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      'phase-sec': { type: 'string' },
      'warmup-sec': { type: 'string' },
      'fill-sec': { type: 'string' },
      threads: { type: 'string' },
      'segment-mib': { type: 'string' },
      only: { type: 'string' },
      keep: { type: 'boolean' },
      replication: { type: 'boolean' },
      profile: { type: 'boolean' },
      'idle-sec': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(fs.readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
    process.exit(0);
  }
  const env = (name) => process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  const quick = values.quick ?? env('quick') === '1';
  const num = (name, full, fast) => {
    const raw = values[name] ?? env(name);
    const n = raw === undefined ? (quick ? fast : full) : Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${raw}`);
    return n;
  };
  const profile = values.profile ?? env('profile') === '1';
  const only = profile ? 'ours' : values.only ?? env('only');
  if (profile && (values.only ?? env('only') ?? 'ours') !== 'ours') throw new Error('--profile profiles our server only: leave out --only or give --only ours');
  if (only !== undefined && only !== 'ours' && only !== 'apache') throw new Error(`--only takes ours or apache, got ${only}`);
  return {
    quick,
    phaseSec: num('phase-sec', 40, 10),
    // Two windows: on 2 busy cores the Java broker's JIT is still warming in the second 10 s.
    warmupSec: num('warmup-sec', 20, 10),
    // The consumer drains ~3x faster than 64 senders fill: (warm-up + phase + fill) of sending must outlast
    // several consume windows.
    fillSec: num('fill-sec', 90, 10),
    threads: num('threads', 64, 64),
    // The Java default (1 GiB): neither side is given an advantage by a smaller segment's rolls.
    segmentBytes: num('segment-mib', 1024, 1024) * 1024 * 1024,
    only,
    keep: values.keep ?? env('keep') === '1',
    replication: values.replication ?? env('replication') === '1',
    profile,
    idleSec: num('idle-sec', 30, 10),
  };
}

const log = (msg) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

async function main() {
  const cfg = options();
  const windows = (sec) => Math.round(sec / SAMPLE_PERIOD_SEC);
  const warmupLines = windows(cfg.warmupSec);
  const measureLines = Math.max(1, windows(cfg.phaseSec));
  const fillLines = windows(cfg.fillSec);
  const { commit, srcDirty } = commitInfo();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const runDir = path.join(REPO_ROOT, 'bench', '.work', stamp);
  fs.mkdirSync(runDir, { recursive: true });
  const cp = await benchClasspath();
  const results = {
    date: new Date().toISOString().slice(0, 10),
    startedAt: new Date().toISOString(),
    commit,
    srcDirty,
    machine: machineInfo(),
    programs: PROGRAMS,
    apacheJvm: APACHE_JVM,
    config: { ...cfg, warmupLines, measureLines, fillLines },
    servers: {},
  };
  log(`run ${stamp}, commit ${commit}, ${results.machine.nproc} cores, logs in ${path.relative(process.cwd(), runDir)}`);

  if (cfg.replication) {
    results.servers = await benchReplication({ cfg, cp, runDir, log, warmupLines, measureLines });
    results.finishedAt = new Date().toISOString();
    results.loadAvgAtEnd = loadAvg();
    const base = writeResults(results, { kind: 'replication', markdown: replicationMarkdown });
    process.stdout.write(`\n${replicationConsole(results)}\n`);
    log(`wrote ${path.relative(process.cwd(), base)}.{json,md}`);
    if (Object.values(results.servers).some((r) => r.errors.length > 0)) process.exitCode = 1;
    return;
  }

  const producer = async (server, label, dir, { size, topic, extraLines = 0 }) => {
    const lines = warmupLines + measureLines + extraLines;
    const loadAvgAtStart = loadAvg();
    log(`${server.name}: ${label}: Producer -s ${size} -w ${cfg.threads} -t ${topic}, ${lines} windows`);
    await server.profiler?.begin();
    const run = await runProgram({
      name: `${label} producer`,
      mainClass: 'org.apache.rocketmq.example.benchmark.Producer',
      args: ['-n', server.namesrvAddr, '-t', topic, '-w', String(cfg.threads), '-s', String(size), '-k', 'false'],
      cp,
      dir: path.join(dir, label),
      lines,
      onSample: () => ({ serverCpuSec: cpuSec(server.pids()) }),
      stopWhen: () => serverDied(server),
      timeoutMs: (lines + 3) * SAMPLE_PERIOD_SEC * 1000 + 30_000,
    });
    await writeProfile(server, label, `official Producer -s ${size} -w ${cfg.threads}, ${lines} windows of ${SAMPLE_PERIOD_SEC} s`);
    const summary = summarizeProducer(run.samples, warmupLines, measureLines);
    log(`${server.name}: ${label}: ${summary.ok ? `${summary.tps} TPS, avg RT ${summary.avgRtMs} ms, failed ${summary.sendFailedTotal}+${summary.responseFailedTotal}` : `no samples (${run.ended})`}`);
    return { ...summary, loadAvgAtStart, ended: run.ended, exit: run.exit, raw: run.samples, clientLog: run.clientLog, outputTail: run.outputTail };
  };

  const consumer = async (server, label, dir, { topic }) => {
    // One window more than measured: a window counts only if the next one shows the backlog lasted.
    const lines = warmupLines + measureLines + 1;
    const loadAvgAtStart = loadAvg();
    log(`${server.name}: ${label}: Consumer -t ${topic} (new group), up to ${lines} windows or until drained`);
    await server.profiler?.begin();
    const run = await runProgram({
      name: `${label} consumer`,
      mainClass: 'org.apache.rocketmq.example.benchmark.Consumer',
      // -p false: no random suffix on the group name; each server instance is new, so the group is too.
      args: ['-n', server.namesrvAddr, '-t', topic, '-g', 'bench_consume', '-p', 'false'],
      cp,
      dir: path.join(dir, label),
      lines,
      onSample: () => ({ serverCpuSec: cpuSec(server.pids()) }),
      stopWhen: (s) => serverDied(server) || s.some((x, i) => x.tps === 0 && s.slice(0, i).some((p) => p.tps > 0))
        || (s.length >= CONSUMER_IDLE_WINDOWS_MAX && s.every((x) => x.tps === 0)),
      timeoutMs: (lines + 3) * SAMPLE_PERIOD_SEC * 1000 + 30_000,
    });
    await writeProfile(server, label, `official Consumer, a new group draining ${topic} from offset 0`);
    const summary = summarizeConsumer(run.samples, warmupLines);
    log(`${server.name}: ${label}: ${summary.ok ? `${summary.tps} TPS over ${summary.samples} window(s)${summary.steady ? '' : ' (not steady)'}${summary.drained ? ', drained' : ''}` : `nothing consumed (${run.ended})`}`);
    return { ...summary, loadAvgAtStart, ended: run.ended, exit: run.exit, raw: run.samples, clientLog: run.clientLog, outputTail: run.outputTail };
  };

  /** --profile: the phase's profile summary, under bench/results/profiles/. */
  const writeProfile = async (server, label, what) => {
    if (!server.profiler) return;
    const load = loadAvg();
    const text = await server.profiler.end(`# rocketmq-ts (commit ${commit}${srcDirty ? ', src changed since' : ''}), phase ${label}: ${what}; ` +
      `V8 CPU profiler started and stopped by SIGUSR2 (the profiler's own cost included), load avg ${load} at the end; bench/run.mjs --profile`);
    const dir = path.join(REPO_ROOT, 'bench', 'results', 'profiles');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${results.date}-${String(commit).slice(0, 12).replace(/[^\w.-]/g, '_')}-${label}-ours.txt`);
    fs.writeFileSync(file, text);
    log(`${server.name}: ${label}: profile summary in ${path.relative(process.cwd(), file)}`);
  };

  /** Starts one server instance, runs `phases` against it, samples its memory, always stops it. */
  const withServer = async (kind, flushDiskType, r, phases) => {
    const dir = path.join(runDir, `${kind}-${flushDiskType.toLowerCase()}`);
    const start = kind === 'ours' ? startOurs : startApache;
    const instance = { flushDiskType, dir: path.relative(REPO_ROOT, dir) };
    // The store can be GiBs: it goes even on Ctrl-C or a crash of this script; the logs stay.
    const removeStore = () => cfg.keep || fs.rmSync(path.join(dir, 'store'), { recursive: true, force: true });
    const cancelRemoveStore = atExit(removeStore);
    r.instances.push(instance);
    let server;
    try {
      log(`starting ${kind} (${flushDiskType})`);
      server = await start({ dir, flushDiskType, segmentBytes: cfg.segmentBytes, cpuProfileDir: cfg.profile ? path.join(dir, 'profiles') : undefined });
    } catch (err) {
      r.errors.push(`${flushDiskType}: start failed: ${err.message}`);
      log(`${kind}: start failed: ${err.message}`);
      return;
    }
    const sampler = new RssSampler(server.pids);
    try {
      await phases(server, dir, () => {
        const dead = server.processes.filter((p) => !p.running);
        if (dead.length) throw new Error(`${dead.map((p) => `${p.name} exited ${JSON.stringify(p.exitStatus)}`).join(', ')}:\n${dead[0].tail(3000)}`);
      });
    } catch (err) {
      r.errors.push(`${flushDiskType}: ${err.message}`);
      log(`${server.name}: ${err.message}`);
    } finally {
      instance.memory = sampler.finish();
      instance.stop = await server.stop();
      for (const s of instance.stop) {
        if (s.killed || (s.code !== 0 && s.code !== 143 && s.signal !== 'SIGTERM')) r.errors.push(`${flushDiskType}: ${s.name} did not stop cleanly: ${JSON.stringify(s)}`);
      }
      instance.serverLogIssues = logIssues(server.logs);
      removeStore();
      cancelRemoveStore();
      log(`${server.name} (${flushDiskType}) stopped; peak RSS ${instance.memory.peakRssMiB} MiB`);
    }
  };

  const benchServer = async (kind) => {
    const r = { phases: {}, instances: [], errors: [] };
    await withServer(kind, 'ASYNC_FLUSH', r, async (server, dir, alive) => {
      r.phases.send128 = await producer(server, 'send128', dir, { size: 128, topic: 'BenchSend128', extraLines: fillLines });
      alive();
      await sleep(PAUSE_BETWEEN_PHASES_MS);
      r.phases.send1k = await producer(server, 'send1k', dir, { size: 1024, topic: 'BenchSend1k' });
      alive();
      await sleep(PAUSE_BETWEEN_PHASES_MS);
      r.phases.consume = await consumer(server, 'consume', dir, { topic: 'BenchSend128' });
      alive();
    });
    await withServer(kind, 'SYNC_FLUSH', r, async (server, dir, alive) => {
      r.phases.sendSync = await producer(server, 'sendSync', dir, { size: 128, topic: 'BenchSync128' });
      alive();
    });
    const mems = r.instances.map((i) => i.memory).filter(Boolean);
    r.memory = mems.length ? mems.reduce((a, b) => (b.peakRssMiB > a.peakRssMiB ? b : a)) : undefined;
    return r;
  };

  if (cfg.only !== 'apache') results.servers['rocketmq-ts'] = await benchServer('ours');
  if (cfg.only !== 'ours') results.servers['apache-4.9.7'] = await benchServer('apache');
  results.finishedAt = new Date().toISOString();
  results.loadAvgAtEnd = loadAvg();

  const base = writeResults(results, { kind: cfg.profile ? 'profiled' : undefined });
  process.stdout.write(`\n${consoleTable(results)}\n\n`);
  process.stdout.write(markdownReport(results).split('\n').filter((l) => l.startsWith('- ')).join('\n') + '\n');
  log(`wrote ${path.relative(process.cwd(), base)}.{json,md}`);
  const failed = Object.values(results.servers).some((r) => r.errors.length > 0);
  if (failed) process.exitCode = 1;
}

/** A phase stops early when a server process exits under it; the phase's caller reports the exit. */
const serverDied = (server) => server.processes.some((p) => !p.running);

main().catch((err) => {
  log(`failed: ${err.stack ?? err}`);
  process.exitCode = 1;
});
