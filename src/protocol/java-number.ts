/**
 * Java's Integer.parseInt and Long.parseLong (radix 10) for the numbers the protocol carries as text:
 * header fields and message properties. Both accept an optional '+' or '-' then one or more digits, and
 * nothing else: no whitespace, exponent, decimal point, hex prefix or underscore; the value must fit
 * the type. `Number()` accepts all of those and rounds past 2^53, so it cannot stand in for them.
 *
 * Digits are ASCII only. Java also takes other Unicode decimal digits (Character.digit), which no
 * RocketMQ client writes; refusing them can only turn a success into an error, never store a wrong value.
 */

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
/** Longest run of significant digits an int64 can have (9223372036854775807). */
const INT64_DIGITS_MAX = 19;

/** Integer.parseInt(s): the value, or undefined where Java throws NumberFormatException. */
export function parseJavaInt(s: string): number | undefined {
  const len = s.length;
  if (len === 0) return undefined;
  let i = 0;
  let negative = false;
  const first = s.charCodeAt(0);
  if (first === 45 /* - */ || first === 43 /* + */) {
    if (len === 1) return undefined;
    negative = first === 45;
    i = 1;
  }
  let n = 0;
  for (; i < len; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
    // Past the magnitude of INT32_MIN nothing can bring it back in range; stop before n grows without bound.
    if (n > 2147483648) return undefined;
  }
  if (negative) return 0 - n; // 0 - 0 is +0: "-0" parses to 0, as in Java
  return n > INT32_MAX ? undefined : n;
}

/**
 * Long.parseLong(s): the value exactly, as a number when it is a safe integer (|v| <= 2^53 - 1) and as a
 * bigint otherwise; undefined where Java throws NumberFormatException. Ordinary values never touch BigInt.
 */
export function parseJavaLong(s: string): number | bigint | undefined {
  const len = s.length;
  if (len === 0) return undefined;
  let i = 0;
  let negative = false;
  const first = s.charCodeAt(0);
  if (first === 45 || first === 43) {
    if (len === 1) return undefined;
    negative = first === 45;
    i = 1;
  }
  let n = 0;
  let significant = 0;
  for (; i < len; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    // Leading zeros are allowed in any number ("000…01"); only the digits after them count toward the range.
    if (n !== 0 || d !== 0) significant++;
    n = n * 10 + d;
  }
  // While every partial value stays below 2^53 each step above is exact, so n is the value itself.
  if (n <= Number.MAX_SAFE_INTEGER) return negative ? 0 - n : n;
  if (significant > INT64_DIGITS_MAX) return undefined;
  // s is [+-]?[0-9]+ here, which BigInt() parses the same way.
  const big = BigInt(s);
  return big < INT64_MIN || big > INT64_MAX ? undefined : big;
}

/**
 * What a NumberFormatException from parseInt / parseLong says (NumberFormatException#forInputString), as
 * the Java broker's SYSTEM_ERROR remark shows it (RemotingHelper#exceptionSimpleDesc, without the stack
 * frame it appends).
 */
export const numberFormatExceptionText = (s: string): string => `java.lang.NumberFormatException: For input string: "${s}"`;

/** True for a value a record's int32 field holds exactly. */
export const isInt32 = (v: number): boolean => Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;

/** True for a value a record's int64 field holds exactly: an integral number or a bigint within the int64 range. */
export function isInt64(v: number | bigint): boolean {
  if (typeof v === 'bigint') return v >= INT64_MIN && v <= INT64_MAX;
  // 2^63 is a double but not an int64; every integral double below it is one.
  return Number.isInteger(v) && v >= -9223372036854775808 && v < 9223372036854775808;
}

/** The value as a number that compares like it with every real offset or time (all below 2^53). */
export const clampToSafe = (v: number | bigint): number =>
  typeof v === 'number' ? v : v > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
