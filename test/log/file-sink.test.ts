import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RotatingFileSink } from '../../src/logger.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rocketmq-ts-log-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** 100-byte lines numbered in order, so the kept files can be checked for gaps. */
const line = (i: number): string => `${String(i).padStart(8, '0')} ${'x'.repeat(90)}\n`;
const read = (f: string): string => fs.readFileSync(f, 'utf8');
const numbers = (text: string): number[] => text.split('\n').filter(Boolean).map((l) => Number(l.slice(0, 8)));

describe('RotatingFileSink', () => {
  it('rotates at the cap and keeps 3 old files, newest in .1, with no line lost between them', () => {
    const file = path.join(dir, 'broker.log');
    const sink = new RotatingFileSink(file, { maxBytes: 10_000 });
    for (let i = 0; i < 1000; i++) {
      sink.write(line(i));
      if (i % 7 === 0) sink.flush(); // batches of different sizes, crossing the cap inside a batch
    }
    sink.close();
    expect(fs.readdirSync(dir).sort()).toEqual(['broker.log', 'broker.log.1', 'broker.log.2', 'broker.log.3']);
    for (const f of fs.readdirSync(dir)) expect(fs.statSync(path.join(dir, f)).size).toBeLessThanOrEqual(10_000);
    for (const n of [1, 2, 3]) expect(fs.statSync(`${file}.${n}`).size).toBe(10_000);
    const kept = numbers(read(`${file}.3`) + read(`${file}.2`) + read(`${file}.1`) + read(file));
    expect(kept.at(-1)).toBe(999);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => 1000 - kept.length + k));
    expect(kept.length).toBe(300 + numbers(read(file)).length);
  });

  it('counts what an existing file already holds, and appends to it', () => {
    const file = path.join(dir, 'a.log');
    fs.writeFileSync(file, line(0).repeat(99)); // 9,900 bytes of the previous run
    const sink = new RotatingFileSink(file, { maxBytes: 10_000 });
    sink.write(line(1));
    sink.write(line(2));
    sink.close();
    expect(read(`${file}.1`)).toBe(line(0).repeat(99) + line(1));
    expect(read(file)).toBe(line(2));
  });

  it('with keep=0 truncates in place instead of keeping old files', () => {
    const file = path.join(dir, 'a.log');
    const sink = new RotatingFileSink(file, { maxBytes: 1000, keep: 0 });
    for (let i = 0; i < 25; i++) sink.write(line(i));
    sink.close();
    expect(fs.readdirSync(dir)).toEqual(['a.log']);
    expect(numbers(read(file))).toEqual([20, 21, 22, 23, 24]);
  });

  it('writes one batch per event-loop turn, not one write per line', async () => {
    const file = path.join(dir, 'a.log');
    const sink = new RotatingFileSink(file);
    const writes = vi.spyOn(fs, 'writeSync');
    for (let i = 0; i < 500; i++) sink.write(line(i));
    expect(fs.statSync(file).size).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(fs.statSync(file).size).toBe(50_000);
    expect(writes).toHaveBeenCalledTimes(1);
    sink.close();
  });

  it('survives a full disk: reports once, drops lines instead of holding them, never throws', () => {
    const reports: string[] = [];
    const sink = new RotatingFileSink('/dev/full', { report: (m) => reports.push(m) });
    for (let i = 0; i < 100; i++) {
      sink.write(line(i));
      sink.flush();
    }
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/\/dev\/full: .*ENOSPC.*lines are being lost/);
    expect((sink as unknown as { pending: string[] }).pending).toEqual([]);
    sink.close();
  });

  it('refuses a cap below one byte', () => {
    expect(() => new RotatingFileSink(path.join(dir, 'a.log'), { maxBytes: 0 })).toThrow(RangeError);
  });
});
