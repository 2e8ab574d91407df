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
 * writeFileAtomic with the same steps and the same guarantees, through fs.promises: the disk waits
 * (write, fsync, rename, directory fsync) happen off the event loop, so clients are served meanwhile.
 * Callers must not run two writes of one file at once (they share `<f>.tmp`); StateFile serializes them.
 */
export async function writeFileAtomicAsync(file: string, content: string): Promise<void> {
  const fsp = fs.promises;
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const data = Buffer.from(content, 'utf8');
  try {
    const fh = await fsp.open(tmp, 'w');
    try {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await fh.write(data, done, data.length - done, done);
        if (bytesWritten <= 0) throw new Error(`short write to ${tmp}: ${done} of ${data.length} bytes`);
        done += bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  if (await exists(file)) await keepAsBackupAsync(file);
  await fsp.rename(tmp, file);
  await syncDirAsync(path.dirname(file));
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.promises.access(file);
    return true;
  } catch {
    return false;
  }
}

/** keepAsBackup, through fs.promises. */
async function keepAsBackupAsync(file: string): Promise<void> {
  const bak = `${file}.bak`;
  await fs.promises.rm(bak, { force: true });
  try {
    await fs.promises.link(file, bak);
  } catch {
    await fs.promises.rename(file, bak);
  }
}

async function syncDirAsync(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(dir, 'r');
    await fh.sync();
  } catch {
    // As syncDir: some filesystems refuse to fsync a directory.
  } finally {
    await fh?.close();
  }
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
 * How long writes may wait for the requests holding them (StateFile#hold): past it the file is written
 * anyway, so clients whose requests overlap without end cannot keep a change off the disk.
 */
const MAX_HOLD_MS = 1_000;

/**
 * One persisted state file of a manager (topics.json, consumerOffset.json, delayOffset.json, ...), with
 * ConfigManager#persist's contract: a failed write is logged, never thrown at the request that caused
 * it (the change stays in memory, and the previous file stays whole), and is retried by the next
 * `persistIfChanged` or `flush`. The manager says how to render its table and when it changed; this
 * class tracks whether the file is behind, so no manager keeps its own dirty flag.
 *
 * Two ways to write, not to be mixed for one file: `persist` writes at once, on the caller's tick;
 * `later` coalesces. Each file write renders and rewrites the whole table, so writing once per change
 * costs O(changes × table), with an fsync each: one heartbeat naming 2,000 new groups took tens of
 * seconds that way (test/broker/bounded-work.test.ts prints the time and the writes). With `later`,
 * every change made before the write starts goes into that one write, which runs after the current
 * tick with the disk waits off the event loop, and never overlaps another write of the file.
 */
export class StateFile<T extends object> {
  /** Memory is ahead of the file: a change not written yet, or a write that failed. */
  private behind = false;
  /** The last write failed (logged once, and once more when a write succeeds again). */
  private failing = false;
  /** The write that will take every change made until it starts, and how to settle its promise. */
  private next?: { promise: Promise<boolean>; settle: (ok: boolean) => void; since: number };
  /** The write on its way to the disk. */
  private writing?: Promise<boolean>;
  /** A start of `next` is queued on setImmediate. */
  private armed = false;
  /** Requests in progress that asked to have their changes written together (`hold`). */
  private holds = 0;
  private holdTimer?: NodeJS.Timeout;
  /** `flush` wants `next` written without waiting for holds. */
  private urgent = false;

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
    if (this.writing || this.next) {
      // A coalesced write owns `<f>.tmp` now; writing beside it could rename an older table over a newer one.
      void this.later();
      return false;
    }
    try {
      writeFileAtomic(this.file, this.render());
      this.wrote();
      this.behind = false;
      return true;
    } catch (e) {
      return this.failed(e);
    }
  }

  /** Writes if memory is ahead of the file (the periodic task, and shutdown). */
  persistIfChanged(): void {
    if (this.behind) this.persist();
  }

  /**
   * The table changed: it is written after the current tick, together with every other change made
   * before that write starts. Resolves true once on disk, false if that write failed (logged). Never rejects.
   */
  later(): Promise<boolean> {
    this.behind = true;
    if (!this.next) {
      let settle!: (ok: boolean) => void;
      const promise = new Promise<boolean>((resolve) => (settle = resolve));
      this.next = { promise, settle, since: Date.now() };
    }
    this.kick();
    return this.next.promise;
  }

  /**
   * Everything changed so far, on disk: a pending change is written now, without waiting for holds.
   * What an admin request awaits before answering (Java persists those changes before it answers), and shutdown.
   */
  flush(): Promise<boolean> {
    if (this.behind) {
      this.urgent = true;
      return this.later();
    }
    return this.writing ?? Promise.resolve(!this.failing);
  }

  /**
   * A request that makes many changes over several ticks (a heartbeat naming many groups) holds the
   * writes it would trigger until it calls the returned release, so they make one write, not one per
   * slice. A hold delays a write by MAX_HOLD_MS at most, and `flush` does not wait for it.
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holds === 0) this.kick();
    };
  }

  private kick(): void {
    if (this.armed || this.writing || !this.next) return;
    this.armed = true;
    setImmediate(() => this.start());
  }

  private start(): void {
    this.armed = false;
    const next = this.next;
    if (this.writing || !next) return;
    const heldFor = Date.now() - next.since;
    if (this.holds > 0 && !this.urgent && heldFor < MAX_HOLD_MS) {
      // The last release starts it; this timer only bounds how long holds can keep it back.
      if (!this.holdTimer) {
        this.holdTimer = setTimeout(() => {
          this.holdTimer = undefined;
          this.kick();
        }, MAX_HOLD_MS - heldFor);
        this.holdTimer.unref();
      }
      return;
    }
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.next = undefined;
    this.urgent = false;
    let content: string;
    try {
      content = this.render();
    } catch (e) {
      next.settle(this.failed(e));
      return;
    }
    // Changes from here on are not in `content`: they set `behind` again and make the next write.
    this.behind = false;
    this.writing = writeFileAtomicAsync(this.file, content)
      .then(() => {
        this.wrote();
        return true;
      }, (e: unknown) => this.failed(e))
      .then((ok) => {
        this.writing = undefined;
        next.settle(ok);
        this.kick();
        return ok;
      });
  }

  private wrote(): void {
    if (this.failing) log.info(`config: ${this.file} written again`);
    this.failing = false;
  }

  private failed(e: unknown): false {
    if (!this.failing) log.error(`config: persist file ${this.file} failed, will retry: ${(e as Error).message}`);
    this.failing = true;
    this.behind = true;
    return false;
  }
}
