/**
 * `--cpu-profile-dir DIR`: SIGUSR2 starts a V8 CPU profile of the running server and the next SIGUSR2
 * writes it to DIR as `cpu-<pid>-<n>.cpuprofile`, n counting the profiles from 1 (open it in Chrome
 * DevTools, or summarise it with bench/profile-summary.mjs). Node's own --cpu-prof covers the whole life of the process; this covers
 * exactly the span between two signals, so one phase of a benchmark can be profiled in a server that
 * runs several (bench/run.mjs --profile). SIGUSR1 is Node's (it opens the inspector), so USR2.
 *
 * Without the option SIGUSR2 keeps Node's default (the process ends), as before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { log } from '../logger.js';

export function installProfileSignal(dir: string): void {
  const target = path.resolve(dir);
  fs.mkdirSync(target, { recursive: true });
  let session: Session | undefined;
  let busy = false;
  let seq = 0;
  process.on('SIGUSR2', () => {
    // A signal while the previous one is still being handled (a profile being written) is dropped, said so.
    if (busy) {
      log.warn('SIGUSR2: the previous profile command is still running; ignored');
      return;
    }
    busy = true;
    (session ? stop() : start()).catch((e) => log.warn(`SIGUSR2: CPU profile failed: ${(e as Error).message}`)).finally(() => (busy = false));
  });

  async function start(): Promise<void> {
    const s = new Session();
    s.connect();
    try {
      await s.post('Profiler.enable');
      await s.post('Profiler.start');
    } catch (e) {
      // Not left connected: the next SIGUSR2 tries a fresh start.
      s.disconnect();
      throw e;
    }
    session = s;
    log.info(`SIGUSR2: CPU profile ${++seq} started; the next SIGUSR2 writes it to ${target}`);
  }

  async function stop(): Promise<void> {
    const s = session!;
    session = undefined;
    try {
      const { profile } = await s.post('Profiler.stop');
      const file = path.join(target, `cpu-${process.pid}-${seq}.cpuprofile`);
      await fs.promises.writeFile(file, JSON.stringify(profile));
      log.info(`SIGUSR2: CPU profile written to ${file}`);
    } finally {
      s.disconnect();
    }
  }
}
