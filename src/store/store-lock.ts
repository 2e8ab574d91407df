/**
 * One process per store. Two servers writing the same CommitLog and ConsumeQueues each acknowledge
 * writes the other then overwrites, and a second server's start-up recovery rewrites the queues the
 * first is serving. So, as DefaultMessageStore#start does, a server takes an exclusive lock on byte 0
 * of `<storePathRootDir>/lock` before it reads or writes anything in the store, and holds it for its life.
 *
 * - The lock is a POSIX record lock (fcntl), the kind Java's FileChannel.tryLock(0, 1, false) takes, so
 *   our server and the Apache broker exclude each other too on Linux. We take the open-file-description
 *   flavour (F_OFD_SETLK): a classic fcntl lock is dropped when the process closes *any* fd of the
 *   file, which any later open/close of `lock` elsewhere in the process would do silently.
 * - The kernel releases it when the process dies however it dies (SIGKILL included), so a crash never
 *   leaves a stale lock behind: no pid files to clean up.
 * - The refusal is the Apache broker's message, so scripts written for it recognise the failure.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tryLock } from 'fs-native-extensions';

/** RuntimeException message of DefaultMessageStore#start when the lock is held elsewhere. */
export const STORE_LOCKED_MESSAGE = 'Lock failed,MQ already started';
/** What the Java broker writes into the file once it holds the lock (its content means nothing else). */
const LOCK_FILE_CONTENT = 'lock';

export class StoreLockedError extends Error {
  constructor(readonly file: string) {
    super(STORE_LOCKED_MESSAGE);
    this.name = 'StoreLockedError';
  }
}

export class StoreLock {
  private constructor(
    readonly file: string,
    private fd: number | undefined,
  ) {}

  /**
   * Takes the lock or throws StoreLockedError without having changed anything in the store (only the
   * root directory and the empty `lock` file are created when the store does not exist yet).
   */
  static acquire(storePathRootDir: string): StoreLock {
    fs.mkdirSync(storePathRootDir, { recursive: true });
    const file = path.join(storePathRootDir, 'lock');
    // Open for read/write without truncating (RandomAccessFile "rw"): the holder's file stays as it wrote it.
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    let locked = false;
    try {
      locked = tryLock(fd, 0, 1);
    } finally {
      if (!locked) fs.closeSync(fd);
    }
    if (!locked) throw new StoreLockedError(file);
    fs.writeSync(fd, LOCK_FILE_CONTENT, 0);
    fs.fsyncSync(fd);
    return new StoreLock(file, fd);
  }

  get held(): boolean {
    return this.fd !== undefined;
  }

  /** Clean shutdown: closing the last fd of the open file description drops the lock. */
  release(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    fs.closeSync(fd);
  }
}
