/**
 * Address patterns of plain_acl.yml (`globalWhiteRemoteAddresses`, an account's `whiteRemoteAddress`), built
 * and matched as RemoteAddressStrategyFactory (rocketmq-acl 4.9.7) does:
 *   blank                          matches nothing
 *   `*`, `*.*.*.*`, `*:*:*:*:*:*:*:*` matches every address
 *   ends with `}`                  a list: `192.168.1.{1,2,3}`, `1050::0005:{600,601}`
 *   contains `,`                   a list of whole addresses, no spaces allowed
 *   contains `*` or `-`            a range on the first wild or ranged group: `192.168.*.*`, `10.1.1.10-20`,
 *                                  `1050:0:0:0:5:600:300c:*`, `1050::5:600:300c:1-ff`
 *   otherwise                      one IPv4 or IPv6 address
 * A pattern Java refuses throws a JavaError with Java's text (which an admin update answers with).
 */
import { JavaError, isBlank, parseJavaInt, splitChars } from './java-text.js';
import { expandIP, isIPv6Scope, isValidInet4Address, isValidInet6Address } from './inet-address.js';

/** Whether a client IP (the remote address without its port) is covered. */
export type AddressMatcher = (ip: string) => boolean;

const NONE: AddressMatcher = () => false;
const ALL: AddressMatcher = () => true;

export function addressMatcher(pattern: string | null | undefined): AddressMatcher {
  if (pattern == null || isBlank(pattern)) return NONE;
  if (pattern === '*' || pattern === '*.*.*.*' || pattern === '*:*:*:*:*:*:*:*') return ALL;
  if (pattern.endsWith('}')) return braceList(pattern);
  if (pattern.includes(',')) return listOf(splitChars(pattern, ','));
  if (pattern.includes('*') || pattern.includes('-')) return pattern.includes(':') ? ipv6Range(pattern) : ipv4Range(pattern);
  return single(pattern);
}

/** `a.b.c.{x,y}` / `a:b:...:{x,y}`: the prefix before `{` joined to each listed tail. */
function braceList(pattern: string): AddressMatcher {
  const groups = splitChars(pattern, pattern.includes(':') ? ':' : '.');
  // Java's format strings below have no %s, so the pattern is not in the text.
  if (!pattern.includes(':') && groups.length < 4) throw new JavaError('MultipleRemoteAddressStrategy has got a/some wrong format IP(s) ');
  const last = groups[groups.length - 1]!;
  if (!last.startsWith('{')) throw new JavaError('MultipleRemoteAddressStrategy netaddress examine scope Exception netaddress');
  const head = pattern.slice(0, pattern.indexOf('{'));
  return listOf(splitChars(last.slice(1, -1), ',').map((tail) => head + tail));
}

function listOf(addresses: string[]): AddressMatcher {
  const set = new Set<string>();
  for (const a of addresses) {
    if (isValidInet4Address(a)) set.add(a);
    else if (isValidInet6Address(a)) set.add(expandIP(a, 8));
    else throw new JavaError(`Netaddress examine Exception netaddress is ${a}`);
  }
  return (ip) => set.has(isValidInet6Address(ip) ? expandIP(ip, 8) : ip);
}

function single(pattern: string): AddressMatcher {
  if (!(isValidInet4Address(pattern) || isValidInet6Address(pattern))) throw new JavaError(`Netaddress examine Exception netaddress is ${pattern}`);
  const want = expandIP(pattern, 8).toUpperCase();
  return (ip) => expandIP(ip, 8).toUpperCase() === want;
}

interface Range {
  start: number;
  end: number;
}

/**
 * RangeRemoteAddressStrategy#analysis: the group at `index` as a range (`*` is 0–max, `a-b` is a..b), or
 * undefined when it is a plain number. `end` carries over from the group before, as in Java's fields.
 */
function groupRange(value: string, max: number, radix: number, prev: Range): Range {
  if (value === '*') return { start: 0, end: max };
  if (!value.includes('-')) return prev;
  if (value.indexOf('-') === 0) throw new JavaError(`RangeRemoteAddressStrategy netaddress examine scope Exception value ${value} `);
  const bounds = splitChars(value, '-');
  if (bounds.length < 2) throw new JavaError(`Index 1 out of bounds for length ${bounds.length}`);
  const start = parseJavaInt(bounds[0], radix);
  const end = parseJavaInt(bounds[1], radix);
  if (!(end >= 0 && end <= max && start >= 0 && start <= max && start <= end)) {
    throw new JavaError(`RangeRemoteAddressStrategy netaddress examine scope Exception start is ${start} , end is ${end}`);
  }
  return { start, end };
}

/** AclUtils.isScope(pattern, n) for IPv4: exactly four groups, the first n of them decimal 0–255. */
function ipv4Scope(pattern: string, n: number): boolean {
  const groups = splitChars(pattern, '.');
  if (groups.length !== 4) return false;
  for (let i = 0; i < n; i++) {
    const v = parseJavaInt(groups[i]!.trim());
    if (v < 0 || v > 255) return false;
  }
  return true;
}

function ipv4Range(pattern: string): AddressMatcher {
  const groups = splitChars(pattern, '.');
  let range: Range = { start: 0, end: 0 };
  let index = 0;
  for (let i = 1; i <= 3; i++) {
    if (i >= groups.length) throw new JavaError(`Index ${i} out of bounds for length ${groups.length}`);
    index = i;
    range = groupRange(groups[i]!.trim(), 255, 10, range);
    if (range.end > 0) break;
  }
  // Java leaves the head unset when no group is a range with end > 0 (e.g. `1.2.3.0-0`), and every
  // match then fails with a NullPointerException; here such a pattern matches nothing.
  if (range.end <= 0) return NONE;
  if (!ipv4Scope(pattern, index - 1)) throw new JavaError(`Netaddress examine scope Exception netaddress is ${pattern}`);
  const head = groups.slice(0, index).map((g) => g.trim() + '.').join('');
  const { start, end } = range;
  return (ip) => {
    if (!isValidInet4Address(ip)) {
      // An IPv6 client is expanded and compared with the IPv4 head, which never matches.
      return false;
    }
    if (!ip.startsWith(head)) return false;
    let value: string;
    if (index === 3) value = ip.slice(head.length);
    else if (index === 2) value = ip.slice(head.length, ip.lastIndexOf('.'));
    else value = ip.slice(head.length, ip.lastIndexOf('.', ip.lastIndexOf('.') - 1));
    const v = Number(value);
    return v >= start && v <= end;
  };
}

/** AclUtils.IPv6AddressCheck: `*` only last; a `-` only in the last group (or the one before a final `*`). */
function ipv6PatternCheck(pattern: string): void {
  const star = pattern.indexOf('*');
  const minus = pattern.indexOf('-');
  const bad = (): never => {
    throw new JavaError(`Netaddress examine scope Exception netaddress is ${pattern}`);
  };
  if (star > -1 && star !== pattern.length - 1) bad();
  if (minus > -1) {
    const last = pattern.lastIndexOf(':');
    if (star === -1 ? minus <= last : minus <= pattern.lastIndexOf(':', last - 1)) bad();
  }
}

/** AclUtils.v6ipProcess: the expanded groups before the ranged one. */
function ipv6Head(pattern: string): string {
  const star = pattern.includes('*');
  const minus = pattern.includes('-');
  if (star && minus) {
    const lastColon = pattern.lastIndexOf(':');
    return expandIP(pattern.slice(0, pattern.slice(0, lastColon).lastIndexOf(':')), 6);
  }
  if (!star && !minus) return expandIP(pattern, 8);
  return expandIP(pattern.slice(0, pattern.lastIndexOf(':')), 7);
}

function ipv6Range(pattern: string): AddressMatcher {
  ipv6PatternCheck(pattern);
  const groups = splitChars(pattern, ':');
  let range: Range = { start: 0, end: 0 };
  let head: string | undefined;
  let index = 0;
  for (let i = 1; i < groups.length; i++) {
    range = groupRange(groups[i]!.trim(), 0xffff, 16, range);
    if (range.end > 0) {
      if (!isIPv6Scope(splitChars(expandIP(pattern, 8), ':'), i - 1)) throw new JavaError(`Netaddress examine scope Exception netaddress is ${pattern}`);
      head = ipv6Head(pattern);
      index = splitChars(head, ':').length;
      break;
    }
  }
  if (head === undefined) return NONE;
  const h = head;
  const { start, end } = range;
  return (ip) => {
    if (isValidInet4Address(ip) || !isValidInet6Address(ip)) return false;
    const full = expandIP(ip, 8).toUpperCase();
    if (!full.startsWith(h)) return false;
    const v = parseInt(full.slice(5 * index, 5 * index + 4), 16);
    return v >= start && v <= end;
  };
}
