import fs from 'node:fs';
import path from 'node:path';

/** Where finished log lines (each ending in '\n') go. */
export interface Sink {
  write(line: string): void;
  /** Everything written so far on its way to the OS, synchronously (called on 'exit'). */
  flush(): void;
  close(): void;
}

export const stderrSink: Sink = {
  // process.stderr is synchronous for files and pipes on Linux, so nothing waits in memory here.
  write: (line) => void process.stderr.write(line),
  flush: () => {},
  close: () => {},
};

export const LOG_FILE_MAX_BYTES_DEFAULT = 64 * 1024 * 1024;
export const LOG_FILE_KEEP_DEFAULT = 3;
/** Lines are written once per event-loop turn, or sooner when this much is waiting. */
const BATCH_BYTES = 64 * 1024;

export interface FileSinkOptions {
  /** The file is rotated before a write would take it past this size. */
  maxBytes?: number;
  /** Rotated files kept: FILE.1 (newest) .. FILE.keep; 0 truncates FILE instead. */
  keep?: number;
  /** Where the sink reports its own trouble (a write or rotation that failed); stderr by default. */
  report?: (msg: string) => void;
}

/**
 * Appends to a file, rotating it at a size cap. Writes are synchronous but batched per event-loop turn:
 * one write(2) per turn instead of one per line, and nothing sits in a buffer an async write still owns
 * when the process exits, so a flush on 'exit' (or before a crash exit) gets every line out in order.
 */
export class RotatingFileSink implements Sink {
  readonly maxBytes: number;
  readonly keep: number;
  private fd = -1;
  private size = 0;
  private closed = false;
  private pending: string[] = [];
  private pendingChars = 0;
  private scheduled = false;
  private lost = 0;
  private lostWhy = '';
  private readonly report: (msg: string) => void;

  constructor(readonly file: string, opts: FileSinkOptions = {}) {
    this.maxBytes = opts.maxBytes ?? LOG_FILE_MAX_BYTES_DEFAULT;
    this.keep = opts.keep ?? LOG_FILE_KEEP_DEFAULT;
    if (!(this.maxBytes >= 1) || !Number.isInteger(this.keep) || this.keep < 0) {
      throw new RangeError(`log file: maxBytes ${this.maxBytes} / keep ${this.keep} out of range`);
    }
    this.report = opts.report ?? ((m) => void process.stderr.write(`${new Date().toISOString()} ERROR ${m}\n`));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.open();
  }

  write(line: string): void {
    if (this.closed) return;
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars >= BATCH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      // unref'd: a pending batch must not keep the process alive; the 'exit' flush writes it.
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      }).unref();
    }
  }

  flush(): void {
    if (this.pending.length === 0 || this.closed) return;
    const lines = this.pending;
    this.pending = [];
    this.pendingChars = 0;
    const dropped = lines.length;
    if (this.lost > 0) {
      lines.unshift(`${new Date().toISOString()} ERROR log file: ${this.lost} lines lost (${this.lostWhy})\n`);
    }
    const parts: Buffer[] = [];
    let batch = 0;
    try {
      // A failed rotation can leave no file open; try again now rather than holding lines in memory.
      if (this.fd < 0) this.open();
      for (const line of lines) {
        const b = Buffer.from(line);
        // Rotate before the line that would cross the cap; a line longer than the cap still goes into
        // a file of its own rather than being dropped (lines are capped far below the default size).
        if (this.size + batch + b.length > this.maxBytes && this.size + batch > 0) {
          this.writeOut(parts, batch);
          parts.length = 0;
          batch = 0;
          this.rotate();
        }
        parts.push(b);
        batch += b.length;
      }
      this.writeOut(parts, batch);
      this.lost = 0;
    } catch (e) {
      // A full disk must not take the server down; count what is lost and say so once the file works again.
      if (this.lost === 0) this.report(`log file ${this.file}: ${(e as Error).message}; lines are being lost`);
      this.lost += dropped;
      this.lostWhy = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
  }

  close(): void {
    this.flush();
    this.closed = true;
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  private open(): void {
    this.fd = fs.openSync(this.file, 'a');
    this.size = fs.fstatSync(this.fd).size;
  }

  private writeOut(parts: Buffer[], bytes: number): void {
    if (bytes === 0) return;
    const buf = parts.length === 1 ? parts[0] : Buffer.concat(parts, bytes);
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off);
    this.size += buf.length;
  }

  private rotate(): void {
    try {
      if (this.keep === 0) throw Object.assign(new Error('keep=0'), { code: 'KEEP0' });
      fs.closeSync(this.fd);
      this.fd = -1;
      for (let i = this.keep - 1; i >= 1; i--) renameIfThere(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      fs.renameSync(this.file, `${this.file}.1`);
    } catch (e) {
      // No rotation possible (keep=0, or a rename refused): truncate in place, so the cap still holds.
      if ((e as NodeJS.ErrnoException).code !== 'KEEP0') this.report(`log file ${this.file}: rotation failed (${(e as Error).message}); truncating it`);
      if (this.fd < 0) this.open();
      fs.ftruncateSync(this.fd, 0);
      this.size = 0;
      return;
    }
    this.open();
  }
}

function renameIfThere(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
