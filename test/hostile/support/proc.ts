/** The server child as the kernel sees it: pid, RSS, CPU time, liveness (Linux /proc). No vitest imports. */
import fs from 'node:fs';
import path from 'node:path';
import type { RunningServer } from '../../support/server.js';

/** The server child's pid: the process whose command line names this server's broker.conf. */
export function findServerPid(server: RunningServer): number {
  const conf = path.join(server.dir, 'broker.conf');
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (cmd.includes(conf) && cmd.includes('standalone')) return Number(e);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no process runs with ${conf}`);
}

/** VmRSS in MiB, or undefined if the process is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(st);
  } catch {
    return false;
  }
}

/** CPU time (user + system) the process has used, in ms. */
export function cpuMs(pid: number): number {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
/** USER_HZ: 100 on every Linux we run on. */
const CLOCK_TICKS = 100;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
