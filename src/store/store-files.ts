/**
 * The store's only door to storage. Everything the store keeps goes through `StoreFiles`, so the
 * same store code runs on real files (`FsStoreFiles`), on memory (`MemoryStoreFiles`, the test
 * fixture), and on a fault-injecting layer that tears writes or simulates a crash (test/store).
 *
 * Reads and writes are synchronous on purpose: they hit the OS page cache, cost microseconds, and
 * keep the store's state transitions atomic with respect to the event loop. Only the durable sync
 * (fdatasync, milliseconds) is asynchronous, so SYNC_FLUSH senders can share one sync (group commit).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface StoreFile {
  readonly path: string;
  size(): number;
  /** Writes all of `buf` at `position` (sync: when it returns the bytes are in the OS). */
  write(buf: Buffer, position: number): void;
  /** Reads up to `length` bytes at `position` into buf[offset..]; returns the bytes read (short at EOF). */
  read(buf: Buffer, offset: number, length: number, position: number): number;
  truncate(length: number): void;
  /** Makes everything written so far durable (fdatasync). */
  sync(): Promise<void>;
  /** Last write time in ms (the file's mtime): retention ages segments by it, as MappedFile#getLastModifiedTimestamp. */
  modifiedMs(): number;
  close(): void;
}

export interface DiskUsage {
  totalBytes: number;
  /** Free blocks, including those reserved for root (statfs bfree). */
  freeBytes: number;
  /** Blocks an unprivileged writer may use (statfs bavail). */
  availableBytes: number;
}

/** UtilAll#getDiskPartitionSpaceUsedPercent: used / (used + usable), as a ratio 0..1. */
export function usedRatio(u: DiskUsage): number {
  const used = u.totalBytes - u.freeBytes;
  const entire = used + u.availableBytes;
  return entire > 0 ? used / entire : -1;
}

/**
 * UtilAll#getDiskPartitionSpaceUsedPercent as the Java broker prints it in a disk-full remark: the
 * used ratio rounded up to a whole percent (0.95), or -1 when it cannot be measured.
 */
export function usedPercentRoundedUp(u: DiskUsage): number {
  const used = u.totalBytes - u.freeBytes;
  const entire = used + u.availableBytes;
  if (u.totalBytes <= 0 || entire <= 0) return -1;
  return Math.ceil((used * 100) / entire) / 100;
}

/** A write or sync failed because the filesystem (or the user's quota) has no room left. */
export function isNoSpaceError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export interface StoreFiles {
  mkdirp(dir: string): void;
  /** Entry names in a directory (files and directories), sorted; [] when it does not exist. */
  list(dir: string): string[];
  exists(p: string): boolean;
  isDirectory(p: string): boolean;
  /** Opens a file for read and write, creating it when `create` is set. */
  open(p: string, create: boolean): StoreFile;
  remove(p: string): void;
  /** Removes a directory tree. */
  removeTree(p: string): void;
  /** Whole small file, or undefined if missing. */
  readSmall(p: string): Buffer | undefined;
  /** Replaces a small file's content durably enough for markers (write + fsync). */
  writeSmall(p: string, data: Buffer): void;
  /** Space of the filesystem holding `p` (disk protection). */
  diskUsage(p: string): DiskUsage;
  /** Makes a directory's entries durable (a file created since is found after power loss). */
  syncDir(dir: string): Promise<void>;
}

/**
 * Cuts a preallocated file at `from` and keeps it `fullBytes` long: everything past `from` reads as
 * zeros again (shrink, then extend sparse), as a fresh Java MappedFile would be.
 */
export function cutPreallocated(file: StoreFile, from: number, fullBytes: number): void {
  if (file.size() > from) file.truncate(from);
  if (file.size() < fullBytes) file.truncate(fullBytes);
}

// ------------------------------------------------------------------ real files

class FsFile implements StoreFile {
  private fd: number;
  private length: number;
  constructor(readonly path: string, create: boolean) {
    this.fd = fs.openSync(path, create ? fs.constants.O_RDWR | fs.constants.O_CREAT : fs.constants.O_RDWR, 0o644);
    this.length = fs.fstatSync(this.fd).size;
  }
  size(): number {
    return this.length;
  }
  write(buf: Buffer, position: number): void {
    let done = 0;
    while (done < buf.length) done += fs.writeSync(this.fd, buf, done, buf.length - done, position + done);
    if (position + buf.length > this.length) this.length = position + buf.length;
  }
  read(buf: Buffer, offset: number, length: number, position: number): number {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.fd, buf, offset + done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }
  truncate(length: number): void {
    fs.ftruncateSync(this.fd, length);
    this.length = length;
  }
  sync(): Promise<void> {
    // A file closed since it was written (deleted by retention, or the store shut down) has nothing left to sync.
    if (this.fd < 0) return Promise.resolve();
    return new Promise((resolve, reject) => fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
  }
  modifiedMs(): number {
    return fs.fstatSync(this.fd).mtimeMs;
  }
  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

export class FsStoreFiles implements StoreFiles {
  mkdirp(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
  }
  list(dir: string): string[] {
    try {
      return fs.readdirSync(dir).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }
  exists(p: string): boolean {
    return fs.existsSync(p);
  }
  isDirectory(p: string): boolean {
    try {
      return fs.statSync(p).isDirectory();
    } catch {
      return false;
    }
  }
  open(p: string, create: boolean): StoreFile {
    if (create) fs.mkdirSync(path.dirname(p), { recursive: true });
    return new FsFile(p, create);
  }
  remove(p: string): void {
    fs.rmSync(p, { force: true });
  }
  removeTree(p: string): void {
    fs.rmSync(p, { recursive: true, force: true });
  }
  readSmall(p: string): Buffer | undefined {
    try {
      return fs.readFileSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
  writeSmall(p: string, data: Buffer): void {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    const fd = fs.openSync(p, 'w');
    try {
      fs.writeSync(fd, data, 0, data.length, 0);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
  syncDir(dir: string): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.open(dir, fs.constants.O_RDONLY, (err, fd) => {
        if (err) return reject(err);
        fs.fsync(fd, (syncErr) => fs.close(fd, () => (syncErr ? reject(syncErr) : resolve())));
      });
    });
  }
  diskUsage(p: string): DiskUsage {
    const s = fs.statfsSync(p);
    return { totalBytes: s.blocks * s.bsize, freeBytes: s.bfree * s.bsize, availableBytes: s.bavail * s.bsize };
  }
}

// ------------------------------------------------------------------ memory

/**
 * One in-memory file: `length` bytes long, sparse — only `data[0..written)` is allocated, the rest
 * reads as zeros (so a preallocated 1 GiB segment costs nothing). `durable` is what the last sync kept.
 */
export class MemFile {
  data = Buffer.alloc(0);
  /** Allocated prefix actually holding bytes; beyond it the file reads as zeros. */
  written = 0;
  length = 0;
  durable = Buffer.alloc(0);
  durableLength = 0;
  mtime: number;
  constructor(readonly path: string, readonly owner: MemoryStoreFiles) {
    this.mtime = owner.clock();
  }
  private ensure(n: number): void {
    if (n <= this.data.length) return;
    const next = Buffer.alloc(Math.max(n, Math.min(this.data.length * 2, n + 64 * 1024 * 1024), 4096));
    this.data.copy(next, 0, 0, this.written);
    this.data = next;
  }
  write(buf: Buffer, position: number): void {
    this.owner.beforeWrite?.(this, buf, position);
    this.ensure(position + buf.length);
    if (position > this.written) this.data.fill(0, this.written, position);
    buf.copy(this.data, position);
    if (position + buf.length > this.written) this.written = position + buf.length;
    if (position + buf.length > this.length) this.length = position + buf.length;
    this.mtime = this.owner.clock();
  }
  read(buf: Buffer, offset: number, length: number, position: number): number {
    if (position >= this.length) return 0;
    const n = Math.min(length, this.length - position);
    const fromData = Math.max(0, Math.min(n, this.written - position));
    if (fromData > 0) this.data.copy(buf, offset, position, position + fromData);
    if (fromData < n) buf.fill(0, offset + fromData, offset + n);
    return n;
  }
  truncate(length: number): void {
    if (length < this.written) {
      this.data.fill(0, length, this.written);
      this.written = length;
    }
    this.length = length;
  }
  async sync(): Promise<void> {
    await this.owner.beforeSync?.(this);
    this.durable = Buffer.from(this.data.subarray(0, this.written));
    this.durableLength = this.length;
  }
  /** Bytes currently visible, as a copy. */
  content(): Buffer {
    const b = Buffer.alloc(this.length);
    this.data.copy(b, 0, 0, Math.min(this.written, this.length));
    return b;
  }
  /** Replaces the visible content (fault injection). */
  setContent(b: Buffer, length = b.length): void {
    this.data = Buffer.from(b);
    this.written = Math.min(b.length, length);
    this.length = length;
  }
  /** Power loss: back to what the last sync made durable. */
  revert(): void {
    this.setContent(this.durable, this.durableLength);
  }
}

/** An open handle on a MemFile: like a file descriptor, it stops working once closed (EBADF). */
class MemHandle implements StoreFile {
  private closed = false;
  constructor(private readonly f: MemFile) {}
  get path(): string {
    return this.f.path;
  }
  private check(): void {
    if (this.closed) throw Object.assign(new Error(`EBADF: ${this.f.path} is closed`), { code: 'EBADF' });
  }
  size(): number {
    return this.f.length;
  }
  write(buf: Buffer, position: number): void {
    this.check();
    this.f.write(buf, position);
  }
  read(buf: Buffer, offset: number, length: number, position: number): number {
    this.check();
    return this.f.read(buf, offset, length, position);
  }
  truncate(length: number): void {
    this.check();
    this.f.truncate(length);
  }
  sync(): Promise<void> {
    return this.closed ? Promise.resolve() : this.f.sync();
  }
  modifiedMs(): number {
    return this.f.mtime;
  }
  close(): void {
    this.closed = true;
  }
}

/**
 * All files in a Map keyed by normalized path. Directories exist implicitly (as prefixes) or
 * explicitly (mkdirp). Hooks let tests fail or tear writes and syncs.
 */
export class MemoryStoreFiles implements StoreFiles {
  readonly files = new Map<string, MemFile>();
  readonly dirs = new Set<string>();
  beforeWrite?: (f: MemFile, buf: Buffer, position: number) => void;
  beforeSync?: (f: MemFile) => Promise<void> | void;
  usage: DiskUsage = { totalBytes: 100 * 1024 ** 3, freeBytes: 90 * 1024 ** 3, availableBytes: 90 * 1024 ** 3 };
  /** Stamps file modification times (tests move it to age segments). */
  clock: () => number = Date.now;

  private norm(p: string): string {
    return path.posix.normalize(p.replace(/\\/g, '/')).replace(/\/$/, '');
  }
  mkdirp(dir: string): void {
    let d = this.norm(dir);
    while (d && d !== '/' && d !== '.') {
      this.dirs.add(d);
      d = path.posix.dirname(d);
    }
  }
  list(dir: string): string[] {
    const d = this.norm(dir) + '/';
    const names = new Set<string>();
    for (const key of [...this.files.keys(), ...this.dirs]) {
      if (key.startsWith(d)) names.add(key.slice(d.length).split('/')[0]);
    }
    return [...names].sort();
  }
  exists(p: string): boolean {
    const n = this.norm(p);
    return this.files.has(n) || this.isDirectory(n);
  }
  isDirectory(p: string): boolean {
    const n = this.norm(p);
    if (this.dirs.has(n)) return true;
    for (const key of this.files.keys()) if (key.startsWith(n + '/')) return true;
    return false;
  }
  open(p: string, create: boolean): StoreFile {
    const n = this.norm(p);
    let f = this.files.get(n);
    if (!f) {
      if (!create) throw Object.assign(new Error(`ENOENT: ${n}`), { code: 'ENOENT' });
      f = new MemFile(n, this);
      this.files.set(n, f);
      this.mkdirp(path.posix.dirname(n));
    }
    return new MemHandle(f);
  }
  file(p: string): MemFile | undefined {
    return this.files.get(this.norm(p));
  }
  remove(p: string): void {
    this.files.delete(this.norm(p));
  }
  removeTree(p: string): void {
    const n = this.norm(p);
    this.files.delete(n);
    this.dirs.delete(n);
    for (const key of [...this.files.keys()]) if (key.startsWith(n + '/')) this.files.delete(key);
    for (const key of [...this.dirs]) if (key.startsWith(n + '/')) this.dirs.delete(key);
  }
  readSmall(p: string): Buffer | undefined {
    return this.files.get(this.norm(p))?.content();
  }
  writeSmall(p: string, data: Buffer): void {
    this.open(p, true).close();
    const f = this.files.get(this.norm(p))!;
    f.setContent(data);
    f.durable = Buffer.from(data);
    f.durableLength = data.length;
  }
  diskUsage(): DiskUsage {
    return this.usage;
  }
  async syncDir(): Promise<void> {
    // Memory files model data durability only; directory entries always survive.
  }
  /** Simulates power loss: every file falls back to what its last sync made durable. */
  loseUnsynced(): void {
    for (const f of this.files.values()) f.revert();
  }
}
