import { describe, test, expect, afterEach } from 'vitest';
import { FrameDecoder, FrameError, decodeFrameContent, encodeFrameToBuffer, type DecoderLimits } from '../../src/remoting/frame.js';
import { type RemotingCommand, SerializeType } from '../../src/remoting/command.js';
import { remotingMemoryStats } from '../../src/remoting/limits-state.js';
import { prng } from '../support/prng.js';

function decoder(limits: Partial<DecoderLimits> = {}): { d: FrameDecoder; out: RemotingCommand[] } {
  const out: RemotingCommand[] = [];
  // Bodies are copied as they come out: a view must be good at least until onCommand returns.
  const d = new FrameDecoder((c) => out.push({ ...c, body: c.body ? Buffer.from(c.body as Buffer) : undefined }), limits);
  return { d, out };
}

/** Commands as one comparable string (deep equality on large Buffers is slow). */
const digest = (cmds: RemotingCommand[]): string =>
  JSON.stringify(cmds.map((c) => ({ ...c, body: c.body ? (c.body as Buffer).toString('base64') : null })));

/** Pushes each piece as a fresh buffer and scribbles over it afterwards: nothing may still read it. */
function pushScribbled(d: FrameDecoder, stream: Buffer, cuts: number[]): void {
  let p = 0;
  for (const c of [...cuts, stream.length]) {
    const piece = Buffer.from(stream.subarray(p, c));
    d.push(piece);
    piece.fill(0xee);
    p = c;
  }
}

const randomCommand = (rnd: () => number, i: number): RemotingCommand => {
  const ext: Record<string, string> = {};
  for (let k = Math.floor(rnd() * 6); k > 0; k--) ext[`k${k}`] = 'v'.repeat(Math.floor(rnd() * 40)) + '中';
  const bodyLen = rnd() < 0.3 ? 0 : Math.floor(rnd() ** 3 * 20_000);
  const body = Buffer.alloc(bodyLen);
  for (let b = 0; b < bodyLen; b++) body[b] = (b * 31 + i) & 0xff;
  return {
    code: Math.floor(rnd() * 400), language: 'JAVA', version: 409, opaque: i, flag: 0,
    remark: rnd() < 0.2 ? `remark ${i}` : undefined,
    extFields: Object.keys(ext).length ? ext : undefined,
    body: bodyLen ? body : undefined,
    serializeType: rnd() < 0.5 ? SerializeType.JSON : SerializeType.ROCKETMQ,
  };
};

afterEach(() => {
  // Every test releases what it held: the process total is back to nothing.
  expect(remotingMemoryStats().pendingFrameBytes).toBe(0);
});

describe('frame assembly', () => {
  test('a 2 MiB frame pushed one byte at a time decodes, holding about its size and no chunk', () => {
    const body = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    const stream = encodeFrameToBuffer({ code: 310, language: 'JAVA', version: 409, opaque: 9, flag: 0, extFields: { a: 'b' }, body, serializeType: SerializeType.ROCKETMQ });
    const { d, out } = decoder();
    let maxHeld = 0;
    const one = Buffer.alloc(1);
    for (let i = 0; i < stream.length; i++) {
      // The same one-byte buffer every time, rewritten between pushes: a decoder keeping it would decode garbage.
      one[0] = stream[i];
      d.push(one);
      if ((i & 0xfff) === 0) maxHeld = Math.max(maxHeld, d.heldBytes, remotingMemoryStats().pendingFrameBytes);
    }
    expect(out).toHaveLength(1);
    expect((out[0].body as Buffer).equals(body)).toBe(true);
    // Counted: what the frame's buffer has grown to (in place at this size), under twice the frame.
    expect(maxHeld).toBeLessThanOrEqual(2 * stream.length);
    expect(maxHeld).toBeGreaterThan(body.length / 2);
    expect(d.heldBytes).toBe(0);
  });

  test('a frame of 1 MiB or more grows in place: it never counts more than its own length, and the cap holds', () => {
    const MIB = 1024 * 1024;
    const body = Buffer.alloc(4 * MIB);
    for (let i = 0; i < body.length; i++) body[i] = (i * 13) & 0xff;
    const stream = encodeFrameToBuffer({ code: 310, language: 'JAVA', version: 409, opaque: 3, flag: 0, body, serializeType: SerializeType.ROCKETMQ });
    const { d, out } = decoder();
    let maxHeld = 0;
    // Buffers replaced by regrowths would add up to about twice the frame (4 + 2 + 1 + ... MiB); in place, none are.
    pushScribbled(d, stream, Array.from({ length: Math.floor(stream.length / 65_536) }, (_, i) => (i + 1) * 65_536));
    expect(out).toHaveLength(1);
    expect((out[0].body as Buffer).equals(body)).toBe(true);
    const e = decoder();
    for (let p = 0; p < stream.length - 65_536; p += 65_536) {
      e.d.push(Buffer.from(stream.subarray(p, p + 65_536)));
      maxHeld = Math.max(maxHeld, e.d.heldBytes);
      expect(e.d.heldBytes).toBeLessThanOrEqual(Math.max(2 * (p + 65_536), 4096));
    }
    expect(maxHeld).toBeLessThanOrEqual(stream.length - 4);
    expect(maxHeld).toBeGreaterThan(2 * MIB);
    e.d.release();
    // The process-wide cap counts the large path too: a second large frame past it is refused.
    const limits = { pendingFrameBytesTotalMax: 3 * MIB };
    const a = decoder(limits);
    const b = decoder(limits);
    a.d.push(stream.subarray(0, 2 * MIB));
    let err: unknown;
    try {
      b.d.push(stream.subarray(0, 2 * MIB));
    } catch (x) {
      err = x;
    }
    expect((err as FrameError).kind).toBe('unfinished frames over total');
    b.d.release();
    a.d.release();
  });

  test('a length prefix claiming 16 MiB costs what was sent, not what was claimed', () => {
    const { d } = decoder();
    const liar = Buffer.alloc(12);
    liar.writeInt32BE(16 * 1024 * 1024 - 8, 0);
    liar.writeInt32BE(20, 4);
    d.push(liar);
    expect(d.hasPartial).toBe(true);
    expect(d.heldBytes).toBeLessThanOrEqual(4096);
    expect(remotingMemoryStats().pendingFrameBytes).toBe(d.heldBytes);
    d.push(Buffer.alloc(100_000));
    expect(d.heldBytes).toBeLessThanOrEqual(2 * 100_008);
    d.release();
    expect(d.heldBytes).toBe(0);
  });

  test('streams split at random boundaries decode as the unsplit stream (seeded)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rnd = prng(seed);
      const cmds = Array.from({ length: 1 + Math.floor(rnd() * 12) }, (_, i) => randomCommand(rnd, i));
      const stream = Buffer.concat(cmds.map(encodeFrameToBuffer));
      const whole = decoder();
      whole.d.push(stream);
      expect(whole.out).toHaveLength(cmds.length);
      expect(whole.out.map((c) => c.opaque)).toEqual(cmds.map((c) => c.opaque));
      for (let round = 0; round < 20; round++) {
        const cuts: number[] = [];
        // Mostly small pieces near frame edges, sometimes large ones.
        for (let p = 0; ; ) {
          p += 1 + Math.floor(rnd() < 0.5 ? rnd() * 8 : rnd() * 3000);
          if (p >= stream.length) break;
          cuts.push(p);
        }
        const split = decoder();
        pushScribbled(split.d, stream, cuts);
        expect(digest(split.out), `seed ${seed} round ${round}`).toBe(digest(whole.out));
        expect(split.d.hasPartial).toBe(false);
      }
    }
  });

  test('every single cut point of a mixed stream decodes identically', () => {
    const rnd = prng(77);
    const cmds = Array.from({ length: 5 }, (_, i) => ({ ...randomCommand(rnd, i), body: Buffer.alloc(i * 13 + 1, i) }));
    const stream = Buffer.concat(cmds.map(encodeFrameToBuffer));
    const whole = decoder();
    whole.d.push(stream);
    const expected = digest(whole.out);
    expect(whole.out).toHaveLength(5);
    for (let a = 1; a < stream.length; a++) {
      const split = decoder();
      pushScribbled(split.d, stream, [a]);
      expect(digest(split.out)).toBe(expected);
      // and a second cut a few bytes after (a prefix split right after a frame completes)
      const b = Math.min(stream.length - 1, a + 1 + (a % 5));
      if (b > a) {
        const split2 = decoder();
        pushScribbled(split2.d, stream, [a, b]);
        expect(digest(split2.out)).toBe(expected);
      }
    }
  });

  test('a whole frame inside one chunk is decoded from a view of it (no copy)', () => {
    const body = Buffer.alloc(1000, 3);
    const chunk = encodeFrameToBuffer({ code: 1, language: 'JAVA', version: 1, opaque: 1, flag: 0, body, serializeType: SerializeType.ROCKETMQ });
    let got: RemotingCommand | undefined;
    new FrameDecoder((c) => (got = c)).push(chunk);
    expect((got!.body as Buffer).buffer).toBe(chunk.buffer);
  });

  test('the process-wide cap on unfinished frames closes the connection that would pass it', () => {
    const limits = { pendingFrameBytesTotalMax: 100_000 };
    const a = decoder(limits);
    const b = decoder(limits);
    const start = (n: number): Buffer => {
      const p = Buffer.alloc(n);
      p.writeInt32BE(1_000_000, 0);
      p.writeInt32BE(10, 4);
      return p;
    };
    a.d.push(start(60_000));
    expect(a.d.heldBytes).toBeGreaterThanOrEqual(60_000 - 4);
    let err: unknown;
    try {
      b.d.push(start(60_000));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FrameError);
    expect((err as FrameError).kind).toBe('unfinished frames over total');
    b.d.release();
    expect(remotingMemoryStats().pendingFrameBytes).toBe(a.d.heldBytes);
    a.d.release();
  });
});

describe('header caps', () => {
  const binaryWithFields = (n: number): Buffer => {
    const ext: Record<string, string> = {};
    for (let i = 0; i < n; i++) ext[`f${i}`] = 'x';
    return encodeFrameToBuffer({ code: 1, language: 'JAVA', version: 1, opaque: 1, flag: 0, extFields: ext, serializeType: SerializeType.ROCKETMQ });
  };
  const jsonWithFields = (n: number): Buffer => {
    const ext: Record<string, string> = {};
    for (let i = 0; i < n; i++) ext[`f${i}`] = 'x';
    return encodeFrameToBuffer({ code: 1, language: 'JAVA', version: 1, opaque: 1, flag: 0, extFields: ext, serializeType: SerializeType.JSON });
  };

  test('more extFields than remotingHeaderMaxFields is refused, binary and JSON; at the cap is fine', () => {
    for (const make of [binaryWithFields, jsonWithFields]) {
      expect(decodeFrameContent(make(50).subarray(4), 1 << 20, 50).extFields).toHaveProperty('f49');
      expect(() => decodeFrameContent(make(51).subarray(4), 1 << 20, 50)).toThrow(/more than 50 extFields/);
    }
  });

  test('a header longer than remotingHeaderMaxBytes is refused before it is parsed', () => {
    // Not valid JSON at all: refused for its size, so the parser never saw it.
    const h = Buffer.alloc(5000, 0x7b);
    const frame = Buffer.alloc(8 + h.length);
    frame.writeInt32BE(4 + h.length, 0);
    frame.writeInt32BE(h.length, 4);
    h.copy(frame, 8);
    const err = (() => {
      try {
        decodeFrameContent(frame.subarray(4), 4096, 1000);
      } catch (e) {
        return e as FrameError;
      }
    })();
    expect(err).toBeInstanceOf(FrameError);
    expect(err?.kind).toBe('header too large');
    // Under a larger cap the same header reaches the parser, which refuses it for what it is.
    expect(() => decodeFrameContent(frame.subarray(4), 8192, 1000)).toThrow(/bad header: .*JSON/);
  });

  test('an unfinished frame announcing an oversized header is refused on its first 8 bytes', () => {
    const { d } = decoder({ remotingHeaderMaxBytes: 4096 });
    const head = Buffer.alloc(8);
    head.writeInt32BE(10_000_000, 0);
    head.writeInt32BE(9_000_000, 4);
    expect(() => d.push(head)).toThrow(/remotingHeaderMaxBytes/);
    d.release();
  });
});
