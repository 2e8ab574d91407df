import path from 'node:path';
import type { AclConfig } from '../../config/security.js';
import type { AccessGate } from '../access.js';
import { log } from '../../logger.js';
import { AclTables, type DataVersion } from './acl-tables.js';
import { ACL_WATCH_INTERVAL_MS, AclFileWatcher } from './file-watch.js';
import { validateRequest } from './validator.js';
import { allAclConfig, deleteAccount, updateAccount, updateGlobalWhite, type PlainAccessConfigJson } from './admin-updates.js';
import type { AccountConfig } from './account.js';
import { javaHashMapOrder } from './java-text.js';
import { toFastJson } from '../../codec/fastjson.js';

export interface PlainAclOptions {
  /** How often the ACL files are looked at (AclFileWatchService: 5000 ms); tests shorten it. */
  watchIntervalMs?: number;
}

/** BrokerStartup's words when rocketmqHome is unset (it exits with -2); here only when aclEnable needs it. */
const NO_HOME = 'Please set the ROCKETMQ_HOME variable in your environment to match the location of the RocketMQ installation' +
  ' (aclEnable=true reads ${rocketmqHome}/conf/plain_acl.yml; or set rocketmqHome in the broker config)';

/**
 * ACL 1.0: the accounts of `${rocketmqHome}/${rocketmq.acl.plain.file}` and `${rocketmqHome}/conf/acl/**.yml`,
 * the check every request passes (`gate`), the file watcher, and what the admin codes 50–54 do.
 * Start-up fails, as the Java broker's does, when rocketmqHome is unset or a file does not load.
 */
export class PlainAclManager {
  readonly gate: AccessGate;
  readonly home: string;
  readonly tables: AclTables;
  private readonly watcher: AclFileWatcher;

  constructor(readonly config: AclConfig, options: PlainAclOptions = {}) {
    if (!config.rocketmqHome) throw new Error(NO_HOME);
    this.home = path.resolve(config.rocketmqHome);
    const defaultFile = path.join(this.home, config['rocketmq.acl.plain.file'] || 'conf/plain_acl.yml');
    this.tables = new AclTables(path.join(this.home, 'conf', 'acl'), defaultFile);
    try {
      this.tables.loadAll();
    } catch (e) {
      throw new Error(`ACL 1.0 (aclEnable=true): ${(e as Error).message}`);
    }
    log.info(`ACL 1.0: ${this.tables.keyFile.size} accounts from ${this.tables.files.length} files under ${this.home}`);
    this.watcher = new AclFileWatcher(this.tables.aclDir, defaultFile, {
      onFileNumChanged: () => this.reload(() => this.tables.loadAll(), 'the ACL files'),
      onFileChanged: (f) => this.reload(() => this.tables.loadFile(f), f),
    });
    this.watcher.start(options.watchIntervalMs ?? ACL_WATCH_INTERVAL_MS);
    const tables = this.tables;
    this.gate = {
      check: (ip, request) => validateRequest(tables, ip, request),
      close: () => this.close(),
    };
  }

  private reload(load: () => void, what: string): void {
    try {
      load();
      log.info(`ACL 1.0: reloaded ${what}`);
    } catch (e) {
      log.warn(`ACL 1.0: reloading ${what} failed, the accounts in force stay: ${(e as Error).message}`);
    }
  }

  /** One round of the file watcher now (tests; the timer runs it every watchIntervalMs). */
  checkFiles(): void {
    this.watcher.poll();
  }

  /** UPDATE_AND_CREATE_ACL_CONFIG; throws an error whose message is the reply's remark. */
  updateAccessConfig(c: AccountConfig): boolean {
    return updateAccount(this.tables, c);
  }

  /** DELETE_ACL_CONFIG. */
  deleteAccessConfig(accessKey: string | null): boolean {
    return deleteAccount(this.tables, accessKey);
  }

  /** UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (no file: plain_acl.yml). */
  updateGlobalWhiteAddrsConfig(addrs: string[] | null, aclFileFullPath: string | null): boolean {
    return updateGlobalWhite(this.tables, this.home, addrs, aclFileFullPath);
  }

  /** GET_BROKER_CLUSTER_ACL_INFO `version`: plain_acl.yml's version as of its last load (DataVersion.toJson). */
  aclConfigVersionJson(): string {
    return versionJson(this.tables.defaultVersion);
  }

  /** GET_BROKER_CLUSTER_ACL_INFO `allAclFileVersion`: file -> version, in the Java HashMap's order. */
  allAclFileVersionJson(): string {
    const versions = this.tables.versions;
    const parts = javaHashMapOrder(versions.keys()).map((f) => `${toFastJson(f)}:${versionJson(versions.get(f)!)}`);
    return `{${parts.join(',')}}`;
  }

  /** GET_BROKER_CLUSTER_ACL_CONFIG's body content. */
  allAclConfig(): { globalWhiteAddrs: Array<string | null>; plainAccessConfigs: PlainAccessConfigJson[] } {
    return allAclConfig(this.tables);
  }

  close(): void {
    this.watcher.stop();
  }
}

/** fastjson of a DataVersion: fields sorted (counter, timestamp). */
function versionJson(v: DataVersion): string {
  return `{"counter":${v.counter},"timestamp":${v.timestamp}}`;
}
