import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EPOCH_FILE_NAME, EpochFile, OPEN_END_OFFSET, consistentPoint, decodeEpochFile, encodeEpochFile, epochFilePath,
} from '../../src/store/ha/autoswitch/epoch-file.js';

/**
 * Files written by the Java EpochFileCache (rocketmq-store 5.3.3, appendEntry on a fresh
 * `new EpochFileCache(path)`; captured 2026-11-29 with JDK 17). TWO is also the example in CheckpointFile's
 * javadoc. Appending 9-1234567890123 to TWO gave THREE, and TWO was then found in `epochFileCheckpoint.bak`.
 */
const JAVA_TWO = '2\n773307083\n7-7000\n8-8000\n';
const JAVA_THREE = '3\n664546706\n7-7000\n8-8000\n9-1234567890123\n';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-epoch-'));
  file = path.join(dir, EPOCH_FILE_NAME);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const pairs = (f: EpochFile): string[] => f.entries().map((e) => `${e.epoch}-${e.startOffset}-${e.endOffset === OPEN_END_OFFSET ? 'open' : e.endOffset}`);

describe('epoch file format (CheckpointFile<EpochEntry>)', () => {
  it('writes the bytes the Java EpochFileCache writes', () => {
    expect(encodeEpochFile([{ epoch: 7, startOffset: 7000 }, { epoch: 8, startOffset: 8000 }])).toBe(JAVA_TWO);
    expect(encodeEpochFile([{ epoch: 7, startOffset: 7000 }, { epoch: 8, startOffset: 8000 }, { epoch: 9, startOffset: 1234567890123 }])).toBe(JAVA_THREE);
  });

  it('appending through EpochFile leaves the Java bytes on disk and the previous file as .bak', () => {
    const f = new EpochFile(file);
    expect(f.load()).toBe(true);
    expect(f.append(7, 7000)).toBe(true);
    expect(f.append(8, 8000)).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).toBe(JAVA_TWO);
    expect(f.append(9, 1234567890123)).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).toBe(JAVA_THREE);
    expect(fs.readFileSync(`${file}.bak`, 'utf8')).toBe(JAVA_TWO);
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
  });

  it('loads a Java file: end offsets chained, the last one open', () => {
    fs.writeFileSync(file, JAVA_THREE);
    const f = new EpochFile(file);
    expect(f.load()).toBe(true);
    expect(pairs(f)).toEqual(['7-7000-8000', '8-8000-1234567890123', '9-1234567890123-open']);
    expect(f.lastEpoch()).toBe(9);
    expect(f.firstEntry()?.epoch).toBe(7);
    expect(f.nextEntry(7)?.epoch).toBe(8);
    expect(f.nextEntry(9)).toBeUndefined();
    expect(f.findByOffset(7999)?.epoch).toBe(7);
    expect(f.findByOffset(8000)?.epoch).toBe(8);
    expect(f.findByOffset(6999)).toBeUndefined();
  });

  it('reads lines as BufferedReader does (CRLF, no final newline) and skips lines that are not entries', () => {
    expect(decodeEpochFile('2\r\n773307083\r\n7-7000\r\n8-8000')).toEqual([{ epoch: 7, startOffset: 7000 }, { epoch: 8, startOffset: 8000 }]);
    // A blank line counts in the crc but is no entry, so the crc of "7-7000\n\n" is wanted, not TWO's.
    const body = '7-7000\n\n';
    const withBlank = decodeEpochFile(`1\n0\n${body}`);
    expect(withBlank).toEqual([{ epoch: 7, startOffset: 7000 }]);
    expect(decodeEpochFile('2\n773307083\n7-7000\n\n8-8000\n')).toMatch(/crc32 not match/);
  });

  it('falls back to .bak when the file is broken, missing or empty of entries', () => {
    const bak = `${file}.bak`;
    fs.writeFileSync(bak, JAVA_TWO);
    // crc mismatch
    fs.writeFileSync(file, JAVA_THREE.replace('664546706', '664546707'));
    let f = new EpochFile(file);
    expect(f.load()).toBe(true);
    expect(f.lastEpoch()).toBe(8);
    // entry count mismatch
    fs.writeFileSync(file, JAVA_THREE.replace(/^3/, '4'));
    f = new EpochFile(file);
    f.load();
    expect(f.lastEpoch()).toBe(8);
    // torn: no header
    fs.writeFileSync(file, '');
    f = new EpochFile(file);
    f.load();
    expect(f.lastEpoch()).toBe(8);
    // missing
    fs.rmSync(file);
    f = new EpochFile(file);
    f.load();
    expect(f.lastEpoch()).toBe(8);
    // both broken: false, nothing loaded
    fs.writeFileSync(file, 'x');
    fs.writeFileSync(bak, '1\n5\n1-0\n');
    f = new EpochFile(file);
    expect(f.load()).toBe(false);
    expect(f.size).toBe(0);
  });

  it('does not check a crc of 0 (NOT_CHECK_CRC_MAGIC_CODE)', () => {
    fs.writeFileSync(file, '2\n0\n7-7000\n8-8000\n');
    const f = new EpochFile(file);
    expect(f.load()).toBe(true);
    expect(f.lastEpoch()).toBe(8);
  });

  it('epochFilePath: storePathEpochFile, else <storePathRootDir>/epochFileCheckpoint', () => {
    expect(epochFilePath('/r')).toBe(path.join('/r', 'epochFileCheckpoint'));
    expect(epochFilePath('/r', '/x/e')).toBe('/x/e');
  });
});

describe('EpochFileCache operations', () => {
  it('append refuses an epoch or start offset not above the last entry', () => {
    const f = new EpochFile(file);
    expect(f.append(1, 0)).toBe(true);
    expect(f.append(1, 100)).toBe(false);
    expect(f.append(2, 0)).toBe(false);
    expect(f.append(0, 100)).toBe(false);
    expect(f.append(3, 100)).toBe(true);
    expect(pairs(f)).toEqual(['1-0-100', '3-100-open']);
    const again = new EpochFile(file);
    again.load();
    expect(pairs(again)).toEqual(['1-0-100', '3-100-open']);
  });

  it('truncates by epoch and by offset, reopening the new last entry, and persists each change', () => {
    const f = new EpochFile(file);
    f.append(1, 0);
    f.append(2, 100);
    f.append(3, 200);
    f.append(4, 300);
    f.truncateSuffixByEpoch(4);
    expect(pairs(f)).toEqual(['1-0-100', '2-100-200', '3-200-open']);
    f.truncateSuffixByOffset(150);
    expect(pairs(f)).toEqual(['1-0-100', '2-100-open']);
    const reread = new EpochFile(file);
    reread.load();
    expect(pairs(reread)).toEqual(['1-0-100', '2-100-open']);
    f.setLastEpochEntryEndOffset(90); // before its start: ignored
    expect(f.lastEntry()?.endOffset).toBe(OPEN_END_OFFSET);
    f.setLastEpochEntryEndOffset(180);
    expect(f.lastEntry()?.endOffset).toBe(180);
    f.truncatePrefixByOffset(100);
    expect(pairs(f)).toEqual(['2-100-180']);
    expect(decodeEpochFile(fs.readFileSync(file, 'utf8'))).toEqual([{ epoch: 2, startOffset: 100 }]);
  });

  it('truncating every entry removes the file and its backup, so a restart finds no entries', () => {
    const f = new EpochFile(file);
    f.append(1, 0);
    f.append(2, 100);
    f.truncateSuffixByOffset(0);
    expect(f.size).toBe(0);
    expect(f.lastEpoch()).toBe(-1);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(`${file}.bak`)).toBe(false);
    const again = new EpochFile(file);
    expect(again.load()).toBe(true);
    expect(again.size).toBe(0);
    expect(again.append(2, 0)).toBe(true);
  });
});

describe('consistent point (AutoSwitchHAClient#doTruncate)', () => {
  const e = (epoch: number, startOffset: number) => ({ epoch, startOffset });

  it('a slave behind on the same history agrees up to its own log end', () => {
    expect(consistentPoint([e(1, 0)], 500, [e(1, 0), e(2, 1000)], 2000)).toBe(500);
  });

  it('a slave ahead within the master\'s epoch agrees up to the master\'s end', () => {
    expect(consistentPoint([e(1, 0), e(2, 1000)], 3000, [e(1, 0), e(2, 1000)], 2500)).toBe(2500);
  });

  it('an old master with an unreplicated tail in its own epoch is cut where the epochs part', () => {
    // It was master of epoch 2 from 1000 and wrote to 1500; the new master saw epoch 1 until 1200, then began epoch 3.
    expect(consistentPoint([e(1, 0), e(2, 1000)], 1500, [e(1, 0), e(3, 1200)], 3000)).toBe(1000);
  });

  it('an epoch that started elsewhere is passed over for an older one', () => {
    expect(consistentPoint([e(1, 0), e(2, 800)], 900, [e(1, 0), e(2, 700)], 2000)).toBe(700);
  });

  it('no epoch in common: -1', () => {
    expect(consistentPoint([e(2, 0)], 100, [e(1, 0), e(3, 50)], 200)).toBe(-1);
  });

  it('findConsistentPoint on caches as doTruncate builds them', () => {
    const local = EpochFile.of([e(5, 100), e(6, 400)]);
    local.setLastEpochEntryEndOffset(450);
    const master = EpochFile.of([e(5, 100), e(6, 400), e(7, 420)]);
    master.setLastEpochEntryEndOffset(900);
    expect(local.findConsistentPoint(master)).toBe(420);
  });
});
