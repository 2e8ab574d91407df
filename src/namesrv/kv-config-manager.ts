import { toFastJson, parseFastJson } from '../codec/fastjson.js';
import { StateFile } from '../config/persist.js';
import { log } from '../logger.js';

/** Namespaced key/value settings (namesrv/kvconfig/KVConfigManager.java), persisted as kvConfig.json. */
export class KVConfigManager {
  private readonly table = new Map<string, Map<string, string>>();

  private readonly state: StateFile<{ configTable?: Record<string, Record<string, string>> }>;

  constructor(private readonly filePath: string) {
    // KVConfigManager#persist writes the compact form.
    const render = (): string => toFastJson({ configTable: new Map([...this.table].map(([ns, kv]) => [ns, new Map(kv)])) });
    this.state = new StateFile(filePath, render, parseFastJson);
  }

  load(): void {
    const obj = this.state.load();
    if (!obj) return;
    for (const [ns, kv] of Object.entries(obj.configTable ?? {})) {
      this.table.set(ns, new Map(Object.entries(kv)));
    }
    log.info(`namesrv: loaded ${this.table.size} KV namespaces from ${this.filePath}`);
  }

  put(namespace: string, key: string, value: string): void {
    let ns = this.table.get(namespace);
    if (!ns) this.table.set(namespace, (ns = new Map()));
    ns.set(key, value);
    this.state.persist();
  }

  get(namespace: string, key: string): string | undefined {
    return this.table.get(namespace)?.get(key);
  }

  delete(namespace: string, key: string): void {
    const ns = this.table.get(namespace);
    if (!ns?.delete(key)) return;
    if (ns.size === 0) this.table.delete(namespace);
    this.state.persist();
  }

  list(namespace: string): Map<string, string> | undefined {
    return this.table.get(namespace);
  }

  /** Every change is written at once; this writes kvConfig.json again if that write failed (at shutdown). */
  persist(): void {
    this.state.persistIfChanged();
  }
}
