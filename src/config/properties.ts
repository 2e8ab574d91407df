import fs from 'node:fs';

/**
 * Parses Java .properties text as java.util.Properties.load does for the cases config files use:
 * `key=value` or `key: value` or `key value`, `#`/`!` comments, backslash line continuation and escapes.
 */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (endsWithOddBackslashes(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i].replace(/^[ \t\f]+/, '');
    }
    const m = /^((?:\\.|[^=:\s\\])*)[ \t\f]*[=:]?[ \t\f]*(.*)$/.exec(line);
    if (!m) continue;
    out.set(unescape(m[1]), unescape(m[2]));
  }
  return out;
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'f' ? '\f' : c;
  });
}

export function readPropertiesFile(path: string): Map<string, string> {
  return parseProperties(fs.readFileSync(path, 'utf8'));
}

/** Properties text as MixAll.properties2String writes it: one `key=value` line each. */
export function propertiesToString(entries: Iterable<[string, unknown]>): string {
  let s = '';
  for (const [k, v] of entries) if (v != null) s += `${k}=${String(v)}\n`;
  return s;
}
