import zlib from 'node:zlib';

/** CRC-32 (IEEE) as an unsigned int, from Node's native zlib (Node ≥ 20.15). */
export function crc32(buf: Uint8Array): number {
  return zlib.crc32(buf) >>> 0;
}
