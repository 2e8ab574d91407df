import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BrokerMetadataFile, TEMP_SUFFIX, TempBrokerMetadataFile, brokerIdentityPath, decodeBrokerMetadata, decodeTempBrokerMetadata,
} from '../../src/store/ha/autoswitch/broker-metadata.js';

/**
 * Files written by rocketmq-store 5.3.3 (BrokerMetadata#updateAndPersist("DefaultCluster", "broker-a", 2) and
 * TempBrokerMetadata#updateAndPersist(..., 3, "127.0.0.1:10911;1764400000000"); captured 2026-11-29 with
 * JDK 17): no line end, and no .bak beside them. Java read both back as loaded.
 */
const JAVA_IDENTITY = 'DefaultCluster#broker-a#2';
const JAVA_TEMP = 'DefaultCluster#broker-a#3#127.0.0.1:10911;1764400000000';

let dir: string;
let identity: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-identity-'));
  identity = brokerIdentityPath(dir);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('broker identity files (BrokerMetadata / TempBrokerMetadata)', () => {
  it('storePathBrokerIdentity, else <storePathRootDir>/brokerIdentity; the temp file is <that>-temp', () => {
    expect(identity).toBe(path.join(dir, 'brokerIdentity'));
    expect(brokerIdentityPath(dir, '/x/id')).toBe('/x/id');
    expect(TEMP_SUFFIX).toBe('-temp');
  });

  it('writes the bytes the Java broker writes, and nothing beside them', async () => {
    const f = new BrokerMetadataFile(identity);
    await f.write({ clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: 2 });
    expect(fs.readFileSync(identity, 'utf8')).toBe(JAVA_IDENTITY);
    const t = new TempBrokerMetadataFile(identity + TEMP_SUFFIX);
    await t.write({ clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: 3, registerCheckCode: '127.0.0.1:10911;1764400000000' });
    expect(fs.readFileSync(identity + '-temp', 'utf8')).toBe(JAVA_TEMP);
    await f.write({ clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: 5 });
    expect(fs.readdirSync(dir).sort()).toEqual(['brokerIdentity', 'brokerIdentity-temp']);
    expect(await f.read()).toEqual({ clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: 5 });
  });

  it('reads the Java files', async () => {
    fs.writeFileSync(identity, JAVA_IDENTITY);
    fs.writeFileSync(identity + '-temp', JAVA_TEMP);
    expect(await new BrokerMetadataFile(identity).read()).toEqual({ clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: 2 });
    expect(await new TempBrokerMetadataFile(identity + '-temp').read()).toEqual({
      clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: 3, registerCheckCode: '127.0.0.1:10911;1764400000000',
    });
  });

  it('a missing or not loadable file reads as undefined (isLoaded false)', async () => {
    expect(await new BrokerMetadataFile(identity).read()).toBeUndefined();
    for (const bad of ['', 'c#b', 'c#b#', '#b#1', 'c##1', 'c#b#x', 'c#b#1\n']) expect(decodeBrokerMetadata(bad)).toBeUndefined();
    // Extra fields are ignored, as Java's decodeFromStr reads only the first three.
    expect(decodeBrokerMetadata(JAVA_TEMP)?.brokerId).toBe(3);
    expect(decodeBrokerMetadata('c#b#+7')?.brokerId).toBe(7);
    expect(decodeTempBrokerMetadata(JAVA_IDENTITY)).toBeUndefined();
    expect(decodeTempBrokerMetadata(`${JAVA_IDENTITY}#`)).toBeUndefined();
  });

  it('clear deletes the file', async () => {
    const t = new TempBrokerMetadataFile(identity + TEMP_SUFFIX);
    await t.write({ clusterName: 'c', brokerName: 'b', brokerId: 1, registerCheckCode: 'a;1' });
    expect(t.exists()).toBe(true);
    await t.clear();
    expect(t.exists()).toBe(false);
    expect(await t.read()).toBeUndefined();
    await t.clear();
  });
});
