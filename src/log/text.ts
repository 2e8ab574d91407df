/** Shaping of log text: what a line may contain and how repeats of one message are recognised. */

/** A first line longer than this is cut: details can carry client-supplied bytes (topic names, remarks). */
export const FIRST_LINE_MAX_CHARS = 2000;
/** The rest of a message (a stack trace) is cut here; a real Node stack is far shorter. */
export const REST_MAX_CHARS = 8000;
/** How much of a first line identifies its template; enough to tell call sites apart. */
const TEMPLATE_CHARS = 160;

// C0 controls and DEL except tab and newline: a client could otherwise forge log lines with a bare CR or
// drive a terminal with escape sequences through a detail it controls.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;

export function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…[${s.length - max} chars cut]`;
}

/** One line, safe to print: controls replaced, length capped. */
export function cleanLine(s: string, max = FIRST_LINE_MAX_CHARS): string {
  return cut(s, max).replace(CONTROL, '?');
}

/** The first line of a message (the part before any stack trace). */
export function firstLine(s: string): string {
  const nl = s.indexOf('\n');
  return nl < 0 ? s : s.slice(0, nl);
}

/**
 * The lines after the first, controls replaced, each starting with whitespace: a newline inside a
 * client-supplied value then cannot produce a line that reads like a log line of its own.
 */
export function cleanRest(rest: string): string {
  return cut(rest, REST_MAX_CHARS)
    .replace(CONTROL, '?')
    .split('\n')
    .map((l) => (l === '' || l[0] === ' ' || l[0] === '\t' ? l : `  ${l}`))
    .join('\n');
}

export function lineCount(s: string): number {
  let n = 1;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * The template of a first line: numbers (ports, offsets, addresses, ids) and long hex runs (message ids)
 * folded, so "closing 127.0.0.1:5555: ..." and "closing 127.0.0.1:6666: ..." count as the same message.
 */
export function template(first: string): string {
  return first.slice(0, TEMPLATE_CHARS).replace(/[0-9A-Fa-f]{12,}|\d+/g, '#');
}
