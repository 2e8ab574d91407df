import { NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR } from '../protocol/message-const.js';

/**
 * MessageDecoder#string2messageProperties: split on \u0002, keep items with a \u0001 whose key
 * and value are both non-empty. A trailing \u0002 (the Go client writes one) is tolerated.
 */
export function parseProperties(s: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  if (!s) return map;
  for (const item of s.split(PROPERTY_SEPARATOR)) {
    if (item.length < 3) continue;
    const i = item.indexOf(NAME_VALUE_SEPARATOR);
    if (i <= 0 || i === item.length - 1) continue;
    map.set(item.slice(0, i), item.slice(i + 1));
  }
  return map;
}

/** MessageDecoder#messageProperties2String: no trailing separator. */
export function propertiesToString(map: Map<string, string>): string {
  let s = '';
  for (const [k, v] of map) {
    if (v == null) continue;
    if (s) s += PROPERTY_SEPARATOR;
    s += k + NAME_VALUE_SEPARATOR + v;
  }
  return s;
}

/**
 * One property's value read straight from the serialized string, without building a map:
 * the send path only needs TAGS, WAIT and a few flags.
 */
export function getProperty(s: string, key: string): string | undefined {
  const needle = key + NAME_VALUE_SEPARATOR;
  let from = 0;
  while (from <= s.length) {
    const at = s.indexOf(needle, from);
    if (at < 0) return undefined;
    if (at === 0 || s.charCodeAt(at - 1) === 2) {
      const start = at + needle.length;
      const end = s.indexOf(PROPERTY_SEPARATOR, start);
      const v = s.slice(start, end < 0 ? s.length : end);
      return v.length ? v : undefined;
    }
    from = at + 1;
  }
  return undefined;
}

/** Java String.hashCode over UTF-16 code units, 32-bit wrap: the tag hash in ConsumeQueue units. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** MessageExtBrokerInner#tagsString2tagsCode: 0 when there are no tags. */
export function tagsCode(tags: string | undefined): number {
  return tags ? javaStringHash(tags) : 0;
}
