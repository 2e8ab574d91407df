import { describe, expect, it } from 'vitest';
import { fakeStack, testLogger } from './helpers.js';

const STACK_LINE = /^\s+at /;

describe('flood guard for info/warn/error', () => {
  it('one internal error repeated 10,000 times: 10 lines, one stack, one ERROR summary with the count', () => {
    const { logger, sink, time } = testLogger();
    for (let i = 0; i < 10_000; i++) logger.error(`processing SEND_MESSAGE from 127.0.0.1:${20000 + (i % 999)} failed: ${fakeStack('boom')}`);
    const records = sink.lines.filter((l) => !STACK_LINE.test(l));
    expect(records).toHaveLength(10);
    expect(sink.lines.filter((l) => STACK_LINE.test(l))).toHaveLength(3);
    // The first one with its stack right under it; the repeats say what they left out.
    expect(sink.lines[1]).toBe('    at handle (/srv/a.js:1:2)');
    expect(records[1]).toMatch(/ERROR processing SEND_MESSAGE from 127\.0\.0\.1:20001 failed: Error: boom \[3 more lines not shown\]$/);
    time.advance(10_000);
    const summary = sink.lines.at(-1) as string;
    expect(summary).toMatch(/ ERROR log flood in the last 10 s: 9990 lines not logged \(error 9990\); most repeated: 9990× "processing SEND_MESSAGE from 127\.0\.0\.1:\d+ failed: Error: boom"$/);
    expect(time.armed).toBe(1);
  });

  it('caps all lines of an interval, then lets only first occurrences through, then counts', () => {
    const { logger, sink, time } = testLogger();
    // 1000 distinct messages (different words, not just numbers): 100 in budget, 50 more as first occurrences.
    const word = (i: number): string => [...i.toString(26)].map((c) => String.fromCharCode(97 + parseInt(c, 26))).join('');
    for (let i = 0; i < 1000; i++) logger.warn(`topic ${word(i)} cannot be created`);
    expect(sink.lines).toHaveLength(150);
    time.advance(10_000);
    expect(sink.lines).toHaveLength(151);
    // 512 messages are tracked by text, so the summary stays bounded; the rest are counted as other.
    expect(sink.lines[150]).toMatch(
      / WARN log flood in the last 10 s: 850 lines not logged \(warn 850\); most repeated: (1× "topic [a-z]+ cannot be created", ){3}488× other messages$/,
    );
  });

  it('keeps the first occurrence of a new message (with its stack) in the middle of a flood', () => {
    const { logger, sink, time } = testLogger();
    for (let i = 0; i < 5000; i++) logger.warn(`broker: offset moved event not stored: ${i}`);
    for (let i = 0; i < 200; i++) logger.info(`namesrv: broker 127.0.0.1:${i} expired`);
    logger.error(`timer: delivery failed: ${fakeStack('disk gone')}`);
    logger.error(`timer: delivery failed: ${fakeStack('disk gone')}`);
    const text = sink.lines.join('\n');
    expect(text).toContain('ERROR timer: delivery failed: Error: disk gone\n    at handle (/srv/a.js:1:2)');
    expect(sink.lines.filter((l) => l.includes('disk gone'))).toHaveLength(2);
    expect(sink.lines.filter((l) => l.includes('namesrv: broker'))).toHaveLength(10);
    time.advance(10_000);
    expect(sink.lines.at(-1)).toMatch(/ WARN log flood in the last 10 s: 5180 lines not logged \(warn 4990, info 190\); most repeated: 4990× "broker: offset moved event not stored: 4999", 190× "namesrv: broker 127\.0\.0\.1:199 expired"$/);
  });

  it('prints stacks for the first few distinct errors of an interval only', () => {
    const { logger, sink, time } = testLogger();
    for (let i = 0; i < 8; i++) logger.error(`task ${'abcdefgh'[i]} failed: ${fakeStack('x')}`);
    expect(sink.lines.filter((l) => STACK_LINE.test(l))).toHaveLength(5 * 3);
    expect(sink.lines.at(-1)).toMatch(/task h failed: Error: x \[3 more lines not shown\]$/);
    time.advance(10_000);
    // Nothing was held back: no summary, and the next interval has its stacks again.
    logger.error(`task h failed: ${fakeStack('x')}`);
    expect(sink.lines.filter((l) => STACK_LINE.test(l))).toHaveLength(6 * 3);
    expect(sink.lines.some((l) => l.includes('log flood'))).toBe(false);
  });

  it('indents continuation lines so a multi-line message cannot pose as a log line', () => {
    const { logger, sink } = testLogger();
    logger.warn('remark from client: ok\n2024-01-01T00:00:00.000Z ERROR forged');
    expect(sink.lines).toEqual([expect.stringMatching(/ WARN remark from client: ok$/), '  2024-01-01T00:00:00.000Z ERROR forged']);
  });

  it('is silent and arms no timer when traffic stays within budget', () => {
    const { logger, sink, time } = testLogger();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10; i++) logger.warn(`broker: consumer c${i} of g expired (${round * 1000} ms since heartbeat)`);
      time.advance(10_000);
    }
    expect(sink.lines).toHaveLength(50);
    expect(time.armed).toBe(0);
  });

  it('flushSync at exit prints what the unfinished interval held back', () => {
    const { logger, sink, time } = testLogger();
    for (let i = 0; i < 20; i++) logger.error('store: write failed');
    time.advance(3_000);
    logger.flushSync();
    expect(sink.lines.at(-1)).toMatch(/ ERROR log flood in the last 3 s: 10 lines not logged \(error 10\)/);
    expect(time.pending()).toBe(0);
  });

  it('a late timer does not merge two intervals: the next line closes the old one first', () => {
    const { logger, sink, time } = testLogger();
    for (let i = 0; i < 20; i++) logger.warn('same');
    time.now += 15_000; // the event loop was busy: the timer has not fired yet
    logger.warn('same');
    expect(sink.lines.slice(-2)).toEqual([
      expect.stringMatching(/ WARN log flood in the last 15 s: 10 lines not logged \(warn 10\); most repeated: 10× "same"$/),
      expect.stringMatching(/ WARN same$/),
    ]);
    expect(time.pending()).toBe(0);
  });
});

describe('numbers', () => {
  it('100,000 warn/error lines of a few templates with stacks over 10 s: lines and bytes written', () => {
    const { logger, sink, time } = testLogger();
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) {
      if (i % 3 === 0) logger.error(`processing SEND_MESSAGE from 127.0.0.1:${i % 60000} failed: ${fakeStack(`offset ${i}`)}`);
      else if (i % 3 === 1) logger.warn(`closing 127.0.0.1:${i % 60000}: frame length ${i} beyond 16777216`);
      else logger.info(`broker: auto-created topic T${i} (8 queues) from TBW102 for 127.0.0.1:${i % 60000}`);
      if (i % 1000 === 999) time.advance(100);
    }
    const ms = performance.now() - t0;
    time.advance(10_000);
    // 3 templates × 10 repeats, one stack, one summary.
    expect(sink.lines).toHaveLength(30 + 3 + 1);
    expect(sink.bytes).toBeLessThan(8000);
    console.log(`100,000 warn/error/info lines: ${sink.lines.length} lines, ${sink.bytes} bytes, ${(ms * 1000 / 100_000).toFixed(2)} µs/line`);
  });
});
