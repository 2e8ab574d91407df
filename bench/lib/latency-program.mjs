/**
 * bench/java/latency/LatencyProducer (the official 4.9.8 client, paced or closed-loop sends with a latency
 * histogram), compiled with javac against the benchmark classpath and run against one server; the server's
 * CPU over the run is read from /proc beside it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './servers.mjs';
import { Tracked } from './processes.mjs';
import { cpuSec } from './rss.mjs';
import { benchClasspath } from './programs.mjs';

const run = promisify(execFile);

/** The classpath with LatencyProducer on it (rebuilt when its source is newer than the class). */
export async function latencyClasspath() {
  const cp = await benchClasspath();
  const src = path.join(REPO_ROOT, 'bench', 'java', 'latency', 'LatencyProducer.java');
  const out = path.join(REPO_ROOT, 'bench', '.work', 'latency-classes');
  const cls = path.join(out, 'rocketmqts', 'bench', 'LatencyProducer.class');
  if (!fs.existsSync(cls) || fs.statSync(cls).mtimeMs < fs.statSync(src).mtimeMs) {
    fs.mkdirSync(out, { recursive: true });
    await run('javac', ['-d', out, '-cp', cp, src]);
  }
  return `${out}:${cp}`;
}

/**
 * One run: `rate` sends/s in all (0 = closed loop), `threads` threads, `size`-byte bodies, `warmupSec`
 * then `sec` measured. Returns the program's figures plus the server's CPU per acknowledged message over
 * the whole run (warm-up included, the sends of the warm-up estimated at the measured rate).
 */
export async function runLatency({ server, cp, dir, topic, size, rate, threads, warmupSec, sec, heapMb = 512 }) {
  fs.mkdirSync(dir, { recursive: true });
  const cpu0 = cpuSec(server.pids());
  const t0 = performance.now();
  const proc = new Tracked('LatencyProducer', 'java', [
    `-Xms${heapMb}m`, `-Xmx${heapMb}m`, '-Duser.language=en', '-Drocketmq.serialize.type=ROCKETMQ', `-Duser.home=${dir}`,
    '-cp', cp, 'rocketmqts.bench.LatencyProducer',
    server.namesrvAddr, topic, String(size), String(rate), String(warmupSec), String(sec), String(threads),
  ], { cwd: dir, logFile: path.join(dir, 'latency.out') });
  const budgetMs = (warmupSec + sec + 90) * 1000;
  const json = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`LatencyProducer: no result within ${budgetMs} ms`)), budgetMs);
    const check = () => {
      const m = /LATENCY (\{.*\})/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      } else if (!proc.running) {
        clearTimeout(timer);
        reject(new Error(`LatencyProducer exited without a result: ${proc.tail(2000)}`));
      }
    };
    proc.onOutput((chunk) => {
      buf += chunk;
      check();
    });
    proc.exited?.then?.(check);
  });
  const cpu = cpuSec(server.pids()) - cpu0;
  const wallSec = (performance.now() - t0) / 1000;
  if (proc.running) await proc.stop('SIGTERM', 5_000);
  const r = JSON.parse(json);
  const totalSent = r.achievedRate * (warmupSec + sec);
  return {
    ...r,
    serverCpuSec: cpu,
    serverCores: cpu / wallSec,
    cpuUsPerMsg: totalSent > 0 ? (cpu * 1e6) / totalSent : undefined,
    cpuMsPerMiB: r.bytesPerSec > 0 ? (cpu * 1e3) / ((r.bytesPerSec * (warmupSec + sec)) / 1048576) : undefined,
  };
}
