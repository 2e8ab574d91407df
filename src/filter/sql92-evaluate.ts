/**
 * Evaluates a compiled SQL92 selector over a message's properties with the Java broker's semantics
 * (filter/expression/ComparisonExpression.java, LogicExpression.java, UnaryExpression.java):
 * - a missing property is null; a comparison with null is null; AND/OR/NOT are three-valued;
 *   only a result of exactly TRUE matches the message;
 * - property values are strings, converted to the other operand's type when compared with a literal
 *   (Integer.valueOf / Long.valueOf / Double.valueOf / Boolean.valueOf); a value that does not convert
 *   throws, and the broker treats a throwing evaluation as "no match";
 * - values of unrelated types compare as "less than" (so `=` is false).
 */
import { JavaNumber, type Node, type Value } from './sql92-ast.js';

/** Thrown when Java would throw while evaluating (e.g. `a = 5` with a = 'abc'). */
export class Sql92EvaluationError extends Error {}

const INT_RE = /^[+-]?[0-9]+$/;
/** Double.valueOf after trimming: decimal forms, NaN, Infinity, optional f/F/d/D suffix (hex floats not accepted here). */
const DOUBLE_RE = /^[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?)$/;

function javaInt(s: string): JavaNumber {
  if (!INT_RE.test(s)) throw new Sql92EvaluationError(`For input string: "${s}"`);
  const v = BigInt(s);
  if (v < -2147483648n || v > 2147483647n) throw new Sql92EvaluationError(`For input string: "${s}" (out of int range)`);
  return JavaNumber.int(Number(v));
}

function javaLong(s: string): JavaNumber {
  if (!INT_RE.test(s)) throw new Sql92EvaluationError(`For input string: "${s}"`);
  const v = BigInt(s);
  if (v < -(2n ** 63n) || v >= 2n ** 63n) throw new Sql92EvaluationError(`For input string: "${s}" (out of long range)`);
  return JavaNumber.long(v);
}

export function javaDouble(s: string): JavaNumber {
  // String.trim(): strips chars <= U+0020.
  const t = s.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
  if (!DOUBLE_RE.test(t)) throw new Sql92EvaluationError(`For input string: "${s}"`);
  const body = t.replace(/[fFdD]$/, '');
  const unsigned = body.replace(/^[+-]/, '');
  const sign = body.startsWith('-') ? -1 : 1;
  const v = unsigned === 'NaN' ? NaN : unsigned === 'Infinity' ? sign * Infinity : Number(body);
  return JavaNumber.double(v);
}

const toDouble = (n: JavaNumber): number => Number(n.value);
const toLong = (n: JavaNumber): bigint => (n.type === 'L' ? (n.value as bigint) : BigInt(n.value as number));

/** Double.compare: -0.0 < 0.0 and NaN above everything, equal to itself. */
function compareDoubles(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  if (a === 0 && b === 0) return Object.is(a, -0) === Object.is(b, -0) ? 0 : Object.is(a, -0) ? -1 : 1;
  return 0;
}

/** String.compareTo: UTF-16 code units. */
function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function compareNumbers(a: JavaNumber, b: JavaNumber): number {
  if (a.type === 'D' || b.type === 'D') return compareDoubles(toDouble(a), toDouble(b));
  const x = toLong(a);
  const y = toLong(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A string converted to the numeric type of the other operand (Integer/Long/Double.valueOf). */
function stringAs(s: string, like: JavaNumber): JavaNumber {
  return like.type === 'I' ? javaInt(s) : like.type === 'L' ? javaLong(s) : javaDouble(s);
}

/**
 * ComparisonExpression.__compare with convertStringExpressions on (always, in RocketMQ's parser):
 * same types compare naturally; a string meets the other side's type; other mixes answer -1.
 */
export function javaCompare(l: Exclude<Value, null>, r: Exclude<Value, null>): number {
  if (typeof l === 'string' && typeof r === 'string') return compareStrings(l, r);
  if (typeof l === 'boolean' && typeof r === 'boolean') return l === r ? 0 : l ? 1 : -1;
  if (l instanceof JavaNumber && r instanceof JavaNumber) return compareNumbers(l, r);
  if (typeof l === 'boolean') {
    // Java casts the Boolean itself to String here: a ClassCastException.
    if (typeof r === 'string') throw new Sql92EvaluationError('cannot compare a boolean with a string');
    return -1;
  }
  if (l instanceof JavaNumber) {
    if (typeof r === 'string') return compareNumbers(l, stringAs(r, l));
    return -1;
  }
  // l is a string, r a boolean or a number
  if (typeof r === 'boolean') {
    const lb = l.toLowerCase() === 'true';
    return lb === r ? 0 : lb ? 1 : -1;
  }
  return compareNumbers(stringAs(l, r as JavaNumber), r as JavaNumber);
}

/** Whether two values are Java-equals(): same boxed type and value. */
function javaEquals(l: Exclude<Value, null>, r: Exclude<Value, null>): boolean {
  if (l instanceof JavaNumber && r instanceof JavaNumber) {
    if (l.type !== r.type) return false;
    return l.type === 'D' ? compareDoubles(l.value as number, r.value as number) === 0 : l.value === r.value;
  }
  return l === r;
}

function negate(v: Value): Value {
  if (!(v instanceof JavaNumber)) return null;
  if (v.type === 'I') return JavaNumber.int(-(v.value as number));
  if (v.type === 'L') return JavaNumber.long(-(v.value as bigint));
  return JavaNumber.double(-(v.value as number));
}

function asBool(v: Value): boolean | null {
  return typeof v === 'boolean' ? v : null;
}

export type Properties = ReadonlyMap<string, string>;

export function evaluate(n: Node, props: Properties): Value {
  switch (n.t) {
    case 'const':
      return n.value;
    case 'prop':
      return props.get(n.name) ?? null;
    case 'neg':
      return negate(evaluate(n.e, props));
    case 'not': {
      const v = asBool(evaluate(n.e, props));
      return v === null ? null : !v;
    }
    case 'cast': {
      const v = evaluate(n.e, props);
      return v === null ? null : typeof v === 'boolean' ? v : false;
    }
    case 'and': {
      const l = asBool(evaluate(n.l, props));
      if (l === false) return false;
      const r = asBool(evaluate(n.r, props));
      if (r === false) return false;
      return l === null || r === null ? null : true;
    }
    case 'or': {
      const l = asBool(evaluate(n.l, props));
      if (l === true) return true;
      const r = asBool(evaluate(n.r, props));
      if (r === true) return true;
      return l === null || r === null ? null : false;
    }
    case 'eq': {
      const l = evaluate(n.l, props);
      const r = evaluate(n.r, props);
      if (l === null || r === null) return l === null && r === null ? true : l === null ? null : false;
      return javaEquals(l, r) || javaCompare(l, r) === 0;
    }
    case 'cmp': {
      let l = evaluate(n.l, props);
      if (l === null) return null;
      let r = evaluate(n.r, props);
      if (r === null) return null;
      // Two strings are compared as doubles, or not at all.
      if (typeof l === 'string' && typeof r === 'string') {
        l = javaDouble(l);
        r = javaDouble(r);
      }
      const c = javaCompare(l, r);
      return n.op === '>' ? c > 0 : n.op === '>=' ? c >= 0 : n.op === '<' ? c < 0 : c <= 0;
    }
    case 'in': {
      const v = props.get(n.prop);
      if (v === undefined) return null;
      return n.list.has(v) !== n.not;
    }
  }
}

/** ExpressionMessageFilter#isMatchedByCommitLog: only TRUE matches; an evaluation error is no match. */
export function matches(n: Node, props: Properties): boolean {
  try {
    return evaluate(n, props) === true;
  } catch (e) {
    if (e instanceof Sql92EvaluationError) return false;
    throw e;
  }
}
