/** One message inside a SEND_BATCH_MESSAGE body (MessageDecoder#encodeMessage layout). */
export interface BatchItem {
  flag: number;
  body: Buffer;
  properties: string;
}

/**
 * Batch body: per message TOTALSIZE int32, MAGICCODE int32 (0), BODYCRC int32 (0), FLAG int32,
 * BODYLEN int32 + body, PROPLEN int16 + properties. Throws with a readable reason on a bad layout.
 */
export function decodeBatch(buf: Buffer): BatchItem[] {
  const items: BatchItem[] = [];
  let p = 0;
  while (p < buf.length) {
    if (p + 20 > buf.length) throw new Error(`batch message at byte ${p} is truncated`);
    const totalSize = buf.readInt32BE(p);
    if (totalSize < 22 || p + totalSize > buf.length) throw new Error(`batch message at byte ${p} has bad size ${totalSize}`);
    const flag = buf.readInt32BE(p + 12);
    const bodyLen = buf.readInt32BE(p + 16);
    if (bodyLen < 0 || 20 + bodyLen + 2 > totalSize) throw new Error(`batch message at byte ${p} has bad body length ${bodyLen}`);
    const body = buf.subarray(p + 20, p + 20 + bodyLen);
    const propLen = buf.readInt16BE(p + 20 + bodyLen);
    if (propLen < 0 || 20 + bodyLen + 2 + propLen > totalSize) throw new Error(`batch message at byte ${p} has bad properties length ${propLen}`);
    const propStart = p + 22 + bodyLen;
    items.push({ flag, body, properties: buf.toString('utf8', propStart, propStart + propLen) });
    p += totalSize;
  }
  return items;
}
