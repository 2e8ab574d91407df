/**
 * fastjson 1.2.69 compatible JSON, as RocketMQ 4.9.8 writes and reads its bodies
 * (`RemotingSerializable.encode/toJson/decode`). The behaviours below were checked
 * against output of the real Java classes, committed in test/fixtures/fastjson/
 * (captured by tools/fastjson-capture/), except where marked "assumed".
 *
 * Value model (TS value -> what fastjson would have been given):
 * - plain object: a Java bean. Own enumerable properties sorted by name (fastjson's
 *   default SortField); `null`/`undefined` properties omitted.
 * - `Map`: a Java HashMap/ConcurrentHashMap. Entries in insertion order: Java writes
 *   hash order, so the caller decides the order. Entries whose value is null/undefined
 *   are omitted (fastjson without WriteMapNullValue). Keys:
 *     string          -> quoted: `{"k":1}`
 *     number / bigint -> UNQUOTED digits: `{0:"127.0.0.1:10911"}` (a Map<Long,...> in Java)
 *     object          -> the key's own fastjson JSON: `{{"brokerName":"b","queueId":0,"topic":"t"}:12}`
 *                        (a Map<MessageQueue,...>)
 * - array: a Java List. `Set`: a Java Set. Both are JSON arrays; they differ only in
 *   pretty format, where fastjson breaks Lists one item per line but writes Sets inline.
 *   A null element is written `null`.
 * - string: fastjson escaping. Always `\"`, `\\`, `\b \t \n \f \r`, `\u00XX` for other
 *   C0 controls and for U+007F..U+009F, `\u2028`, `\u2029`; everything else raw UTF-8.
 * - integer number, bigint: digits, never quoted, even beyond 2^53 (a Java long).
 *   A non-integer number is written as a Java double (see JavaDouble).
 * - `JavaDouble`: Java `Double.toString` style (`0.0`, `1.5`, `1.0E20`, `1.23456789125E8`);
 *   NaN and +-Infinity are written `null` (even as a bean property, where null is NOT skipped).
 * - boolean. Other objects (class instances included) are beans of their own enumerable
 *   properties; functions and symbols are refused.
 *
 * Options (RocketMQ uses them only for route data to clients that want standard JSON:
 * `BrowserCompatible, QuoteFieldNames, SkipTransientField, MapSortField`):
 * - browserCompatible: non-string map keys quoted (`{"0":"addr"}`; an object key becomes a
 *   string holding its compact JSON); every char >= U+007F escaped `\uXXXX` (uppercase hex,
 *   surrogate pairs as two escapes); `/` written `\/`; longs outside +-(2^53-1) written as strings.
 * - sortMapKeys: Map entries sorted by key, numbers numerically (verified), strings by
 *   UTF-16 code unit as TreeMap/String.compareTo would (assumed). Object keys keep caller
 *   order: Java would use the key class's compareTo, which we cannot see.
 *
 * Not reproduced: fastjson writes `{"$ref":"$[0]"}` for a repeated instance; we write the
 * value again (Java reads both the same way) and refuse cycles through the depth limit.
 */
import { MAX_NESTING_DEPTH, SAFE_LONG_MAX } from './fastjson-parse.js';

export { parseFastJson } from './fastjson-parse.js';

/** A Java double: written like `Double.toString`, not like a JS number. */
export class JavaDouble {
  constructor(readonly value: number) {}
}

export interface FastJsonOptions {
  /** SerializerFeature.BrowserCompatible. */
  browserCompatible?: boolean;
  /** SerializerFeature.MapSortField. */
  sortMapKeys?: boolean;
}

/** Longs beyond this are quoted under BrowserCompatible (fastjson LongCodec / SerializeWriter.writeLong). */
const BROWSER_SAFE_LONG_MAX = SAFE_LONG_MAX;

// ---------------------------------------------------------------------------
// Serializer
// ---------------------------------------------------------------------------

/** Compact JSON exactly as fastjson's `JSON.toJSONString(obj[, features])`. */
export function toFastJson(value: unknown, opts?: FastJsonOptions): string {
  const w = new Writer(opts?.browserCompatible === true, opts?.sortMapKeys === true, false);
  w.value(value, 0);
  return w.out;
}

/**
 * `JSON.toJSONString(obj, PrettyFormat)`, as RocketMQ writes its config files (topics.json,
 * consumerOffset.json, subscriptionGroup.json): tab indentation, a line break before each
 * bean property, List item and String map key, but none before a non-String key, which
 * gives `{0:250,1:251\n\t\t}`.
 */
export function toFastJsonPretty(value: unknown): string {
  const w = new Writer(false, false, true);
  w.value(value, 0);
  return w.out;
}

class Writer {
  out = '';
  private indent = 0;

  constructor(
    private readonly browser: boolean,
    private readonly sortMapKeys: boolean,
    private readonly pretty: boolean,
  ) {}

  value(v: unknown, depth: number): void {
    switch (typeof v) {
      case 'string':
        this.string(v);
        return;
      case 'number':
        if (Number.isInteger(v)) this.long(v);
        else this.out += formatJavaDouble(v);
        return;
      case 'bigint':
        this.long(v);
        return;
      case 'boolean':
        this.out += v ? 'true' : 'false';
        return;
      case 'undefined':
        this.out += 'null';
        return;
      case 'object':
        break;
      default:
        throw new TypeError(`fastjson: cannot serialize a ${typeof v}`);
    }
    if (v === null) {
      this.out += 'null';
      return;
    }
    if (depth >= MAX_NESTING_DEPTH) {
      throw new RangeError(`fastjson: value nested deeper than ${MAX_NESTING_DEPTH} levels (a cycle?)`);
    }
    if (v instanceof JavaDouble) this.out += formatJavaDouble(v.value);
    else if (Array.isArray(v)) this.list(v, depth + 1);
    else if (v instanceof Map) this.map(v, depth + 1);
    else if (v instanceof Set) this.set(v, depth + 1);
    else this.bean(v as Record<string, unknown>, depth + 1);
  }

  private newline(): void {
    this.out += '\n' + '\t'.repeat(this.indent);
  }

  private long(v: number | bigint): void {
    const text = typeof v === 'bigint' || Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
    if (this.browser && !Number.isSafeInteger(v)) {
      const b = typeof v === 'bigint' ? v : BigInt(v);
      if (b > BROWSER_SAFE_LONG_MAX || b < -BROWSER_SAFE_LONG_MAX) {
        this.out += '"' + text + '"';
        return;
      }
    }
    this.out += text;
  }

  string(s: string): void {
    const needsEscape = this.browser ? BROWSER_ESCAPE : DEFAULT_ESCAPE;
    if (!needsEscape.test(s)) {
      this.out += '"' + s + '"';
      return;
    }
    let out = '"';
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const esc = escapeFor(c, this.browser);
      if (esc === undefined) continue;
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
    this.out += out + s.slice(start) + '"';
  }

  private list(items: readonly unknown[], depth: number): void {
    if (items.length === 0) {
      this.out += '[]';
      return;
    }
    this.out += '[';
    if (this.pretty) this.indent++;
    for (let i = 0; i < items.length; i++) {
      if (i > 0) this.out += ',';
      if (this.pretty) this.newline();
      const item = items[i];
      this.value(item === undefined ? null : item, depth);
    }
    if (this.pretty) {
      this.indent--;
      this.newline();
    }
    this.out += ']';
  }

  /** fastjson's CollectionCodec: no line breaks even in pretty format. */
  private set(items: ReadonlySet<unknown>, depth: number): void {
    this.out += '[';
    let first = true;
    for (const item of items) {
      if (!first) this.out += ',';
      first = false;
      this.value(item, depth);
    }
    this.out += ']';
  }

  private bean(obj: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(obj).sort();
    // fastjson's JavaBeanSerializer breaks the line after '{' whenever the class has
    // properties, written or not: an all-null bean comes out as "{\n\t\t\n\t}".
    const breakLines = this.pretty && keys.length > 0;
    this.out += '{';
    if (breakLines) {
      this.indent++;
      this.newline();
    }
    let first = true;
    for (const key of keys) {
      const v = obj[key];
      if (v === null || v === undefined) continue;
      if (!first) {
        this.out += ',';
        if (breakLines) this.newline();
      }
      first = false;
      this.string(key);
      this.out += ':';
      this.value(v, depth);
    }
    if (breakLines) {
      this.indent--;
      this.newline();
    }
    this.out += '}';
  }

  private map(map: ReadonlyMap<unknown, unknown>, depth: number): void {
    const entries: Iterable<[unknown, unknown]> = this.sortMapKeys && map.size > 1 ? [...map].sort(compareKeys) : map;
    this.out += '{';
    if (this.pretty) this.indent++;
    let first = true;
    for (const [key, v] of entries) {
      if (v === null || v === undefined) continue;
      if (!first) this.out += ',';
      first = false;
      this.mapKey(key, depth);
      this.out += ':';
      this.value(v, depth);
    }
    if (this.pretty) {
      this.indent--;
      if (map.size > 0) this.newline();
    }
    this.out += '}';
  }

  private mapKey(key: unknown, depth: number): void {
    if (typeof key === 'string') {
      if (this.pretty) this.newline();
      this.string(key);
    } else if (this.browser) {
      // MapSerializer under BrowserCompatible: the key becomes a string holding
      // JSON.toJSONString(key), i.e. compact with default features.
      this.string(toFastJson(key));
    } else if (typeof key === 'bigint' || (typeof key === 'number' && Number.isInteger(key))) {
      // Written unquoted: fastjson's MapSerializer writes a Long/Integer key as a number.
      this.long(key);
    } else if (typeof key === 'number') {
      this.out += formatJavaDouble(key);
    } else {
      // An object key (MessageQueue) is written as its own JSON, unquoted.
      this.value(key, depth);
    }
  }
}

function compareKeys(a: [unknown, unknown], b: [unknown, unknown]): number {
  const x = a[0];
  const y = b[0];
  if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
  const xn = typeof x === 'number' || typeof x === 'bigint';
  const yn = typeof y === 'number' || typeof y === 'bigint';
  if (xn && yn) return x < y ? -1 : x > y ? 1 : 0;
  return 0;
}

/** Chars fastjson escapes by default (SerializeWriter.writeStringWithDoubleQuote). */
const DEFAULT_ESCAPE = /[\u0000-\u001f"\\\u007f-\u009f\u2028\u2029]/;
/** BrowserCompatible additionally escapes `/` and everything from U+007F up. */
const BROWSER_ESCAPE = /[\u0000-\u001f"\\/\u007f-\uffff]/;

const HEX = '0123456789ABCDEF';

function unicodeEscape(c: number): string {
  return '\\u' + HEX[(c >> 12) & 15] + HEX[(c >> 8) & 15] + HEX[(c >> 4) & 15] + HEX[c & 15];
}

function escapeFor(c: number, browser: boolean): string | undefined {
  if (c < 0x20) {
    switch (c) {
      case 0x08: return '\\b';
      case 0x09: return '\\t';
      case 0x0a: return '\\n';
      case 0x0c: return '\\f';
      case 0x0d: return '\\r';
      default: return unicodeEscape(c);
    }
  }
  if (c === 0x22) return '\\"';
  if (c === 0x5c) return '\\\\';
  if (browser) {
    if (c === 0x2f) return '\\/';
    return c >= 0x7f ? unicodeEscape(c) : undefined;
  }
  if ((c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return unicodeEscape(c);
  return undefined;
}

/**
 * Java `Double.toString` (as fastjson's RyuDouble writes it): shortest round-trip digits,
 * plain notation with at least one fraction digit for 1e-3 <= |v| < 1e7, otherwise
 * `d.dddE<exp>`. NaN and infinities give `null`, as fastjson writes them.
 */
export function formatJavaDouble(v: number): string {
  if (!Number.isFinite(v)) return 'null';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const sign = v < 0 ? '-' : '';
  const abs = v < 0 ? -v : v;
  // toExponential() with no argument gives the shortest digits that round-trip. Where
  // that is a single digit, fastjson (like Java) keeps the exponent but rounds to two
  // digits: the same for normal doubles (1.0E20), not for wide-ulp subnormals
  // (Double.MIN_VALUE is 4.9E-324, not 5.0E-324; twice it is 1.0E-323).
  let exp = abs.toExponential();
  if (exp[1] === 'e') {
    const two = abs.toExponential(1);
    if (two.slice(two.indexOf('e')) === exp.slice(1)) exp = two;
  }
  const e = exp.indexOf('e');
  let digits = exp[0] + exp.slice(2, e); // drop the '.' after the first digit
  if (digits.length === 2 && digits[1] === '0') digits = digits[0];
  const power = Number(exp.slice(e + 1));
  if (abs >= 1e-3 && abs < 1e7) {
    if (power >= 0) {
      const intLen = power + 1;
      const intPart = digits.length > intLen ? digits.slice(0, intLen) : digits + '0'.repeat(intLen - digits.length);
      const frac = digits.length > intLen ? digits.slice(intLen) : '0';
      return sign + intPart + '.' + frac;
    }
    return sign + '0.' + '0'.repeat(-power - 1) + digits;
  }
  return sign + digits[0] + '.' + (digits.length > 1 ? digits.slice(1) : '0') + 'E' + power;
}
