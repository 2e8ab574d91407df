import { describe, test, expect } from 'vitest';
import { FrameDecoder, FrameError, encodeFrameToBuffer } from '../../src/remoting/frame.js';
import { type RemotingCommand, SerializeType } from '../../src/remoting/command.js';

// Java 4.9.8 GET_ROUTEINFO_BY_TOPIC, opaque 0, JSON header (bytes captured from the real client).
const JAVA_JSON_HEADER = '{"code":105,"extFields":{"topic":"TopicTest"},"flag":0,"language":"JAVA","opaque":0,"serializeTypeCurrentRPC":"JSON","version":409}';
const javaFrame = (): Buffer => {
  const h = Buffer.from(JAVA_JSON_HEADER);
  const b = Buffer.alloc(8);
  b.writeInt32BE(4 + h.length, 0);
  b.writeInt32BE(h.length, 4);
  return Buffer.concat([b, h]);
};

function collect(chunks: Buffer[], max?: number): RemotingCommand[] {
  const out: RemotingCommand[] = [];
  const d = new FrameDecoder((c) => out.push(c), max);
  for (const c of chunks) d.push(c);
  return out;
}

describe('FrameDecoder', () => {
  test('decodes the Java JSON request and its first 8 bytes match the capture', () => {
    const f = javaFrame();
    expect(f.subarray(0, 8).toString('hex')).toBe('0000008700000083');
    const [cmd] = collect([f]);
    expect(cmd).toMatchObject({ code: 105, opaque: 0, flag: 0, language: 'JAVA', version: 409, extFields: { topic: 'TopicTest' } });
    expect(cmd.body).toBeUndefined();
  });

  // ROCKETMQ binary: code 105, opaque 1, version 409, extFields {topic:"T"} (bytes captured from the real client).
  test('decodes the verified ROCKETMQ binary request', () => {
    const frame = Buffer.from('00000025' + '01000021' + '0069' + '00' + '0199' + '00000001' + '00000000' + '00000000' + '0000000c' + '0005' + '746f706963' + '00000001' + '54', 'hex');
    const [cmd] = collect([frame]);
    expect(cmd).toMatchObject({ code: 105, opaque: 1, version: 409, language: 'JAVA', serializeType: SerializeType.ROCKETMQ, extFields: { topic: 'T' } });
    // and our encoder writes exactly those bytes back
    expect(encodeFrameToBuffer(cmd).toString('hex')).toBe(frame.toString('hex'));
  });

  test('binary header strings: ASCII, non-ASCII after ASCII, long and empty values come back as written', () => {
    const extFields = {
      k: 'v', ascii: 'DefaultRegion', 'clé': 'x', late: 'abcdefé', cjk: '中文', long: 'L'.repeat(200), longMixed: 'é'.repeat(70), empty: '',
      edge64: 'e'.repeat(64), edge65: 'e'.repeat(65),
    };
    const cmd: RemotingCommand = { code: 0, language: 'JAVA', version: 399, opaque: 5, flag: 1, remark: 'ok', extFields, serializeType: SerializeType.ROCKETMQ };
    const [got] = collect([encodeFrameToBuffer(cmd)]);
    // An empty value is skipped on decode, as RocketMQSerializable does.
    const { empty: _empty, ...rest } = extFields;
    expect(got.extFields).toEqual(rest);
  });

  test('a stream split at every byte yields the same commands', () => {
    const body = Buffer.from('hello body');
    const cmds: RemotingCommand[] = [
      { code: 310, language: 'JAVA', version: 409, opaque: 7, flag: 0, extFields: { a: 'g', b: 'TopicA' }, body, serializeType: SerializeType.JSON },
      { code: 11, language: 'GO', version: 317, opaque: 8, flag: 2, remark: 'r 中', extFields: { x: 'y' }, body, serializeType: SerializeType.ROCKETMQ },
    ];
    const stream = Buffer.concat([...cmds.map(encodeFrameToBuffer), javaFrame()]);
    for (let cut = 1; cut < stream.length; cut++) {
      const got = collect([stream.subarray(0, cut), stream.subarray(cut)]);
      expect(got).toHaveLength(3);
      expect(got[1].remark).toBe('r 中');
      expect(got[1].body?.toString()).toBe('hello body');
    }
    const bytes = [...stream].map((b) => Buffer.from([b]));
    expect(collect(bytes).map((c) => c.code)).toEqual([310, 11, 105]);
  });

  test('random chunk sizes', () => {
    const frames = Array.from({ length: 50 }, (_, i) =>
      encodeFrameToBuffer({ code: i, language: 'JAVA', version: 409, opaque: i, flag: 0, body: Buffer.alloc(i * 37, i), serializeType: (i % 2) as 0 | 1 }),
    );
    const stream = Buffer.concat(frames);
    let seed = 42;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const chunks: Buffer[] = [];
    for (let p = 0; p < stream.length; ) {
      const n = 1 + Math.floor(rnd() * 300);
      chunks.push(stream.subarray(p, p + n));
      p += n;
    }
    const got = collect(chunks);
    expect(got.map((c) => c.opaque)).toEqual(frames.map((_, i) => i));
    expect(got[49].body?.length).toBe(49 * 37);
  });

  test('oversized, negative and corrupt frames throw FrameError', () => {
    const big = Buffer.alloc(4);
    big.writeInt32BE(1 << 30, 0);
    expect(() => collect([big])).toThrow(FrameError);
    const neg = Buffer.from('ffffffff', 'hex');
    expect(() => collect([neg])).toThrow(FrameError);
    const badType = Buffer.from('00000008' + '05000000' + '00000000', 'hex');
    expect(() => collect([badType])).toThrow(/unknown serialize type/);
    const badJson = Buffer.concat([Buffer.from('0000000a00000006', 'hex'), Buffer.from('{"code')]);
    expect(() => collect([badJson])).toThrow(FrameError);
    const badHeaderLen = Buffer.from('00000008' + '000000ff' + '00000000', 'hex');
    expect(() => collect([badHeaderLen])).toThrow(/exceeds frame/);
    expect(() => collect([Buffer.from('0000001000000000', 'hex')], 16)).toThrow(/outside/);
  });

  test('JSON header accepts Go-style and numeric extFields values', () => {
    const h = Buffer.from('{"code":34,"language":"GO","version":317,"opaque":1,"flag":0,"remark":"","extFields":{"queueId":0,"queueOffset":12345678901,"unitMode":false}}');
    const prefix = Buffer.alloc(8);
    prefix.writeInt32BE(4 + h.length, 0);
    prefix.writeInt32BE(h.length, 4);
    const [cmd] = collect([Buffer.concat([prefix, h])]);
    expect(cmd.extFields).toEqual({ queueId: '0', queueOffset: '12345678901', unitMode: 'false' });
    expect(cmd.language).toBe('GO');
  });
});

describe('encodeFrame', () => {
  test('JSON header matches the Java error response byte for byte', () => {
    const buf = encodeFrameToBuffer({ code: 1, language: 'JAVA', version: 409, opaque: 3, flag: 1, remark: 'err "x" 中', serializeType: SerializeType.JSON });
    expect(buf.subarray(8).toString('utf8')).toBe('{"code":1,"flag":1,"language":"JAVA","opaque":3,"remark":"err \\"x\\" 中","serializeTypeCurrentRPC":"JSON","version":409}');
  });

  test('JSON request header matches the Java capture', () => {
    const buf = encodeFrameToBuffer({ code: 105, language: 'JAVA', version: 409, opaque: 0, flag: 0, extFields: { topic: 'TopicTest' }, serializeType: SerializeType.JSON });
    expect(buf.equals(javaFrame())).toBe(true);
  });
});
