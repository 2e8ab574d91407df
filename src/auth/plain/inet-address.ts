/**
 * IP address text rules of the plain ACL: commons-validator 1.7 InetAddressValidator (which addresses count
 * as IPv4 or IPv6) and AclUtils.expandIP (the 8-group upper-case form IPv6 patterns are compared in).
 */
import { javaSplit, parseJavaInt } from './java-text.js';

const IPV4 = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$/;

/** InetAddressValidator.isValidInet4Address: four decimal groups 0–255, no leading zeros. */
export function isValidInet4Address(s: string | null | undefined): boolean {
  if (s == null) return false;
  const m = IPV4.exec(s);
  if (!m) return false;
  for (let i = 1; i <= 4; i++) {
    const g = m[i]!;
    if (Number(g) > 255) return false;
    if (g.length > 1 && g.startsWith('0')) return false;
  }
  return true;
}

/** InetAddressValidator.isValidInet6Address, including its `/prefix` and `%zone` suffixes and an IPv4 tail. */
export function isValidInet6Address(s: string | null | undefined): boolean {
  if (s == null) return false;
  let parts = s.split('/');
  if (parts.length > 2) return false;
  if (parts.length === 2) {
    if (!/^[0-9]{1,3}$/.test(parts[1]!)) return false;
    if (Number(parts[1]) > 128) return false;
  }
  parts = parts[0]!.split('%');
  if (parts.length > 2) return false;
  if (parts.length === 2 && !/^[^\s/%]+$/.test(parts[1]!)) return false;
  const addr = parts[0]!;
  const compressed = addr.includes('::');
  if (compressed && addr.indexOf('::') !== addr.lastIndexOf('::')) return false;
  if ((addr.startsWith(':') && !addr.startsWith('::')) || (addr.endsWith(':') && !addr.endsWith('::'))) return false;
  let octets = javaSplit(addr, ':');
  if (compressed) {
    if (addr.endsWith('::')) octets.push('');
    else if (addr.startsWith('::') && octets.length > 0) octets = octets.slice(1);
  }
  if (octets.length > 8) return false;
  let valid = 0;
  let empty = 0;
  for (let i = 0; i < octets.length; i++) {
    const o = octets[i]!;
    if (o.length === 0) {
      if (++empty > 1) return false;
    } else {
      empty = 0;
      if (i === octets.length - 1 && o.includes('.')) {
        if (!isValidInet4Address(o)) return false;
        valid += 2;
        continue;
      }
      if (o.length > 4) return false;
      if (!/^[+-]?[0-9a-fA-F]+$/.test(o)) return false;
      const v = parseInt(o, 16);
      if (v < 0 || v > 0xffff) return false;
    }
    valid++;
  }
  return !(valid > 8 || (valid < 8 && !compressed));
}

/**
 * AclUtils.expandIP(address, part): upper-case, `::` widened to the missing groups (when fewer than `part`
 * colons), every group left-padded with zeros to four characters.
 */
export function expandIP(address: string, part: number): string {
  let s = address.toUpperCase();
  const colons = s.split(':').length - 1;
  const pad = part - colons;
  if (pad > 0) s = s.split('::').join(':'.repeat(pad + 1));
  return s.split(':').map((g) => (g.length < 4 ? g.padStart(4, '0') : g)).join(':');
}

/** AclUtils.isIPv6Scope over the first `index` groups of a pattern (hex 0–ffff each). */
export function isIPv6Scope(groups: readonly string[], index: number): boolean {
  for (let i = 0; i < index; i++) {
    let v: number;
    try {
      v = parseJavaInt(groups[i], 16);
    } catch {
      return false;
    }
    if (v < 0 || v > 0xffff) return false;
  }
  return true;
}
