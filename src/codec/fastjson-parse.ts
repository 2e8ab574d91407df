/**
 * The fastjson-compatible reader (the writer is fastjson.ts, which re-exports `parseFastJson`).
 */

/**
 * Nesting limit for both directions (reader and writer). Real bodies nest under 10 levels; the limit
 * stops a hostile body (or a cyclic value) from overflowing the stack.
 */
export const MAX_NESTING_DEPTH = 512;

/** Integers up to this magnitude are exact as JS numbers; larger ones are read as bigint. */
export const SAFE_LONG_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Parses JSON the way fastjson's `JSON.parseObject` accepts it:
 * - `{...}` with only quoted (or unquoted identifier) keys -> plain object;
 *   with any number key or object key -> `Map` (number keys as numbers/bigints, object keys
 *   as the parsed object, quoted keys as strings);
 * - integers -> number when safe, bigint beyond 2^53; decimals/exponents -> number;
 * - lenient like fastjson's default parser features: single-quoted strings
 *   (AllowSingleQuotes), unquoted identifier keys (AllowUnQuotedFieldNames), repeated or
 *   trailing commas (AllowArbitraryCommas), array elements without commas (`[1 2]`), `1.`,
 *   raw control chars inside strings, `\x41`, `\v`, `\0`..`\7` escapes, Java number
 *   suffixes (`12L`, `1.5D`), and empty input (null). Checked against fastjson in
 *   test/fixtures/fastjson/parser-cases.json.
 * Throws an Error naming the offset and what was expected.
 */
export function parseFastJson(text: string): unknown {
  const p = new Parser(text);
  p.skipWhitespace();
  // JSON.parse("") and JSON.parseObject("  ") return null rather than failing.
  if (p.pos === text.length) return null;
  const value = p.value(0);
  p.skipWhitespace();
  if (p.pos < text.length) p.fail('end of input');
  return value;
}

class Parser {
  pos = 0;

  constructor(private readonly text: string) {}

  fail(expected: string, at = this.pos): never {
    const found = at < this.text.length ? JSON.stringify(this.text.slice(at, at + 12)) : 'end of input';
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new Error(
      `fastjson parse error at offset ${at} (line ${line}, column ${at - lineStart + 1}): expected ${expected}, found ${found}`,
    );
  }

  skipWhitespace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      // fastjson's JSONLexer.isWhitespace: space, \t, \n, \r, \f, \b
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x0c || c === 0x08) this.pos++;
      else break;
    }
  }

  value(depth: number): unknown {
    const t = this.text;
    const c = t.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: // {
        return this.object(depth + 1);
      case 0x5b: // [
        return this.array(depth + 1);
      case 0x22: // "
      case 0x27: // '
        return this.string();
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        return this.fail('a value (object, array, string, number, true, false or null)');
    }
  }

  private literal(word: string, result: unknown): unknown {
    if (!this.text.startsWith(word, this.pos)) this.fail(`'${word}'`);
    this.pos += word.length;
    return result;
  }

  private checkDepth(depth: number): void {
    if (depth > MAX_NESTING_DEPTH) this.fail(`at most ${MAX_NESTING_DEPTH} levels of nesting`);
  }

  private object(depth: number): Record<string, unknown> | Map<unknown, unknown> {
    this.checkDepth(depth);
    const t = this.text;
    this.pos++; // '{'
    let obj: Record<string, unknown> | null = {};
    let map: Map<unknown, unknown> | null = null;
    for (;;) {
      this.skipWhitespace();
      const c = t.charCodeAt(this.pos);
      if (c === 0x7d) { // }
        this.pos++;
        return map ?? obj!;
      }
      if (c === 0x2c) { // AllowArbitraryCommas: `{,"a":1,,}`
        this.pos++;
        continue;
      }
      let key: unknown;
      if (c === 0x22 || c === 0x27) key = this.string();
      else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) key = this.number();
      else if (c === 0x7b) key = this.object(depth + 1);
      else if (isIdentifierStart(c)) key = this.identifier();
      else this.fail("an object key or '}'");
      this.skipWhitespace();
      if (t.charCodeAt(this.pos) !== 0x3a) this.fail("':' after object key");
      this.pos++;
      this.skipWhitespace();
      const v = this.value(depth);
      if (map === null && typeof key !== 'string') {
        map = new Map(Object.entries(obj!));
        obj = null;
      }
      if (map !== null) map.set(key, v);
      else setProperty(obj!, key as string, v);
      this.skipWhitespace();
      const next = t.charCodeAt(this.pos);
      if (next === 0x2c) this.pos++;
      else if (next !== 0x7d) this.fail("',' or '}' after object value");
    }
  }

  private array(depth: number): unknown[] {
    this.checkDepth(depth);
    const t = this.text;
    this.pos++; // '['
    const items: unknown[] = [];
    for (;;) {
      this.skipWhitespace();
      const c = t.charCodeAt(this.pos);
      if (c === 0x5d) {
        this.pos++;
        return items;
      }
      // fastjson needs no comma between elements (`[1 2]` is [1,2]) and skips extra ones
      // (AllowArbitraryCommas: `[1,,2,]` is [1,2]).
      if (c === 0x2c) {
        this.pos++;
        continue;
      }
      if (this.pos >= t.length) this.fail("',' or ']'");
      items.push(this.value(depth));
    }
  }

  private identifier(): string {
    const t = this.text;
    const start = this.pos;
    this.pos++; // the start char, checked by the caller
    while (this.pos < t.length && isIdentifierPart(t.charCodeAt(this.pos))) this.pos++;
    return t.slice(start, this.pos);
  }

  private string(): string {
    const t = this.text;
    const start = this.pos;
    const quote = t.charCodeAt(this.pos);
    this.pos++;
    let out = '';
    let chunk = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail(`closing ${quote === 0x22 ? '"' : "'"} of the string starting at offset ${start}`);
      const c = t.charCodeAt(this.pos);
      if (c === quote) {
        out += t.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += t.slice(chunk, this.pos);
      out += this.escape();
      chunk = this.pos;
    }
  }

  /** At a backslash; returns the escaped text and moves past the escape. */
  private escape(): string {
    const t = this.text;
    const at = this.pos;
    const c = t[this.pos + 1];
    this.pos += 2;
    switch (c) {
      case '"': case "'": case '\\': case '/': return c;
      case 'b': return '\b';
      case 'f': case 'F': return '\f';
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'v': return '\u000b';
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        return String.fromCharCode(c.charCodeAt(0) - 0x30);
      case 'x': return String.fromCharCode(this.hex(2, at));
      case 'u': return String.fromCharCode(this.hex(4, at));
      default: return this.fail('a valid escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)', at);
    }
  }

  private hex(count: number, at: number): number {
    const digits = this.text.slice(this.pos, this.pos + count);
    if (digits.length !== count || !/^[0-9a-fA-F]+$/.test(digits)) this.fail(`${count} hex digits after '\\${count === 2 ? 'x' : 'u'}'`, at);
    this.pos += count;
    return parseInt(digits, 16);
  }

  private number(): number | bigint {
    const t = this.text;
    const start = this.pos;
    if (t.charCodeAt(this.pos) === 0x2d) this.pos++;
    const intStart = this.pos;
    this.digits();
    if (this.pos === intStart) this.fail('a digit', this.pos);
    let integral = true;
    if (t.charCodeAt(this.pos) === 0x2e) { // .
      integral = false;
      this.pos++;
      this.digits(); // fastjson reads `1.` as 1
    }
    const e = t.charCodeAt(this.pos);
    if (e === 0x65 || e === 0x45) { // e E
      integral = false;
      this.pos++;
      const sign = t.charCodeAt(this.pos);
      if (sign === 0x2b || sign === 0x2d) this.pos++;
      const expStart = this.pos;
      this.digits();
      if (this.pos === expStart) this.fail('a digit in the exponent');
    }
    const literal = t.slice(start, this.pos);
    // Java literal suffixes fastjson accepts: 12L, 3S, 1B (integral), 1.5F, 2D (floating).
    const suffix = t[this.pos];
    if (suffix === 'L' || suffix === 'S' || suffix === 'B') this.pos++;
    else if (suffix === 'F' || suffix === 'D') {
      this.pos++;
      integral = false;
    }
    if (!integral) return Number(literal);
    // Up to 15 digits always fit a double exactly; longer ones may need a bigint.
    // `+ 0` turns -0 into 0: an integral literal is a Java int/long, which has no -0.
    if (literal.length - (intStart - start) <= 15) return Number(literal) + 0;
    const big = BigInt(literal);
    return big >= -SAFE_LONG_MAX && big <= SAFE_LONG_MAX ? Number(big) : big;
  }

  private digits(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
  }
}

function isIdentifierStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x24 || c > 0x7f;
}

/** fastjson accepts `$` to start an unquoted key but not inside one (`{a$:1}` fails). */
function isIdentifierPart(c: number): boolean {
  return (isIdentifierStart(c) && c !== 0x24) || (c >= 0x30 && c <= 0x39);
}

/** Assigns without letting a `__proto__` key from the wire touch the prototype. */
function setProperty(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}
