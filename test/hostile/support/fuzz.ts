/**
 * The frame fuzzer's generator: valid requests of the codes Java clients send most, then mutated.
 *
 * "Soft" mutations keep the framing and the header syntax whole (hostile values, missing and extra
 * fields, other codes, flags, bodies, serialize type), so the server parses them and runs its
 * processors; many of them fit on one connection. "Hard" mutations break the frame or its header
 * (bit flips anywhere, length field changes, truncation, header-length and serialize-type bytes,
 * JSON garbage, binary header lengths, pure random bytes); the server may close the connection on each,
 * so one ends a connection.
 *
 * Every choice comes from a seeded PRNG: a failing run is replayed with its seed.
 */
import { Code, binaryHeader, encode, frameOf, jsonHeader, type Request } from './frames.js';

export type Rnd = () => number;
export type Target = 'broker' | 'namesrv';
type Req = Omit<Request, 'opaque'>;

export const FUZZ_TOPICS = ['HostileFuzzA', 'HostileFuzzB', 'TBW102', '%RETRY%hostile_fuzz_group'];
const GROUPS = ['hostile_fuzz_group', 'hostile_fuzz_group2', 'CID_RMQ_SYS_TRANS', 'TOOLS_CONSUMER'];

/**
 * Codes never sent, even as a mutation's random code: administrative operations that, obeyed as the
 * Java broker obeys them, legitimately take the service down for the probe (broker config, write
 * permission, broker registration, topic and file deletion, ACLs, NameServer config).
 */
export const DESTRUCTIVE_CODES = new Set([25, 27, 50, 51, 52, 53, 103, 104, 205, 215, 216, 306, 316, 318, 329]);

const int = (rnd: Rnd, n: number): number => Math.floor(rnd() * n);
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[int(rnd, xs.length)];
const chance = (rnd: Rnd, p: number): boolean => rnd() < p;

/** n bytes from an xorshift32 seeded by rnd (one rnd call per buffer: random bodies are most of the bytes). */
export function randomBytes(rnd: Rnd, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = (Math.floor(rnd() * 0xffffffff) | 1) >>> 0;
  for (let i = 0; i < n; i += 4) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
    if (i + 1 < n) b[i + 1] = (x >>> 8) & 0xff;
    if (i + 2 < n) b[i + 2] = (x >>> 16) & 0xff;
    if (i + 3 < n) b[i + 3] = x >>> 24;
  }
  return b;
}

function randomString(rnd: Rnd, max: number): string {
  const n = int(rnd, max + 1);
  const alphabets = [
    'abcdefghijklmnopqrstuvwxyz0123456789_-%',
    '\u0000\u0001\u0002\n\r\t"\\/{}[]:,',
    '中文字符テスト🙂\u202e\ufeff\ud800',
  ];
  const a = pick(rnd, alphabets);
  let s = '';
  for (let i = 0; i < n; i++) s += a[int(rnd, a.length)];
  return s;
}

const HOSTILE_VALUES = [
  '', ' ', '-1', '0', '1', '-0', '2147483647', '2147483648', '-2147483648', '-2147483649', '4294967296',
  '9223372036854775807', '9223372036854775808', '-9223372036854775808', '99999999999999999999999999', '1e9', '1.5',
  'NaN', 'Infinity', '0x10', ' 7', '7 ', '+7', 'null', 'true', 'false', '[]', '{}', '{"a":1}', '\u0000',
  '%RETRY%', '%DLQ%x', 'TBW102', 'a|b', 'a;b', 'x'.repeat(128), 'x'.repeat(256), 'x'.repeat(32 * 1024),
  'TAGS\u0001a\u0002KEYS\u0001b', 'DELAY\u000118', 'TRAN_MSG\u0001true\u0002PGROUP\u0001g', '\u0001\u0002\u0001\u0002',
];

/** Values that have broken header parsers: numbers at and past every integer boundary, non-numbers, huge strings. */
function hostileValue(rnd: Rnd): string {
  const r = rnd();
  if (r < 0.6) return pick(rnd, HOSTILE_VALUES);
  if (r < 0.8) return String(Math.floor((rnd() - 0.5) * 2 ** (1 + int(rnd, 70))));
  return randomString(rnd, chance(rnd, 0.05) ? 4096 : pick(rnd, [8, 64, 256]));
}

function sendHeaderV2(rnd: Rnd, topic: string): Record<string, string> {
  return {
    a: 'hostile_fuzz_producer', b: topic, c: 'TBW102', d: '4', e: String(int(rnd, 4)), f: '0', g: String(Date.now()), h: '0',
    i: `UNIQ_KEY\u0001F${int(rnd, 1e9)}\u0002WAIT\u0001true\u0002TAGS\u0001t${int(rnd, 5)}`, j: '0', k: 'false', l: '16', m: 'false',
  };
}

function batchBody(rnd: Rnd): Buffer {
  const parts: Buffer[] = [];
  for (let i = 1 + int(rnd, 4); i > 0; i--) {
    const b = randomBytes(rnd, int(rnd, 256));
    const props = Buffer.from(`UNIQ_KEY\u0001FB${int(rnd, 1e9)}`, 'utf8');
    const out = Buffer.alloc(22 + b.length + props.length);
    out.writeInt32BE(out.length, 0);
    out.writeInt32BE(b.length, 16);
    b.copy(out, 20);
    out.writeInt16BE(props.length, 20 + b.length);
    props.copy(out, 22 + b.length);
    parts.push(out);
  }
  return Buffer.concat(parts);
}

function heartbeatBody(rnd: Rnd): Buffer {
  const consumers = Array.from({ length: int(rnd, 3) }, () => ({
    consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET', consumeType: pick(rnd, ['CONSUME_PASSIVELY', 'CONSUME_ACTIVELY']), groupName: pick(rnd, GROUPS),
    messageModel: pick(rnd, ['CLUSTERING', 'BROADCASTING']),
    subscriptionDataSet: [{ classFilterMode: false, codeSet: [], expressionType: pick(rnd, ['TAG', 'SQL92']), subString: pick(rnd, ['*', 'a || b', 'a > 1']), subVersion: Date.now(), tagsSet: [], topic: pick(rnd, FUZZ_TOPICS) }],
    unitMode: false,
  }));
  return Buffer.from(JSON.stringify({
    clientID: `127.0.0.1@hostile${int(rnd, 8)}`, consumerDataSet: consumers,
    producerDataSet: chance(rnd, 0.5) ? [{ groupName: 'hostile_fuzz_producer' }] : [],
  }));
}

/** A valid request of one of the common codes, and which server it is meant for. */
export function seedRequest(rnd: Rnd): { target: Target; req: Req } {
  const topic = pick(rnd, FUZZ_TOPICS);
  const group = pick(rnd, GROUPS);
  const queueId = String(int(rnd, 4));
  const r = int(rnd, 24);
  const broker = (req: Req) => ({ target: 'broker' as const, req });
  const namesrv = (req: Req) => ({ target: 'namesrv' as const, req });
  switch (r) {
    case 0: case 1: case 2: return broker({ code: Code.SEND_MESSAGE_V2, ext: sendHeaderV2(rnd, topic), body: randomBytes(rnd, int(rnd, 1024)) });
    case 3: return broker({
      code: Code.SEND_MESSAGE, body: randomBytes(rnd, int(rnd, 512)),
      ext: { producerGroup: 'hostile_fuzz_producer', topic, defaultTopic: 'TBW102', defaultTopicQueueNums: '4', queueId, sysFlag: '0', bornTimestamp: String(Date.now()), flag: '0', properties: 'WAIT\u0001true', reconsumeTimes: '0', unitMode: 'false', batch: 'false' },
    });
    case 4: return broker({ code: Code.SEND_BATCH_MESSAGE, ext: { ...sendHeaderV2(rnd, topic), m: 'true' }, body: batchBody(rnd) });
    case 5: case 6: return broker({
      code: Code.PULL_MESSAGE,
      ext: { consumerGroup: group, topic, queueId, queueOffset: String(int(rnd, 100)), maxMsgNums: '32', sysFlag: String(int(rnd, 16)), commitOffset: '0', suspendTimeoutMillis: pick(rnd, ['0', '0', '1000']), subVersion: '0', subscription: '*', expressionType: 'TAG' },
    });
    case 7: case 8: return broker({ code: Code.HEART_BEAT, body: heartbeatBody(rnd) });
    case 9: return broker({ code: Code.QUERY_CONSUMER_OFFSET, ext: { consumerGroup: group, topic, queueId } });
    case 10: return broker({ code: Code.UPDATE_CONSUMER_OFFSET, ext: { consumerGroup: group, topic, queueId, commitOffset: String(int(rnd, 100)) } });
    case 11: return broker({
      code: Code.UPDATE_AND_CREATE_TOPIC,
      ext: { topic: pick(rnd, ['HostileFuzzA', 'HostileFuzzB']), defaultTopic: 'TBW102', readQueueNums: '4', writeQueueNums: '4', perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false' },
    });
    case 12: return broker({ code: pick(rnd, [Code.GET_MAX_OFFSET, Code.GET_MIN_OFFSET]), ext: { topic, queueId } });
    case 13: return broker({ code: Code.SEARCH_OFFSET_BY_TIMESTAMP, ext: { topic, queueId, timestamp: String(Date.now() - int(rnd, 1e6)) } });
    case 14: return broker({ code: Code.GET_CONSUMER_LIST_BY_GROUP, ext: { consumerGroup: group } });
    case 15: return broker({ code: Code.UNREGISTER_CLIENT, ext: { clientID: `127.0.0.1@hostile${int(rnd, 8)}`, producerGroup: 'hostile_fuzz_producer', consumerGroup: group } });
    case 16: return broker({
      code: Code.LOCK_BATCH_MQ,
      body: Buffer.from(JSON.stringify({ clientId: 'x', consumerGroup: group, mqSet: [{ brokerName: 'broker-a', queueId: int(rnd, 4), topic }] })),
    });
    case 17: return broker({ code: Code.CONSUMER_SEND_MSG_BACK, ext: { offset: String(int(rnd, 1000)), group, delayLevel: '0', originMsgId: '7F00000100002A9F0000000000000000', originTopic: topic, unitMode: 'false', maxReconsumeTimes: '16' } });
    case 18: return broker({ code: Code.END_TRANSACTION, flag: 2, ext: { producerGroup: 'hostile_fuzz_producer', tranStateTableOffset: '0', commitLogOffset: String(int(rnd, 10000)), commitOrRollback: pick(rnd, ['0', '8', '12']), fromTransactionCheck: 'false', msgId: 'x' } });
    case 19: return broker({ code: pick(rnd, [Code.GET_TOPIC_STATS_INFO, Code.GET_CONSUME_STATS, Code.GET_BROKER_RUNTIME_INFO]), ext: { topic, consumerGroup: group } });
    case 20: return broker({ code: pick(rnd, [Code.VIEW_MESSAGE_BY_ID, Code.QUERY_MESSAGE]), ext: { offset: String(int(rnd, 10000)), topic, key: 'k', maxNum: '32', beginTimestamp: '0', endTimestamp: String(Date.now()) } });
    case 21: case 22: return namesrv({ code: Code.GET_ROUTEINFO_BY_TOPIC, ext: { topic } });
    default: return namesrv({ code: pick(rnd, [Code.GET_BROKER_CLUSTER_INFO, Code.GET_KV_CONFIG, 206, 224]), ext: { namespace: 'ORDER_TOPIC_CONFIG', key: topic, cluster: 'DefaultCluster' } });
  }
}

function randomCode(rnd: Rnd): number {
  for (;;) {
    const c = chance(rnd, 0.8) ? int(rnd, 400) : int(rnd, 65536) - 32768;
    if (!DESTRUCTIVE_CODES.has(c)) return c;
  }
}

/** A structure-preserving mutation of a seed: the frame stays decodable. Returns the frame. */
export function softFrame(rnd: Rnd): { target: Target; frame: Buffer } {
  const { target, req } = seedRequest(rnd);
  const ext = { ...(req.ext ?? {}) };
  let code = req.code;
  let flag = req.flag ?? 0;
  let body = req.body;
  let version: number | undefined;
  let remark: string | undefined;
  let extra: Request['extra'];
  for (let n = 1 + int(rnd, 3); n > 0; n--) {
    const keys = Object.keys(ext);
    // Many fields (case 9) in one mutation of twenty: each costs the server a parse of up to 950 fields.
    switch (chance(rnd, 0.05) ? 9 : int(rnd, 10)) {
      case 0: case 1:
        if (keys.length) ext[pick(rnd, keys)] = hostileValue(rnd);
        break;
      case 2:
        version = pick(rnd, [0, -1, 32767, -32768, int(rnd, 1000)]);
        remark = chance(rnd, 0.5) ? hostileValue(rnd) : undefined;
        break;
      case 3:
        if (keys.length) delete ext[pick(rnd, keys)];
        break;
      case 4:
        ext[chance(rnd, 0.5) ? randomString(rnd, 16) : pick(rnd, ['topic', 'queueId', 'consumerGroup', 'b', 'e', 'maxMsgNums', 'queueOffset'])] = hostileValue(rnd);
        break;
      case 5:
        code = chance(rnd, 0.5) ? seedRequest(rnd).req.code : randomCode(rnd);
        break;
      case 6:
        flag = pick(rnd, [0, 1, 2, 3, int(rnd, 2 ** 31), -1]);
        break;
      case 7:
        body = chance(rnd, 0.05) ? Buffer.alloc(64 * 1024 + int(rnd, 256 * 1024), 0x7b) : pick(rnd, [
          () => undefined, () => Buffer.alloc(0), () => randomBytes(rnd, int(rnd, 4096)),
          () => (body ? body.subarray(0, int(rnd, body.length + 1)) : randomBytes(rnd, 8)),
          () => Buffer.from(pick(rnd, ['{', '[]', 'null', '{"consumerDataSet":7}', '{"mqSet":[{"queueId":"x"}]}', '{"clientID":null}', '[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]'])),
        ])();
        break;
      case 9:
        // Many fields, still under remotingHeaderMaxFields (1000).
        extra = pick(rnd, MANY_FIELDS);
        break;
      default: // case 8
        // the fields of another code's header, e.g. a pull's fields on a send
        Object.assign(ext, seedRequest(rnd).req.ext ?? {});
    }
  }
  const r: Request = { code, opaque: int(rnd, 2 ** 31), flag, ext, extra, body, version, remark };
  return { target: chance(rnd, 0.05) ? (target === 'broker' ? 'namesrv' : 'broker') : target, frame: encode(r, chance(rnd, 0.3) ? 1 : 0) };
}

/** JSON headers no Java client writes: wrong types, odd shapes, garbage. */
function oddJsonHeader(rnd: Rnd, req: Req): Buffer {
  const ext = JSON.stringify(req.ext ?? {});
  const variants = [
    () => `{"code":"${req.code}","extFields":${ext},"flag":0,"opaque":1}`,
    () => `{"code":${req.code},"extFields":{"topic":7,"queueId":{"a":[1,2]},"x":null,"y":true,"z":[]},"opaque":1}`,
    () => `{"code":${req.code},"extFields":${ext},"extFields":{}}`,
    () => `{"code":${req.code}.5}`,
    () => `{"code":${req.code},"opaque":1e400}`,
    () => `{"code":99999999999999999999}`,
    () => `[${req.code}]`,
    () => `"${req.code}"`,
    () => `null`,
    () => `{}`,
    () => `{"code":${req.code},"extFields":"topic=x"}`,
    () => `{"code":${req.code},"extFields":[1,2,3]}`,
    () => `{"code":${req.code},"extFields":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
    () => `{"code":${req.code},"extFields":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
    () => `{"code":${req.code},"extFields":${ext}`,
    () => `{"code":${req.code},"extFields":${ext}}}}}`,
    () => `{'code':${req.code}}`,
    () => `{"code":${req.code},"extFields":${ext.slice(0, int(rnd, ext.length))}`,
    () => `\ufeff{"code":${req.code}}`,
    () => `{"code":${req.code},"extFields":{"\\ud800":"\\udfff","\\u0000":"\\u0000"}}`,
  ];
  return Buffer.from(pick(rnd, variants)(), 'utf8');
}

/** Binary headers whose inner lengths lie. */
function oddBinaryHeader(rnd: Rnd, req: Req): Buffer {
  const h = binaryHeader({ ...req, opaque: 1 });
  const at = pick(rnd, [13, 17 + 0, h.length - 4, 21, 21 + 2]); // remarkLen, extLen (no remark), near the end, first key/value length
  const b = Buffer.from(h);
  if (at + 4 <= b.length) b.writeInt32BE(pick(rnd, [-1, 2 ** 31 - 1, b.length, b.length + 1, int(rnd, 2 ** 31)]), at);
  else if (at + 2 <= b.length) b.writeInt16BE(pick(rnd, [-1, 32767]), at);
  return b.subarray(0, chance(rnd, 0.2) ? int(rnd, b.length) : b.length);
}

/** extFields of 50 to 950 entries, still under remotingHeaderMaxFields (1000); built once, they are costly to build. */
const MANY_FIELDS: ReadonlyArray<ReadonlyArray<readonly [string, string]>> = (() => {
  const rnd = (() => {
    let a = 0x5eed;
    return () => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 4294967296);
  })();
  return [50, 200, 500, 800, 950].map((n) => Array.from({ length: n }, (_, i) => [`f${i}_${int(rnd, 1e6)}`, String(int(rnd, 2 ** 31))] as const));
})();

export interface HardFrame {
  target: Target;
  frame: Buffer;
  kind: string;
}

/** A mutation that may break the frame or its header: the connection may be closed by it. */
export function hardFrame(rnd: Rnd): HardFrame {
  const { target, req } = seedRequest(rnd);
  const st = chance(rnd, 0.3) ? 1 : 0;
  const frame = Buffer.from(encode({ ...req, opaque: int(rnd, 2 ** 31) }, st));
  const r = int(rnd, 10);
  switch (r) {
    case 0: case 1: {
      for (let n = 1 + int(rnd, 8); n > 0; n--) {
        const i = int(rnd, frame.length);
        frame[i] ^= 1 << int(rnd, 8);
      }
      return { target, frame, kind: 'bit flips' };
    }
    case 2: {
      const len = frame.readInt32BE(0);
      frame.writeInt32BE(pick(rnd, [0, 1, 3, 4, -1, -2147483648, 2147483647, len - 1, len - int(rnd, len), len + 1, len + int(rnd, 1000), 16 * 1024 * 1024 - 4, 16 * 1024 * 1024 - 3, int(rnd, 2 ** 31)]) | 0, 0);
      return { target, frame, kind: 'length field' };
    }
    case 3:
      return { target, frame: frame.subarray(0, int(rnd, frame.length)), kind: 'truncated' };
    case 4: {
      const hl = frame.readUInt32BE(4) & 0xffffff;
      const newHl = pick(rnd, [0, 1, hl + 1, frame.length, 0xffffff, int(rnd, 0x1000000)]);
      frame.writeUInt32BE((((frame[4] << 24) >>> 0) | newHl) >>> 0, 4);
      return { target, frame, kind: 'header length' };
    }
    case 5:
      frame[4] = 2 + int(rnd, 254);
      return { target, frame, kind: 'serialize type' };
    case 6:
      return { target, frame: frameOf(oddJsonHeader(rnd, req), req.body, 0), kind: 'JSON garbage' };
    case 7: {
      const header = jsonHeader({ ...req, opaque: 1 });
      for (let n = 1 + int(rnd, 6); n > 0; n--) header[int(rnd, header.length)] = pick(rnd, [0x7b, 0x7d, 0x22, 0x5c, 0x3a, 0x2c, 0x00, 0xff, 0xc3, int(rnd, 256)]);
      return { target, frame: frameOf(header, req.body, 0), kind: 'JSON bytes replaced' };
    }
    case 8:
      return { target, frame: frameOf(oddBinaryHeader(rnd, req), req.body, 1), kind: 'binary header lengths' };
    default: {
      const bytes = randomBytes(rnd, 1 + int(rnd, pick(rnd, [16, 256, 8192])));
      // Half of them start with a plausible length, so the rest is taken as a header.
      if (chance(rnd, 0.5) && bytes.length >= 8) bytes.writeInt32BE(bytes.length - 4, 0);
      return { target: chance(rnd, 0.5) ? 'broker' : 'namesrv', frame: bytes, kind: 'random bytes' };
    }
  }
}
