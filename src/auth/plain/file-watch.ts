/**
 * AclFileWatchService (rocketmq-srvutil 4.9.8): every 5000 ms, list the ACL files again; when their number
 * changed, reload everything, otherwise reload each file whose modification stamp changed. A reload that
 * fails is logged and the accounts in force stay (the Java service logs and carries on too).
 */
import fs from 'node:fs';
import { log } from '../../logger.js';
import { aclFileList } from './acl-files.js';

/** AclFileWatchService.WATCH_INTERVAL. */
export const ACL_WATCH_INTERVAL_MS = 5000;

export interface WatchListener {
  onFileNumChanged(): void;
  onFileChanged(file: string): void;
}

/** mtime, size and inode: an edit within the same millisecond, or a rename over the file, still shows. */
function stampOf(file: string): string {
  try {
    const s = fs.statSync(file);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return '';
  }
}

export class AclFileWatcher {
  private count: number;
  private stamps = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly aclDir: string,
    private readonly defaultFile: string,
    private readonly listener: WatchListener,
  ) {
    const files = aclFileList(aclDir, defaultFile);
    this.count = files.length;
    for (const f of files) this.stamps.set(f, stampOf(f));
  }

  start(intervalMs = ACL_WATCH_INTERVAL_MS): void {
    this.timer = setInterval(() => this.poll(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round of the watch loop. */
  poll(): void {
    try {
      const files = aclFileList(this.aclDir, this.defaultFile);
      if (files.length !== this.count) {
        log.info(`ACL: ${this.count} files before, ${files.length} now: reloading all`);
        this.count = files.length;
        this.stamps = new Map(files.map((f) => [f, stampOf(f)]));
        this.listener.onFileNumChanged();
        return;
      }
      for (const f of files) {
        const stamp = stampOf(f);
        if (this.stamps.get(f) === stamp) continue;
        this.stamps.set(f, stamp);
        this.listener.onFileChanged(f);
      }
    } catch (e) {
      log.warn(`ACL: AclFileWatchService service has exception: ${(e as Error).message}`);
    }
  }
}
