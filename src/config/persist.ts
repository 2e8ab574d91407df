import fs from 'node:fs';
import path from 'node:path';
import { log } from '../logger.js';

/**
 * Durable replacement of a small state file (topics.json, consumerOffset.json, broker.conf, ...):
 *   1. the whole new content goes to `<f>.tmp` (a short write is an error, never ignored) and is fsynced;
 *   2. the current file becomes `<f>.bak` by rename, which needs no new space on a full disk;
 *   3. `<f>.tmp` becomes `<f>`, and the directory is fsynced so both renames survive power loss.
 * Whatever fails, `<f>` or `<f>.bak` holds a complete earlier version (a crash between 2 and 3 leaves
 * only the `.bak`, which `loadStateFile` falls back to). Throws on failure, after removing the `.tmp`.
 */
export function writeFileAtomic(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const data = Buffer.from(content, 'utf8');
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      let done = 0;
      while (done < data.length) {
        const n = fs.writeSync(fd, data, done, data.length - done, done);
        if (n <= 0) throw new Error(`short write to ${tmp}: ${done} of ${data.length} bytes`);
        done += n;
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  if (fs.existsSync(file)) fs.renameSync(file, `${file}.bak`);
  fs.renameSync(tmp, file);
  syncDir(path.dirname(file));
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some filesystems refuse to fsync a directory; the renames are still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * ConfigManager#load: the file's content decoded by `decode`; when the file is missing, empty or does
 * not decode (a truncated or corrupt write), `<f>.bak` with a warning. Undefined when neither exists
 * (a fresh store). Throws when a file exists but neither it nor its backup decodes: starting with an
 * empty table would silently forget every topic, group or offset it held.
 */
export function loadStateFile<T>(file: string, decode: (text: string) => T): T | undefined {
  const problems: string[] = [];
  for (const f of [file, `${file}.bak`]) {
    let text: string;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${f}: ${(e as Error).message}`);
      continue;
    }
    if (!text.trim()) {
      problems.push(`${f}: empty`);
      continue;
    }
    try {
      const value = decode(text);
      if (problems.length) log.warn(`config: ${problems.join('; ')}; loaded the backup ${f}`);
      return value;
    } catch (e) {
      problems.push(`${f}: ${(e as Error).message}`);
    }
  }
  const unreadable = problems.filter((p) => !p.endsWith(': empty'));
  if (unreadable.length) throw new Error(`cannot load ${file}: ${problems.join('; ')}`);
  return undefined;
}

/**
 * One persisted state file of a manager, with ConfigManager#persist's contract: a failed write is
 * logged, never thrown at the request that caused it (the change stays in memory, and the previous
 * file stays whole); the manager is marked so the broker's periodic task writes it again.
 */
export class StateFile {
  /** The last write failed: the file on disk is older than the manager's table. */
  unsaved = false;

  constructor(readonly file: string) {}

  /** The file (or its backup) parsed by `parse`, which must give an object: anything else counts as corrupt. */
  loadJson<T extends object>(parse: (text: string) => unknown): T | undefined {
    return loadStateFile(this.file, (text) => {
      const v = parse(text);
      if (typeof v !== 'object' || v === null) throw new Error('not a JSON object');
      return v as T;
    });
  }

  /** Writes `render()`; returns whether it reached the disk. */
  save(render: () => string): boolean {
    try {
      writeFileAtomic(this.file, render());
      if (this.unsaved) log.info(`config: ${this.file} written again`);
      this.unsaved = false;
      return true;
    } catch (e) {
      if (!this.unsaved) log.error(`config: persist file ${this.file} failed, will retry: ${(e as Error).message}`);
      this.unsaved = true;
      return false;
    }
  }
}
