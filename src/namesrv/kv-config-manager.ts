import fs from 'node:fs';
import path from 'node:path';
import { toFastJson, parseFastJson } from '../codec/fastjson.js';
import { writeFileAtomic } from '../config/persist.js';
import { log } from '../logger.js';

/** Namespaced key/value settings (namesrv/kvconfig/KVConfigManager.java), persisted as kvConfig.json. */
export class KVConfigManager {
  private readonly table = new Map<string, Map<string, string>>();

  constructor(private readonly filePath: string) {}

  load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.filePath, 'utf8');
    } catch {
      return;
    }
    if (!text.trim()) return;
    try {
      const obj = parseFastJson(text) as { configTable?: Record<string, Record<string, string>> };
      for (const [ns, kv] of Object.entries(obj.configTable ?? {})) {
        this.table.set(ns, new Map(Object.entries(kv)));
      }
      log.info(`namesrv: loaded ${this.table.size} KV namespaces from ${this.filePath}`);
    } catch (e) {
      log.error(`namesrv: ${this.filePath} is not valid: ${(e as Error).message}`);
    }
  }

  put(namespace: string, key: string, value: string): void {
    let ns = this.table.get(namespace);
    if (!ns) this.table.set(namespace, (ns = new Map()));
    ns.set(key, value);
    this.persist();
  }

  get(namespace: string, key: string): string | undefined {
    return this.table.get(namespace)?.get(key);
  }

  delete(namespace: string, key: string): void {
    const ns = this.table.get(namespace);
    if (!ns?.delete(key)) return;
    if (ns.size === 0) this.table.delete(namespace);
    this.persist();
  }

  list(namespace: string): Map<string, string> | undefined {
    return this.table.get(namespace);
  }

  private persist(): void {
    const configTable = new Map([...this.table].map(([ns, kv]) => [ns, new Map(kv)]));
    fs.mkdirSync(path.dirname(this.filePath), { recursive: true });
    writeFileAtomic(this.filePath, toFastJson({ configTable }));
  }
}
