import { parseJavaInt, parseJavaLong } from '../protocol/java-number.js';
import { log } from '../logger.js';

/**
 * What one config key accepts. Numbers are read as the Java field's type reads them (Integer.parseInt /
 * Long.parseLong: no fractions, exponents, hex or blanks); booleans as Boolean.parseBoolean in any case.
 */
export type Rule =
  | { type: 'int' | 'long'; min?: number; max?: number }
  | { type: 'bool' }
  | { type: 'string'; oneOf?: readonly string[]; nonEmpty?: boolean; check?: (v: string) => string | undefined };

/** A rule for every key of a config object: the compiler insists none is left out. */
export type Rules<T> = { readonly [K in keyof T]: Rule };

export interface ConfigSchema<T> {
  rules: Rules<T>;
  /**
   * Keys a Java config file may carry that this server accepts and does not act on. Setting one is
   * warned about at start, so an operator never believes a setting took effect when it did not.
   */
  noEffect: ReadonlyMap<string, string>;
}

/** A config value the server refuses to start with; the message names the source and the key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const intRule = (min?: number, max?: number): Rule => ({ type: 'int', min, max });
export const longRule = (min?: number, max?: number): Rule => ({ type: 'long', min, max });
export const BOOL: Rule = { type: 'bool' };
export const STRING: Rule = { type: 'string' };
export const NON_EMPTY: Rule = { type: 'string', nonEmpty: true };
export const PORT: Rule = intRule(1, 65535);
export const oneOf = (...values: string[]): Rule => ({ type: 'string', oneOf: values });

/** A value from a config file (text) converted by its rule, or the first broken rule as text. */
function parseRaw(raw: string, rule: Rule): { value: unknown } | { error: string } {
  const text = raw.trim();
  switch (rule.type) {
    case 'int':
    case 'long': {
      const n = rule.type === 'int' ? parseJavaInt(text) : parseJavaLong(text);
      if (n === undefined) return { error: `is not a Java ${rule.type}` };
      // Beyond 2^53 a long cannot be held exactly; no setting needs such a value.
      if (typeof n === 'bigint') return { error: 'is too large' };
      return { value: n };
    }
    case 'bool': {
      const lower = text.toLowerCase();
      if (lower === 'true' || lower === 'false') return { value: lower === 'true' };
      // Boolean.parseBoolean would read it as false: almost always a typo, so refused.
      return { error: 'is not true or false' };
    }
    case 'string':
      return { value: text };
  }
}

/** The first rule a typed value breaks, as text, or undefined. */
export function brokenRule(value: unknown, rule: Rule): string | undefined {
  switch (rule.type) {
    case 'int':
    case 'long':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return `is not a Java ${rule.type}`;
      if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) {
        return `is out of range ${rule.min ?? '-∞'}..${rule.max ?? '∞'}`;
      }
      return undefined;
    case 'bool':
      return typeof value === 'boolean' ? undefined : 'is not true or false';
    case 'string':
      if (typeof value !== 'string') return 'is not text';
      if (rule.nonEmpty && value === '') return 'must not be empty';
      if (rule.oneOf && !rule.oneOf.includes(value)) return `is not one of ${rule.oneOf.join(', ')}`;
      return rule.check?.(value);
  }
}

/**
 * Applies `key=value` pairs (a config file, or an UPDATE_*_CONFIG body) over `target`, each converted
 * and checked by its rule; the first bad value throws a ConfigError naming `source` and the key, and
 * leaves `target` unchanged. Unknown keys and keys without effect are warned about; returns the
 * unknown ones.
 */
export function applyProperties<T extends object>(target: T, schema: ConfigSchema<T>, props: Map<string, string>, source: string): string[] {
  const rules = schema.rules as Record<string, Rule>;
  const parsed: Array<[string, unknown]> = [];
  const unknown: string[] = [];
  for (const [key, raw] of props) {
    const rule = Object.hasOwn(rules, key) ? rules[key] : undefined;
    if (!rule) {
      if (!schema.noEffect.has(key)) unknown.push(key);
      continue;
    }
    const r = parseRaw(raw, rule);
    const error = 'error' in r ? r.error : brokenRule(r.value, rule);
    if (error !== undefined) throw new ConfigError(`${source}: ${key}=${raw} ${error}`);
    parsed.push([key, (r as { value: unknown }).value]);
  }
  for (const [key, value] of parsed) (target as Record<string, unknown>)[key] = value;
  for (const k of unknown) log.warn(`${source}: unknown config key "${k}" ignored`);
  for (const k of props.keys()) {
    const why = schema.noEffect.get(k);
    if (why !== undefined) log.warn(`${source}: config key "${k}" is accepted but has no effect here (${why})`);
  }
  return unknown;
}

/**
 * Applies typed values given in code (the embedding API's `config`) over `target`, by the rules a config
 * file meets: an unknown key or a value its rule refuses throws a ConfigError naming `source` and the key
 * (code has no reason to carry a key that does nothing, unlike a broker.conf copied between versions);
 * keys accepted without effect are warned about as in a file.
 */
export function applyValues<T extends object>(target: T, schema: ConfigSchema<T>, values: Record<string, unknown>, source: string): void {
  const rules = schema.rules as Record<string, Rule>;
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const why = schema.noEffect.get(key);
    if (why !== undefined) {
      log.warn(`${source}: config key "${key}" is accepted but has no effect here (${why})`);
      continue;
    }
    if (!Object.hasOwn(rules, key)) throw new ConfigError(`${source}: unknown config key "${key}"`);
    const error = brokenRule(value, rules[key]);
    if (error !== undefined) throw new ConfigError(`${source}: ${key}=${String(value)} ${error}`);
  }
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && Object.hasOwn(rules, key)) (target as Record<string, unknown>)[key] = value;
  }
}

/** Checks every key of a resolved config (defaults, overrides and file alike); throws on the first bad one. */
export function validateConfig<T extends object>(cfg: T, schema: ConfigSchema<T>, source: string): T {
  for (const [key, rule] of Object.entries(schema.rules as Record<string, Rule>)) {
    const value = (cfg as Record<string, unknown>)[key];
    const error = brokenRule(value, rule);
    if (error !== undefined) throw new ConfigError(`${source}: ${key}=${String(value)} ${error}`);
  }
  return cfg;
}
