/**
 * Parser for RocketMQ's SQL92 message selector: the grammar of filter/parser/SelectorParser.jj with
 * the checks its expression factories make while building the tree (ComparisonExpression#create*),
 * so that what Java refuses we refuse, with a readable reason.
 *
 *   selector   := or
 *   or         := and ( OR and )*
 *   and        := equality ( AND equality )*
 *   equality   := comparison ( '=' comparison | '<>' comparison | IS NULL | IS NOT NULL )*
 *   comparison := unary ( ('>'|'>='|'<'|'<=') unary | [NOT] BETWEEN unary AND unary
 *                       | [NOT] IN '(' string (',' string)* ')' )*
 *   unary      := '+' unary | '-' unary | NOT unary | primary
 *   primary    := literal | identifier | '(' or ')'
 *
 * Note NOT binds tighter than comparisons here, as in Java: `NOT a = 1` is `(NOT a) = 1`.
 */
import { Sql92Lexer, Sql92SyntaxError, type Token, type TokenKind } from './sql92-lexer.js';
import { JavaNumber, formatNode, isBooleanNode, type Node } from './sql92-ast.js';
import { javaCompare } from './sql92-evaluate.js';

export { Sql92SyntaxError } from './sql92-lexer.js';

/** Longest selector we compile; the Java client sends whatever the user wrote, this bounds our work. */
export const SQL92_EXPRESSION_CHARS_MAX = 64 * 1024;
/** Nesting bound so a hostile expression cannot exhaust the stack. */
const DEPTH_MAX = 200;

const DOUBLE_MIN_VALUE = 4.9e-324;

class Parser {
  private depth = 0;

  constructor(private readonly lx: Sql92Lexer) {}

  private fail(msg: string, tok?: Token): never {
    throw new Sql92SyntaxError(tok ? `${msg} at column ${tok.column}` : msg);
  }

  private expect(kind: TokenKind): Token {
    const t = this.lx.next();
    if (t.kind !== kind) this.fail(`expected ${kind === 'EOF' ? 'end of expression' : `"${kind}"`} but found "${t.image}"`, t);
    return t;
  }

  private accept(kind: TokenKind): boolean {
    if (this.lx.peek().kind !== kind) return false;
    this.lx.next();
    return true;
  }

  selector(): Node {
    return this.asBoolean(this.or());
  }

  /** Java's asBooleanExpression: a bare property becomes a boolean cast, anything else non-boolean is refused. */
  private asBoolean(n: Node): Node {
    if (isBooleanNode(n)) return n;
    if (n.t === 'prop') return { t: 'cast', e: n };
    return this.fail(`expression will not result in a boolean value: ${formatNode(n)}`);
  }

  private or(): Node {
    let l = this.and();
    while (this.accept('OR')) l = { t: 'or', l: this.asBoolean(l), r: this.asBoolean(this.and()) };
    return l;
  }

  private and(): Node {
    let l = this.equality();
    while (this.accept('AND')) l = { t: 'and', l: this.asBoolean(l), r: this.asBoolean(this.equality()) };
    return l;
  }

  private equality(): Node {
    let l = this.comparison();
    for (;;) {
      const t = this.lx.peek();
      if (t.kind === '=' || t.kind === '<>') {
        this.lx.next();
        const eq = this.createEqual(l, this.comparison(), t);
        l = t.kind === '=' ? eq : { t: 'not', e: eq };
      } else if (t.kind === 'IS') {
        this.lx.next();
        const negated = this.accept('NOT');
        this.expect('NULL');
        const isNull: Node = { t: 'eq', l, r: { t: 'const', value: null, bool: true } };
        l = negated ? { t: 'not', e: isNull } : isNull;
      } else {
        return l;
      }
    }
  }

  private comparison(): Node {
    let l = this.unary();
    for (;;) {
      const t = this.lx.peek();
      switch (t.kind) {
        case '>':
        case '>=':
        case '<':
        case '<=':
          this.lx.next();
          l = this.createOrdering(t.kind, l, this.unary(), t);
          break;
        case 'BETWEEN': {
          this.lx.next();
          const low = this.unary();
          this.expect('AND');
          l = this.createBetween(l, low, this.unary(), t);
          break;
        }
        case 'IN':
          this.lx.next();
          l = this.createIn(l, false, t);
          break;
        case 'NOT':
          // Only NOT BETWEEN / NOT IN continue a comparison; anything else after NOT is an error, as in Java.
          this.lx.next();
          if (this.accept('BETWEEN')) {
            const low = this.unary();
            this.expect('AND');
            const high = this.unary();
            l = { t: 'or', l: this.createOrdering('<', l, low, t), r: this.createOrdering('>', l, high, t) };
          } else {
            this.expect('IN');
            l = this.createIn(l, true, t);
          }
          break;
        default:
          return l;
      }
    }
  }

  private unary(): Node {
    if (++this.depth > DEPTH_MAX) this.fail(`expression nested deeper than ${DEPTH_MAX} levels`);
    try {
      if (this.accept('+')) return this.unary();
      if (this.accept('-')) return { t: 'neg', e: this.unary() };
      if (this.accept('NOT')) return { t: 'not', e: this.asBoolean(this.unary()) };
      return this.primary();
    } finally {
      this.depth--;
    }
  }

  private primary(): Node {
    const t = this.lx.next();
    switch (t.kind) {
      case 'STRING':
        return { t: 'const', value: decodeString(t.image), bool: false };
      case 'DECIMAL':
        return { t: 'const', value: decimal(t), bool: false };
      case 'FLOAT':
        return { t: 'const', value: float(t), bool: false };
      case 'TRUE':
        return { t: 'const', value: true, bool: true };
      case 'FALSE':
        return { t: 'const', value: false, bool: true };
      case 'NULL':
        return { t: 'const', value: null, bool: true };
      case 'ID':
        return { t: 'prop', name: t.image };
      case '(': {
        const e = this.or();
        this.expect(')');
        return e;
      }
      default:
        return this.fail(`unexpected ${t.kind === 'EOF' ? 'end of expression' : `"${t.image}"`}`, t);
    }
  }

  /** checkLessThanOperand: only numeric literals and non-boolean expressions can be ordered. */
  private checkOrderable(n: Node, at: Token): void {
    if (n.t === 'const' && !(n.value instanceof JavaNumber)) this.fail(`value ${formatNode(n)} cannot be compared`, at);
    if (isBooleanNode(n)) this.fail(`value ${formatNode(n)} cannot be compared`, at);
  }

  private createOrdering(op: '>' | '>=' | '<' | '<=', l: Node, r: Node, at: Token): Node {
    this.checkOrderable(l, at);
    this.checkOrderable(r, at);
    return { t: 'cmp', op, l, r };
  }

  /** createEqual: NULL cannot be compared with `=`/`<>` (use IS NULL); TRUE/FALSE only with booleans. */
  private createEqual(l: Node, r: Node, at: Token): Node {
    for (const n of [l, r]) {
      if (n.t === 'const' && n.value === null) this.fail(`${formatNode(n)} cannot be compared, use IS NULL`, at);
    }
    if (l.t === 'const' && r.t === 'const' && l.bool && !r.bool) {
      this.fail(`${formatNode(l)} cannot be compared with ${formatNode(r)}`, at);
    }
    return { t: 'eq', l, r };
  }

  private createBetween(v: Node, low: Node, high: Node, at: Token): Node {
    if (low.t === 'const' && high.t === 'const') {
      if (low.value === null || high.value === null) this.fail('illegal values of between, values can not be null', at);
      if (javaCompare(high.value, low.value) < 0) {
        this.fail(`illegal values of between, left value (${formatNode(low)}) must be less than or equal to right value (${formatNode(high)})`, at);
      }
    }
    return { t: 'and', l: this.createOrdering('>=', v, low, at), r: this.createOrdering('<=', v, high, at) };
  }

  private createIn(l: Node, not: boolean, at: Token): Node {
    if (l.t !== 'prop') this.fail(`expected a property for IN, got: ${formatNode(l)}`, at);
    this.expect('(');
    const list = new Set<string>();
    do {
      list.add(decodeString(this.expect('STRING').image));
    } while (this.accept(','));
    this.expect(')');
    return { t: 'in', prop: l.name, list, not };
  }
}

/** 'it''s' → it's */
function decodeString(image: string): string {
  return image.slice(1, -1).replace(/''/g, "'");
}

/** ConstantExpression.createFromDecimal: a long literal, narrowed to int when it fits. */
function decimal(t: Token): JavaNumber {
  const digits = t.image.replace(/[lL]$/, '');
  const v = BigInt(digits);
  if (v >= 2n ** 63n) throw new Sql92SyntaxError(`number ${t.image} is out of the long range at column ${t.column}`);
  return v <= 2147483647n ? JavaNumber.int(Number(v)) : JavaNumber.long(v);
}

/** ConstantExpression.createFloat: Java refuses infinities and anything below Double.MIN_VALUE, zero included. */
function float(t: Token): JavaNumber {
  const v = Number(t.image);
  if (v === Infinity) throw new Sql92SyntaxError(`${t.image} is greater than 1.7976931348623157E308 at column ${t.column}`);
  if (v < DOUBLE_MIN_VALUE) throw new Sql92SyntaxError(`${t.image} is less than 4.9E-324 at column ${t.column}`);
  return JavaNumber.double(v);
}

/**
 * Compiles a selector. Throws Sql92SyntaxError with a readable reason. As in Java, tokens after a
 * complete expression are not read (`a = 1 b` compiles as `a = 1`).
 */
export function parseSql92(expression: string): Node {
  if (expression.length > SQL92_EXPRESSION_CHARS_MAX) {
    throw new Sql92SyntaxError(`expression is ${expression.length} chars, more than ${SQL92_EXPRESSION_CHARS_MAX}`);
  }
  return new Parser(new Sql92Lexer(expression)).selector();
}
