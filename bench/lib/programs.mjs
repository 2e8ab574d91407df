/**
 * The official benchmark programs, org.apache.rocketmq.example.benchmark.{Producer,Consumer}, run as
 * they ship, and their periodic output parsed.
 *
 * Which build: rocketmq-example 4.9.8 is not on Maven Central, so bench/java/pom.xml takes the 4.7.0
 * classes with the 4.9.8 client (and its common/remoting) under them. The 4.7.0 programs do not force
 * the binary (ROCKETMQ) header encoding as the 4.9.x ones do in main() (System.setProperty(
 * RemotingCommand.SERIALIZE_TYPE_PROPERTY, "ROCKETMQ")), so we pass -Drocketmq.serialize.type=ROCKETMQ,
 * which is the same property, read once when RemotingCommand loads.
 *
 * Output, every 10 s, over a sliding window of the last 10 one-second snapshots (so ~9 s per line):
 *   4.7.0 Producer: "Send TPS: %d Max RT: %d Average RT: %7.3f Send Failed: %d Response Failed: %d"
 *   4.7.0 Consumer: "TPS: %d FAIL: %d AVG(B2C) RT: %7.3f AVG(S2C) RT: %7.3f MAX(B2C) RT: %d MAX(S2C) RT: %d"
 *   4.9.8 prefixes "Current Time: ..." and writes "RT(ms)"; the patterns accept both.
 * An idle window prints NaN for the averages (0/0).
 * Send Failed / Response Failed are running totals (the last snapshot's counters), not per window.
 * The Producer sends synchronously from -w threads with a body of messageSize/10 times "hello baby"; a
 * failed send is logged to the client log ("[BENCHMARK_PRODUCER] Send Exception") and that thread
 * sleeps 3 s.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Tracked } from './processes.mjs';
import { mavenClasspath } from './maven.mjs';
import { REPO_ROOT } from './servers.mjs';

/** The programs print every 10 s (a java.util.Timer in each). */
export const SAMPLE_PERIOD_SEC = 10;

/** running-apache-rocketmq.md: benchmark JVMs -Xmx512m on 2 cores. */
const BENCH_JVM = ['-Xms512m', '-Xmx512m'];
const STOP_GRACE_MS = 5_000;

const PRODUCER_LINE = /Send TPS:\s*(\d+)\s+Max RT(?:\(ms\))?:\s*(\d+)\s+Average RT(?:\(ms\))?:\s*([\d.]+|NaN)\s+Send Failed:\s*(\d+)\s+Response Failed:\s*(\d+)/;
const CONSUMER_LINE = /(?:^|\s)TPS:\s*(\d+)\s+FAIL:\s*(\d+)\s+AVG\(B2C\) RT(?:\(ms\))?:\s*([\d.]+|NaN)\s+AVG\(S2C\) RT(?:\(ms\))?:\s*([\d.]+|NaN)\s+MAX\(B2C\) RT(?:\(ms\))?:\s*(\d+)\s+MAX\(S2C\) RT(?:\(ms\))?:\s*(\d+)/;

export function parseProducerLine(line) {
  const m = PRODUCER_LINE.exec(line);
  if (!m) return undefined;
  return { tps: Number(m[1]), maxRtMs: Number(m[2]), avgRtMs: Number(m[3]), sendFailed: Number(m[4]), responseFailed: Number(m[5]) };
}

export function parseConsumerLine(line) {
  const m = CONSUMER_LINE.exec(line);
  if (!m) return undefined;
  return { tps: Number(m[1]), fail: Number(m[2]), avgB2cMs: Number(m[3]), avgS2cMs: Number(m[4]), maxB2cMs: Number(m[5]), maxS2cMs: Number(m[6]) };
}

export function benchClasspath() {
  return mavenClasspath(path.join(REPO_ROOT, 'bench', 'java', 'pom.xml'), path.join(REPO_ROOT, 'bench', 'java', 'target', 'classpath.txt'));
}

/**
 * Runs one program until it has printed `lines` samples, `stopWhen(samples)` says so, it exits, or
 * `timeoutMs` passes; then stops it. Returns the samples (with the seconds since start at which each
 * arrived, plus whatever onSample() returns then), why it ended, and what the client log says about
 * failures.
 */
export async function runProgram({ name, mainClass, args, cp, dir, lines, stopWhen = () => false, onSample = () => ({}), timeoutMs }) {
  fs.mkdirSync(dir, { recursive: true });
  const parse = mainClass.endsWith('Producer') ? parseProducerLine : parseConsumerLine;
  const proc = new Tracked(name, 'java', [
    ...BENCH_JVM,
    '-Duser.language=en',
    '-Drocketmq.serialize.type=ROCKETMQ',
    // The client log (send exceptions) goes to ${user.home}/logs/rocketmqlogs/rocketmq_client.log.
    `-Duser.home=${dir}`,
    '-cp', cp,
    mainClass, ...args,
  ], { cwd: dir, logFile: path.join(dir, 'stdout.log') });
  const samples = [];
  let partial = '';
  let ended = 'lines';
  await new Promise((resolve) => {
    const timer = setTimeout(() => { ended = 'timeout'; finish(); }, timeoutMs);
    let off = () => {};
    const finish = () => {
      clearTimeout(timer);
      off();
      resolve();
    };
    off = proc.onOutput((chunk) => {
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop();
      for (const line of parts) {
        const s = parse(line);
        if (s) samples.push({ atSec: Math.round((Date.now() - proc.startedAtMs) / 100) / 10, ...s, ...onSample() });
      }
      if (samples.length >= lines) return finish();
      if (stopWhen(samples)) { ended = 'stopWhen'; return finish(); }
      if (!proc.running) { ended = 'exited'; finish(); }
    });
  });
  const exit = proc.running ? await proc.stop('SIGTERM', STOP_GRACE_MS) : { ...proc.exitStatus, killed: false };
  return { samples, ended, exit: ended === 'exited' ? exit : undefined, outputTail: ended === 'exited' || samples.length === 0 ? proc.tail(3000) : undefined, clientLog: clientLogErrors(dir) };
}

/**
 * The client log's evidence of failed sends: how many "[BENCHMARK_PRODUCER] Send Exception" entries,
 * and their exception messages (the line after each) grouped with counts, numbers masked. Route
 * look-up warnings for a topic not yet auto-created are normal and not counted.
 */
function clientLogErrors(dir) {
  const file = path.join(dir, 'logs', 'rocketmqlogs', 'rocketmq_client.log');
  if (!fs.existsSync(file)) return { sendExceptions: 0, kinds: [] };
  const lines = fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trimEnd());
  let sendExceptions = 0;
  const kinds = new Map();
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].includes('[BENCHMARK_PRODUCER] Send Exception')) continue;
    sendExceptions++;
    // Mask ports, times and queue sizes, not response codes ("CODE: 2").
    const kind = (lines[i + 1] ?? '').replace(/\d+/g, (m, at, str) => (str.slice(at - 6, at) === 'CODE: ' ? m : 'N')).slice(0, 300);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return {
    sendExceptions,
    kinds: [...kinds.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([message, count]) => ({ count, message })),
  };
}

/**
 * Steady-state averages of producer samples: drops the first `warmupLines` (JVM start, route lookup),
 * keeps the next `measureLines`. RT is averaged weighted by TPS (the mean over all sends).
 */
export function summarizeProducer(samples, warmupLines, measureLines) {
  let steady = samples.slice(warmupLines, warmupLines + measureLines);
  let warmupUsed = false;
  if (steady.length === 0 && samples.length > 0) {
    steady = samples.slice(-1);
    warmupUsed = true;
  }
  if (steady.length === 0) return { ok: false, samples: 0 };
  const tps = mean(steady.map((s) => s.tps));
  const sends = steady.reduce((a, s) => a + s.tps, 0);
  const avgRtMs = sends > 0 ? steady.reduce((a, s) => a + s.tps * s.avgRtMs, 0) / sends : NaN;
  const last = samples[samples.length - 1];
  return {
    ok: true,
    samples: steady.length,
    warmupUsed,
    ...(warmupUsed ? {} : cpuPerMessage(samples, warmupLines, warmupLines + steady.length - 1, tps)),
    tps: Math.round(tps),
    avgRtMs: round3(avgRtMs),
    maxRtMs: Math.max(...steady.map((s) => s.maxRtMs)),
    sendFailedTotal: last.sendFailed,
    responseFailedTotal: last.responseFailed,
    minTps: Math.min(...steady.map((s) => s.tps)),
    maxTps: Math.max(...steady.map((s) => s.tps)),
  };
}

/**
 * Consume TPS while draining a backlog: a window counts only if the backlog lasted all of it, i.e. it
 * is not the first (consumer start, rebalance) and the next window still consumed something (the one
 * in which the backlog ran out is partly idle). With too small a backlog for any such window, the
 * non-zero windows are used and `steady` is false.
 */
export function summarizeConsumer(samples, warmupLines) {
  const drained = samples.some((s, i) => s.tps === 0 && samples.slice(0, i).some((p) => p.tps > 0));
  // The last window has no successor to vouch for it: the caller runs one window more than it needs.
  const full = samples.filter((s, i) => i >= warmupLines && s.tps > 0 && i + 1 < samples.length && samples[i + 1].tps > 0);
  let used = full;
  let steady = true;
  if (used.length === 0) {
    used = samples.filter((s) => s.tps > 0);
    steady = false;
  }
  if (used.length === 0) return { ok: false, samples: 0, drained };
  const tps = mean(used.map((s) => s.tps));
  const first = samples.indexOf(used[0]);
  const last = samples.indexOf(used[used.length - 1]);
  return {
    ok: true,
    samples: used.length,
    steady,
    drained,
    tps: Math.round(tps),
    // Only over contiguous full windows: a partly idle one would inflate the CPU per message.
    ...(steady && last - first + 1 === used.length ? cpuPerMessage(samples, first, last, tps) : {}),
    failTotal: samples[samples.length - 1].fail,
  };
}

/**
 * Server CPU per message over the windows [from, to] of samples that carry serverCpuSec: the CPU used
 * between the line before `from` and line `to`, over the messages those windows' rates account for.
 */
export function cpuPerMessage(samples, from, to, tps) {
  if (from < 1 || to >= samples.length || to < from || !(tps > 0)) return {};
  const a = samples[from - 1];
  const b = samples[to];
  if (a.serverCpuSec === undefined || b.serverCpuSec === undefined) return {};
  const wallSec = b.atSec - a.atSec;
  const cores = (b.serverCpuSec - a.serverCpuSec) / wallSec;
  return { serverCores: round3(cores), serverCpuUsPerMsg: Math.round((cores * 1e6) / tps) };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round3 = (x) => Math.round(x * 1000) / 1000;
