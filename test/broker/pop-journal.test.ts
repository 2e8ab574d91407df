/**
 * The POP journal and state without a broker: records replayed after a "crash" (no close, no
 * compaction), a torn last line, compaction with a crash between snapshot and truncation, and the
 * state's rules (an ack completes a checkpoint, pop offsets only move forward with checkpoints).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PopJournal } from '../../src/broker/pop/pop-journal.js';
import { PopState, ckKey, keyOf, type CheckPoint, type PopRecord } from '../../src/broker/pop/pop-state.js';
import { bitSetPositions } from '../../src/processors/broker/pop-ack.js';
import { buildExtraInfo, offsetOrderCountEntry, parseExtraInfo, retryFlagOf } from '../../src/protocol/pop-const.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const ck = (startOffset: number, offsets: number[], popTime = 1000): CheckPoint => ({
  group: 'g', topic: 'T', queueId: 1, startOffset, offsets, popTime, invisibleTime: 5000, reviveQid: 3, order: false, attempt: 0,
});

function replay(j: PopJournal): PopState {
  const s = new PopState();
  for (const r of j.load()) s.apply(r);
  return s;
}

describe('POP journal', () => {
  it('replays checkpoints and acks written before a crash (no close, no compaction)', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'popj-'));
    const j = new PopJournal(dir, () => false);
    j.load();
    const a = ck(0, [0, 1, 2]);
    const records: PopRecord[] = [{ k: 'ck', ck: a, next: 3 }, { k: 'ack', key: keyOf(a), o: 1 }, { k: 'ck', ck: ck(3, [3], 2000), next: 4 }, { k: 'ack', key: ckKey('g', 'T', 1, 3, 2000), o: 3 }];
    for (const r of records) j.append(r);
    // Crash: the file descriptor is simply dropped.
    const s = replay(new PopJournal(dir, () => false));
    expect([...s.cks.keys()]).toEqual([keyOf(a)]);
    expect([...s.cks.get(keyOf(a))!.acked]).toEqual([1]);
    expect(s.offsets.get('g@T@1')).toBe(4);
    expect(s.inflight('g', 'T', 1)).toBe(2);
  });

  it('ignores a torn last line and keeps appending on a fresh line', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'popj-'));
    const j = new PopJournal(dir, () => true);
    j.load();
    j.append({ k: 'ck', ck: ck(0, [0]), next: 1 });
    fs.appendFileSync(j.logFile, '2\t{"k":"ack","ke');
    const j2 = new PopJournal(dir, () => false);
    const s = replay(j2);
    expect(s.cks.size).toBe(1);
    j2.append({ k: 'ack', key: keyOf(ck(0, [0])), o: 0 });
    const s3 = replay(new PopJournal(dir, () => false));
    expect(s3.cks.size).toBe(0);
    expect(s3.offsets.get('g@T@1')).toBe(1);
  });

  it('compaction: a crash after the snapshot but before truncation applies nothing twice', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'popj-'));
    const j = new PopJournal(dir, () => false);
    const s = replay(j);
    const a = ck(0, [0, 1]);
    for (const r of [{ k: 'ck', ck: a, next: 2 }, { k: 'ack', key: keyOf(a), o: 0 }] as PopRecord[]) {
      j.append(r);
      s.apply(r);
    }
    const before = fs.readFileSync(j.logFile);
    j.compact(s.toRecords());
    expect(fs.statSync(j.logFile).size).toBe(0);
    // Put the old lines back, as if the truncation never happened; then a newer ack.
    fs.writeFileSync(j.logFile, before);
    j.append({ k: 'ack', key: keyOf(a), o: 1 });
    const after = replay(new PopJournal(dir, () => false));
    expect(after.cks.size).toBe(0);
    expect(after.offsets.get('g@T@1')).toBe(2);
    // Without the newer ack the snapshot's one ack stays.
    const j3 = new PopJournal(dir, () => false);
    fs.writeFileSync(j.logFile, before);
    const s3 = replay(j3);
    expect([...s3.cks.get(keyOf(a))!.acked]).toEqual([0]);
  });
});

describe('POP wire strings', () => {
  it('extraInfo round trip and retry flags as ExtraInfoUtil writes them', () => {
    const s = buildExtraInfo({ ckQueueOffset: 5, popTime: 17, invisibleTime: 60000, reviveQid: 2, retry: '1', brokerName: 'b', queueId: 0, queueOffset: 7 });
    expect(s).toBe('5 17 60000 2 1 b 0 7');
    expect(parseExtraInfo(s)).toMatchObject({ ckQueueOffset: 5, popTime: 17, reviveQid: 2, retry: '1', queueOffset: 7 });
    expect(parseExtraInfo('1 2')).toBe('extraInfo is not valid: 1 2');
    expect([retryFlagOf('T'), retryFlagOf('%RETRY%g_T'), retryFlagOf('%RETRY%g+T')]).toEqual(['0', '1', '2']);
    expect(offsetOrderCountEntry('T', 3, 9, 2)).toBe('0 qo3%9 2');
  });

  it('BatchAck bit sets: BitSet.toByteArray little-endian bytes, Base64', () => {
    // new BitSet(); set(0); set(3); set(9) ⇒ toByteArray = [0x09, 0x02] ⇒ "CQI=".
    expect(bitSetPositions('CQI=')).toEqual([0, 3, 9]);
    expect(bitSetPositions('')).toEqual([]);
  });
});
