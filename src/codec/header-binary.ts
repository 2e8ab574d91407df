import type { ExtFields, RemotingCommand, SerializeType } from '../remoting/command.js';
import { byteToLanguage, languageToByte } from '../protocol/language-code.js';

/** Fixed part of the ROCKETMQ header: code(2) language(1) version(2) opaque(4) flag(4) remarkLen(4) extLen(4). */
const FIXED_BYTES = 21;

/** Layout from remoting/protocol/RocketMQSerializable.java. */
export function encodeBinaryHeader(cmd: RemotingCommand): Buffer {
  const remark = cmd.remark ? Buffer.from(cmd.remark, 'utf8') : undefined;
  const entries: Array<[Buffer, Buffer]> = [];
  let extLen = 0;
  if (cmd.extFields) {
    for (const [k, v] of Object.entries(cmd.extFields)) {
      if (v == null) continue;
      const kb = Buffer.from(k, 'utf8');
      const vb = Buffer.from(v, 'utf8');
      entries.push([kb, vb]);
      extLen += 2 + kb.length + 4 + vb.length;
    }
  }
  const buf = Buffer.allocUnsafe(FIXED_BYTES + (remark?.length ?? 0) + extLen);
  let p = 0;
  p = buf.writeInt16BE(cmd.code, p);
  p = buf.writeUInt8(languageToByte(cmd.language), p);
  p = buf.writeInt16BE(cmd.version, p);
  p = buf.writeInt32BE(cmd.opaque, p);
  p = buf.writeInt32BE(cmd.flag, p);
  p = buf.writeInt32BE(remark?.length ?? 0, p);
  if (remark) p += remark.copy(buf, p);
  p = buf.writeInt32BE(extLen, p);
  for (const [kb, vb] of entries) {
    p = buf.writeInt16BE(kb.length, p);
    p += kb.copy(buf, p);
    p = buf.writeInt32BE(vb.length, p);
    p += vb.copy(buf, p);
  }
  return buf;
}

export function decodeBinaryHeader(buf: Buffer, serializeType: SerializeType): Omit<RemotingCommand, 'body'> {
  if (buf.length < FIXED_BYTES) throw new Error(`binary header of ${buf.length} bytes is shorter than ${FIXED_BYTES}`);
  let p = 0;
  const code = buf.readInt16BE(p); p += 2;
  const language = byteToLanguage(buf.readUInt8(p)); p += 1;
  const version = buf.readInt16BE(p); p += 2;
  const opaque = buf.readInt32BE(p); p += 4;
  const flag = buf.readInt32BE(p); p += 4;
  const remarkLen = buf.readInt32BE(p); p += 4;
  if (remarkLen < 0 || p + remarkLen + 4 > buf.length) throw new Error('binary header remark length out of range');
  // A zero-length string decodes as null, as in RocketMQSerializable.
  const remark = remarkLen > 0 ? buf.toString('utf8', p, p + remarkLen) : undefined;
  p += remarkLen;
  const extLen = buf.readInt32BE(p); p += 4;
  if (extLen < 0 || p + extLen > buf.length) throw new Error('binary header extFields length out of range');
  let extFields: ExtFields | undefined;
  if (extLen > 0) {
    extFields = {};
    const end = p + extLen;
    while (p < end) {
      if (p + 2 > end) throw new Error('binary header extFields entry truncated');
      const kl = buf.readInt16BE(p); p += 2;
      if (kl < 0 || p + kl + 4 > end) throw new Error('binary header extFields key out of range');
      const k = buf.toString('utf8', p, p + kl); p += kl;
      const vl = buf.readInt32BE(p); p += 4;
      if (vl < 0 || p + vl > end) throw new Error('binary header extFields value out of range');
      const v = buf.toString('utf8', p, p + vl); p += vl;
      if (kl > 0 && vl > 0) extFields[k] = v;
    }
  }
  return { code, language, version, opaque, flag, remark, extFields, serializeType };
}
