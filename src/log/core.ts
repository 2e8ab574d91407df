import { stderrSink, type Sink } from './file-sink.js';
import { FIRST_LINE_MAX_CHARS, cleanLine, cleanRest, cut, firstLine, lineCount, template } from './text.js';

export const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type Level = keyof typeof LEVELS;

/** Schedules the end-of-interval summary; injectable so tests drive time by hand. */
export interface Timer {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimer: Timer = {
  // unref'd: a pending summary never keeps a process alive (the 'exit' flush prints it instead).
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface LoggerOptions {
  level?: Level;
  sink?: Sink;
  now?: () => number;
  timer?: Timer;
  /** Length of one counting interval. */
  intervalMs?: number;
  /** log.client lines printed per kind per interval; the rest are counted into the summary. */
  clientLinesPerKind?: number;
  /** info/warn/error lines printed per interval before only first occurrences get through. */
  floodLines?: number;
  /** Lines of one template (a message with its numbers folded) printed per interval. */
  repeatLines?: number;
  /** First occurrences of a template still printed once floodLines is used up. */
  firstLines?: number;
  /** Messages per interval printed with their stack (lines after the first). */
  stackTraces?: number;
}

export const LOG_DEFAULTS = {
  intervalMs: 10_000, clientLinesPerKind: 5, floodLines: 100, repeatLines: 10, firstLines: 50, stackTraces: 5,
} as const;

/** Distinct kinds / templates tracked per interval: callers could pass unbounded strings. */
const MAX_KINDS = 32;
const MAX_TEMPLATES = 512;
const OTHER_KINDS = '(other kinds)';
/** Client details are printed shorter than other lines: they are the attacker's text. */
const CLIENT_DETAIL_MAX_CHARS = 500;
/** Examples in a summary line. */
const SUMMARY_EXAMPLE_CHARS = 300;
const SUMMARY_TOP_TEMPLATES = 3;

interface KindStats { count: number; last: string }
interface TemplateStats { count: number; suppressed: number; last: string }

/**
 * A leveled logger that stays quiet under attack. Client faults (log.client) print a few lines per kind
 * per interval; info/warn/error lines have a per-interval budget, with repeats of one template capped
 * sooner. What is held back is counted and reported in one summary line at the end of the interval;
 * the timer for it is armed only once something has been held back, so an idle server never wakes up.
 * The first occurrence of a message in an interval gets through even past the budget (up to firstLines).
 */
export class Logger {
  private threshold: number;
  sink: Sink;
  private readonly now: () => number;
  private readonly timer: Timer;
  private readonly o: Required<Omit<LoggerOptions, 'level' | 'sink' | 'now' | 'timer'>>;

  private windowStart = -1;
  private handle: unknown = undefined;
  private kinds = new Map<string, KindStats>();
  private clientHeld = 0;
  private templates = new Map<string, TemplateStats>();
  private printed = 0;
  private firsts = 0;
  private stacks = 0;
  private held: Record<Level, number> = { debug: 0, info: 0, warn: 0, error: 0 };
  private heldUntracked = 0;

  constructor(opts: LoggerOptions = {}) {
    this.threshold = LEVELS[opts.level ?? 'info'];
    this.sink = opts.sink ?? stderrSink;
    this.now = opts.now ?? Date.now;
    this.timer = opts.timer ?? realTimer;
    this.o = {
      intervalMs: opts.intervalMs ?? LOG_DEFAULTS.intervalMs,
      clientLinesPerKind: opts.clientLinesPerKind ?? LOG_DEFAULTS.clientLinesPerKind,
      floodLines: opts.floodLines ?? LOG_DEFAULTS.floodLines,
      repeatLines: opts.repeatLines ?? LOG_DEFAULTS.repeatLines,
      firstLines: opts.firstLines ?? LOG_DEFAULTS.firstLines,
      stackTraces: opts.stackTraces ?? LOG_DEFAULTS.stackTraces,
    };
  }

  setLevel(level: Level): void {
    this.threshold = LEVELS[level];
  }

  enabled(level: Level): boolean {
    return LEVELS[level] >= this.threshold;
  }

  /** Debug is opt-in diagnosis, so it is not budgeted; it is still one clean line plus its stack. */
  debug(msg: string): void {
    if (!this.enabled('debug')) return;
    const first = firstLine(msg);
    this.emit('debug', first.length === msg.length ? cleanLine(msg) : cleanLine(first) + '\n' + cleanRest(msg.slice(first.length + 1)));
  }

  info(msg: string): void {
    this.guarded('info', msg);
  }

  warn(msg: string): void {
    this.guarded('warn', msg);
  }

  error(msg: string): void {
    this.guarded('error', msg);
  }

  /** A problem a client caused: counted per kind, printed as WARN a few times per interval, never with a stack. */
  client(kind: string, detail: string): void {
    if (!this.enabled('warn')) return;
    this.roll();
    let k = this.kinds.get(kind);
    if (k === undefined) {
      if (this.kinds.size >= MAX_KINDS) kind = OTHER_KINDS;
      k = this.kinds.get(kind) ?? { count: 0, last: '' };
      this.kinds.set(kind, k);
    }
    k.count++;
    const d = cut(firstLine(detail), CLIENT_DETAIL_MAX_CHARS);
    if (k.count <= this.o.clientLinesPerKind) {
      this.emit('warn', cleanLine(`${kind}: ${d}`));
    } else {
      // Only the text is kept, not cleaned: cleaning is paid once, in the summary.
      k.last = d;
      this.clientHeld++;
      this.arm();
    }
  }

  /** Ends the current interval now (its summaries printed) and flushes the sink; for 'exit'. */
  flushSync(): void {
    this.endWindow();
    this.sink.flush();
  }

  private guarded(level: Level, msg: string): void {
    if (!this.enabled(level)) return;
    this.roll();
    const first = firstLine(msg);
    const key = template(first);
    let t = this.templates.get(key);
    if (t === undefined && this.templates.size < MAX_TEMPLATES) {
      t = { count: 0, suppressed: 0, last: '' };
      this.templates.set(key, t);
    }
    // With the table full an unknown template counts as new every time; firstLines still bounds it.
    const seen = t === undefined ? 0 : t.count++;
    if (seen < this.o.repeatLines && this.printed < this.o.floodLines) this.printed++;
    else if (seen === 0 && this.firsts < this.o.firstLines) this.firsts++;
    else {
      this.held[level]++;
      if (t === undefined) this.heldUntracked++;
      else {
        t.suppressed++;
        t.last = first;
      }
      this.arm();
      return;
    }
    let line = cleanLine(first);
    if (first.length < msg.length) {
      const rest = msg.slice(first.length + 1);
      // A stack for the first occurrence of a message in the interval; repeats say what they left out.
      if (seen === 0 && this.stacks < this.o.stackTraces) {
        this.stacks++;
        line += '\n' + cleanRest(rest);
      } else {
        line += ` [${lineCount(rest)} more lines not shown]`;
      }
    }
    this.emit(level, line);
  }

  private emit(level: Level, text: string): void {
    this.sink.write(`${new Date(this.now()).toISOString()} ${level.toUpperCase()} ${text}\n`);
  }

  /** Opens an interval at the first event after a quiet spell; closes an expired one whose timer is late. */
  private roll(): void {
    const now = this.now();
    if (this.windowStart >= 0 && now - this.windowStart >= this.o.intervalMs) this.endWindow();
    if (this.windowStart < 0) this.windowStart = now;
  }

  private arm(): void {
    if (this.handle !== undefined) return;
    const ms = Math.max(0, this.windowStart + this.o.intervalMs - this.now());
    this.handle = this.timer.set(() => {
      this.handle = undefined;
      this.endWindow();
    }, ms);
  }

  private endWindow(): void {
    if (this.handle !== undefined) {
      this.timer.clear(this.handle);
      this.handle = undefined;
    }
    if (this.windowStart < 0) return;
    const secs = Math.max(1, Math.round((this.now() - this.windowStart) / 1000));
    if (this.clientHeld > 0) this.emit('warn', this.clientSummary(secs));
    const held = this.held.info + this.held.warn + this.held.error;
    if (held > 0) this.emit(this.held.error > 0 ? 'error' : 'warn', this.floodSummary(secs, held));
    this.windowStart = -1;
    this.kinds.clear();
    this.clientHeld = 0;
    this.templates.clear();
    this.printed = this.firsts = this.stacks = this.heldUntracked = 0;
    this.held = { debug: 0, info: 0, warn: 0, error: 0 };
  }

  /** e.g. `client faults in the last 10 s: bad frame 12345 (12340 not logged, last: ...), frame timeout 3` */
  private clientSummary(secs: number): string {
    const parts = [...this.kinds]
      .sort((a, b) => b[1].count - a[1].count)
      .map(([kind, k]) => {
        const notLogged = k.count - Math.min(k.count, this.o.clientLinesPerKind);
        return notLogged === 0 ? `${kind} ${k.count}` : `${kind} ${k.count} (${notLogged} not logged, last: ${cut(k.last, SUMMARY_EXAMPLE_CHARS)})`;
      });
    return cleanLine(`client faults in the last ${secs} s: ${parts.join(', ')}`, FIRST_LINE_MAX_CHARS * 4);
  }

  /** e.g. `log flood in the last 10 s: 11990 lines not logged (warn 11990); most repeated: 11000× "..."` */
  private floodSummary(secs: number, held: number): string {
    const byLevel = (['error', 'warn', 'info'] as const).filter((l) => this.held[l] > 0).map((l) => `${l} ${this.held[l]}`);
    const top = [...this.templates.values()]
      .filter((t) => t.suppressed > 0)
      .sort((a, b) => b.suppressed - a.suppressed)
      .slice(0, SUMMARY_TOP_TEMPLATES)
      .map((t) => `${t.suppressed}× "${cut(t.last, SUMMARY_EXAMPLE_CHARS)}"`);
    if (this.heldUntracked > 0) top.push(`${this.heldUntracked}× other messages`);
    return cleanLine(`log flood in the last ${secs} s: ${held} lines not logged (${byLevel.join(', ')}); most repeated: ${top.join(', ')}`, FIRST_LINE_MAX_CHARS * 4);
  }
}
