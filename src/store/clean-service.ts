/**
 * Retention and disk protection (DefaultMessageStore.CleanCommitLogService / CleanConsumeQueueService).
 *
 * Every run:
 *   1. measure the disk holding the CommitLog and the queues;
 *      > 90 % used: mark the disk full (sends get SERVICE_NOT_AVAILABLE) and clean at once;
 *      > 85 %: clean at once (delete segments even if not expired);
 *      > diskMaxUsedSpaceRatio: delete expired segments now, whatever the hour.
 *   2. at a `deleteWhen` hour, or on disk pressure, or when asked manually, delete CommitLog
 *      segments (never the one being written) last modified more than fileReservedTime hours ago —
 *      oldest first, stopping at the first one still live, at most 10 per run;
 *   3. trim ConsumeQueues and index files to the new min CommitLog offset (min offsets move; a
 *      consumer behind them gets OFFSET_TOO_SMALL ⇒ PULL_OFFSET_MOVED with the new offset).
 */
import { log } from '../logger.js';
import type { CommitLog } from './commit-log.js';
import type { ConsumeQueue } from './consume-queue.js';
import type { IndexService } from './index-service.js';
import { usedRatio, type StoreFiles } from './store-files.js';

/** System property rocketmq.broker.diskSpaceWarningLevelRatio: above it, writes are refused. */
export const DISK_SPACE_WARNING_LEVEL_RATIO = 0.9;
/** System property rocketmq.broker.diskSpaceCleanForciblyRatio: above it, segments go even if not expired. */
export const DISK_SPACE_CLEAN_FORCIBLY_RATIO = 0.85;
/** MappedFileQueue.DELETE_FILES_BATCH_MAX: segments deleted per run, so one run never stalls for long. */
const DELETE_FILES_BATCH_MAX = 10;
/** CleanCommitLogService.MAX_MANUAL_DELETE_FILE_TIMES: runs a manual request stays active. */
const MAX_MANUAL_DELETE_FILE_TIMES = 20;

export interface CleanConfig {
  fileReservedTime: number;
  deleteWhen: string;
  diskMaxUsedSpaceRatio: number;
}

export interface CleanTargets {
  commitLog: CommitLog;
  queues: () => Iterable<ConsumeQueue>;
  index: IndexService | undefined;
  /** Directories whose filesystems are watched (CommitLog dir, store root). */
  paths: string[];
}

export interface CleanRunResult {
  deletedSegments: number;
  diskRatio: number;
  diskFull: boolean;
}

export class CleanService {
  /** RunningFlags disk-full bit: while set, putMessage answers SERVICE_NOT_AVAILABLE. */
  diskFull = false;
  private manualRuns = 0;
  private lastMinPhy = -1;

  constructor(
    private readonly config: CleanConfig,
    private readonly targets: CleanTargets,
    private readonly files: StoreFiles,
    private readonly now: () => number,
  ) {}

  /** DELETE_EXPIRED_COMMITLOG (admin): keep deleting expired segments for the next runs. */
  executeDeleteFilesManually(): void {
    this.manualRuns = MAX_MANUAL_DELETE_FILE_TIMES;
  }

  run(): CleanRunResult {
    const { spaceToDelete, cleanImmediately, ratio } = this.checkSpace();
    const timeUp = isItTimeToDo(this.config.deleteWhen, this.now());
    const manual = this.manualRuns > 0;
    let deleted = 0;
    if (timeUp || spaceToDelete || manual) {
      if (manual) this.manualRuns--;
      deleted = this.deleteExpiredSegments(this.config.fileReservedTime * 3_600_000, cleanImmediately);
      if (deleted > 0) {
        log.info(`clean: deleted ${deleted} commitlog segments (timeUp=${timeUp} space=${spaceToDelete} manual=${manual} forced=${cleanImmediately}, disk ${(ratio * 100).toFixed(1)}%)`);
      } else if (spaceToDelete) {
        log.warn(`clean: disk ${(ratio * 100).toFixed(1)}% used but no commitlog segment could be deleted`);
      }
    }
    this.trimToLog();
    return { deletedSegments: deleted, diskRatio: ratio, diskFull: this.diskFull };
  }

  /**
   * Measures the disks and sets or clears the disk-full bit, without cleaning: while writes are refused
   * the store calls this more often than the periodic run, so freed space is noticed within a second.
   */
  refreshDiskFull(): boolean {
    this.checkSpace();
    return this.diskFull;
  }

  /** CleanCommitLogService#isSpaceToDelete (both the CommitLog and the queues' filesystems). */
  private checkSpace(): { spaceToDelete: boolean; cleanImmediately: boolean; ratio: number } {
    let ratio = -1;
    for (const p of this.targets.paths) {
      try {
        ratio = Math.max(ratio, usedRatio(this.files.diskUsage(p)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.error(`clean: cannot measure disk usage of ${p}: ${(e as Error).message}`);
      }
    }
    let cleanImmediately = false;
    if (ratio > DISK_SPACE_WARNING_LEVEL_RATIO) {
      if (!this.diskFull) log.error(`clean: disk ${(ratio * 100).toFixed(1)}% used: refusing writes until it drops below ${DISK_SPACE_WARNING_LEVEL_RATIO * 100}%`);
      this.diskFull = true;
      cleanImmediately = true;
    } else {
      if (this.diskFull) log.info(`clean: disk ${(ratio * 100).toFixed(1)}% used: accepting writes again`);
      this.diskFull = false;
      cleanImmediately = ratio > DISK_SPACE_CLEAN_FORCIBLY_RATIO;
    }
    const spaceToDelete = ratio < 0 || ratio > this.config.diskMaxUsedSpaceRatio / 100;
    return { spaceToDelete, cleanImmediately, ratio };
  }

  /** MappedFileQueue#deleteExpiredFileByTime. */
  private deleteExpiredSegments(expiredMs: number, cleanImmediately: boolean): number {
    const segs = this.targets.commitLog.segments;
    const now = this.now();
    let count = 0;
    // Never the last segment (being written); stop at the first live one so the log has no holes.
    while (count < DELETE_FILES_BATCH_MAX && count < segs.length - 1) {
      const s = segs[count];
      if (!(cleanImmediately || now >= s.file.modifiedMs() + expiredMs)) break;
      count++;
    }
    if (count > 0) this.targets.commitLog.removeFirstSegments(count);
    return count;
  }

  /** CleanConsumeQueueService#deleteExpiredFiles: queues and index follow the log's min offset. */
  trimToLog(): void {
    const minPhy = this.targets.commitLog.minOffset;
    if (minPhy <= this.lastMinPhy) return;
    this.lastMinPhy = minPhy;
    let queueFiles = 0;
    for (const cq of this.targets.queues()) queueFiles += cq.deleteBelow(minPhy);
    const indexFiles = this.targets.index?.deleteBelow(minPhy) ?? 0;
    if (queueFiles || indexFiles) log.info(`clean: min commitlog offset ${minPhy}: removed ${queueFiles} consumequeue and ${indexFiles} index files`);
  }
}

/** UtilAll#isItTimeToDo: is the local hour of `now` one of the `;`-separated hours? */
export function isItTimeToDo(when: string, now: number): boolean {
  const hour = new Date(now).getHours();
  return when.split(';').some((w) => w.trim() !== '' && Number.parseInt(w, 10) === hour);
}
