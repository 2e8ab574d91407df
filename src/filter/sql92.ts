/**
 * The SQL92 filter as the broker uses it (RocketMQ's FilterFactory / SqlFilter): compile once, evaluate
 * per message. Compiled expressions (and failures) are cached like SelectorParser's PARSE_CACHE, since a
 * pull consumer sends its expression with every pull.
 */
import { parseSql92, Sql92SyntaxError } from './sql92-parser.js';
import { matches, type Properties } from './sql92-evaluate.js';
import type { Node } from './sql92-ast.js';

export { Sql92SyntaxError } from './sql92-parser.js';

/** SelectorParser keeps 100 compiled selectors. */
const COMPILE_CACHE_ENTRIES_MAX = 100;

export interface CompiledSql92 {
  readonly expression: string;
  readonly tree: Node;
  matches(properties: Properties): boolean;
}

const cache = new Map<string, CompiledSql92 | Sql92SyntaxError>();

/** Throws Sql92SyntaxError (message: the reason, readable as a response remark). */
export function compileSql92(expression: string): CompiledSql92 {
  let hit = cache.get(expression);
  if (hit === undefined) {
    try {
      const tree = parseSql92(expression);
      hit = { expression, tree, matches: (p) => matches(tree, p) };
    } catch (e) {
      if (!(e instanceof Sql92SyntaxError)) throw e;
      hit = e;
    }
    if (cache.size >= COMPILE_CACHE_ENTRIES_MAX) cache.delete(cache.keys().next().value!);
    cache.set(expression, hit);
  }
  if (hit instanceof Sql92SyntaxError) throw hit;
  return hit;
}
