import { NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR } from '../protocol/message-const.js';

const SEPARATOR_CODE = PROPERTY_SEPARATOR.charCodeAt(0);

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
 * One property's value read straight from the serialized string, without building a map. The Java
 * broker reads properties into a HashMap (MessageDecoder#string2messageProperties), so when a key is
 * repeated the last occurrence with a non-empty value wins; every reader here (send path, recovery,
 * index, filters) uses this one function so a message means the same thing before and after a crash.
 */
export function getProperty(s: string, key: string): string | undefined {
  const needle = key + NAME_VALUE_SEPARATOR;
  // Forward search (the engine's indexOf is faster than lastIndexOf), keeping the last non-empty value.
  let found: string | undefined;
  for (let from = 0; ; ) {
    const at = s.indexOf(needle, from);
    if (at < 0) return found;
    const start = at + needle.length;
    // A key starts the string or follows a separator; anything else is inside another item.
    if (at === 0 || s.charCodeAt(at - 1) === SEPARATOR_CODE) {
      const stop = s.indexOf(PROPERTY_SEPARATOR, start);
      const v = s.slice(start, stop < 0 ? s.length : stop);
      if (v.length) found = v;
      if (stop < 0) return found;
      from = stop + 1;
    } else {
      from = start;
    }
  }
}

/**
 * Java String.hashCode over UTF-16 code units, 32-bit wrap: the tag hash in ConsumeQueue units. `seed` is
 * the hash of text before `s`, so the hash of a concatenation is had without building it.
 */
export function javaStringHash(s: string, seed = 0): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** MessageExtBrokerInner#tagsString2tagsCode: 0 when there are no tags. */
export function tagsCode(tags: string | undefined): number {
  return tags ? javaStringHash(tags) : 0;
}
