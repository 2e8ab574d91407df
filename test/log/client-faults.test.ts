import { describe, expect, it } from 'vitest';
import { Logger } from '../../src/logger.js';
import { MemorySink, fakeStack, testLogger } from './helpers.js';

const SUMMARY = /WARN client faults in the last (\d+) s: /;

describe('log.client rate limit', () => {
  it('a burst of 10,000 faults of one kind gives 5 lines and one summary with the count', () => {
    const { logger, sink, time } = testLogger();
    for (let i = 0; i < 10_000; i++) logger.client('bad frame', `closing 127.0.0.1:${10000 + i}: frame length ${i} out of range`);
    expect(sink.lines).toHaveLength(5);
    expect(sink.lines[0]).toMatch(/ WARN bad frame: closing 127\.0\.0\.1:10000: frame length 0 out of range$/);
    expect(time.pending()).toBe(1);
    time.advance(10_000);
    expect(sink.lines).toHaveLength(6);
    const summary = sink.lines[5];
    expect(summary).toMatch(SUMMARY);
    expect(summary).toContain('in the last 10 s: bad frame 10000 (9995 not logged, last: closing 127.0.0.1:19999: frame length 9999 out of range)');
    // The next interval starts from scratch and stays quiet.
    time.advance(60_000);
    expect(sink.lines).toHaveLength(6);
    expect(time.pending()).toBe(0);
  });

  it('counts each kind separately, in one summary line, largest first', () => {
    const { logger, sink, time } = testLogger();
    for (let i = 0; i < 3; i++) logger.client('frame timeout', `127.0.0.1:${i} sent half a frame`);
    for (let i = 0; i < 500; i++) logger.client('bad header', `127.0.0.1:${i}: header length ${i}`);
    for (let i = 0; i < 7; i++) logger.client('slow reader', `127.0.0.1:${i}: closed`);
    time.advance(10_000);
    expect(sink.lines).toHaveLength(3 + 5 + 5 + 1);
    expect(sink.lines.filter((l) => SUMMARY.test(l))).toHaveLength(1);
    expect(sink.lines.at(-1)).toMatch(
      /client faults in the last 10 s: bad header 500 \(495 not logged, last: 127\.0\.0\.1:499: header length 499\), slow reader 7 \(2 not logged, last: 127\.0\.0\.1:6: closed\), frame timeout 3$/,
    );
  });

  it('arms no timer while everything was printed, and resets counts after a quiet interval', () => {
    const { logger, sink, time } = testLogger();
    for (let i = 0; i < 5; i++) logger.client('bad frame', `#${i}`);
    expect(time.armed).toBe(0);
    time.advance(10_000);
    // A new interval: five more get printed, still no timer, no summary.
    for (let i = 5; i < 10; i++) logger.client('bad frame', `#${i}`);
    expect(sink.lines).toHaveLength(10);
    expect(time.armed).toBe(0);
    expect(sink.lines.some((l) => SUMMARY.test(l))).toBe(false);
    logger.client('bad frame', '#10');
    expect(time.armed).toBe(1);
  });

  it('the real timer it arms is unref’d, so it never keeps a process alive', () => {
    const sink = new MemorySink();
    const logger = new Logger({ sink });
    for (let i = 0; i < 6; i++) logger.client('bad frame', 'x');
    const handle = (logger as unknown as { handle: NodeJS.Timeout }).handle;
    expect(handle).toBeDefined();
    expect(handle.hasRef()).toBe(false);
    logger.flushSync();
    expect(sink.lines.at(-1)).toMatch(/client faults in the last 1 s: bad frame 6 \(1 not logged, last: x\)$/);
  });

  it('prints no stack and no second line of a detail, in lines or in the summary', () => {
    const { logger, sink, time } = testLogger();
    for (let i = 0; i < 1000; i++) logger.client('refused', fakeStack(`request ${i} refused`));
    time.advance(10_000);
    expect(sink.lines).toHaveLength(6);
    expect(sink.lines.filter((l) => /^\s+at /.test(l) || l.includes('/srv/'))).toEqual([]);
    expect(sink.lines[0]).toMatch(/WARN refused: Error: request 0 refused$/);
    expect(sink.lines[5]).toMatch(/refused 1000 \(995 not logged, last: Error: request 999 refused\)$/);
  });

  it('cannot forge a log line or a terminal escape through a detail', () => {
    const { logger, sink } = testLogger();
    logger.client('bad topic', 'x\r2024-01-01T00:00:00.000Z INFO all good\x1b[2J');
    expect(sink.lines).toHaveLength(1);
    expect(sink.lines[0]).not.toMatch(/[\r\x1b]/);
    expect(sink.lines[0]).toMatch(/WARN bad topic: x\?2024-01-01T00:00:00.000Z INFO all good\?\[2J$/);
  });

  it('keeps per-interval state bounded when callers pass many kinds and huge details', () => {
    const { logger, sink, time } = testLogger();
    for (let i = 0; i < 10_000; i++) logger.client(`kind ${i}`, 'y'.repeat(100_000));
    // 32 kinds tracked by name, the rest pooled into one; each prints at most 5 lines.
    expect(sink.lines.length).toBeLessThanOrEqual(33 * 5);
    time.advance(10_000);
    const summary = sink.lines.at(-1) as string;
    expect(summary).toMatch(/\(other kinds\) 9968 \(9963 not logged/);
    expect(summary.length).toBeLessThan(10_000);
    expect(Math.max(...sink.lines.map((l) => l.length))).toBeLessThan(10_000);
  });

  it('drops client faults below the level threshold', () => {
    const { logger, sink, time } = testLogger({ level: 'error' });
    for (let i = 0; i < 100; i++) logger.client('bad frame', 'x');
    time.advance(10_000);
    expect(sink.lines).toEqual([]);
    expect(time.armed).toBe(0);
  });

  it('100,000 faults: lines and bytes written', () => {
    const { logger, sink, time } = testLogger();
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) {
      logger.client(i % 2 ? 'bad frame' : 'frame timeout', `closing 127.0.0.1:${i % 60000}: frame length ${i} over 16777216`);
      if (i % 1000 === 999) time.advance(100); // 100,000 faults over 10 s: one interval
    }
    const ms = performance.now() - t0;
    time.advance(10_000);
    expect(sink.lines).toHaveLength(11);
    expect(sink.bytes).toBeLessThan(2000);
    console.log(`100,000 client faults: ${sink.lines.length} lines, ${sink.bytes} bytes, ${(ms * 1000 / 100_000).toFixed(2)} µs/fault`);
  });
});
