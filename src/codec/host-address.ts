/**
 * Host addresses as a stored record holds them (BORNHOST, STOREHOST): 4 address bytes for IPv4, 16 for
 * IPv6, as Java's InetAddress#getAddress gives them, then the port.
 */
import assert from 'node:assert';
import net from 'node:net';
import type { HostAddress } from './message.js';

/** Parsed host bytes are cached: a broker sees few distinct client IPs and one store host. */
const hostCache = new Map<string, Buffer>();
const HOST_CACHE_MAX = 4096;

/** IPv4 (4 bytes) or IPv6 (16 bytes) address bytes of a host string. */
export function ipBytes(ip: string): Buffer {
  let b = hostCache.get(ip);
  if (b) return b;
  b = parseIp(ip);
  if (hostCache.size >= HOST_CACHE_MAX) hostCache.clear();
  hostCache.set(ip, b);
  return b;
}

function parseIp(ip: string): Buffer {
  if (net.isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  // Node reports IPv4 peers on a dual-stack socket as ::ffff:a.b.c.d; Java's InetAddress makes those Inet4Address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && net.isIPv4(mapped[1])) return Buffer.from(mapped[1].split('.').map(Number));
  assert(net.isIPv6(ip), `not an IP address: ${ip}`);
  let text = ip;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const out = Buffer.alloc(16);
  const [headText, tailText] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string): number[] => {
    if (!s) return [];
    const words: number[] = [];
    for (const part of s.split(':')) {
      if (part.includes('.')) {
        const v4 = part.split('.').map(Number);
        words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else words.push(parseInt(part, 16));
    }
    return words;
  };
  const head = groups(headText);
  const tail = tailText === undefined ? [] : groups(tailText);
  head.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  tail.forEach((w, i) => out.writeUInt16BE(w, 16 - (tail.length - i) * 2));
  return out;
}

export function ipToString(bytes: Buffer): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(bytes.readUInt16BE(i).toString(16));
  return words.join(':');
}

export const isV6 = (host: HostAddress): boolean => ipBytes(host.ip).length === 16;
