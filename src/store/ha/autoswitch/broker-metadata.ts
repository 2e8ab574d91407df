/**
 * The files a controller-mode broker keeps its controller-assigned broker id in (rocketmq-store 5.3.3
 * BrokerMetadata, TempBrokerMetadata, MetadataFile; used by ReplicasManager#register):
 *
 *   <storePathBrokerIdentity>        `<clusterName>#<brokerName>#<brokerId>`                      (BrokerMetadata)
 *   <storePathBrokerIdentity>-temp   `<clusterName>#<brokerName>#<brokerId>#<registerCheckCode>`  (TempBrokerMetadata)
 *
 * storePathBrokerIdentity defaults to `<storePathRootDir>/brokerIdentity`. No line end after the last field;
 * registerCheckCode is `<brokerAddr>;<currentTimeMillis>` (ReplicasManager#createTempMetadataFile). The temp
 * file exists only between GET_NEXT_BROKER_ID and APPLY_BROKER_ID's success: the id is then written to the
 * real file and the temp deleted.
 *
 * Reading is MetadataFile#readFromFile + decodeFromStr: the text split at '#' (String#split: trailing empty
 * fields dropped, extra fields ignored); a file that is missing, short of a field, or whose id is not a Java
 * long reads as undefined, which is what Java's isLoaded() false leads to (the broker registers afresh).
 * Writing replaces the whole file (MetadataFile#writeToFile deletes it, then writes it; we write `<f>.tmp`
 * and rename it over, so a kill never leaves a torn file). Java keeps no backup of these files, nor do we.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomicAsync } from '../../../config/persist.js';

/** MessageStoreConfig#getStorePathBrokerIdentity's default name under storePathRootDir. */
export const BROKER_IDENTITY_FILE_NAME = 'brokerIdentity';
/** ReplicasManager: the temp file is the identity file's path plus this. */
export const TEMP_SUFFIX = '-temp';

export interface BrokerMetadata {
  clusterName: string;
  brokerName: string;
  brokerId: number;
}

export interface TempBrokerMetadata extends BrokerMetadata {
  /** `<brokerAddr>;<timestampMs>`: shows the controller that this broker is the one that asked for the id. */
  registerCheckCode: string;
}

/** The identity file's path as MessageStoreConfig#getStorePathBrokerIdentity gives it. */
export function brokerIdentityPath(storePathRootDir: string, storePathBrokerIdentity?: string): string {
  return storePathBrokerIdentity ? storePathBrokerIdentity : path.join(storePathRootDir, BROKER_IDENTITY_FILE_NAME);
}

/** Long.valueOf's grammar (an optional sign, decimal digits). */
const JAVA_LONG = /^[+-]?\d+$/;

/** String#split("#"): trailing empty strings are removed. */
function splitFields(text: string): string[] {
  const parts = text.split('#');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export function encodeBrokerMetadata(m: BrokerMetadata): string {
  return `${m.clusterName}#${m.brokerName}#${m.brokerId}`;
}

export function encodeTempBrokerMetadata(m: TempBrokerMetadata): string {
  return `${encodeBrokerMetadata(m)}#${m.registerCheckCode}`;
}

/** BrokerMetadata#decodeFromStr, then isLoaded (cluster and broker name not empty, an id). */
export function decodeBrokerMetadata(text: string): BrokerMetadata | undefined {
  const f = splitFields(text);
  if (f.length < 3 || !f[0] || !f[1] || !JAVA_LONG.test(f[2])) return undefined;
  return { clusterName: f[0], brokerName: f[1], brokerId: Number(f[2]) };
}

/** TempBrokerMetadata#decodeFromStr, then isLoaded (the base fields and a registerCheckCode). */
export function decodeTempBrokerMetadata(text: string): TempBrokerMetadata | undefined {
  const base = decodeBrokerMetadata(text);
  const f = splitFields(text);
  if (!base || f.length < 4 || !f[3]) return undefined;
  return { ...base, registerCheckCode: f[3] };
}

class MetadataFile<T extends BrokerMetadata> {
  constructor(
    readonly filePath: string,
    private readonly encode: (m: T) => string,
    private readonly decode: (text: string) => T | undefined,
  ) {}

  /** The content, or undefined when the file is missing or not loadable (Java: isLoaded() false). */
  async read(): Promise<T | undefined> {
    let text: string;
    try {
      text = await fs.promises.readFile(this.filePath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return this.decode(text);
  }

  /** MetadataFile#writeToFile (updateAndPersist): the whole file replaced, durably. */
  async write(m: T): Promise<void> {
    await writeFileAtomicAsync(this.filePath, this.encode(m));
    // writeFileAtomic keeps the previous version as .bak; Java keeps none, and a stale id must not linger.
    await fs.promises.rm(`${this.filePath}.bak`, { force: true });
  }

  /** MetadataFile#clear: the file deleted. */
  async clear(): Promise<void> {
    await fs.promises.rm(this.filePath, { force: true });
    await fs.promises.rm(`${this.filePath}.bak`, { force: true });
  }

  exists(): boolean {
    return fs.existsSync(this.filePath);
  }
}

/** `<storePathBrokerIdentity>`: the id this broker holds in its group. */
export class BrokerMetadataFile extends MetadataFile<BrokerMetadata> {
  constructor(filePath: string) {
    super(filePath, encodeBrokerMetadata, decodeBrokerMetadata);
  }
}

/**
 * `<storePathBrokerIdentity>-temp`: the id asked for, until APPLY_BROKER_ID succeeds. Given its full path, as
 * Java's TempBrokerMetadata (ReplicasManager passes `getStorePathBrokerIdentity() + "-temp"`: TEMP_SUFFIX).
 */
export class TempBrokerMetadataFile extends MetadataFile<TempBrokerMetadata> {
  constructor(filePath: string) {
    super(filePath, encodeTempBrokerMetadata, decodeTempBrokerMetadata);
  }
}
