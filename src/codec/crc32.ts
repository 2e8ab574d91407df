import zlib from 'node:zlib';

/**
 * UtilAll.crc32 as the Java side computes it: the IEEE CRC-32 masked to 31 bits (Java returns it as a
 * non-negative int). Used for a record's BODYCRC and for REGISTER_BROKER's bodyCrc32. Node's native
 * zlib.crc32 exists from 20.15, the oldest Node package.json allows.
 */
export function crc32(buf: Uint8Array): number {
  return zlib.crc32(buf) & 0x7fffffff;
}
