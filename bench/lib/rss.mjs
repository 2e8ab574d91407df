/**
 * Peak resident memory (and CPU time used) of a server (the sum over its processes: one for ours, namesrv + broker for
 * Apache), polled from /proc/<pid>/status. VmRSS counts file-backed pages too: the Java broker's
 * mmapped CommitLog pages it has touched show up there (RssFile), so the anonymous part is kept
 * beside it. VmHWM (each process's own peak) is kept as a cross-check of the polled peak.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** Often enough to catch a peak of a process whose memory moves over seconds. */
const SAMPLE_INTERVAL_MS = 250;

function readStatusKb(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined; // exited between pids() and the read
  }
  const kb = (key) => {
    const m = text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  };
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem'), hwm: kb('VmHWM') };
}

export class RssSampler {
  /** @param {() => number[]} pids */
  constructor(pids) {
    this.pids = pids;
    this.peak = { rssKb: 0, anonKb: 0, fileKb: 0 };
    this.hwmKb = new Map();
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
    this.sample();
  }

  sample() {
    let rss = 0;
    let anon = 0;
    let file = 0;
    for (const pid of this.pids()) {
      const s = readStatusKb(pid);
      if (!s) continue;
      rss += s.rss;
      anon += s.anon;
      file += s.file;
      this.hwmKb.set(pid, Math.max(this.hwmKb.get(pid) ?? 0, s.hwm));
    }
    if (rss > this.peak.rssKb) this.peak = { rssKb: rss, anonKb: anon, fileKb: file };
  }

  /** Stops polling; call before the server stops. */
  finish() {
    this.sample();
    clearInterval(this.timer);
    const hwmSumKb = [...this.hwmKb.values()].reduce((a, b) => a + b, 0);
    return { peakRssMiB: mib(this.peak.rssKb), anonAtPeakMiB: mib(this.peak.anonKb), fileAtPeakMiB: mib(this.peak.fileKb), hwmSumMiB: mib(hwmSumKb) };
  }
}

const mib = (kb) => Math.round((kb / 1024) * 10) / 10;

/** Clock ticks per second of /proc/<pid>/stat times (100 on Linux nearly always). */
let clockTicksPerSec;

/**
 * CPU seconds (user + system) the given processes have used so far, from /proc/<pid>/stat. Phases
 * compare its growth with the messages moved: CPU per message is less at the mercy of other load on
 * the machine than TPS is.
 */
export function cpuSec(pids) {
  clockTicksPerSec ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after "(comm)": state is field 3, utime 14, stime 15.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // exited
    }
  }
  return ticks / clockTicksPerSec;
}
