import { CURRENT_VERSION } from '../protocol/version.js';

/** Header serialization, the high byte of the frame's second int (remoting/protocol/SerializeType.java). */
export const SerializeType = { JSON: 0, ROCKETMQ: 1 } as const;
export type SerializeType = (typeof SerializeType)[keyof typeof SerializeType];

/** flag bits (RemotingCommand RPC_TYPE / RPC_ONEWAY). */
export const RESPONSE_FLAG = 0x1;
export const ONEWAY_FLAG = 0x2;

export type ExtFields = Record<string, string>;

/** One RemotingCommand as it travels: header fields plus an opaque body. */
export interface RemotingCommand {
  code: number;
  language: string;
  version: number;
  opaque: number;
  flag: number;
  remark?: string;
  extFields?: ExtFields;
  /** A decoded request always carries one Buffer; a response may hand several parts to the socket uncopied. */
  body?: Buffer | Buffer[];
  serializeType: SerializeType;
}

export const isResponse = (cmd: RemotingCommand): boolean => (cmd.flag & RESPONSE_FLAG) !== 0;
export const isOneway = (cmd: RemotingCommand): boolean => (cmd.flag & ONEWAY_FLAG) !== 0;

let nextOpaque = 0;

export function createRequest(
  code: number,
  extFields?: ExtFields,
  body?: Buffer,
  serializeType: SerializeType = SerializeType.JSON,
): RemotingCommand {
  return { code, language: 'JAVA', version: CURRENT_VERSION, opaque: nextOpaque++ & 0x7fffffff, flag: 0, extFields, body, serializeType };
}

/** A response to `request`: same opaque, same serialization, RESPONSE flag set. */
export function createResponse(
  request: RemotingCommand,
  code: number,
  remark?: string,
  extFields?: ExtFields,
  body?: Buffer | Buffer[],
): RemotingCommand {
  return {
    code,
    language: 'JAVA',
    version: CURRENT_VERSION,
    opaque: request.opaque,
    flag: RESPONSE_FLAG,
    remark,
    extFields,
    body,
    serializeType: request.serializeType,
  };
}

export function bodyLength(body: Buffer | Buffer[] | undefined): number {
  if (!body) return 0;
  if (Buffer.isBuffer(body)) return body.length;
  let n = 0;
  for (const b of body) n += b.length;
  return n;
}

/** The request body as one Buffer (requests are decoded with a single Buffer body). */
export function requestBody(cmd: RemotingCommand): Buffer | undefined {
  const b = cmd.body;
  if (!b) return undefined;
  return Buffer.isBuffer(b) ? b : Buffer.concat(b);
}
