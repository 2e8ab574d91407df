/**
 * Offset message id (MessageDecoder#createMessageId / #decodeMessageId):
 * store host address + port int32 + CommitLog offset int64, as uppercase hex.
 * IPv4 ⇒ 16 bytes = 32 chars; IPv6 ⇒ 28 bytes = 56 chars. Decoders tell them apart by length.
 */
import assert from 'node:assert';
import type { HostAddress } from './message.js';
import { ipBytes, ipToString, readInt64 } from './message-record.js';

export const OFFSET_ID_V4_CHARS = 32;
export const OFFSET_ID_V6_CHARS = 56;

/** The host half of an id is the same for every message a broker stores: cache its hex. */
const prefixCache = new Map<string, string>();

let lastHost: HostAddress | undefined;
let lastPrefix = '';

function hostPrefix(host: HostAddress): string {
  // Hot path: a broker stamps the same store host on every record.
  if (lastHost !== undefined && host.ip === lastHost.ip && host.port === lastHost.port) return lastPrefix;
  const key = `${host.ip}:${host.port}`;
  let hex = prefixCache.get(key);
  if (hex === undefined) {
    const ip = ipBytes(host.ip);
    const b = Buffer.alloc(ip.length + 4);
    ip.copy(b, 0);
    b.writeInt32BE(host.port, ip.length);
    hex = b.toString('hex').toUpperCase();
    if (prefixCache.size > 1024) prefixCache.clear();
    prefixCache.set(key, hex);
  }
  lastHost = { ip: host.ip, port: host.port };
  lastPrefix = hex;
  return hex;
}

export function createOffsetMessageId(storeHost: HostAddress, commitLogOffset: number): string {
  assert(commitLogOffset >= 0 && Number.isSafeInteger(commitLogOffset), 'commit log offset must be a non-negative safe integer');
  return hostPrefix(storeHost) + commitLogOffset.toString(16).toUpperCase().padStart(16, '0');
}

export interface DecodedMessageId {
  host: HostAddress;
  commitLogOffset: number;
}

/** Decodes an offset message id; returns undefined for anything that is not one (e.g. a UNIQ_KEY of another length). */
export function decodeOffsetMessageId(id: string): DecodedMessageId | undefined {
  if ((id.length !== OFFSET_ID_V4_CHARS && id.length !== OFFSET_ID_V6_CHARS) || !/^[0-9A-Fa-f]+$/.test(id)) return undefined;
  const b = Buffer.from(id, 'hex');
  const ipLen = id.length === OFFSET_ID_V4_CHARS ? 4 : 16;
  return {
    host: { ip: ipToString(b.subarray(0, ipLen)), port: b.readInt32BE(ipLen) },
    commitLogOffset: readInt64(b, ipLen + 4),
  };
}
