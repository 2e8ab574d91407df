import type { ExtFields, RemotingCommand, SerializeType } from './command.js';

/**
 * JSON header as RemotingSerializable writes it: bean properties sorted by name, nulls omitted,
 * non-ASCII left as raw UTF-8. extFields values are always strings (the Go client rejects others).
 */
export function encodeJsonHeader(cmd: RemotingCommand): Buffer {
  let s = `{"code":${cmd.code}`;
  if (cmd.extFields) s += `,"extFields":${JSON.stringify(cmd.extFields)}`;
  s += `,"flag":${cmd.flag},"language":${JSON.stringify(cmd.language)},"opaque":${cmd.opaque}`;
  if (cmd.remark != null) s += `,"remark":${JSON.stringify(cmd.remark)}`;
  s += `,"serializeTypeCurrentRPC":"JSON","version":${cmd.version}}`;
  return Buffer.from(s, 'utf8');
}

/**
 * Accepts any key order, missing fields, and non-string extFields values (turned into their literal text, as
 * fastjson does). More than `maxFields` extFields is an error, found before any of them is copied (the
 * parse itself is bounded by the header's size, checked before this is called).
 */
export function decodeJsonHeader(buf: Buffer, serializeType: SerializeType, body?: Buffer, maxFields = Infinity): RemotingCommand {
  const obj = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('JSON header is not an object');
  let extFields: ExtFields | undefined;
  const raw = obj.extFields;
  if (raw != null) {
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error('extFields is not an object');
    let fields = 0;
    for (const _ in raw) if (++fields > maxFields) throw new Error(`more than ${maxFields} extFields (remotingHeaderMaxFields)`);
    extFields = {};
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      if (v == null) continue;
      extFields[k] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
  }
  return {
    code: toInt(obj.code, 'code'),
    language: typeof obj.language === 'string' ? obj.language : 'OTHER',
    version: obj.version == null ? 0 : toInt(obj.version, 'version'),
    opaque: obj.opaque == null ? 0 : toInt(obj.opaque, 'opaque'),
    flag: obj.flag == null ? 0 : toInt(obj.flag, 'flag'),
    remark: typeof obj.remark === 'string' ? obj.remark : undefined,
    extFields,
    body,
    serializeType,
  };
}

function toInt(v: unknown, name: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw new Error(`header field ${name} is not an integer`);
  return n;
}
