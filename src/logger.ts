/**
 * The process logger. Lines go to stderr, or to a size-capped, rotated file once logToFile is called
 * (CLI --log-file / ROCKETMQ_TS_LOG_FILE). The level: ROCKETMQ_TS_LOG_LEVEL (or the older ROCKETMQ_TS_LOG) =
 * debug|info|warn|error, default info; the CLI's --log-level and the logLevel key set it too (setLogLevel).
 * Rate limits and summaries: src/log/core.ts.
 */
import { LEVELS, Logger, type Level } from './log/core.js';
import { RotatingFileSink, stderrSink, type FileSinkOptions } from './log/file-sink.js';

export { Logger, LOG_DEFAULTS, type LoggerOptions, type Level } from './log/core.js';
export { RotatingFileSink, LOG_FILE_MAX_BYTES_DEFAULT, LOG_FILE_KEEP_DEFAULT, type Sink } from './log/file-sink.js';

/** The level names, for the CLI and config checks. */
export const LOG_LEVELS = Object.keys(LEVELS) as Level[];

export function isLogLevel(s: string | undefined): s is Level {
  return s !== undefined && Object.hasOwn(LEVELS, s);
}

const envLevel = process.env.ROCKETMQ_TS_LOG_LEVEL || process.env.ROCKETMQ_TS_LOG;
const core = new Logger({ level: isLogLevel(envLevel) ? envLevel : 'info' });

/** Lines below `level` are dropped from now on. */
export function setLogLevel(level: Level): void {
  core.setLevel(level);
}

// Held-back counts and batched file lines are written out however the process ends short of SIGKILL:
// process.exit, an uncaught exception, or an empty event loop all emit 'exit'.
process.on('exit', () => core.flushSync());

// Plain functions rather than methods: call sites pass them around unbound, and tests spy on them.
export const log = {
  debug: (m: string): void => core.debug(m),
  info: (m: string): void => core.info(m),
  warn: (m: string): void => core.warn(m),
  error: (m: string): void => core.error(m),
  /**
   * A problem a client caused (a malformed frame, a bad header, a refused request): at most a few WARN
   * lines per kind per interval, the rest counted into one summary line; only the detail's first line.
   */
  client: (kind: string, detail: string): void => core.client(kind, detail),
};

/** Sends the process log to FILE from now on (appended, rotated at opts.maxBytes). Throws if FILE cannot be opened. */
export function logToFile(file: string, opts: FileSinkOptions = {}): RotatingFileSink {
  const sink = new RotatingFileSink(file, opts);
  const was = core.sink;
  core.sink = sink;
  was.close();
  return sink;
}

/** True once logToFile has taken over from stderr. */
export function loggingToFile(): boolean {
  return core.sink !== stderrSink;
}

/** Lines logged so far written out, synchronously (held-back counts stay for their interval's summary). */
export function flushLog(): void {
  core.sink.flush();
}
