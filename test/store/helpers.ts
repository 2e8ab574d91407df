import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brokerConfig, type BrokerConfig } from '../../src/config/broker-config.js';
import { javaStringHash } from '../../src/codec/message-properties.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { FsStoreFiles, MemoryStoreFiles, type StoreFiles } from '../../src/store/store-files.js';
import type { MessageInner } from '../../src/codec/message.js';

export interface Fixture {
  name: string;
  files: StoreFiles;
  config: BrokerConfig;
  open(overrides?: Partial<BrokerConfig>, now?: () => number, deps?: { recentCacheBytes?: number }): DefaultMessageStore;
  cleanup(): void;
}

/** Small segments so rolls happen in tests. */
export const SMALL: Partial<BrokerConfig> = {
  mappedFileSizeCommitLog: 64 * 1024,
  mappedFileSizeConsumeQueue: 20 * 50,
  flushIntervalCommitLog: 50,
  flushIntervalConsumeQueue: 50,
  maxHashSlotNum: 64,
  maxIndexNum: 400,
};

function makeFixture(name: string, files: StoreFiles, root: string, cleanup: () => void, overrides: Partial<BrokerConfig>): Fixture {
  const config = brokerConfig({ storePathRootDir: root, ...SMALL, ...overrides });
  return {
    name,
    files,
    config,
    open: (o = {}, now, deps = {}) => new DefaultMessageStore({ ...config, ...o }, { files, replication: false, ...(now ? { now } : {}), ...deps }),
    cleanup,
  };
}

export function memoryFixture(overrides: Partial<BrokerConfig> = {}): Fixture {
  return makeFixture('memory', new MemoryStoreFiles(), '/store', () => {}, overrides);
}

export function fsFixture(overrides: Partial<BrokerConfig> = {}): Fixture {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-store-'));
  return makeFixture('files', new FsStoreFiles(), root, () => fs.rmSync(root, { recursive: true, force: true }), overrides);
}

export const FIXTURES: Array<[string, (o?: Partial<BrokerConfig>) => Fixture]> = [
  ['memory', memoryFixture],
  ['files', fsFixture],
];

export function msg(topic: string, queueId: number, body: string | Buffer, extra: Partial<MessageInner> & { tags?: string; keys?: string; uniqKey?: string } = {}): MessageInner {
  const props: string[] = [];
  if (extra.tags) props.push(`TAGS\u0001${extra.tags}`);
  if (extra.keys) props.push(`KEYS\u0001${extra.keys}`);
  if (extra.uniqKey) props.push(`UNIQ_KEY\u0001${extra.uniqKey}`);
  const { tags, keys, uniqKey, ...rest } = extra;
  return {
    topic,
    queueId,
    flag: 0,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    propertiesString: props.join('\u0002'),
    tagsCode: tags ? javaStringHash(tags) : 0,
    sysFlag: 0,
    bornTimestamp: 1_700_000_000_000,
    bornHost: { ip: '10.0.0.7', port: 50123 },
    storeHost: { ip: '127.0.0.1', port: 10911 },
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    ...rest,
  };
}
