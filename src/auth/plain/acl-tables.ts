/**
 * The accounts, white addresses and data versions of every ACL file, loaded as PlainPermissionManager
 * (4.9.7) loads them: `loadAll` when the set of files changes (and at start), `loadFile` when one file
 * changes. Two Java behaviours are kept on purpose, since clients see them:
 *   - an access key removed from a file by an edit stays known (its file is remembered) while its account
 *     is gone, so it is refused "No PlainAccessResource for accessKey=..." until the next full load;
 *   - a file's global white addresses replace its earlier ones only when the file had some at the last
 *     full load; otherwise the new ones are added and earlier ones stay until the next full load.
 * Unlike Java, a file that fails to load leaves every table as it was (Java may apply part of it).
 */
import fs from 'node:fs';
import { log } from '../../logger.js';
import { JavaError } from './java-text.js';
import { addressMatcher, type AddressMatcher } from './address-strategy.js';
import { accountConfigOf, buildAccount, textOf, type Account } from './account.js';
import { aclFileList, readAclYaml, type YamlMap } from './acl-files.js';

/** DataVersion as plain_acl.yml and GET_BROKER_CLUSTER_ACL_INFO carry it. */
export interface DataVersion {
  counter: number;
  timestamp: number;
}

export const newDataVersion = (): DataVersion => ({ counter: 0, timestamp: Date.now() });

/** The first `dataVersion` entry of a yml map, or a fresh version (counter 0, now). */
export function dataVersionOf(data: YamlMap): DataVersion {
  const list = data.dataVersion;
  if (!Array.isArray(list) || list.length === 0) return newDataVersion();
  const first = list[0] as Record<string, unknown> | null;
  const num = (v: unknown, fallback: number): number => {
    const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
    return Number.isFinite(n) ? n : fallback;
  };
  return { counter: num(first?.counter, 0), timestamp: num(first?.timestamp, Date.now()) };
}

/** Bound on remembered client IPs (a broker sees few distinct ones; the bound stops a scan from growing it). */
const WHITE_SEEN_MAX = 4096;

interface WhiteEntry {
  pattern: string | null;
  match: AddressMatcher;
}

function whiteListOf(data: YamlMap): WhiteEntry[] {
  const list = data.globalWhiteRemoteAddresses;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new JavaError('globalWhiteRemoteAddresses is not a list');
  return list.map((p) => {
    const pattern = textOf(p);
    return { pattern, match: addressMatcher(pattern) };
  });
}

function accountsOf(data: YamlMap): Account[] {
  const list = data.accounts;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new JavaError('accounts is not a list');
  return list.map((e) => buildAccount(accountConfigOf(e)));
}

function ensureFile(file: string): void {
  try {
    fs.writeFileSync(file, '', { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new JavaError(`cannot create ${file}: ${(e as Error).message}`);
  }
}

export class AclTables {
  /** aclPlainAccessResourceMap: file -> access key -> account. */
  fileAccounts = new Map<string, Map<string, Account>>();
  /** accessKeyTable: access key -> the file that defines it (the first one read). */
  keyFile = new Map<string, string>();
  /** globalWhiteRemoteAddressStrategyMap: files whose white list a reload replaces. */
  private whiteByFile = new Map<string, WhiteEntry[]>();
  /** White addresses added by reloads of files not in whiteByFile (kept until the next full load). */
  private whiteKept = new Map<string | null, WhiteEntry>();
  /** dataVersionMap: file -> version. */
  versions = new Map<string, DataVersion>();
  /** The deprecated single version: plain_acl.yml's, as of the last time it was loaded. */
  defaultVersion: DataVersion = newDataVersion();
  /** The files found by the last full load. */
  files: string[] = [];
  /** Client IP -> whether a global white pattern covers it; emptied whenever the patterns change. */
  private whiteSeen = new Map<string, boolean>();

  constructor(readonly aclDir: string, readonly defaultFile: string) {}

  isGlobalWhite(ip: string): boolean {
    let white = this.whiteSeen.get(ip);
    if (white === undefined) {
      white = this.matchWhite(ip);
      if (this.whiteSeen.size >= WHITE_SEEN_MAX) this.whiteSeen.clear();
      this.whiteSeen.set(ip, white);
    }
    return white;
  }

  private matchWhite(ip: string): boolean {
    for (const list of this.whiteByFile.values()) for (const w of list) if (w.match(ip)) return true;
    for (const w of this.whiteKept.values()) if (w.match(ip)) return true;
    return false;
  }

  /**
   * PlainPermissionManager.load(): every file from scratch. Throws (tables untouched) if one is bad.
   * Like Java (assureAclConfigFilesExist) it first creates plain_acl.yml, empty, when it is missing (its
   * folder is not created: Java fails there too).
   */
  loadAll(): void {
    ensureFile(this.defaultFile);
    const files = aclFileList(this.aclDir, this.defaultFile);
    const fileAccounts = new Map<string, Map<string, Account>>();
    const keyFile = new Map<string, string>();
    const whiteByFile = new Map<string, WhiteEntry[]>();
    const versions = new Map<string, DataVersion>();
    for (const file of files) {
      const data = this.read(file);
      if (!data) {
        log.warn(`ACL: no data in file ${file}`);
        continue;
      }
      const white = whiteListOf(data);
      if (white.length > 0) whiteByFile.set(file, white);
      const accounts = new Map<string, Account>();
      for (const a of accountsOf(data)) {
        if (keyFile.has(a.accessKey)) {
          log.warn(`ACL: the accessKey ${a.accessKey} is repeated in multiple ACL files; ${file} is ignored for it`);
          continue;
        }
        accounts.set(a.accessKey, a);
        keyFile.set(a.accessKey, file);
      }
      if (accounts.size > 0) fileAccounts.set(file, accounts);
      versions.set(file, dataVersionOf(data));
    }
    const def = versions.get(this.defaultFile);
    if (def) this.defaultVersion = { ...def };
    this.files = files;
    this.fileAccounts = fileAccounts;
    this.keyFile = keyFile;
    this.whiteByFile = whiteByFile;
    this.whiteKept = new Map();
    this.whiteSeen = new Map();
    this.versions = versions;
  }

  /**
   * PlainPermissionManager.load(file): one changed file. Throws (tables untouched) if it is bad.
   * `keepDefaultVersion`: an admin code's own write; Java's deprecated single version follows plain_acl.yml
   * only when the watcher reloads it, a poll later.
   */
  loadFile(file: string, keepDefaultVersion = false): void {
    const data = this.read(file);
    if (!data) {
      log.warn(`ACL: no data in ${file}, skip it`);
      return;
    }
    const white = whiteListOf(data);
    const built = accountsOf(data);
    const version = dataVersionOf(data);
    if (this.whiteByFile.has(file)) this.whiteByFile.set(file, white);
    else for (const w of white) this.whiteKept.set(w.pattern, w);
    this.whiteSeen = new Map();
    const accounts = new Map<string, Account>();
    for (const a of built) {
      const owner = this.keyFile.get(a.accessKey);
      if (owner === undefined || owner === file) {
        accounts.set(a.accessKey, a);
        this.keyFile.set(a.accessKey, file);
      }
    }
    this.fileAccounts.set(file, accounts);
    this.versions.set(file, version);
    if (file === this.defaultFile && !keepDefaultVersion) this.defaultVersion = { ...version };
  }

  private read(file: string): YamlMap | null {
    try {
      return readAclYaml(file);
    } catch (e) {
      throw new JavaError(`${file}: ${(e as Error).message}`);
    }
  }
}
