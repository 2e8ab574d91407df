import { describe, expect, it } from 'vitest';
import { compileSql92, Sql92SyntaxError } from '../../src/filter/sql92.js';
import { parseSql92 } from '../../src/filter/sql92-parser.js';
import { evaluate } from '../../src/filter/sql92-evaluate.js';

const props = (o: Record<string, string>) => new Map(Object.entries(o));
const match = (expr: string, o: Record<string, string>) => compileSql92(expr).matches(props(o));
const value = (expr: string, o: Record<string, string> = {}) => evaluate(parseSql92(expr), props(o));

describe('SQL92 selector: comparisons over string properties', () => {
  it('converts the property to the literal type', () => {
    expect(match('a = 5', { a: '5' })).toBe(true);
    expect(match('a = 5', { a: '6' })).toBe(false);
    expect(match('a > 5', { a: '10' })).toBe(true); // numeric, not lexicographic
    expect(match('a >= 5', { a: '5' })).toBe(true);
    expect(match('a < 5.5', { a: '5.25' })).toBe(true);
    expect(match('a <= 3', { a: '3' })).toBe(true);
    expect(match('a <> 3', { a: '4' })).toBe(true);
    expect(match('a = 3000000000', { a: '3000000000' })).toBe(true); // long literal
    expect(match('a = -3', { a: '-3' })).toBe(true);
  });

  it('an int literal needs an int property (Integer.valueOf), a double literal accepts decimals', () => {
    expect(match('a > 5', { a: '5.5' })).toBe(false); // NumberFormatException ⇒ no match
    expect(match('a > 5.0', { a: '5.5' })).toBe(true);
    expect(match('a = 5', { a: 'abc' })).toBe(false);
    expect(match('a <> 5', { a: 'abc' })).toBe(false); // the error propagates through NOT
  });

  it('compares strings for equality and two strings numerically for ordering', () => {
    expect(match("a = 'x y'", { a: 'x y' })).toBe(true);
    expect(match("a = 'it''s'", { a: "it's" })).toBe(true);
    expect(match("a <> 'x'", { a: 'y' })).toBe(true);
    expect(match("a = 'ü漢'", { a: 'ü漢' })).toBe(true);
    expect(match('a > b', { a: '10', b: '9' })).toBe(true);
    expect(match('a > b', { a: 'x', b: '9' })).toBe(false);
  });

  it('booleans: a string property equals TRUE when it reads "true" in any case', () => {
    expect(match('a = TRUE', { a: 'TRUE' })).toBe(true);
    expect(match('a = true', { a: 'true' })).toBe(true);
    expect(match('a = FALSE', { a: 'no' })).toBe(true);
    // a bare property is a boolean cast, and a string is never a Boolean
    expect(match('a', { a: 'true' })).toBe(false);
  });
});

describe('SQL92 selector: null semantics', () => {
  it('a missing property makes comparisons unknown, which does not match', () => {
    expect(value('a = 1')).toBe(null);
    expect(value('a > 1')).toBe(null);
    expect(match('a = 1', {})).toBe(false);
    expect(match('a <> 1', {})).toBe(false);
    expect(match('NOT (a = 1)', {})).toBe(false);
  });

  it('IS NULL / IS NOT NULL', () => {
    expect(match('a IS NULL', {})).toBe(true);
    expect(match('a IS NULL', { a: '' })).toBe(false);
    expect(match('a IS NOT NULL', { a: 'x' })).toBe(true);
    expect(match('a is not null', {})).toBe(false);
  });

  it('three-valued AND / OR', () => {
    expect(value('a = 1 AND b = 1', { b: '2' })).toBe(false);
    expect(value('a = 1 AND b = 1', { b: '1' })).toBe(null);
    expect(value('a = 1 OR b = 1', { b: '1' })).toBe(true);
    expect(value('a = 1 OR b = 1', { b: '2' })).toBe(null);
  });
});

describe('SQL92 selector: BETWEEN, IN, NOT, precedence', () => {
  it('BETWEEN is inclusive, NOT BETWEEN its complement', () => {
    expect(match('a BETWEEN 1 AND 3', { a: '1' })).toBe(true);
    expect(match('a BETWEEN 1 AND 3', { a: '3' })).toBe(true);
    expect(match('a BETWEEN 1 AND 3', { a: '4' })).toBe(false);
    expect(match('a NOT BETWEEN 1 AND 3', { a: '4' })).toBe(true);
    expect(match('a NOT BETWEEN 1 AND 3', { a: '2' })).toBe(false);
    expect(match('a between -1.5 and 2.5', { a: '-1' })).toBe(true);
  });

  it('IN / NOT IN over string literals', () => {
    expect(match("TAGS IN ('a', 'b')", { TAGS: 'b' })).toBe(true);
    expect(match("TAGS IN ('a', 'b')", { TAGS: 'c' })).toBe(false);
    expect(match("TAGS NOT IN ('a', 'b')", { TAGS: 'c' })).toBe(true);
    expect(match("TAGS NOT IN ('a')", {})).toBe(false);
  });

  it('AND binds tighter than OR; parentheses group; NOT negates', () => {
    expect(match('a = 1 OR a = 2 AND b = 3', { a: '1', b: '9' })).toBe(true);
    expect(match('(a = 1 OR a = 2) AND b = 3', { a: '1', b: '9' })).toBe(false);
    expect(match('NOT (a = 1)', { a: '2' })).toBe(true);
    expect(match('NOT a = 1', { a: '2' })).toBe(false); // (NOT a) = 1, as in Java
  });

  it('keywords ignore case, comments are skipped', () => {
    expect(match("a = 1 and b In ('x') oR c is NuLl", { a: '1', b: 'x' })).toBe(true);
    expect(match('/* c */ a = 1 -- trailing\n', { a: '1' })).toBe(true);
  });
});

describe('SQL92 selector: what Java refuses to compile', () => {
  const refused = (expr: string) => () => compileSql92(expr);

  it.each([
    [''],
    ['a ='],
    ['a = = 1'],
    ["a = 'open"],
    ['a # 1'],
    ['(a = 1'],
    ["a > 'x'"], // strings cannot be ordered
    ['a > TRUE'],
    ['a = NULL'], // use IS NULL
    ["TRUE = 'x'"],
    ['a BETWEEN 3 AND 1'],
    ["1 IN ('a')"],
    ['a IN (1, 2)'],
    ['a = 0.0'], // Java: "0.0 is less than 4.9E-324"
    ['5'], // not a boolean
    ['a IS 1'],
    ['a NOT 1'],
    ['a = 9223372036854775808'],
  ])('%j', (expr) => {
    expect(refused(expr)).toThrow(Sql92SyntaxError);
  });

  it('gives a readable reason', () => {
    expect(refused('a = = 1')).toThrow(/unexpected "=" at column 5/);
    expect(refused("a > 'x'")).toThrow(/cannot be compared/);
  });

  it('ignores tokens after a complete expression, as Java does, but not a lexical error right after it', () => {
    expect(match('a = 1 b', { a: '1' })).toBe(true);
    expect(refused('a = 1 #')).toThrow(Sql92SyntaxError);
  });
});
