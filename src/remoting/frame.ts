import { type RemotingCommand, SerializeType, bodyLength } from './command.js';
import { decodeJsonHeader, encodeJsonHeader } from './header-json.js';
import { decodeBinaryHeader, encodeBinaryHeaderAt } from './header-binary.js';

/** NettyDecoder's default maxFrameLength (system property com.rocketmq.remoting.frameMaxLength). */
export const FRAME_MAX_BYTES_DEFAULT = 16 * 1024 * 1024;

export class FrameError extends Error {}

/**
 * Encodes one command as [length][serializeType|headerLength][header][body...].
 * The body parts are returned separately so the socket can write them without a copy.
 */
export function encodeFrame(cmd: RemotingCommand): Buffer[] {
  const bodyBytes = bodyLength(cmd.body);
  let head: Buffer;
  let headerLength: number;
  if (cmd.serializeType === SerializeType.ROCKETMQ) {
    // The binary header is written after 8 spare bytes, so prefix and header leave as one buffer.
    ({ buf: head, headerLength } = encodeBinaryHeaderAt(cmd, 8));
  } else {
    const json = encodeJsonHeader(cmd);
    headerLength = json.length;
    head = Buffer.allocUnsafe(8 + headerLength);
    json.copy(head, 8);
  }
  if (headerLength > 0xffffff) throw new FrameError(`header of ${headerLength} bytes exceeds 24 bits`);
  head.writeInt32BE(4 + headerLength + bodyBytes, 0);
  head.writeInt32BE(((cmd.serializeType & 0xff) << 24) | headerLength, 4);
  const parts = [head];
  if (cmd.body) {
    if (Buffer.isBuffer(cmd.body)) {
      if (cmd.body.length) parts.push(cmd.body);
    } else {
      for (const b of cmd.body) if (b.length) parts.push(b);
    }
  }
  return parts;
}

export function encodeFrameToBuffer(cmd: RemotingCommand): Buffer {
  return Buffer.concat(encodeFrame(cmd));
}

/** Decodes the bytes after the length field: header type+length, header, body. */
export function decodeFrameContent(frame: Buffer): RemotingCommand {
  if (frame.length < 4) throw new FrameError('frame shorter than its header length field');
  const mark = frame.readUInt32BE(0);
  const type = mark >>> 24;
  const headerLength = mark & 0xffffff;
  if (4 + headerLength > frame.length) throw new FrameError(`header length ${headerLength} exceeds frame of ${frame.length}`);
  const headerBuf = frame.subarray(4, 4 + headerLength);
  // A frame's body is a view of the received bytes, not a copy.
  const body = frame.length > 4 + headerLength ? frame.subarray(4 + headerLength) : undefined;
  try {
    if (type === SerializeType.JSON) return decodeJsonHeader(headerBuf, SerializeType.JSON, body);
    if (type === SerializeType.ROCKETMQ) return decodeBinaryHeader(headerBuf, SerializeType.ROCKETMQ, body);
  } catch (e) {
    throw new FrameError(`bad header: ${(e as Error).message}`);
  }
  throw new FrameError(`bad header: unknown serialize type ${type}`);
}

/**
 * Splits a byte stream into frames. Feed it chunks as they arrive; it calls `onCommand`
 * for each whole frame and throws FrameError on a malformed or oversized one.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(
    private readonly onCommand: (cmd: RemotingCommand) => void,
    private readonly maxFrameBytes = FRAME_MAX_BYTES_DEFAULT,
  ) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const length = this.peekLength();
      if (length < 4 || length + 4 > this.maxFrameBytes) {
        throw new FrameError(`frame length ${length} outside [4, ${this.maxFrameBytes - 4}]`);
      }
      if (this.buffered < 4 + length) return;
      const frame = this.take(4 + length).subarray(4);
      this.onCommand(decodeFrameContent(frame));
    }
  }

  private peekLength(): number {
    const first = this.chunks[0];
    if (first.length >= 4) return first.readInt32BE(0);
    return this.flatten().readInt32BE(0);
  }

  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0];
  }

  private take(n: number): Buffer {
    let first = this.chunks[0];
    if (first.length < n) first = this.flatten();
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}
