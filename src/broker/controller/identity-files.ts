/**
 * The two files a controller-mode broker keeps its controller-assigned id in (ReplicasManager#register):
 * `storePathBrokerIdentity` (BrokerMetadata: `cluster#brokerName#brokerId`) and, while an id is being
 * applied for, `storePathBrokerIdentity-temp` (TempBrokerMetadata: `...#registerCheckCode`). A file that
 * is missing or lacks a field reads as undefined (Java's isLoaded() false).
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export interface BrokerIdentityData {
  clusterName: string;
  brokerName: string;
  brokerId: number;
}

export interface TempBrokerIdentityData extends BrokerIdentityData {
  /** `brokerAddr;timestampMs`: proves to the controller that this broker is the one that asked for the id. */
  registerCheckCode: string;
}

export interface IdentityFile<T> {
  read(): Promise<T | undefined>;
  write(data: T): Promise<void>;
  clear(): Promise<void>;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** MetadataFile#writeToFile: the old file goes, then MixAll.string2File (a .tmp file renamed over). */
async function writeText(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  await fs.writeFile(tmp, text, 'utf8');
  await fs.rename(tmp, file);
}

function parseBase(parts: string[]): BrokerIdentityData | undefined {
  const [clusterName, brokerName, id] = parts;
  if (!clusterName || !brokerName || !id || !/^-?\d+$/.test(id)) return undefined;
  return { clusterName, brokerName, brokerId: Number(id) };
}

class File<T extends BrokerIdentityData> implements IdentityFile<T> {
  constructor(
    readonly file: string,
    private readonly decode: (parts: string[]) => T | undefined,
    private readonly encode: (d: T) => string,
  ) {}

  async read(): Promise<T | undefined> {
    const text = await readText(this.file);
    return text === undefined ? undefined : this.decode(text.trim().split('#'));
  }

  write(data: T): Promise<void> {
    return writeText(this.file, this.encode(data));
  }

  async clear(): Promise<void> {
    await fs.rm(this.file, { force: true });
  }
}

export function brokerIdentityFile(file: string): IdentityFile<BrokerIdentityData> {
  return new File<BrokerIdentityData>(file, parseBase, (d) => `${d.clusterName}#${d.brokerName}#${d.brokerId}`);
}

/** The temp file sits beside the identity file, named `<identity>-temp` as the Java broker names it. */
export function tempBrokerIdentityFile(identityFile: string): IdentityFile<TempBrokerIdentityData> {
  return new File<TempBrokerIdentityData>(
    `${identityFile}-temp`,
    (parts) => {
      const base = parseBase(parts);
      return base && parts[3] ? { ...base, registerCheckCode: parts[3] } : undefined;
    },
    (d) => `${d.clusterName}#${d.brokerName}#${d.brokerId}#${d.registerCheckCode}`,
  );
}
