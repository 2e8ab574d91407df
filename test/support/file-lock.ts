/**
 * A lock shared by processes: `npm test` runs its files in two vitest processes at once (scripts/test-lanes.mjs),
 * and two of them may want the same Maven build. The lock is a directory made with mkdir (atomic), holding the
 * owner's pid; a lock whose owner is gone is taken over. No vitest imports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 200;

function ownerAlive(lockDir: string): boolean {
  try {
    const pid = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but is not ours; anything else (ENOENT pid file, ESRCH): gone or half-made.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withFileLock<T>(lockDir: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let halfMadeSince: number | undefined;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (!ownerAlive(lockDir)) {
      // The pid file is written just after mkdir: give a fresh lock a second before calling it abandoned.
      halfMadeSince ??= Date.now();
      if (Date.now() - halfMadeSince > 1_000) fs.rmSync(lockDir, { recursive: true, force: true });
    } else {
      halfMadeSince = undefined;
    }
    if (Date.now() > deadline) throw new Error(`${lockDir}: still held after ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
  try {
    return await work();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}
