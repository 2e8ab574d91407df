import net from 'node:net';

/**
 * The source-IP rules of an ACL 2.0 policy entry (5.3.3 common/utils/IPAddressUtils): an entry's
 * `sourceIps` are IPs (matched as exact text) or CIDRs (matched numerically).
 */

/** commons-validator InetAddressValidator#isValidInet4Address: four 0–255 parts, no leading zeros. */
function isValidIpv4(ip: string): boolean {
  const parts = ip.split('.');
  if (parts.length !== 4) return false;
  return parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255 && !(p.length > 1 && p.startsWith('0')));
}

export function isValidIp(ip: string): boolean {
  return isValidIpv4(ip) || net.isIPv6(ip);
}

function isValidCidr(cidr: string): boolean {
  const parts = cidr.split('/');
  if (parts.length !== 2 || !/^[+-]?\d+$/.test(parts[1])) return false;
  const prefix = Number(parts[1]);
  if (net.isIPv4(parts[0])) return prefix >= 0 && prefix <= 32;
  if (net.isIPv6(parts[0])) return prefix >= 0 && prefix <= 128;
  return false;
}

/** IPAddressUtils#isValidIPOrCidr, as the ACL manager checks each entry's sourceIps. */
export function isValidIpOrCidr(s: string): boolean {
  return isValidIp(s) || isValidCidr(s);
}

/** The address bytes as one number (BigInteger(1, InetAddress#getAddress())), and how many bits it has. */
function addressBits(ip: string): { value: bigint; bits: number } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  // InetAddress gives an IPv4-mapped IPv6 address back as the IPv4 address.
  const v4 = mapped ? mapped[1] : net.isIPv4(ip) ? ip : undefined;
  if (v4) return { value: v4.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n), bits: 32 };
  if (!net.isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  return { value: BigInt('0x' + expandIpv6(ip).map((g) => g.toString(16).padStart(4, '0')).join('')), bits: 128 };
}

function expandIpv6(ip: string): number[] {
  let text = ip.replace(/%.*$/, '');
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const b = tail[1].split('.').map(Number);
    text = text.slice(0, -tail[1].length) + `${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest ? rest.split(':') : [];
  const zeros = rest !== undefined ? 8 - h.length - r.length : 0;
  return [...h, ...Array<string>(zeros).fill('0'), ...r].map((g) => parseInt(g, 16));
}

/**
 * IPAddressUtils#isIPInRange: a sourceIp without `/` must equal the client IP as text; a CIDR covers
 * the addresses from its network address up, under the CIDR's own address length. Throws on an address
 * it cannot read, as Java does (the refusal then is the generic authorization failure).
 */
export function ipInRange(ip: string, cidr: string): boolean {
  const parts = cidr.split('/');
  if (parts.length === 1) return ip === cidr;
  if (parts.length !== 2) return false;
  const net4or6 = addressBits(parts[0]);
  const prefix = Number(parts[1]);
  if (!Number.isInteger(prefix)) throw new Error(`bad prefix length in ${cidr}`);
  const target = addressBits(ip).value;
  const hostBits = BigInt(net4or6.bits - prefix);
  const mask = hostBits >= 0n ? -1n << hostBits : -1n >> -hostBits;
  const lower = net4or6.value & mask;
  const upper = lower + ~mask;
  return target >= lower && target <= upper;
}

/**
 * The client address as a Java server prints it (Inet6Address#getHostAddress: eight groups, no `::`
 * shortening), so an IPv6 sourceIp written the Java way matches; IPv4 (and IPv4-mapped) stays dotted.
 */
export function javaHostAddress(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (!net.isIPv6(ip)) return ip;
  return expandIpv6(ip).map((g) => g.toString(16)).join(':');
}
