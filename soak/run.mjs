#!/usr/bin/env node
/**
 * `npm run soak` (= `npm run build && node soak/run.mjs`): our standalone server (NameServer + broker,
 * flushDiskType=SYNC_FLUSH, so an acknowledged send is on disk) under an hour of mixed load from the official
 * Java client (compat-tests/java SoakLoad, rocketmq-client 4.9.8): sync sends, a push consumer that fails 10%
 * of first deliveries (retry through %RETRY% and the delay levels), delay levels 1-3, and transactions that
 * commit, roll back, or answer UNKNOW so the broker checks back. The server is SIGKILLed every
 * SOAK_KILL_EVERY_MINUTES and restarted on the same ports and store; the clients keep running and reconnect.
 * Its resident memory is sampled every SOAK_RSS_EVERY_SEC into a CSV.
 *
 * At the end producing stops, the consumers drain (at most SOAK_DRAIN_SEC), and the run reports: acknowledged,
 * consumed-distinct, lost (acknowledged or committed keys never consumed: must be 0), duplicates, rolled-back
 * transactions delivered (must be 0), delay messages delivered early, stuck consumer groups (lag per
 * GET_CONSUME_STATS not 0 at the end: must be 0), and the RSS slope. Exit code 1 when something that must be
 * 0 is not, or the run could not be completed. Not a test: nothing here is part of `npm test`.
 *
 * Environment (all optional):
 *   SOAK_MINUTES=60             load duration (the drain comes after it)
 *   SOAK_KILL_EVERY_MINUTES=10  SIGKILL + restart period; kills at 10, 20, ... strictly before the end
 *   SOAK_RATE=300               target messages/s over all senders (60% normal, 15% delay, 25% transactions)
 *   SOAK_DRAIN_SEC=120          longest wait for the consumers to catch up after producing stops
 *   SOAK_WARMUP_SEC=240         per server start, RSS samples this young are left out of the slope
 *                               (capped at half a segment, so short runs still have samples; at 300 msg/s
 *                               RSS climbs for 2.5-4 min after a start, then stays flat within GC noise)
 *   SOAK_RSS_EVERY_SEC=10       RSS sampling period
 *   SOAK_KEEP=1                 keep the server's store and the run's acked.log even when the run passes
 * e.g. a short try: SOAK_MINUTES=6 SOAK_KILL_EVERY_MINUTES=2 npm run soak
 *
 * Writes soak/results/<stamp>.json (the summary) and soak/results/<stamp>-rss.csv (every sample); logs of
 * the run (Java load output, client log, server output, acked.log) go to soak/.work/<stamp>/ (git-ignored).
 */
import fs from 'node:fs';
import path from 'node:path';
import { register } from 'node:module';
import { commitInfo, loadAvg, machineInfo } from '../bench/lib/report.mjs';
import { cpuSec } from '../bench/lib/rss.mjs';

// The harness's own TypeScript helpers, imported as they are (see lib/ts-hooks.mjs).
register('./lib/ts-hooks.mjs', import.meta.url);
const { startOurServer } = await import('../test/support/our-server.ts');
const { startTracked } = await import('../test/support/processes.ts');
const { REPO_ROOT } = await import('../test/support/server.ts');
const { baseJvmArgs, javaClasspath, normalizeWarning } = await import('../compat-tests/support/java.ts');
const { analyzeRss } = await import('./lib/rss-slope.mjs');

function envNum(name, def) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return n;
}

const CFG = {
  minutes: envNum('SOAK_MINUTES', 60),
  killEveryMinutes: envNum('SOAK_KILL_EVERY_MINUTES', 10),
  rate: envNum('SOAK_RATE', 300),
  drainSec: envNum('SOAK_DRAIN_SEC', 120),
  warmupSec: envNum('SOAK_WARMUP_SEC', 240),
  rssEverySec: envNum('SOAK_RSS_EVERY_SEC', 10),
  keep: process.env.SOAK_KEEP === '1',
};

/**
 * broker.conf keys on top of startOurServer's defaults (64 MiB CommitLog segments, auto-create on).
 * SYNC_FLUSH: the send is answered after fdatasync, so a SIGKILL may lose nothing acknowledged.
 * Transaction check-back every 10 s for halves older than 3 s (Java defaults: 60 s / 6 s), so UNKNOW answers
 * and END_TRANSACTIONs lost to a kill are resolved well within the drain. messageDelayLevel stays the
 * default (SoakLoad assumes levels 1-3 = 1 s, 5 s, 10 s).
 */
const BROKER_CONF = {
  flushDiskType: 'SYNC_FLUSH',
  transactionCheckInterval: 10_000,
  transactionTimeOut: 3_000,
};
/** Recovery of an hour's store after SIGKILL, on a loaded 2-core box. */
const READY_TIMEOUT_MS = 180_000;
/** JVM start, maven build done before, topic auto-creation, first sends. */
const LOAD_READY_TIMEOUT_MS = 180_000;
/** SoakLoad's result comes after the drain plus the lost-key diagnosis. */
const RESULT_GRACE_MS = 180_000;
const JVM_EXIT_TIMEOUT_MS = 60_000;
const PROGRESS_EVERY_MS = 60_000;
/**
 * After a SIGKILL the 4.9.8 client fails a pull or send in flight only at its timeout (30 s for a long-polling
 * pull), so consumption and delay deliveries lag for about that long: slow spells inside this window after a
 * kill are attributed to it, slow spells outside it are reported on their own.
 */
const AFTER_KILL_SEC = 90;
/** A delay message delivered later than this after its due time, outside a kill's window, is worth a look. */
const DELAY_LATE_NOTABLE_MS = 2_000;
/** No new consumption for this long while producing (STATS windows of 10 s) is a stall. */
const STALL_MIN_SEC = 30;
const RECOVERY_LINE = /store: (abnormal|normal) recovery of \S+ took ([\d.]+) ms: .*?scanned (\d+) records \(([\d.]+) MiB\)/g;

const log = (msg) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : String(n));

/** The server's node process: our child whose command line names this server's broker.conf. */
function serverPid(dir) {
  const conf = path.join(dir, 'broker.conf');
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      if (fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').includes(conf)) return Number(e);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no child process of ${process.pid} runs with ${conf}`);
}

function readStatusKib(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key) => Number(text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0);
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
}

async function main() {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const workDir = path.join(REPO_ROOT, 'soak', '.work', stamp);
  const resultsDir = path.join(REPO_ROOT, 'soak', 'results');
  fs.mkdirSync(workDir, { recursive: true });
  fs.mkdirSync(resultsDir, { recursive: true });
  const jsonPath = path.join(resultsDir, `${stamp}.json`);
  const csvPath = path.join(resultsDir, `${stamp}-rss.csv`);
  const rel = (p) => path.relative(process.cwd(), p);
  const { commit, srcDirty } = commitInfo();
  const problems = [];
  log(`run ${stamp}, commit ${commit}${srcDirty ? ' (src/ modified)' : ''}: ${CFG.minutes} min, SIGKILL every ${CFG.killEveryMinutes} min, ` +
    `${CFG.rate} msg/s; logs in ${rel(workDir)}`);

  log('building compat-tests/java (mvn, cached) ...');
  const cp = await javaClasspath();
  log('starting the server (SYNC_FLUSH) ...');
  const server = await startOurServer({ conf: BROKER_CONF, readyTimeoutMs: READY_TIMEOUT_MS });
  log(`server up: namesrv ${server.namesrvAddr}, broker ${server.brokerAddr}, dir ${server.dir}`);

  // ------------------------------------------------------------------ RSS sampling
  const segments = [{ index: 0, startedAtMs: Date.now(), pid: serverPid(server.dir), restartMs: null, recovery: null }];
  const samples = [];
  let phase = 'start';
  let t0 = Date.now();
  let lastStats;
  /** Every STATS line of the load, stamped with the driver's clock (seconds since the load started). */
  const timeline = [];
  const csv = fs.createWriteStream(csvPath);
  csv.write('t_sec,phase,segment,pid,since_start_sec,rss_kib,anon_kib,file_kib,server_cpu_sec,acked_total,consumed_total\n');
  const sample = () => {
    const seg = segments.at(-1);
    if (seg.down) return;
    const s = readStatusKib(seg.pid);
    if (!s) return;
    const now = Date.now();
    const row = {
      t: (now - t0) / 1000, phase, segment: seg.index, pid: seg.pid, sinceStart: (now - seg.startedAtMs) / 1000,
      rssKib: s.rss, anonKib: s.anon, fileKib: s.file, cpuSec: cpuSec([seg.pid]),
      acked: lastStats?.ackedTotal ?? 0, consumed: lastStats?.consumedTotal ?? 0,
    };
    samples.push(row);
    csv.write(`${row.t.toFixed(1)},${row.phase},${row.segment},${row.pid},${row.sinceStart.toFixed(1)},${row.rssKib},${row.anonKib},` +
      `${row.fileKib},${row.cpuSec.toFixed(2)},${row.acked},${row.consumed}\n`);
  };
  const sampler = setInterval(sample, CFG.rssEverySec * 1000);

  // ------------------------------------------------------------------ the Java load
  const runId = `s${Date.now().toString(36)}`;
  const maxRunSec = Math.ceil(CFG.minutes * 60 + CFG.drainSec + 1800);
  const load = startTracked('java SoakLoad', 'java',
    [...baseJvmArgs(workDir), '-cp', cp, 'rocketmqts.compat.SoakLoad', server.namesrvAddr, server.brokerAddr, workDir, runId,
      String(CFG.rate), String(CFG.drainSec), String(maxRunSec)],
    { cwd: workDir });
  const loadOut = fs.createWriteStream(path.join(workDir, 'load.out'));
  let partial = '';
  const onLoadData = (chunk) => {
    loadOut.write(chunk);
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      if (line.startsWith('STATS ')) {
        try {
          lastStats = JSON.parse(line.slice(6));
          timeline.push({ t: Math.round((Date.now() - t0) / 1000), phase, ...lastStats });
        } catch {
          // a torn line: the next one comes in 10 s
        }
      } else if (line.startsWith('EVENT ') || line.startsWith('PROBLEM ') || line.startsWith('INFO ')) {
        log(`load: ${line}`);
        if (line.startsWith('PROBLEM ')) problems.push(`load: ${line.slice(8)}`);
      }
    }
  };
  load.child.stdout.on('data', onLoadData);
  load.child.stderr.on('data', (c) => loadOut.write(c));

  const kills = [];
  let result;
  let serverStop;
  try {
    await load.waitFor([/^INFO load running/m], LOAD_READY_TIMEOUT_MS);
    t0 = Date.now();
    phase = 'load';
    sample();
    const endAt = t0 + CFG.minutes * 60_000;
    const killEveryMs = CFG.killEveryMinutes * 60_000;
    let nextProgress = t0 + PROGRESS_EVERY_MS;
    const alive = () => {
      if (!load.running) throw new Error(`the Java load exited early:\n${load.tail(4000)}`);
    };
    for (let k = 1; ; k++) {
      const killAt = t0 + k * killEveryMs;
      const until = Math.min(killAt, endAt);
      while (Date.now() < until) {
        alive();
        await sleep(Math.min(1000, until - Date.now()));
        if (Date.now() >= nextProgress) {
          nextProgress += PROGRESS_EVERY_MS;
          const s = samples.at(-1);
          log(`t=${Math.round((Date.now() - t0) / 1000)}s acked ${fmt(lastStats?.ackedTotal ?? 0)} consumed ${fmt(lastStats?.consumedTotal ?? 0)} ` +
            `failedSends ${JSON.stringify(lastStats?.failedSends ?? {})} txChecks ${JSON.stringify(lastStats?.txChecks ?? {})} ` +
            `RSS ${s ? (s.rssKib / 1024).toFixed(1) : '?'} MiB`);
        }
      }
      if (killAt >= endAt) break;
      // SIGKILL, then the same ports and store again.
      sample();
      const seg = segments.at(-1);
      seg.down = true;
      seg.cpuSec = cpuSec([seg.pid]);
      const killedAtSec = (Date.now() - t0) / 1000;
      const statsAtKill = lastStats;
      await server.kill();
      log(`SIGKILL ${k} at t=${killedAtSec.toFixed(0)}s (pid ${seg.pid}); acked so far ${fmt(statsAtKill?.ackedTotal ?? 0)}`);
      const r0 = performance.now();
      await server.restart();
      const restartMs = Math.round(performance.now() - r0);
      const recoveries = [...server.output().matchAll(RECOVERY_LINE)];
      const rec = recoveries.at(-1);
      const recovery = rec ? { kind: rec[1], ms: Number(rec[2]), records: Number(rec[3]), mib: Number(rec[4]) } : null;
      if (recovery && recovery.kind !== 'abnormal') problems.push(`restart ${k}: ${recovery.kind} recovery after a SIGKILL (abort marker missing?)`);
      segments.push({ index: k, startedAtMs: Date.now(), pid: serverPid(server.dir), restartMs, recovery });
      kills.push({ kill: k, atSec: Math.round(killedAtSec), ackedBefore: statsAtKill?.ackedTotal ?? null, restartMs, recovery });
      log(`restarted in ${restartMs} ms (pid ${segments.at(-1).pid})${recovery ? `: ${recovery.kind} recovery ${recovery.ms} ms, ${fmt(recovery.records)} records` : ''}`);
      sample();
    }

    // ------------------------------------------------------------------ drain and result
    alive();
    sample();
    phase = 'drain';
    fs.writeFileSync(path.join(workDir, 'stop'), '');
    log(`producing stops at t=${Math.round((Date.now() - t0) / 1000)}s; draining (at most ${CFG.drainSec} s) ...`);
    await load.waitFor([/^RESULT /m], CFG.drainSec * 1000 + RESULT_GRACE_MS);
    result = JSON.parse(/^RESULT (.*)$/m.exec(load.output)[1]);
    const exited = await Promise.race([load.exited, sleep(JVM_EXIT_TIMEOUT_MS).then(() => undefined)]);
    if (!exited) {
      problems.push(`the Java load did not exit within ${JVM_EXIT_TIMEOUT_MS} ms after its result`);
      await load.kill();
    } else if (exited.code !== 0) {
      problems.push(`the Java load exited with ${JSON.stringify(exited)}`);
    }
  } catch (err) {
    problems.push(`run aborted: ${err.message}`);
    log(`ABORTED: ${err.message}`);
    await load.kill();
  } finally {
    clearInterval(sampler);
    sample();
    segments.at(-1).cpuSec = cpuSec([segments.at(-1).pid]);
    csv.end();
    load.child.stdout.off('data', onLoadData);
    loadOut.end();
    const stops = await server.stop();
    serverStop = stops[0] ?? null;
    if (serverStop?.killed) problems.push('the server did not exit within its grace period after SIGTERM at the end');
    else if (serverStop && serverStop.code !== 0) problems.push(`the server exited with ${JSON.stringify(serverStop)} after SIGTERM at the end`);
    fs.writeFileSync(path.join(workDir, 'server.out'), server.output());
  }

  // ------------------------------------------------------------------ report
  const serverOutput = server.output();
  const serverWarnings = serverOutput.split('\n').filter((l) => /\b(WARN|ERROR)\b/.test(l));
  const rss = analyzeRss(samples.filter((s) => s.phase === 'load'), CFG.warmupSec);
  const slowSpells = slowSpellsOf(timeline, kills);
  const clientWarnings = await clientWarningDigest(path.join(workDir, 'rocketmq_client.log'));
  const segmentsOut = segments.map((s) => ({
    index: s.index, pid: s.pid, restartMs: s.restartMs, recovery: s.recovery, serverCpuSec: s.cpuSec ?? null,
  }));
  const verdictFields = result
    ? { lost: result.lost, stuckConsumers: result.stuckConsumers, rolledBackDelivered: result.rolledBackDelivered, corrupt: result.corrupt }
    : {};
  for (const [k, v] of Object.entries(verdictFields)) if (v !== 0) problems.push(`${k} = ${v} (must be 0)`);
  if (result && result.acknowledged === 0) problems.push('nothing was acknowledged');
  const passed = problems.length === 0 && result !== undefined;
  const report = {
    stamp,
    startedAt: new Date(t0).toISOString(),
    finishedAt: new Date().toISOString(),
    commit,
    srcDirty,
    machine: machineInfo(),
    loadAvgAtEnd: loadAvg(),
    config: { ...CFG, brokerConf: BROKER_CONF },
    passed,
    problems,
    summary: result ? {
      acknowledged: result.acknowledged,
      mustBeConsumed: result.mustBeConsumed,
      consumedDistinct: result.consumedDistinct,
      lost: result.lost,
      duplicates: result.duplicates,
      rolledBackDelivered: result.rolledBackDelivered,
      delayDeliveredEarly: result.delayDeliveredEarly,
      stuckConsumers: result.stuckConsumers,
      corrupt: result.corrupt,
      rssSlopeMiBPerHour: rss.slopeMiBPerHour,
      rssMinMiB: rss.minMiB,
      rssMaxMiB: rss.maxMiB,
    } : null,
    kills,
    segments: segmentsOut,
    slowSpells,
    clientWarnings,
    rss,
    load: result ?? null,
    serverStop,
    serverWarnings: { count: serverWarnings.length, first: serverWarnings.slice(0, 30) },
    files: { rssCsv: rel(csvPath), workDir: rel(workDir), serverDir: server.dir },
  };
  fs.writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${consoleSummary(report)}\n`);
  log(`wrote ${rel(jsonPath)} and ${rel(csvPath)}`);

  if (passed && !CFG.keep) {
    await server.dispose();
    // Large, and summed up in the results: kept only when something failed (or SOAK_KEEP=1).
    fs.rmSync(path.join(workDir, 'acked.log'), { force: true });
    fs.rmSync(path.join(workDir, 'rocketmq_client.log'), { force: true });
  } else {
    log(`kept for diagnosis: server dir ${server.dir}, run logs ${rel(workDir)}`);
  }
  process.exitCode = passed ? 0 : 1;
}

/**
 * From the STATS timeline: delay deliveries later than DELAY_LATE_NOTABLE_MS and consumption stalls of
 * STALL_MIN_SEC or more while producing, each marked whether it falls within AFTER_KILL_SEC after a kill.
 */
function slowSpellsOf(timeline, kills) {
  const afterKill = (t) => kills.some((k) => t >= k.atSec && t <= k.atSec + AFTER_KILL_SEC);
  const lateDelay = timeline.filter((w) => w.delayLateMaxMs !== null && w.delayLateMaxMs > DELAY_LATE_NOTABLE_MS)
    .map((w) => ({ t: w.t, maxLateMs: w.delayLateMaxMs, afterKill: afterKill(w.t) }));
  const stalls = [];
  const load = timeline.filter((w) => w.phase === 'load');
  for (let i = 1; i < load.length;) {
    if (load[i].consumedTotal !== load[i - 1].consumedTotal) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < load.length && load[j + 1].consumedTotal === load[i - 1].consumedTotal) j++;
    const from = load[i - 1].t;
    const to = load[j].t;
    if (to - from >= STALL_MIN_SEC) stalls.push({ fromSec: from, toSec: to, afterKill: afterKill(from) || afterKill(to) });
    i = j + 1;
  }
  return {
    afterKillSec: AFTER_KILL_SEC,
    delayLateWindows: lateDelay,
    delayLateOutsideKills: lateDelay.filter((w) => !w.afterKill).length,
    consumeStalls: stalls,
    consumeStallsOutsideKills: stalls.filter((s) => !s.afterKill).length,
  };
}

/** The client log's WARN/ERROR lines, grouped once run names, numbers and addresses are taken out. */
async function clientWarningDigest(file) {
  if (!fs.existsSync(file)) return { count: 0, top: [] };
  const { createInterface } = await import('node:readline');
  const groups = new Map();
  let count = 0;
  for await (const line of createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })) {
    if (!/^\S+ \S+ (WARN|ERROR) /.test(line)) continue;
    count++;
    const key = normalizeWarning(line).replace(/\b\d+\b/g, 'N').slice(0, 160);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const top = [...groups].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([line, n]) => ({ n, line }));
  return { count, top };
}

function consoleSummary(r) {
  const L = r.load;
  const mib = (x) => (x === null || x === undefined ? 'n/a' : `${x.toFixed(1)} MiB`);
  const slope = (x) => (x === null || x === undefined ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(1)} MiB/h`);
  const lines = [`soak ${r.stamp} on ${r.commit}${r.srcDirty ? ' (src/ modified)' : ''}: ${r.config.minutes} min of load, ` +
    `${r.kills.length} SIGKILLs (every ${r.config.killEveryMinutes} min), target ${r.config.rate} msg/s, SYNC_FLUSH`];
  if (L) {
    const k = L.kinds;
    lines.push(
      `  acknowledged        ${fmt(L.acknowledged)} (normal ${fmt(k.normal.acknowledged)}, delay ${fmt(k.delay.acknowledged)}, transaction halves ${fmt(k.transaction.acknowledged)}); ` +
        `failed sends ${fmt(k.normal.failedSends + k.delay.failedSends + k.transaction.failedSends)}`,
      `  must be consumed    ${fmt(L.mustBeConsumed)} (acknowledged normal + delay, committed transactions)`,
      `  consumed distinct   ${fmt(L.consumedDistinct)}; duplicates ${fmt(L.duplicates)}; consumed but never acknowledged ` +
        `${fmt(k.normal.consumedNotAcknowledged + k.delay.consumedNotAcknowledged + k.transaction.consumedNotAcknowledged)}`,
      `  LOST                ${fmt(L.lost)}  (normal ${k.normal.lost}, delay ${k.delay.lost}, transaction ${k.transaction.lost})`,
      `  rolled back but delivered ${fmt(L.rolledBackDelivered)}; corrupt bodies ${fmt(L.corrupt)}`,
      `  STUCK consumers     ${L.stuckConsumers}${L.stuckGroups.length ? ` (${L.stuckGroups.join(', ')})` : ''}; lag at the end: ` +
        Object.entries(L.groups).map(([g, v]) => `${g.replace(/_.*/, '')} ${v.lag}`).join(', ') + `; drain took ${(L.drainMs / 1000).toFixed(1)} s`,
      `  retry               ${fmt(L.retry.failedFirstDeliveries)} first deliveries failed, ${fmt(L.retry.retriedOkViaRetryTopic)} ok via %RETRY% ` +
        `(gap ${L.retry.retryGapMinMs ?? 'n/a'}-${L.retry.retryGapMaxMs} ms), ${fmt(L.retry.retriedOkResubmittedByClient)} resubmitted by the client, ` +
        `${L.retry.retryEarly} early`,
      `  delay               ${fmt(L.delayDeliveredEarly)} delivered early (max ${L.delay.maxEarlyMs} ms); max lateness ${fmt(L.delay.maxLateMs)} ms; ` +
        `first-delivery lateness ${Object.entries(L.delay.firstDeliveryLateness).filter(([, n]) => n > 0).map(([b, n]) => `${b}:${n}`).join(' ')}`,
      `  transactions        check-backs ${JSON.stringify(L.transactions.checks)}; UNKNOW keys resolved by check ${fmt(L.transactions.unknownKeysResolvedByCheck)}`,
    );
    if (L.lostListed.length) lines.push('  lost (first ones):', ...L.lostListed.map((s) => `    ${s}`));
    if (L.transactions.deliveredNotCommittedListed.length) lines.push('  delivered but not committed:', ...L.transactions.deliveredNotCommittedListed.map((s) => `    ${s}`));
    if (L.delay.earlyListed.length) lines.push('  delivered early:', ...L.delay.earlyListed.slice(0, 5).map((s) => `    ${s}`));
  }
  lines.push(`  kills               ${r.kills.map((k) => `t=${k.atSec}s restart ${k.restartMs} ms${k.recovery ? ` (${k.recovery.kind} recovery ${k.recovery.ms} ms)` : ''}`).join('; ') || 'none'}`);
  if (L?.sendOutages?.length) lines.push(`  send outages        ${L.sendOutages.map((o) => `t=${Math.round(o.fromSec)}s ${(o.durationMs / 1000).toFixed(1)} s`).join('; ')}`);
  const S = r.slowSpells;
  lines.push(`  slow spells         delay windows later than ${DELAY_LATE_NOTABLE_MS / 1000} s: ${S.delayLateWindows.length} (${S.delayLateOutsideKills} not within ` +
    `${S.afterKillSec} s after a kill); consume stalls >= ${STALL_MIN_SEC} s: ${S.consumeStalls.length} (${S.consumeStallsOutsideKills} not after a kill)` +
    (S.consumeStalls.length ? ` ${S.consumeStalls.map((x) => `t=${x.fromSec}-${x.toSec}s`).join(' ')}` : ''));
  lines.push(`  client log          ${r.clientWarnings.count} WARN/ERROR lines; most frequent:`,
    ...r.clientWarnings.top.slice(0, 6).map((w) => `    ${String(w.n).padStart(6)}  ${w.line.slice(0, 140)}`));
  const R = r.rss;
  const se = (x) => (x === null ? '' : ` ± ${x.toFixed(1)}`);
  lines.push(
    `  RSS                 slope ${slope(R.slopeMiBPerHour)}${se(R.slopeStdErrMiBPerHour)} (std err; within segments after ${R.warmupSec}s warm-up, ` +
      `${R.usedSamples} of ${R.samples} samples; RssAnon ${slope(R.anonSlopeMiBPerHour)}); min ${mib(R.minMiB)}, max ${mib(R.maxMiB)}`,
    `                      per segment (slope, median after warm-up, range): ${R.perSegment.map((s) => `#${s.segment} ${slope(s.slopeMiBPerHour)} ` +
      `${mib(s.medianAfterWarmupMiB)} [${mib(s.minMiB)}..${mib(s.maxMiB)}]`).join(', ')}; medians across segments ${slope(R.acrossSegmentsMiBPerHour)}`,
    `  server              ${r.serverWarnings.count} WARN/ERROR lines; final stop ${JSON.stringify(r.serverStop)}`,
    `  ${r.passed ? 'PASS' : 'FAIL'}${r.problems.length ? `: ${r.problems.join('; ')}` : ''}`,
  );
  return lines.join('\n');
}

await main();
