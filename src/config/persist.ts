import fs from 'node:fs';
import path from 'node:path';
import { log } from '../logger.js';

/**
 * Durable replacement of a small state file (topics.json, consumerOffset.json, broker.conf, ...):
 *   1. the whole new content goes to `<f>.tmp` (a short write is an error, never ignored) and is fsynced;
 *   2. the current file gets a second name, `<f>.bak` (a hard link: no new space needed on a full disk);
 *   3. `<f>.tmp` is renamed over `<f>`, and the directory is fsynced so the names survive power loss.
 * Whatever fails, `<f>` holds a complete version, old or new, and `<f>.bak` the one before (which
 * `loadStateFile` falls back to if `<f>` is damaged). Throws on failure, after removing the `.tmp`.
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
  if (fs.existsSync(file)) keepAsBackup(file);
  fs.renameSync(tmp, file);
  syncDir(path.dirname(file));
}

/**
 * Makes `<f>.bak` another name for the current `<f>` (a hard link: no data written, so it works on a full
 * disk) while `<f>` itself stays in place; the rename that follows then swaps the new content in at once.
 * A kill at any point leaves `<f>` complete, old or new, so a reader that does not know about `.bak` (a
 * Java broker, an operator's script, a test) never finds the file missing.
 */
function keepAsBackup(file: string): void {
  const bak = `${file}.bak`;
  fs.rmSync(bak, { force: true });
  try {
    fs.linkSync(file, bak);
  } catch {
    // A file system without hard links: the old way, moving it aside (the .bak is then the only copy
    // until the rename below).
    fs.renameSync(file, bak);
  }
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
 * One persisted state file of a manager (topics.json, consumerOffset.json, delayOffset.json, ...), with
 * ConfigManager#persist's contract: a failed write is logged, never thrown at the request that caused
 * it (the change stays in memory, and the previous file stays whole), and is retried by the next
 * `persistIfChanged`. The manager says how to render its table and when it changed; this class tracks
 * whether the file is behind, so no manager keeps its own dirty flag.
 */
export class StateFile<T extends object> {
  /** Memory is ahead of the file: a change not written yet, or a write that failed. */
  private behind = false;
  /** The last write failed (logged once, and once more when a write succeeds again). */
  private failing = false;

  constructor(
    readonly file: string,
    /** The whole file's new content. */
    private readonly render: () => string,
    /** Text to a value; must give an object: anything else counts as a corrupt file. */
    private readonly parse: (text: string) => unknown,
  ) {}

  /** The file (or its backup) parsed; undefined on a fresh store. Throws when neither decodes. */
  load(): T | undefined {
    return loadStateFile(this.file, (text) => {
      const v = this.parse(text);
      if (typeof v !== 'object' || v === null) throw new Error('not a JSON object');
      return v as T;
    });
  }

  /** The table changed in memory; the next `persistIfChanged` writes it. */
  changed(): void {
    this.behind = true;
  }

  /** Whether memory is ahead of the file. */
  get pending(): boolean {
    return this.behind;
  }

  /** Writes now; returns whether it reached the disk. */
  persist(): boolean {
    try {
      writeFileAtomic(this.file, this.render());
      if (this.failing) log.info(`config: ${this.file} written again`);
      this.failing = false;
      this.behind = false;
      return true;
    } catch (e) {
      if (!this.failing) log.error(`config: persist file ${this.file} failed, will retry: ${(e as Error).message}`);
      this.failing = true;
      this.behind = true;
      return false;
    }
  }

  /** Writes if memory is ahead of the file (the periodic task, and shutdown). */
  persistIfChanged(): void {
    if (this.behind) this.persist();
  }
}
