/**
 * The few Java and commons-lang3 string rules ACL 1.0 depends on, so patterns, permissions and errors come
 * out as the Java broker's do: StringUtils.split (separator characters, no empty tokens), String.trim,
 * Integer.parseInt with its NumberFormatException text, and java.util.HashMap's iteration order (which
 * decides which refusal a request with several denied resources gets, and the key order of a map fastjson
 * writes).
 */

/** A Java exception thrown while reading patterns, named as Java names it (the text an admin reply carries). */
export class JavaError extends Error {}

/** commons-lang3 StringUtils.split(str, separatorChars): any of the characters separates; empty tokens are dropped. */
export function splitChars(s: string, separators: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of s) {
    if (separators.includes(ch)) {
      if (cur !== '') out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur !== '') out.push(cur);
  return out;
}

/** String.trim(): strips code units <= U+0020 from both ends (not Unicode white space). */
export function javaTrim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) <= 0x20) a++;
  while (b > a && s.charCodeAt(b - 1) <= 0x20) b--;
  return s.slice(a, b);
}

/** StringUtils.isBlank: null, empty, or only Character.isWhitespace characters. */
export function isBlank(s: string | null | undefined): boolean {
  return s == null || /^[\s\u001c-\u001f]*$/.test(s);
}

/** Integer.parseInt(s, radix), throwing NumberFormatException's JDK 17 message. */
export function parseJavaInt(s: string | null | undefined, radix = 10): number {
  const fail = (): never => {
    const shown = s == null ? 'null' : `For input string: "${s}"${radix === 10 ? '' : ` under radix ${radix}`}`;
    throw new JavaError(s == null ? 'Cannot parse null string: null' : shown);
  };
  if (s == null || s.length === 0) return fail();
  const digits = radix === 16 ? /^[+-]?[0-9a-fA-F]+$/ : /^[+-]?[0-9]+$/;
  if (!digits.test(s)) return fail();
  const v = parseInt(s, radix);
  if (v > 2147483647 || v < -2147483648) return fail();
  return v;
}

/** String.hashCode over UTF-16 code units, as a signed 32-bit int. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

const TREEIFY_BIN_LENGTH = 9;
const MIN_TREEIFY_CAPACITY = 64;

/**
 * The iteration order of a java.util.HashMap<String, ?> (default capacity 16, load factor 0.75) into which
 * `keys` were put in this order (repeated keys keep their first place): buckets by (h ^ h>>>16) & (cap-1),
 * insertion order within a bucket, resizing as Java does (also when a bucket reaches 9 entries while the
 * table is under 64). Buckets Java would turn into trees (9+ colliding keys in a table of 64+) keep
 * insertion order here; no real request comes near that.
 */
export function javaHashMapOrder(keys: Iterable<string>): string[] {
  let cap = 16;
  let buckets: string[][] = [];
  let size = 0;
  const seen = new Set<string>();
  const index = (k: string, c: number): number => {
    const h = javaStringHash(k);
    return (h ^ (h >>> 16)) & (c - 1);
  };
  const resize = (): void => {
    const old = buckets;
    cap *= 2;
    buckets = [];
    for (const b of old) {
      if (!b) continue;
      for (const k of b) (buckets[index(k, cap)] ??= []).push(k);
    }
  };
  for (const k of keys) {
    if (seen.has(k)) continue;
    seen.add(k);
    const b = (buckets[index(k, cap)] ??= []);
    b.push(k);
    if (b.length >= TREEIFY_BIN_LENGTH && cap < MIN_TREEIFY_CAPACITY) resize();
    if (++size > cap * 0.75) resize();
  }
  const out: string[] = [];
  for (const b of buckets) if (b) out.push(...b);
  return out;
}

/** String.split(sep) for a one-character literal separator: no separator gives [s]; trailing empty strings go. */
export function javaSplit(s: string, sep: string): string[] {
  if (!s.includes(sep)) return [s];
  const parts = s.split(sep);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}
