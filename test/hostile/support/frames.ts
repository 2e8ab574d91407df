/**
 * The remoting wire format written and read by hand, independent of src/ (black box): frames as the Java
 * client builds them (JSON or ROCKETMQ binary header), a stream splitter for the answers, and a small
 * promise-based connection for the requests an attack needs answered.
 *
 * Frame: [int32 length = 4 + headerLength + bodyLength][int32 serializeType << 24 | headerLength][header][body]
 */
import net from 'node:net';

export const Code = {
  SEND_MESSAGE: 10,
  PULL_MESSAGE: 11,
  QUERY_MESSAGE: 12,
  QUERY_CONSUMER_OFFSET: 14,
  UPDATE_CONSUMER_OFFSET: 15,
  UPDATE_AND_CREATE_TOPIC: 17,
  GET_BROKER_RUNTIME_INFO: 28,
  SEARCH_OFFSET_BY_TIMESTAMP: 29,
  GET_MAX_OFFSET: 30,
  GET_MIN_OFFSET: 31,
  VIEW_MESSAGE_BY_ID: 33,
  HEART_BEAT: 34,
  UNREGISTER_CLIENT: 35,
  CONSUMER_SEND_MSG_BACK: 36,
  END_TRANSACTION: 37,
  GET_CONSUMER_LIST_BY_GROUP: 38,
  LOCK_BATCH_MQ: 41,
  UNLOCK_BATCH_MQ: 42,
  GET_KV_CONFIG: 101,
  GET_ROUTEINFO_BY_TOPIC: 105,
  GET_BROKER_CLUSTER_INFO: 106,
  UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: 200,
  GET_TOPIC_STATS_INFO: 202,
  GET_CONSUME_STATS: 208,
  SEND_MESSAGE_V2: 310,
  SEND_BATCH_MESSAGE: 320,
} as const;

export const Resp = { SUCCESS: 0, SYSTEM_ERROR: 1, SYSTEM_BUSY: 2 } as const;

/** The version a 4.9.8 Java client puts in its headers (MQVersion.Version.V4_9_8). */
export const CLIENT_VERSION = 409;
export const RESPONSE_FLAG = 1;
export const ONEWAY_FLAG = 2;

export interface Request {
  code: number;
  opaque: number;
  ext?: Record<string, string>;
  /** More extFields entries, written after `ext` (cheaper than an object of a thousand keys). */
  extra?: ReadonlyArray<readonly [string, string]>;
  body?: Buffer;
  flag?: number;
  version?: number;
  language?: string;
  remark?: string;
}

export interface Response {
  code: number;
  opaque: number;
  flag: number;
  remark?: string;
  ext?: Record<string, string>;
  body?: Buffer;
}

let opaqueSeq = 1;
export const nextOpaque = (): number => (opaqueSeq = (opaqueSeq + 1) & 0x7fffffff);

const extraJson = new WeakMap<ReadonlyArray<readonly [string, string]>, string>();

/** The JSON header as RemotingSerializable writes it (fastjson, keys sorted). */
export function jsonHeader(r: Request): Buffer {
  let s = `{"code":${r.code}`;
  if (r.ext || r.extra) {
    let ext = JSON.stringify(r.ext ?? {});
    if (r.extra?.length) {
      let more = extraJson.get(r.extra);
      if (more === undefined) {
        more = r.extra.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',');
        extraJson.set(r.extra, more);
      }
      ext = ext === '{}' ? `{${more}}` : `${ext.slice(0, -1)},${more}}`;
    }
    s += `,"extFields":${ext}`;
  }
  s += `,"flag":${r.flag ?? 0},"language":${JSON.stringify(r.language ?? 'JAVA')},"opaque":${r.opaque}`;
  if (r.remark != null) s += `,"remark":${JSON.stringify(r.remark)}`;
  s += `,"serializeTypeCurrentRPC":"JSON","version":${r.version ?? CLIENT_VERSION}}`;
  return Buffer.from(s, 'utf8');
}

/** RocketMQSerializable: code(2) language(1) version(2) opaque(4) flag(4) remarkLen(4) remark extLen(4) {keyLen(2) key valLen(4) val}*. */
export function binaryHeader(r: Request): Buffer {
  const strings: Buffer[] = [];
  const bytes = (str: string): Buffer => {
    const b = utf8(str);
    strings.push(b);
    return b;
  };
  const remark = bytes(r.remark ?? '');
  let size = 21 + remark.length;
  for (const k in r.ext ?? {}) size += 6 + bytes(k).length + bytes(r.ext![k]).length;
  for (const [k, v] of r.extra ?? []) size += 6 + bytes(k).length + bytes(v).length;
  const b = Buffer.allocUnsafe(size);
  let p = b.writeInt16BE(r.code, 0);
  p = b.writeUInt8(0, p); // LanguageCode.JAVA
  p = b.writeInt16BE(r.version ?? CLIENT_VERSION, p);
  p = b.writeInt32BE(r.opaque, p);
  p = b.writeInt32BE(r.flag ?? 0, p);
  p = b.writeInt32BE(remark.length, p);
  p += remark.copy(b, p);
  p = b.writeInt32BE(size - p - 4, p);
  for (let i = 1; i < strings.length; i += 2) {
    const k = strings[i];
    const v = strings[i + 1];
    b[p] = k.length >> 8;
    b[p + 1] = k.length & 0xff;
    p += 2 + k.copy(b, p + 2);
    p = b.writeInt32BE(v.length, p);
    p += v.copy(b, p);
  }
  return b;
}

/** UTF-8 bytes of a string; short ASCII ones (most header keys and values) without the encoder. */
function utf8(s: string): Buffer {
  if (s.length <= 32) {
    const b = Buffer.allocUnsafe(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) return Buffer.from(s, 'utf8');
      b[i] = c;
    }
    return b;
  }
  return Buffer.from(s, 'utf8');
}

/** A whole frame around a ready header (serializeType 0 = JSON, 1 = ROCKETMQ). */
export function frameOf(header: Buffer, body: Buffer | undefined, serializeType: number): Buffer {
  const bodyLen = body?.length ?? 0;
  const out = Buffer.allocUnsafe(8 + header.length + bodyLen);
  out.writeInt32BE(4 + header.length + bodyLen, 0);
  out.writeUInt32BE((((serializeType & 0xff) << 24) | (header.length & 0xffffff)) >>> 0, 4);
  header.copy(out, 8);
  if (body) body.copy(out, 8 + header.length);
  return out;
}

export function encode(r: Request, serializeType: 0 | 1 = 0): Buffer {
  return frameOf(serializeType === 0 ? jsonHeader(r) : binaryHeader(r), r.body, serializeType);
}

/** Decodes one frame's content (after the length field); throws on anything malformed. */
export function decodeContent(frame: Buffer): Response {
  const mark = frame.readUInt32BE(0);
  const type = mark >>> 24;
  const hl = mark & 0xffffff;
  const header = frame.subarray(4, 4 + hl);
  const body = frame.length > 4 + hl ? frame.subarray(4 + hl) : undefined;
  if (type === 0) {
    const o = JSON.parse(header.toString('utf8')) as { code: number; opaque: number; flag: number; remark?: string; extFields?: Record<string, string> };
    return { code: o.code, opaque: o.opaque, flag: o.flag, remark: o.remark, ext: o.extFields, body };
  }
  let p = 0;
  const code = header.readInt16BE(p); p += 5;
  const opaque = header.readInt32BE(p); p += 4;
  const flag = header.readInt32BE(p); p += 4;
  const rl = header.readInt32BE(p); p += 4;
  const remark = rl > 0 ? header.toString('utf8', p, p + rl) : undefined;
  p += rl;
  const el = header.readInt32BE(p); p += 4;
  const ext: Record<string, string> = {};
  const end = p + el;
  while (p < end) {
    const kl = header.readInt16BE(p); p += 2;
    const k = header.toString('utf8', p, p + kl); p += kl;
    const vl = header.readInt32BE(p); p += 4;
    ext[k] = header.toString('utf8', p, p + vl); p += vl;
  }
  return { code, opaque, flag, remark, ext, body };
}

/** Splits a byte stream into frames (kept simple: the answers of a healthy server are small). */
export class FrameSplitter {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly onFrame: (content: Buffer) => void) {}
  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 4) {
      const len = this.buf.readInt32BE(0);
      if (len < 4) throw new Error(`server sent a frame length of ${len}`);
      if (this.buf.length < 4 + len) return;
      const content = this.buf.subarray(4, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      this.onFrame(content);
    }
  }
}

export function hostPort(addr: string): { host: string; port: number } {
  const [host, port] = addr.split(':');
  return { host, port: Number(port) };
}

/** A connection whose requests are answered by opaque; counts what it reads and notices when the server closes it. */
export class WireConn {
  readonly socket: net.Socket;
  readonly connected: Promise<void>;
  readonly closed: Promise<void>;
  closedByServer = false;
  isClosed = false;
  private readonly waiting = new Map<number, (r: Response) => void>();

  constructor(addr: string) {
    this.socket = net.connect(hostPort(addr));
    this.socket.setNoDelay(true);
    this.socket.on('error', () => {});
    const splitter = new FrameSplitter((content) => {
      const r = decodeContent(content);
      // The server's own requests (NOTIFY_CONSUMER_IDS_CHANGED, ...) number their opaques independently.
      if ((r.flag & RESPONSE_FLAG) === 0) return;
      const w = this.waiting.get(r.opaque);
      if (w) {
        this.waiting.delete(r.opaque);
        w(r);
      }
    });
    this.socket.on('data', (c: Buffer) => {
      try {
        splitter.push(c);
      } catch {
        this.socket.destroy();
      }
    });
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.socket.once('end', () => (this.closedByServer = true));
      this.socket.once('close', () => {
        this.isClosed = true;
        resolve();
      });
    });
  }

  static async open(addr: string): Promise<WireConn> {
    const c = new WireConn(addr);
    await c.connected;
    return c;
  }

  /** Sends `r` and resolves with its answer, or rejects on timeout or close. */
  request(r: Omit<Request, 'opaque'> & { opaque?: number }, timeoutMs: number, serializeType: 0 | 1 = 0): Promise<Response> {
    const opaque = r.opaque ?? nextOpaque();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(opaque);
        reject(new Error(`no answer to code ${r.code} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(opaque, (res) => {
        clearTimeout(timer);
        resolve(res);
      });
      void this.closed.then(() => {
        if (this.waiting.delete(opaque)) {
          clearTimeout(timer);
          reject(new Error(`connection closed before the answer to code ${r.code}`));
        }
      });
      this.socket.write(encode({ ...r, opaque }, serializeType));
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** SEND_MESSAGE_V2 as DefaultMQProducer sends it. */
export function sendV2(topic: string, body: Buffer, queueId = 0, producerGroup = 'hostile_producer'): Omit<Request, 'opaque'> {
  return {
    code: Code.SEND_MESSAGE_V2,
    ext: {
      a: producerGroup, b: topic, c: 'TBW102', d: '4', e: String(queueId), f: '0', g: String(Date.now()), h: '0',
      i: `UNIQ_KEY\u0001HOSTILE${nextOpaque()}\u0002WAIT\u0001true`, j: '0', k: 'false', l: '16', m: 'false',
    },
    body,
  };
}

/** PULL_MESSAGE without suspension (answered at once). */
export function pull(group: string, topic: string, queueId: number, offset: number, maxMsgNums = 32): Omit<Request, 'opaque'> {
  return {
    code: Code.PULL_MESSAGE,
    ext: {
      consumerGroup: group, topic, queueId: String(queueId), queueOffset: String(offset), maxMsgNums: String(maxMsgNums),
      sysFlag: '0', commitOffset: '0', suspendTimeoutMillis: '0', subVersion: '0', expressionType: 'TAG',
    },
  };
}

/** UPDATE_AND_CREATE_TOPIC as `mqadmin updateTopic -b` sends it. */
export function createTopic(topic: string, readQueueNums: number | string = 4, writeQueueNums: number | string = readQueueNums): Omit<Request, 'opaque'> {
  return {
    code: Code.UPDATE_AND_CREATE_TOPIC,
    ext: {
      topic, defaultTopic: 'TBW102', readQueueNums: String(readQueueNums), writeQueueNums: String(writeQueueNums), perm: '6',
      topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false',
    },
  };
}

/** The consumerData of one clustering push consumer, as in a HEART_BEAT body. */
export function consumerData(group: string, topic: string): Record<string, unknown> {
  return {
    consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET', consumeType: 'CONSUME_PASSIVELY', groupName: group, messageModel: 'CLUSTERING',
    subscriptionDataSet: [{ classFilterMode: false, codeSet: [], expressionType: 'TAG', subString: '*', subVersion: Date.now(), tagsSet: [], topic }],
    unitMode: false,
  };
}

export function heartbeat(clientID: string, consumers: Record<string, unknown>[], producers: string[] = []): Omit<Request, 'opaque'> {
  const body = { clientID, consumerDataSet: consumers, producerDataSet: producers.map((groupName) => ({ groupName })) };
  return { code: Code.HEART_BEAT, body: Buffer.from(JSON.stringify(body), 'utf8') };
}
