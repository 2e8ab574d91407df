/** Minimal leveled logger on stderr; ROCKETMQ_TS_LOG=debug|info|warn|error (default info). */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

const threshold = LEVELS[(process.env.ROCKETMQ_TS_LOG as Level) ?? 'info'] ?? LEVELS.info;

function write(level: Level, msg: string): void {
  if (LEVELS[level] < threshold) return;
  process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${msg}\n`);
}

export const log = {
  debug: (m: string) => write('debug', m),
  info: (m: string) => write('info', m),
  warn: (m: string) => write('warn', m),
  error: (m: string) => write('error', m),
  /**
   * A problem a client caused (a malformed frame, a bad header, a refused request): counted per `kind`,
   * never with a stack trace. Placeholder until the rate-limited version lands: one warn line each.
   */
  client: (kind: string, detail: string) => write('warn', `${kind}: ${detail}`),
};
