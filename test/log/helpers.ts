import { Logger, type LoggerOptions, type Sink } from '../../src/logger.js';

/** A clock and a timer the test moves by hand; `armed` counts every timer the logger asked for. */
export class FakeTime {
  now = 1_700_000_000_000;
  armed = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;

  readonly timer = {
    set: (fn: () => void, ms: number): unknown => {
      this.armed++;
      const id = this.next++;
      this.timers.set(id, { at: this.now + ms, fn });
      return id;
    },
    clear: (h: unknown): void => void this.timers.delete(h as number),
  };

  pending(): number {
    return this.timers.size;
  }

  /** Moves the clock, firing the timers that come due, in order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = Math.max(this.now, due[1].at);
      due[1].fn();
    }
    this.now = end;
  }
}

export class MemorySink implements Sink {
  lines: string[] = [];
  bytes = 0;
  write(line: string): void {
    this.bytes += Buffer.byteLength(line);
    // A write is one log record, which may span lines (a stack); keep physical lines for the checks.
    for (const l of line.slice(0, -1).split('\n')) this.lines.push(l);
  }
  flush(): void {}
  close(): void {}
}

export function testLogger(opts: LoggerOptions = {}): { logger: Logger; sink: MemorySink; time: FakeTime } {
  const time = new FakeTime();
  const sink = new MemorySink();
  const logger = new Logger({ sink, now: () => time.now, timer: time.timer, ...opts });
  return { logger, sink, time };
}

/** A stack as Node prints it, for messages built like `${err.stack}`. */
export function fakeStack(msg: string): string {
  return `Error: ${msg}\n    at handle (/srv/a.js:1:2)\n    at process (/srv/b.js:3:4)\n    at run (/srv/c.js:5:6)`;
}
