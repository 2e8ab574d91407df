/**
 * Expression tree of a compiled SQL92 selector (RocketMQ filter/expression/*), and the values it computes.
 *
 * Java keeps the boxed type of every number and its comparisons depend on it (a string property is
 * converted with Integer.valueOf against an int literal but with Double.valueOf against a double), so
 * numbers carry their Java type here: 'I' int, 'L' long (as bigint, exact), 'D' double.
 */

export class JavaNumber {
  constructor(
    readonly type: 'I' | 'L' | 'D',
    readonly value: number | bigint,
  ) {}

  static int(v: number): JavaNumber {
    return new JavaNumber('I', v | 0);
  }

  static long(v: bigint): JavaNumber {
    return new JavaNumber('L', BigInt.asIntN(64, v));
  }

  static double(v: number): JavaNumber {
    return new JavaNumber('D', v);
  }

  toString(): string {
    if (this.type !== 'D') return String(this.value);
    const v = this.value as number;
    return Number.isInteger(v) && Math.abs(v) < 1e7 ? v.toFixed(1) : String(v);
  }
}

/** What an expression evaluates to; null is SQL's unknown (a missing property). */
export type Value = null | string | boolean | JavaNumber;

export type Node =
  /** A literal; `bool` marks TRUE/FALSE/NULL (Java's BooleanConstantExpression). */
  | { t: 'const'; value: Value; bool: boolean }
  | { t: 'prop'; name: string }
  | { t: 'neg'; e: Node }
  | { t: 'not'; e: Node }
  /** A bare property used as a condition: true only if it is a Boolean, which a message property never is. */
  | { t: 'cast'; e: Node }
  | { t: 'and' | 'or'; l: Node; r: Node }
  | { t: 'cmp'; op: '>' | '>=' | '<' | '<='; l: Node; r: Node }
  | { t: 'eq'; l: Node; r: Node }
  | { t: 'in'; prop: string; list: ReadonlySet<string>; not: boolean };

/** Java's BooleanExpression: nodes that may stand as a condition. */
export function isBooleanNode(n: Node): boolean {
  switch (n.t) {
    case 'const':
      return n.bool;
    case 'prop':
    case 'neg':
      return false;
    default:
      return true;
  }
}

export function formatValue(v: Value): string {
  if (v === null) return 'NULL';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  return v.toString();
}

/** Source-like text of an expression, for error messages. */
export function formatNode(n: Node): string {
  switch (n.t) {
    case 'const':
      return formatValue(n.value);
    case 'prop':
      return n.name;
    case 'neg':
      return `(- ${formatNode(n.e)})`;
    case 'not':
      return `(NOT ${formatNode(n.e)})`;
    case 'cast':
      return formatNode(n.e);
    case 'and':
      return `(${formatNode(n.l)} AND ${formatNode(n.r)})`;
    case 'or':
      return `(${formatNode(n.l)} OR ${formatNode(n.r)})`;
    case 'cmp':
      return `(${formatNode(n.l)} ${n.op} ${formatNode(n.r)})`;
    case 'eq':
      return `(${formatNode(n.l)} = ${formatNode(n.r)})`;
    case 'in':
      return `${n.prop} ${n.not ? 'NOT IN' : 'IN'} (${[...n.list].map((s) => formatValue(s)).join(', ')})`;
  }
}
