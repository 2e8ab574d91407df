/**
 * Tokens of RocketMQ's SQL92 message selector (filter/parser/SelectorParser.jj, a JMS selector subset).
 *
 * The lexer is lazy on purpose: the Java parser (JavaCC, no <EOF> in the start rule) only ever looks
 * one or two tokens past the expression it accepts, so `a = 1 xyz` parses as `a = 1` while `a = 1 #`
 * is a lexical error. Lexing on demand reproduces exactly that.
 */

export type TokenKind =
  | 'NOT' | 'AND' | 'OR' | 'BETWEEN' | 'IN' | 'TRUE' | 'FALSE' | 'NULL' | 'IS'
  | 'DECIMAL' | 'FLOAT' | 'STRING' | 'ID'
  | '=' | '<>' | '>' | '>=' | '<' | '<=' | '(' | ')' | ',' | '+' | '-'
  | 'EOF';

export interface Token {
  kind: TokenKind;
  /** The source text of the token. */
  image: string;
  /** 1-based column of the first character, for error messages. */
  column: number;
}

export class Sql92SyntaxError extends Error {}

/** Reserved words, matched ignoring case; an identifier that merely starts with one stays an identifier. */
const KEYWORDS = new Set<TokenKind>(['NOT', 'AND', 'OR', 'BETWEEN', 'IN', 'TRUE', 'FALSE', 'NULL', 'IS']);

const WHITESPACE = /[ \t\n\r\f]+/y;
/** `--` comments need their line end, as in the grammar; without one `-` is just minus. */
const LINE_COMMENT = /--[^\n\r]*(\n|\r\n?)/y;
const BLOCK_COMMENT = /\/\*[^*]*\*+(?:[^*/][^*]*\*+)*\//y;
const DECIMAL = /(?:0|[1-9][0-9]*[lL]?)/y;
const FLOAT = /(?:[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)/y;
const STRING = /'(?:''|[^'])*'/y;
const ID = /[a-zA-Z_$][a-zA-Z0-9_$]*/y;
const OPERATORS = ['<>', '<=', '>=', '=', '>', '<', '(', ')', ',', '+', '-'] as const;

function matchAt(re: RegExp, text: string, pos: number): string | undefined {
  re.lastIndex = pos;
  const m = re.exec(text);
  return m ? m[0] : undefined;
}

export class Sql92Lexer {
  private pos = 0;
  private readonly lookahead: Token[] = [];

  constructor(private readonly text: string) {}

  /** The token `n` places ahead (0 = next), lexing only as far as needed. */
  peek(n = 0): Token {
    while (this.lookahead.length <= n) this.lookahead.push(this.lex());
    return this.lookahead[n]!;
  }

  next(): Token {
    const t = this.peek(0);
    this.lookahead.shift();
    return t;
  }

  private lex(): Token {
    const text = this.text;
    for (;;) {
      const skipped = matchAt(WHITESPACE, text, this.pos) ?? matchAt(LINE_COMMENT, text, this.pos) ?? matchAt(BLOCK_COMMENT, text, this.pos);
      if (!skipped) break;
      this.pos += skipped.length;
    }
    const column = this.pos + 1;
    if (this.pos >= text.length) return { kind: 'EOF', image: '<EOF>', column };
    const c = text[this.pos]!;
    let tok: Token | undefined;
    if ((c >= '0' && c <= '9') || c === '.') {
      // Longest match wins; on a tie the decimal literal (declared first) does.
      const d = matchAt(DECIMAL, text, this.pos) ?? '';
      const f = matchAt(FLOAT, text, this.pos) ?? '';
      if (f.length > d.length) tok = { kind: 'FLOAT', image: f, column };
      else if (d.length > 0) tok = { kind: 'DECIMAL', image: d, column };
    } else if (c === "'") {
      const s = matchAt(STRING, text, this.pos);
      if (s) tok = { kind: 'STRING', image: s, column };
      else throw new Sql92SyntaxError(`unterminated string literal at column ${column}`);
    } else if (/[a-zA-Z_$]/.test(c)) {
      const id = matchAt(ID, text, this.pos)!;
      const upper = id.toUpperCase() as TokenKind;
      tok = { kind: KEYWORDS.has(upper) ? upper : 'ID', image: id, column };
    } else {
      const op = OPERATORS.find((o) => text.startsWith(o, this.pos));
      if (op) tok = { kind: op, image: op, column };
    }
    if (!tok) throw new Sql92SyntaxError(`lexical error at column ${column}: unexpected character ${JSON.stringify(c)}`);
    this.pos += tok.image.length;
    return tok;
  }
}
