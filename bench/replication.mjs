/**
 * `node bench/run.mjs --replication`: master + slave replication groups, ours against Apache 4.9.7 (one
 * after the other, NameServer + master + slave as three processes each, same broker.conf keys, the
 * Apache JVMs as in the standard run), driven by the same official Producer:
 *   syncMaster   brokerRole=SYNC_MASTER + a SLAVE: Producer -s 128 -w <threads>; send TPS and RT, server
 *                CPU per message (master, slave, both) and the peak RSS of each; a lag probe beside it
 *                (~10 sends/s on a probe topic) counts replies other than SUCCESS (FLUSH_SLAVE_TIMEOUT,
 *                SLAVE_NOT_AVAILABLE), which the Producer does not look at.
 *   asyncMaster  brokerRole=ASYNC_MASTER + a SLAVE: replication lag (lib/lag-probe.mjs) while idle for
 *                --idle-sec, then the same Producer with the probe running beside it (lag under load,
 *                plus that load's TPS and CPU).
 * Each group is started fresh and waits for its slave to have a probe message before anything is measured.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RssSampler, cpuSec } from './lib/rss.mjs';
import { REPO_ROOT } from './lib/servers.mjs';
import { startApacheGroup, startOursGroup } from './lib/groups.mjs';
import { LagProbe } from './lib/lag-probe.mjs';
import { runtimeInfo, WireClient } from './lib/wire.mjs';
import { SAMPLE_PERIOD_SEC, cpuPerMessage, runProgram, summarizeProducer } from './lib/programs.mjs';
import { loadAvg, logIssues, markdownTable, tableRows } from './lib/report.mjs';
import { atExit, sleep } from './lib/processes.mjs';

/** Covers a 4.9.x slave's first offset report (~5 s after it connects) and a slow JVM start on a busy machine. */
const SLAVE_ATTACH_TIMEOUT_MS = 120_000;
/** After the load: how long the slave may take to end where the master does. */
const CATCH_UP_TIMEOUT_MS = 60_000;
/** The brokers' default slaveTimeout: a SYNC_MASTER send this slow may have been FLUSH_SLAVE_TIMEOUT. */
const SLAVE_TIMEOUT_MS = 3_000;
const PAUSE_BEFORE_LOAD_MS = 3_000;
/**
 * Log lines naming a SYNC_MASTER wait that ended without the slave. Neither 4.9.7 (GroupTransferService
 * answers FLUSH_SLAVE_TIMEOUT without a log line) nor ours logs one today: counted in case either does.
 */
const SLAVE_TIMEOUT_LOG = /FLUSH_SLAVE_TIMEOUT|SLAVE_NOT_AVAILABLE/;

/**
 * @param {{ cfg: object, cp: string, runDir: string, log: (m: string) => void, warmupLines: number, measureLines: number }} ctx
 * @returns {Promise<Record<string, object>>} per server name
 */
export async function benchReplication(ctx) {
  const servers = {};
  if (ctx.cfg.only !== 'apache') servers['rocketmq-ts'] = await benchKind(ctx, 'ours');
  if (ctx.cfg.only !== 'ours') servers['apache-4.9.7'] = await benchKind(ctx, 'apache');
  return servers;
}

async function benchKind(ctx, kind) {
  const r = { phases: {}, instances: [], errors: [] };
  await withGroup(ctx, kind, 'SYNC_MASTER', r, async (g, dir, probe) => {
    probe.start('syncLoad');
    try {
      r.phases.syncMaster = await producer(ctx, g, 'syncMaster', dir, { topic: 'BenchRepl128' });
    } finally {
      await probe.stop();
    }
    r.phases.syncMaster.probe = probe.summary('syncLoad');
  });
  await withGroup(ctx, kind, 'ASYNC_MASTER', r, async (g, dir, probe) => {
    ctx.log(`${g.name}: asyncMaster: lag probe, idle, ${ctx.cfg.idleSec} s`);
    probe.start('idle');
    await sleep(ctx.cfg.idleSec * 1000);
    await probe.stop();
    const idle = probe.summary('idle');
    ctx.log(`${g.name}: asyncMaster: idle lag p50 ${idle.lagP50Ms} ms, p99 ${idle.lagP99Ms} ms, max ${idle.lagMaxMs} ms over ${idle.seen}/${idle.probes}`);
    await sleep(PAUSE_BEFORE_LOAD_MS);
    // Probes during the Producer's warm-up windows are kept apart from the measured ones.
    probe.start('loadWarmup');
    try {
      r.phases.asyncMaster = await producer(ctx, g, 'asyncMaster', dir, {
        topic: 'BenchRepl128',
        onWindow: (n) => { if (n === ctx.warmupLines) probe.setLabel('load'); },
      });
    } finally {
      await probe.stop();
    }
    const load = probe.summary('load');
    ctx.log(`${g.name}: asyncMaster: lag under load p50 ${load.lagP50Ms} ms, p99 ${load.lagP99Ms} ms, max ${load.lagMaxMs} ms over ${load.seen}/${load.probes}`);
    r.phases.asyncMaster.lagIdle = idle;
    r.phases.asyncMaster.lagLoad = load;
  });
  for (const role of ['master', 'slave']) {
    const ms = r.instances.map((i) => i.memory?.[role]).filter(Boolean);
    r[`${role}Memory`] = ms.length ? ms.reduce((a, b) => (b.peakRssMiB > a.peakRssMiB ? b : a)) : undefined;
  }
  return r;
}

/** Starts a group, waits for its slave, runs `phases` with a lag probe, samples each broker's memory, always stops it. */
async function withGroup(ctx, kind, brokerRole, r, phases) {
  const { cfg, log } = ctx;
  const dir = path.join(ctx.runDir, `${kind}-${brokerRole.toLowerCase()}`);
  const instance = { brokerRole, dir: path.relative(REPO_ROOT, dir) };
  const stores = ['master', 'slave'].map((role) => path.join(dir, role, 'store'));
  const removeStores = () => cfg.keep || stores.forEach((s) => fs.rmSync(s, { recursive: true, force: true }));
  const cancelRemove = atExit(removeStores);
  r.instances.push(instance);
  let g;
  try {
    log(`starting ${kind} namesrv + ${brokerRole} + SLAVE`);
    g = await (kind === 'ours' ? startOursGroup : startApacheGroup)({ dir, brokerRole, flushDiskType: 'ASYNC_FLUSH', segmentBytes: cfg.segmentBytes });
  } catch (err) {
    r.errors.push(`${brokerRole}: start failed: ${err.message}`);
    log(`${kind}: start failed: ${err.message}`);
    removeStores();
    cancelRemove();
    return;
  }
  const samplers = { master: new RssSampler(() => g.pidsOf('master')), slave: new RssSampler(() => g.pidsOf('slave')) };
  const probe = new LagProbe({ masterAddr: g.masterAddr, slaveAddr: g.slaveAddr });
  try {
    await probe.init();
    const t0 = Date.now();
    await probe.waitForSlave(SLAVE_ATTACH_TIMEOUT_MS);
    instance.slaveAttachedAfterMs = Date.now() - t0;
    log(`${g.name} (${brokerRole}): slave has the master's messages ${instance.slaveAttachedAfterMs} ms after start`);
    await phases(g, dir, probe);
    instance.catchUp = await waitCaughtUp(g);
    log(`${g.name} (${brokerRole}): after the load ${instance.catchUp.caughtUp ? `the slave ended where the master does in ${instance.catchUp.afterMs} ms` : `the slave did NOT catch up: ${JSON.stringify(instance.catchUp)}`}`);
    if (!instance.catchUp.caughtUp) r.errors.push(`${brokerRole}: slave did not catch up with the master within ${CATCH_UP_TIMEOUT_MS} ms: ${JSON.stringify(instance.catchUp)}`);
    const dead = g.processes.filter((p) => !p.running);
    if (dead.length) throw new Error(`${dead.map((p) => `${p.name} exited ${JSON.stringify(p.exitStatus)}`).join(', ')}:\n${dead[0].tail(3000)}`);
  } catch (err) {
    r.errors.push(`${brokerRole}: ${err.message}`);
    log(`${g.name} (${brokerRole}): ${err.message}`);
  } finally {
    probe.close();
    instance.memory = { master: samplers.master.finish(), slave: samplers.slave.finish() };
    instance.stop = await g.stop();
    for (const s of instance.stop) {
      if (s.killed || (s.code !== 0 && s.code !== 143 && s.signal !== 'SIGTERM')) r.errors.push(`${brokerRole}: ${s.name} did not stop cleanly: ${JSON.stringify(s)}`);
    }
    instance.serverLogIssues = logIssues(g.logs);
    instance.slaveTimeoutLogLines = countLines(g.brokerLogs, SLAVE_TIMEOUT_LOG);
    removeStores();
    cancelRemove();
    log(`${g.name} (${brokerRole}) stopped; peak RSS master ${instance.memory.master.peakRssMiB} MiB, slave ${instance.memory.slave.peakRssMiB} MiB`);
  }
}

async function producer(ctx, g, label, dir, { topic, onWindow = () => {} }) {
  const { cfg, log, warmupLines, measureLines } = ctx;
  const lines = warmupLines + measureLines;
  const loadAvgAtStart = loadAvg();
  log(`${g.name}: ${label}: Producer -s 128 -w ${cfg.threads} -t ${topic}, ${lines} windows`);
  let windows = 0;
  const run = await runProgram({
    name: `${label} producer`,
    mainClass: 'org.apache.rocketmq.example.benchmark.Producer',
    args: ['-n', g.namesrvAddr, '-t', topic, '-w', String(cfg.threads), '-s', '128', '-k', 'false'],
    cp: ctx.cp,
    dir: path.join(dir, label),
    lines,
    onSample: () => {
      onWindow(++windows);
      const masterCpuSec = cpuSec(g.pidsOf('master'));
      const slaveCpuSec = cpuSec(g.pidsOf('slave'));
      return { masterCpuSec, slaveCpuSec, serverCpuSec: masterCpuSec + slaveCpuSec };
    },
    stopWhen: () => g.processes.some((p) => !p.running),
    timeoutMs: (lines + 3) * SAMPLE_PERIOD_SEC * 1000 + 30_000,
  });
  const summary = summarizeProducer(run.samples, warmupLines, measureLines);
  if (summary.ok && !summary.warmupUsed) {
    const last = warmupLines + summary.samples - 1;
    const perRole = (key) => cpuPerMessage(run.samples.map((s) => ({ ...s, serverCpuSec: s[key] })), warmupLines, last, summary.tps);
    summary.masterCpuUsPerMsg = perRole('masterCpuSec').serverCpuUsPerMsg;
    summary.slaveCpuUsPerMsg = perRole('slaveCpuSec').serverCpuUsPerMsg;
  }
  log(`${g.name}: ${label}: ${summary.ok ? `${summary.tps} TPS, avg RT ${summary.avgRtMs} ms, max RT ${summary.maxRtMs} ms, CPU µs/msg ${summary.serverCpuUsPerMsg} (master ${summary.masterCpuUsPerMsg}, slave ${summary.slaveCpuUsPerMsg}), failed ${summary.sendFailedTotal}+${summary.responseFailedTotal}` : `no samples (${run.ended})`}`);
  return { ...summary, loadAvgAtStart, ended: run.ended, exit: run.exit, raw: run.samples, clientLog: run.clientLog, outputTail: run.outputTail };
}

/** Polls both brokers' commitLogMaxOffset until equal. */
async function waitCaughtUp(g) {
  const m = new WireClient(g.masterAddr);
  const s = new WireClient(g.slaveAddr);
  const t0 = Date.now();
  let last = {};
  try {
    while (Date.now() - t0 < CATCH_UP_TIMEOUT_MS) {
      try {
        last = { master: Number((await runtimeInfo(m)).commitLogMaxOffset), slave: Number((await runtimeInfo(s)).commitLogMaxOffset) };
        if (last.master === last.slave) return { caughtUp: true, afterMs: Date.now() - t0, commitLogMaxOffset: last.master };
      } catch (err) {
        last.error = err.message;
      }
      await sleep(200);
    }
    return { caughtUp: false, ...last };
  } finally {
    m.close();
    s.close();
  }
}

function countLines(files, re) {
  let n = 0;
  const first = [];
  for (const f of files) {
    if (!fs.existsSync(f)) continue;
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      if (!re.test(line)) continue;
      n++;
      if (first.length < 3) first.push(`${path.basename(path.dirname(f))}/${path.basename(f)}: ${line.slice(0, 300)}`);
    }
  }
  return { count: n, first };
}

const lagRow = (label, phase, key) => [label, (r) => r.phases.asyncMaster?.[phase]?.[key], 1, true];

/** [label, value getter, digits, lower is better] as lib/report.mjs takes them. */
export const REPLICATION_ROWS = [
  ['SYNC_MASTER send TPS, 128 B', (r) => r.phases.syncMaster?.tps, 0, false],
  ['SYNC_MASTER send avg RT (ms)', (r) => r.phases.syncMaster?.avgRtMs, 2, true],
  ['SYNC_MASTER server CPU µs/msg, master + slave', (r) => r.phases.syncMaster?.serverCpuUsPerMsg, 0, true],
  ['  of which master', (r) => r.phases.syncMaster?.masterCpuUsPerMsg, 0, true],
  ['  of which slave', (r) => r.phases.syncMaster?.slaveCpuUsPerMsg, 0, true],
  ['Peak RSS master (MiB)', (r) => r.masterMemory?.peakRssMiB, 0, true],
  ['  of which anonymous (MiB)', (r) => r.masterMemory?.anonAtPeakMiB, 0, true],
  ['Peak RSS slave (MiB)', (r) => r.slaveMemory?.peakRssMiB, 0, true],
  ['  of which anonymous (MiB)', (r) => r.slaveMemory?.anonAtPeakMiB, 0, true],
  ['ASYNC_MASTER send TPS, 128 B', (r) => r.phases.asyncMaster?.tps, 0, false],
  ['ASYNC_MASTER server CPU µs/msg, master + slave', (r) => r.phases.asyncMaster?.serverCpuUsPerMsg, 0, true],
  lagRow('ASYNC_MASTER lag idle p50 (ms)', 'lagIdle', 'lagP50Ms'),
  lagRow('ASYNC_MASTER lag idle p99 (ms)', 'lagIdle', 'lagP99Ms'),
  lagRow('ASYNC_MASTER lag idle max (ms)', 'lagIdle', 'lagMaxMs'),
  lagRow('ASYNC_MASTER lag under load p50 (ms)', 'lagLoad', 'lagP50Ms'),
  lagRow('ASYNC_MASTER lag under load p99 (ms)', 'lagLoad', 'lagP99Ms'),
  lagRow('ASYNC_MASTER lag under load max (ms)', 'lagLoad', 'lagMaxMs'),
  ['SYNC_MASTER probe sends not SUCCESS', (r) => notSuccess(r.phases.syncMaster?.probe), 0, true],
  ['Failed sends (Producer, both phases)', (r) => failures(r), 0, true],
];

function notSuccess(p) {
  return p ? Object.values(p.nonSuccessCodes).reduce((a, b) => a + b, 0) : undefined;
}

function failures(r) {
  const ps = [r.phases.syncMaster, r.phases.asyncMaster].filter((p) => p?.ok);
  return ps.length ? ps.reduce((a, p) => a + p.sendFailedTotal + p.responseFailedTotal, 0) : undefined;
}

function notes(results) {
  const out = [];
  const m = results.machine;
  const busiest = Math.max(m.loadAvgAtStart[0], results.loadAvgAtEnd?.[0] ?? 0);
  if (busiest > m.nproc) out.push(`the machine was busy (1-min load average up to ${busiest} on ${m.nproc} cores): TPS, RT and lag are noisy; CPU per message is the steadier comparison`);
  for (const [name, r] of Object.entries(results.servers)) {
    for (const [phase, p] of Object.entries(r.phases)) {
      if (!p) continue;
      if (!p.ok) out.push(`${name} ${phase}: no samples (${p.ended ?? 'failed'})`);
      else if (p.warmupUsed) out.push(`${name} ${phase}: only the warm-up window was printed; it is what is shown`);
      if (phase === 'syncMaster' && p.ok && p.maxRtMs >= SLAVE_TIMEOUT_MS) out.push(`${name} ${phase}: max RT ${p.maxRtMs} ms reaches slaveTimeout: some sends may have been FLUSH_SLAVE_TIMEOUT, which the Producer counts as sent`);
      if (p.probe && Object.keys(p.probe.nonSuccessCodes).length) out.push(`${name} ${phase}: probe sends not SUCCESS: ${JSON.stringify(p.probe.nonSuccessCodes)} of ${p.probe.probes}`);
      for (const [k, l] of [['probe', p.probe], ['lagIdle', p.lagIdle], ['lagLoad', p.lagLoad]]) {
        if (l?.notSeen) out.push(`${name} ${phase} ${k}: ${l.notSeen} probe message(s) not readable on the slave within 10 s`);
        if (l?.errors?.length) out.push(`${name} ${phase} ${k}: probe errors: ${l.errors.join('; ')}`);
      }
      if (p.clientLog?.sendExceptions) out.push(`${name} ${phase}: ${p.clientLog.sendExceptions} failed sends in the client log: ${p.clientLog.kinds.map((k) => `${k.count}x ${k.message}`).join('; ')}`);
    }
    for (const i of r.instances) {
      if (i.slaveTimeoutLogLines?.count) out.push(`${name} ${i.brokerRole}: ${i.slaveTimeoutLogLines.count} slave-timeout log line(s), e.g. ${i.slaveTimeoutLogLines.first[0]}`);
    }
    for (const e of r.errors ?? []) out.push(`${name}: ${e.split('\n')[0]}`);
  }
  return out;
}

export function replicationMarkdown(results) {
  const m = results.machine;
  const c = results.config;
  return [
    `# Replication benchmark ${results.date}, commit ${results.commit}${results.srcDirty ? ' (src/ had uncommitted changes)' : ''}${c.quick ? ' (--quick)' : ''}`,
    '',
    `Machine: ${m.nproc} cores (nproc), ${m.cpuModel}, ${(m.memTotalMiB / 1024).toFixed(1)} GiB RAM, ${m.kernel}; load average at start ${m.loadAvgAtStart.join(' ')}, at end ${results.loadAvgAtEnd?.join(' ')}.`,
    `Node ${m.node}; ${m.java.split('\n')[0]}.`,
    `Each side: NameServer + master + slave (three processes, brokerId 0 and 1, same brokerName), flushDiskType=ASYNC_FLUSH,`,
    `mappedFileSizeCommitLog=${c.segmentBytes}. Programs: ${results.programs}; Producer -s 128 -w ${c.threads}, ${c.warmupSec} s warm-up then ${c.phaseSec} s measured.`,
    `Lag probe: one 128 B message every 50-150 ms (uniform) to the master, then the slave's GET_MAX_OFFSET every 1 ms until it has it;`,
    `lag = from the master's send answer to the slave's answer showing the message. Idle: ${c.idleSec} s. Apache broker JVM: ${results.apacheJvm}.`,
    '',
    markdownTable(results, REPLICATION_ROWS),
    '',
    ...notes(results).map((n) => `- ${n}`),
    '',
  ].join('\n');
}

export const replicationConsole = (results) => {
  const rows = tableRows(results, REPLICATION_ROWS);
  const w = Math.max(...rows.map((r) => r.label.length));
  const line = (c) => `${c[0].padEnd(w)}  ${c[1].padStart(12)}  ${c[2].padStart(12)}  ${c[3].padStart(9)}`;
  return [line(['', 'rocketmq-ts', 'Java 4.9.7', 'ours/Java']), ...rows.map((r) => line([r.label, r.ours, r.java, r.ratio]))].join('\n')
    + '\n\n' + notes(results).map((n) => `- ${n}`).join('\n');
};

