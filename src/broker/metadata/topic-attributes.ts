/**
 * 5.x topic attributes: `mqadmin updateTopic -a +message.type=FIFO,-reserve.time` sends the modification
 * string in UPDATE_AND_CREATE_TOPIC's `attributes` field; the broker applies it to the topic's current
 * attributes and keeps the result in TopicConfig.attributes (topics.json, GET_TOPIC_CONFIG,
 * GET_ALL_TOPIC_CONFIG). Rules and remarks are 5.3.3's AttributeParser#parseToMap,
 * AttributeUtil#alterCurrentAttributes and TopicAttributes.ALL; a 4.9 broker has none of this.
 */
import { parseJavaLong } from '../../protocol/java-number.js';

interface TopicAttribute {
  /** Whether an existing topic may change it (Attribute#isChangeable). */
  changeable: boolean;
  /** Attribute#verify: undefined, or the exception message Java's broker puts in its remark. */
  verify: (value: string) => string | undefined;
}

/** EnumAttribute: the value must be one of `universe`, listed in the error as Java's HashSet prints it. */
function enumAttribute(changeable: boolean, universe: readonly string[]): TopicAttribute {
  const printed = `[${javaHashSetOrder(universe).join(', ')}]`;
  return { changeable, verify: (v) => (universe.includes(v) ? undefined : `value is not in set: ${printed}`) };
}

/** LongRangeAttribute: Long.parseLong, then the inclusive range. */
function longRangeAttribute(changeable: boolean, min: bigint, max: bigint): TopicAttribute {
  return {
    changeable,
    verify: (v) => {
      const n = parseJavaLong(v);
      if (n === undefined) return `For input string: "${v}"`;
      const b = BigInt(n);
      return b < min || b > max ? `value is not in range(${min}, ${max})` : undefined;
    },
  };
}

/** TopicMessageType values (common/attribute/TopicMessageType), in Guava Sets.newHashSet's argument order. */
export const TOPIC_MESSAGE_TYPES = ['UNSPECIFIED', 'NORMAL', 'FIFO', 'DELAY', 'TRANSACTION', 'MIXED'] as const;
export const TOPIC_MESSAGE_TYPE_ATTRIBUTE = 'message.type';
const LONG_MAX = 2n ** 63n - 1n;

/** TopicAttributes.ALL. */
const TOPIC_ATTRIBUTES: ReadonlyMap<string, TopicAttribute> = new Map([
  ['queue.type', enumAttribute(false, ['BatchCQ', 'SimpleCQ'])],
  ['cleanup.policy', enumAttribute(false, ['DELETE', 'COMPACTION'])],
  [TOPIC_MESSAGE_TYPE_ATTRIBUTE, enumAttribute(true, TOPIC_MESSAGE_TYPES)],
  ['reserve.time', longRangeAttribute(true, -1n, LONG_MAX)],
]);

/**
 * AttributeParser#parseToMap: "+k=v,+k2=v2,-k3" into signed key → value, or the first broken rule.
 * Java's String#split drops trailing empty parts, so "+k=" has no value part and fails as Java does.
 */
export function parseAttributeModification(text: string | undefined): Map<string, string> | { error: string } {
  const out = new Map<string, string>();
  if (!text) return out;
  for (const kv of javaSplit(text, ',')) {
    let key: string;
    let value: string;
    if (kv.includes('=')) {
      const parts = javaSplit(kv, '=');
      if (parts.length < 2) return { error: `Index ${parts.length} out of bounds for length ${parts.length}` };
      [key, value] = parts;
      if (!key.includes('+')) return { error: `add/alter attribute format is wrong: ${key}` };
    } else {
      key = kv;
      value = '';
      if (!key.includes('-')) return { error: `delete attribute format is wrong: ${key}` };
    }
    if (out.has(key)) return { error: `key duplication: ${key}` };
    out.set(key, value);
  }
  return out;
}

/**
 * AttributeUtil#alterCurrentAttributes over TopicAttributes.ALL: the attributes the topic has after the
 * modification, or the first broken rule. `creating`: the topic does not exist yet (only "+" allowed).
 */
export function alterTopicAttributes(creating: boolean, current: Readonly<Record<string, string>>,
  modification: ReadonlyMap<string, string>): Record<string, string> | { error: string } {
  const seen = new Set<string>();
  const set: Array<[string, string, 'init' | 'alter']> = [];
  const remove: string[] = [];
  for (const [key, value] of modification) {
    const realKey = key.slice(1);
    if (!realKey || realKey.includes('+') || realKey.includes('-')) return { error: 'kv string format wrong.' };
    if (seen.has(realKey)) return { error: `alter duplication key. key: ${realKey}` };
    seen.add(realKey);
    if (creating) {
      if (!key.startsWith('+')) return { error: `only add attribute is supported while creating topic. key: ${realKey}` };
      set.push([realKey, value, 'init']);
    } else if (key.startsWith('+')) {
      set.push([realKey, value, 'alter']);
    } else if (key.startsWith('-')) {
      if (!(realKey in current)) return { error: `attempt to delete a nonexistent key: ${realKey}` };
      remove.push(realKey);
    } else {
      return { error: `wrong format key: ${realKey}` };
    }
  }
  // Java validates the groups in the order init, add, update, delete; one error is reported either way.
  for (const [key, value, kind] of set) {
    const attr = TOPIC_ATTRIBUTES.get(key);
    if (!attr) return { error: `unsupported key: ${key}` };
    if (kind === 'alter' && !attr.changeable) return { error: `attempt to update an unchangeable attribute. key: ${key}` };
    const bad = attr.verify(value);
    if (bad) return { error: bad };
  }
  for (const key of remove) {
    const attr = TOPIC_ATTRIBUTES.get(key);
    if (!attr) return { error: `unsupported key: ${key}` };
    if (!attr.changeable) return { error: `attempt to update an unchangeable attribute. key: ${key}` };
  }
  const out: Record<string, string> = { ...current };
  for (const [key, value] of set) out[key] = value;
  for (const key of remove) delete out[key];
  return out;
}

/** String#split(regex) for a one-character literal separator: trailing empty strings removed. */
function javaSplit(s: string, sep: string): string[] {
  const parts = s.split(sep);
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 1 && parts[0] === '' && s.length > 0) return [];
  return parts;
}

/** String#hashCode. */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The iteration order of Guava's Sets.newHashSet(values...): a HashSet sized by Maps#capacity (n + 1
 * below 3, else ceil(n / 0.75), the Guava 5.3.3 ships), its table the next power of two; buckets in index order
 * (hash ^ hash >>> 16), insertion order within one.
 */
function javaHashSetOrder(values: readonly string[]): string[] {
  const n = values.length;
  const capacity = n < 3 ? n + 1 : Math.ceil(n / 0.75);
  let table = 1;
  while (table < capacity) table *= 2;
  const bucket = (s: string): number => {
    const h = javaStringHash(s);
    return (h ^ (h >>> 16)) & (table - 1);
  };
  return values.map((v, i) => ({ v, i, b: bucket(v) })).sort((x, y) => x.b - y.b || x.i - y.i).map((e) => e.v);
}
