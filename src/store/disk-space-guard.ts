/**
 * Refuses writes while the store's disk has no room, and lets them in again once it has.
 *
 * Two things make the disk count as full:
 *   - the periodic disk check (CleanService): more than 90 % of the CommitLog's filesystem used;
 *   - a write that failed for lack of space (ENOSPC or EDQUOT), which can happen long before the
 *     next periodic check, or on a filesystem the ratio does not describe (quotas, tiny volumes).
 * From the first failed write on, sends are answered SERVICE_NOT_AVAILABLE with the Java broker's
 * disk-usage remark instead of failing one by one. While refusing, the disks are measured again at
 * most once a second, so freed space is noticed without a restart and without a stat per send.
 */
import path from 'node:path';
import { log } from '../logger.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { CleanService } from './clean-service.js';
import { usedPercentRoundedUp, type StoreFiles } from './store-files.js';
import type { PutMessageResult } from './types.js';

/** How often a refusing store measures its disks again. */
export const DISK_FULL_PROBE_INTERVAL_MS = 1_000;

export interface GuardedPaths {
  commitLog: string;
  consumeQueue: string;
  index: string;
}

/** The directories whose filesystems diskUtil measures, where the store keeps them. */
export function storeDiskPaths(config: BrokerConfig): GuardedPaths {
  return {
    commitLog: config.storePathCommitLog || path.join(config.storePathRootDir, 'commitlog'),
    consumeQueue: path.join(config.storePathRootDir, 'consumequeue'),
    index: path.join(config.storePathRootDir, 'index'),
  };
}

/**
 * SendMessageProcessor#diskUtil: used ratios of the CommitLog, ConsumeQueue and index filesystems,
 * `%5.2f` each, -1 for a path that cannot be measured (UtilAll answers -1 for a missing one).
 */
export function diskUtil(files: StoreFiles, paths: GuardedPaths): string {
  const ratio = (p: string): number => {
    try {
      return usedPercentRoundedUp(files.diskUsage(p));
    } catch {
      return -1;
    }
  };
  const f = (r: number): string => r.toFixed(2).padStart(5);
  return `CL: ${f(ratio(paths.commitLog))} CQ: ${f(ratio(paths.consumeQueue))} INDEX: ${f(ratio(paths.index))}`;
}

/** Whether a SERVICE_NOT_AVAILABLE remark is already diskUtil's figures (the disk-full refusal's). */
export function isDiskUtil(remark: string | undefined): boolean {
  return remark !== undefined && /^CL: +-?\d+\.\d\d CQ: +-?\d+\.\d\d INDEX: +-?\d+\.\d\d$/.test(remark);
}

export class DiskSpaceGuard {
  /** Time of the write that failed for lack of space; undefined while writes succeed. */
  private noSpaceSince: number | undefined;
  private lastProbeMs = 0;

  constructor(
    private readonly files: StoreFiles,
    private readonly paths: GuardedPaths,
    private readonly clean: CleanService,
    private readonly now: () => number,
    /** Free bytes that must be back before writes resume: room for the largest record. */
    private readonly resumeFreeBytes: number,
  ) {}

  get refusing(): boolean {
    return this.noSpaceSince !== undefined || this.clean.diskFull;
  }

  /** A CommitLog write failed for lack of space: refuse writes from now on. */
  noteNoSpace(err: Error): void {
    if (this.noSpaceSince === undefined) {
      log.error(`store: no space left for the commitlog (${err.message}); refusing writes until space is freed. ${this.diskUtil()}`);
    }
    this.noSpaceSince = this.now();
    this.lastProbeMs = this.now();
  }

  /** The answer for a put while the disk is full, or undefined when writes may go on. */
  refusal(): PutMessageResult | undefined {
    if (!this.refusing) return undefined;
    const now = this.now();
    if (now - this.lastProbeMs >= DISK_FULL_PROBE_INTERVAL_MS) {
      this.lastProbeMs = now;
      this.probe();
      if (!this.refusing) return undefined;
    }
    return this.answer();
  }

  /** SERVICE_NOT_AVAILABLE with the disk usage in the remark. */
  answer(): PutMessageResult {
    return { status: 'SERVICE_NOT_AVAILABLE', remark: this.diskUtil() };
  }

  private probe(): void {
    this.clean.refreshDiskFull();
    if (this.noSpaceSince === undefined) return;
    let free = 0;
    try {
      free = this.files.diskUsage(this.paths.commitLog).availableBytes;
    } catch (e) {
      log.error(`store: cannot measure free space of ${this.paths.commitLog}: ${(e as Error).message}`);
      return;
    }
    if (free >= this.resumeFreeBytes) {
      log.info(`store: ${free} bytes free again after ${this.now() - this.noSpaceSince} ms; accepting writes`);
      this.noSpaceSince = undefined;
    }
  }

  /** SendMessageProcessor#diskUtil over this store's files and paths. */
  diskUtil(): string {
    return diskUtil(this.files, this.paths);
  }
}
