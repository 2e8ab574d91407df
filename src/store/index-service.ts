/**
 * IndexService: the list of IndexFiles under `{storePathRootDir}/index`, named by creation time
 * (yyyyMMddHHmmssSSS, local time, as UtilAll#timeMillisToHumanString). Indexes UNIQ_KEY and every
 * space-separated KEYS entry of each record except ROLLBACK ones, keyed `topic#key`.
 */
import { MessageConst } from '../protocol/message-const.js';
import path from 'node:path';
import { log } from '../logger.js';
import { getProperty, javaStringHash } from '../codec/message-properties.js';
import { MessageSysFlag, transactionType } from '../protocol/sys-flag.js';
import { IndexFile, indexKeyHashOf } from './index-file.js';
import type { StoreFiles } from './store-files.js';

/** MessageStoreConfig#maxMsgsNumBatch: a query never returns more offsets than this. */
export const MAX_MSGS_NUM_BATCH = 64;

export interface QueryOffsetResult {
  phyOffsets: number[];
  indexLastUpdateTimestamp: number;
  indexLastUpdatePhyoffset: number;
}

/** UtilAll#timeMillisToHumanString: yyyyMMddHHmmssSSS in local time. */
export function timeMillisToHumanString(t: number): string {
  const d = new Date(t);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}${p(d.getMilliseconds(), 3)}`;
}

export class IndexService {
  private readonly indexFiles: IndexFile[] = [];
  /** CommitLog offset of the newest indexed record; records at or below it are not indexed again. */
  private lastIndexedPhy = -1;
  /** Store time of the newest record the indexer has seen (keys or not): the checkpoint's indexMsgTimestamp. */
  lastProcessedTimestamp = 0;
  private touched = new Set<IndexFile>();
  /** The last flush of a file that just became full, until it is sealed. */
  private sealing: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    private readonly files: StoreFiles,
    private readonly hashSlotNum: number,
    private readonly indexNum: number,
    private readonly now: () => number,
  ) {}

  /** Opens the files; after a crash the last one is repaired from its entries. */
  load(crashed: boolean, logEnd: number): void {
    this.files.mkdirp(this.dir);
    for (const name of this.files.list(this.dir)) {
      if (!/^\d{17}$/.test(name)) continue;
      const f = new IndexFile(this.files.open(path.join(this.dir, name), false), name, this.hashSlotNum, this.indexNum);
      f.readHeader();
      this.indexFiles.push(f);
    }
    const last = this.indexFiles[this.indexFiles.length - 1];
    if (!last) return;
    if (crashed) {
      const { kept, dropped } = last.rebuildFromEntries(logEnd);
      log.info(`index: repaired ${last.name} after a crash: ${kept} entries kept, ${dropped} dropped`);
    } else if (!last.isWriteFull()) {
      last.loadSlots();
    }
    if (last.isWriteFull()) this.sealRepaired(last);
    this.lastIndexedPhy = last.indexCount > 1 || this.indexFiles.length > 1 ? last.endPhyOffset : -1;
    this.lastProcessedTimestamp = last.endTimestamp;
  }

  /**
   * A full file is read from disk once sealed, so its repaired slot pages must be there first. When they
   * cannot be written (no space), the file keeps its table in memory and serves queries from it; the
   * next complete flush writes it.
   */
  private sealRepaired(f: IndexFile): void {
    try {
      f.writeSlotsAndHeader();
      f.seal();
    } catch (e) {
      log.error(`index: cannot write the repaired slot table of ${f.name}; keeping it in memory: ${(e as Error).message}`);
    }
  }

  /** IndexService#buildIndex for one stored record. */
  build(topic: string, properties: string, sysFlag: number, phyOffset: number, storeTimestamp: number): void {
    if (storeTimestamp > this.lastProcessedTimestamp) this.lastProcessedTimestamp = storeTimestamp;
    if (phyOffset <= this.lastIndexedPhy) return;
    if (transactionType(sysFlag) === MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) return;
    const uniq = getProperty(properties, MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
    const keys = getProperty(properties, MessageConst.PROPERTY_KEYS);
    if (!uniq && !keys) return;
    // Keys are `topic#key` (IndexService#buildKey); hashed from the topic's hash, not built as strings.
    const topicHash = javaStringHash(topic);
    if (uniq) this.put(indexKeyHashOf(topicHash, uniq), phyOffset, storeTimestamp);
    if (keys) {
      for (const key of keys.split(' ')) if (key.length > 0) this.put(indexKeyHashOf(topicHash, key), phyOffset, storeTimestamp);
    }
  }

  private put(keyHash: number, phyOffset: number, storeTimestamp: number): void {
    let f = this.writable();
    if (!f.putKey(keyHash, phyOffset, storeTimestamp)) {
      f = this.writable();
      if (!f.putKey(keyHash, phyOffset, storeTimestamp)) return;
    }
    this.touched.add(f);
    this.lastIndexedPhy = phyOffset;
  }

  /** IndexService#getAndCreateLastIndexFile: the last file, or a new one when it is full. */
  private writable(): IndexFile {
    const last = this.indexFiles[this.indexFiles.length - 1];
    if (last && !last.isWriteFull()) return last;
    let t = this.now();
    let name = timeMillisToHumanString(t);
    // Two files created in one millisecond (tiny test sizes) must not share a name.
    while (last && name <= last.name) name = timeMillisToHumanString(++t);
    const f = new IndexFile(this.files.open(path.join(this.dir, name), true), name, this.hashSlotNum, this.indexNum);
    f.initNew(last?.endPhyOffset ?? 0, last?.endTimestamp ?? 0);
    this.indexFiles.push(f);
    if (last) {
      // The full file will not change again: flush it once and drop its in-memory slots.
      // (A truncation may have made it writable again meanwhile: then it keeps its slots.)
      const sealing: Promise<void> = last.flush(true).then(() => {
        if (last.isWriteFull()) last.seal();
      }, (e) => log.error(`index flush of ${last.name} failed: ${(e as Error).message}`)).then(() => {
        if (this.sealing === sealing) this.sealing = undefined;
      });
      this.sealing = sealing;
    }
    log.info(`index: created ${name}`);
    return f;
  }

  /** Hands this tick's entries to the OS. */
  writePending(): void {
    for (const f of this.touched) f.writePending();
    this.touched.clear();
  }

  /** Periodic: entries durable. `complete` (shutdown): slots and header as well. */
  async flush(complete = false): Promise<void> {
    const last = this.indexFiles[this.indexFiles.length - 1];
    if (last) await last.flush(complete);
  }

  /** IndexService#queryOffset: newest files first, stop at maxNum or when files get older than `begin`. */
  query(topic: string, key: string, maxNum: number, begin: number, end: number): QueryOffsetResult {
    const out: number[] = [];
    const max = Math.min(maxNum, MAX_MSGS_NUM_BATCH);
    const last = this.indexFiles[this.indexFiles.length - 1];
    const result = { phyOffsets: out, indexLastUpdateTimestamp: last?.endTimestamp ?? 0, indexLastUpdatePhyoffset: last?.endPhyOffset ?? 0 };
    for (let i = this.indexFiles.length - 1; i >= 0; i--) {
      const f = this.indexFiles[i];
      if (f.isTimeMatched(begin, end)) f.selectPhyOffsets(out, `${topic}#${key}`, max, begin, end);
      if (f.beginTimestamp < begin || out.length >= max) break;
    }
    return result;
  }

  /** Waits for a full file's last flush (a truncation rebuilds files and must not race it). */
  async settle(): Promise<void> {
    while (this.sealing) await this.sealing;
  }

  /**
   * Crash repair after the log end is known, and the log cut at `logEnd` (controller mode): entries pointing
   * at or past it go, so a query never returns a record the log no longer has (or a later one at the same
   * offset), and records written there from now on are indexed again. Newest files whose entries all point
   * past the end (or that are empty past it) go whole; the file that straddles it is rebuilt from its entries.
   */
  truncateByLogEnd(logEnd: number): void {
    let files = 0;
    for (let f = this.indexFiles.at(-1); f && (f.indexCount > 1 ? f.beginPhyOffset : f.endPhyOffset) >= logEnd; f = this.indexFiles.at(-1)) {
      this.indexFiles.pop();
      this.touched.delete(f);
      f.close();
      this.files.remove(path.join(this.dir, f.name));
      files++;
    }
    const last = this.indexFiles.at(-1);
    if (last && last.endPhyOffset >= logEnd) {
      const { dropped } = last.rebuildFromEntries(logEnd);
      log.warn(`index: dropped ${dropped} entries of ${last.name} pointing past the log end ${logEnd}`);
    }
    if (files) log.warn(`index: removed ${files} files whose entries all point past the log end ${logEnd}`);
    this.lastIndexedPhy = last && (last.indexCount > 1 || this.indexFiles.length > 1) ? last.endPhyOffset : -1;
  }

  /** IndexService#deleteExpiredFile: whole files (never the last) whose entries all precede `minPhyOffset`. */
  deleteBelow(minPhyOffset: number): number {
    let removed = 0;
    while (this.indexFiles.length > 1 && this.indexFiles[0].endPhyOffset < minPhyOffset) {
      const f = this.indexFiles.shift()!;
      f.close();
      this.files.remove(path.join(this.dir, f.name));
      removed++;
    }
    return removed;
  }

  close(): void {
    for (const f of this.indexFiles) f.close();
  }

  fileCount(): number {
    return this.indexFiles.length;
  }
}
