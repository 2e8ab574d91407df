import { type RemotingCommand, SerializeType, bodyLength } from './command.js';
import { decodeJsonHeader, encodeJsonHeader } from './header-json.js';
import { decodeBinaryHeader, encodeBinaryHeaderAt } from './header-binary.js';
import { REMOTING_LIMIT_DEFAULTS, remotingTotals, type RemotingLimits } from './limits-state.js';

/** NettyDecoder's default maxFrameLength (system property com.rocketmq.remoting.frameMaxLength). */
export const FRAME_MAX_BYTES_DEFAULT = REMOTING_LIMIT_DEFAULTS.frameMaxLength;

/**
 * A peer sent something that ends its connection. `kind` is the short category the client-problem log
 * counts it under; the message says what was wrong.
 */
export class FrameError extends Error {
  constructor(message: string, readonly kind = 'bad frame') {
    super(message);
  }
}

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


/**
 * Decodes the bytes after the length field: header type+length, header, body. A header longer than
 * `headerMaxBytes` is refused before it is parsed, and one with more than `headerMaxFields` extFields
 * while it is, so one frame cannot hold the event loop in a huge parse.
 */
export function decodeFrameContent(
  frame: Buffer,
  headerMaxBytes: number = REMOTING_LIMIT_DEFAULTS.remotingHeaderMaxBytes,
  headerMaxFields: number = REMOTING_LIMIT_DEFAULTS.remotingHeaderMaxFields,
): RemotingCommand {
  if (frame.length < 4) throw new FrameError('frame shorter than its header length field');
  const mark = frame.readUInt32BE(0);
  const type = mark >>> 24;
  const headerLength = mark & 0xffffff;
  checkHeaderLength(headerLength, headerMaxBytes);
  if (4 + headerLength > frame.length) throw new FrameError(`header length ${headerLength} exceeds frame of ${frame.length}`);
  const headerBuf = frame.subarray(4, 4 + headerLength);
  // A frame's body is a view of the received bytes, not a copy.
  const body = frame.length > 4 + headerLength ? frame.subarray(4 + headerLength) : undefined;
  try {
    if (type === SerializeType.JSON) return decodeJsonHeader(headerBuf, SerializeType.JSON, body, headerMaxFields);
    if (type === SerializeType.ROCKETMQ) return decodeBinaryHeader(headerBuf, SerializeType.ROCKETMQ, body, headerMaxFields);
  } catch (e) {
    throw new FrameError(`bad header: ${(e as Error).message}`);
  }
  throw new FrameError(`bad header: unknown serialize type ${type}`);
}

function checkHeaderLength(headerLength: number, headerMaxBytes: number): void {
  if (headerLength > headerMaxBytes) {
    throw new FrameError(`header of ${headerLength} bytes exceeds remotingHeaderMaxBytes ${headerMaxBytes}`, 'header too large');
  }
}

/** First allocation for a frame that did not arrive whole: small, so a length prefix alone costs little. */
const PARTIAL_MIN_BYTES = 4096;
/**
 * An unfinished frame announced at least this long grows inside one resizable ArrayBuffer, which V8 maps
 * from the OS page by page and unmaps when it is collected, instead of in malloc'd buffers. glibc serves
 * a malloc over 128 KiB with a mapping of its own, but once such a mapping is freed it raises that
 * threshold to the freed size (up to 32 MiB), so the next large buffers come from its heap and stay in
 * RSS after they are freed while anything live sits above them: measured with 40 connections holding
 * unfinished 16 MiB frames under CPU load, RSS stayed +99 MiB over baseline after a forced GC in 1 run of
 * 8 (+12 MiB at most with the threshold pinned). Below this size the mapping costs more than it saves
 * (about 25 µs to create, against 2 µs for a 64 KiB Buffer), and such buffers cannot raise the threshold far.
 */
const RESIZABLE_FRAME_MIN_BYTES = 1024 * 1024;

export type DecoderLimits = Pick<RemotingLimits, 'frameMaxLength' | 'remotingHeaderMaxBytes' | 'remotingHeaderMaxFields' | 'pendingFrameBytesTotalMax'>;

/**
 * Splits a byte stream into frames. Feed it chunks as they arrive; it calls `onCommand` for each whole
 * frame and throws FrameError on a malformed or oversized one (the caller then closes the connection,
 * and must call `release`).
 *
 * Frames that lie whole inside a chunk are decoded from views of it, with no copy (normal traffic). A
 * frame split across chunks is copied, once its length is known, into one buffer of its own that grows
 * by doubling up to that length: each byte is copied once from its chunk and the regrowths copy less than
 * the frame's size again, however finely it is split; the buffer's size follows what has arrived rather
 * than what the prefix claims; and no socket chunk is referenced after `push` returns, except by views of
 * the whole frames it held. Every buffer allocated for the unfinished frame counts against
 * pendingFrameBytesTotalMax until the frame is done, the ones a regrowth replaced too: they are garbage
 * only once V8 collects them, so counting them keeps the cap a bound on memory actually held, not just on
 * the live buffer (the live one is at most twice what has arrived, all of them together at most twice that).
 * A large frame grows in place instead (RESIZABLE_FRAME_MIN_BYTES): nothing is replaced or copied again,
 * and it counts what it has grown to.
 */
export class FrameDecoder {
  /** Bytes of a length prefix split across chunks (the frame's buffer is not allocated until it is whole). */
  private readonly prefix = Buffer.alloc(4);
  private prefixFill = 0;
  /** The unfinished frame, without its length prefix; `filled` bytes of it have arrived. */
  private frame?: Buffer;
  /** The resizable memory `frame` views, for a large frame (RESIZABLE_FRAME_MIN_BYTES). */
  private memory?: ArrayBuffer;
  private frameLength = 0;
  private filled = 0;
  /**
   * Bytes counted for the unfinished frame: the buffers allocated for it (the live one and those regrowths
   * replaced), or for a large frame what its resizable memory has grown to.
   */
  private allocated = 0;
  private headerChecked = false;
  private released = false;
  /** Counts frames that stayed unfinished at the end of a push, so a watcher can tell a new one from an old. */
  partialSeq = 0;
  private readonly limits: DecoderLimits;

  constructor(
    private readonly onCommand: (cmd: RemotingCommand) => void,
    limits: number | Partial<DecoderLimits> = {},
  ) {
    const given = typeof limits === 'number' ? { frameMaxLength: limits } : limits;
    this.limits = { ...REMOTING_LIMIT_DEFAULTS, ...given };
  }

  /** A frame has started and is not whole (its length prefix included). */
  get hasPartial(): boolean {
    return this.prefixFill > 0 || this.frame !== undefined;
  }

  /** Bytes allocated for the unfinished frame (counted in remotingTotals.pendingFrameBytes). */
  get heldBytes(): number {
    return this.frame ? this.allocated : 0;
  }

  push(chunk: Buffer): void {
    if (this.released) return;
    let p = this.hasPartial ? this.continuePartial(chunk) : 0;
    const n = chunk.length;
    while (n - p >= 4 && !this.released && !this.hasPartial) {
      const length = chunk.readInt32BE(p);
      this.checkLength(length);
      const end = p + 4 + length;
      if (end > n) {
        this.beginFrame(length, chunk, p + 4);
        this.partialSeq++;
        return;
      }
      this.emit(chunk.subarray(p + 4, end));
      p = end;
    }
    if (p < n && !this.released) {
      chunk.copy(this.prefix, 0, p, n);
      this.prefixFill = n - p;
      this.partialSeq++;
    }
  }

  /** Drops the unfinished frame and its share of the process total; the decoder takes nothing after this. */
  release(): void {
    this.released = true;
    this.dropFrame();
    this.prefixFill = 0;
  }

  /** Feeds the unfinished frame from the start of `chunk`; returns how many bytes of it were used. */
  private continuePartial(chunk: Buffer): number {
    let p = 0;
    if (!this.frame) {
      p = Math.min(4 - this.prefixFill, chunk.length);
      chunk.copy(this.prefix, this.prefixFill, 0, p);
      this.prefixFill += p;
      if (this.prefixFill < 4) return p;
      this.prefixFill = 0;
      const length = this.prefix.readInt32BE(0);
      this.checkLength(length);
      if (chunk.length - p >= length) {
        // Only the prefix was split: the rest is whole in this chunk and decodes from a view of it.
        this.emit(chunk.subarray(p, p + length));
        return p + length;
      }
      this.beginFrame(length, chunk, p);
      return chunk.length;
    }
    const take = Math.min(this.frameLength - this.filled, chunk.length);
    this.append(chunk, 0, take);
    if (this.filled < this.frameLength) return take;
    const whole = this.frame;
    this.dropFrame();
    this.emit(whole);
    return take;
  }

  /** Starts an unfinished frame of `length` bytes with what `chunk` holds of it from `from`. */
  private beginFrame(length: number, chunk: Buffer, from: number): void {
    this.frameLength = length;
    this.filled = 0;
    this.headerChecked = false;
    this.allocated = 0;
    const size = Math.min(length, Math.max(PARTIAL_MIN_BYTES, chunk.length - from));
    if (length >= RESIZABLE_FRAME_MIN_BYTES) {
      this.count(size);
      this.memory = new ArrayBuffer(size, { maxByteLength: length });
      this.frame = Buffer.from(this.memory);
    } else {
      this.frame = this.allocate(size);
    }
    this.append(chunk, from, chunk.length);
  }

  private append(chunk: Buffer, from: number, to: number): void {
    const need = this.filled + (to - from);
    let frame = this.frame!;
    if (need > frame.length) {
      const size = Math.min(this.frameLength, Math.max(need, frame.length * 2));
      const memory = this.memory;
      if (memory) {
        // In place: the bytes already written stay where they are, and nothing is left for the GC.
        this.count(size - frame.length);
        memory.resize(size);
        this.frame = frame = Buffer.from(memory, 0, size);
      } else {
        const grown = this.allocate(size);
        frame.copy(grown, 0, 0, this.filled);
        this.frame = frame = grown;
      }
    }
    chunk.copy(frame, this.filled, from, to);
    this.filled = need;
    if (!this.headerChecked && this.filled >= 4) {
      // The header's length is known from the frame's first 4 bytes: refuse an oversized one now,
      // before the rest of the frame is waited for and held.
      this.headerChecked = true;
      checkHeaderLength(frame.readUInt32BE(0) & 0xffffff, this.limits.remotingHeaderMaxBytes);
    }
  }

  /** A buffer of `size` bytes for the unfinished frame, counted in the process total of unfinished frames. */
  private allocate(size: number): Buffer {
    this.count(size);
    // Uninitialised is safe: the frame is handed on only once all of it is written (it never grows past
    // the frame's length, so a whole frame fills it exactly).
    return Buffer.allocUnsafe(size);
  }

  /** Counts `size` more bytes held for the unfinished frame, refusing them past pendingFrameBytesTotalMax. */
  private count(size: number): void {
    const total = remotingTotals.pendingFrameBytes + size;
    if (total > this.limits.pendingFrameBytesTotalMax) {
      throw new FrameError(
        `unfinished frames of all connections would hold ${total} bytes, over pendingFrameBytesTotalMax ${this.limits.pendingFrameBytesTotalMax}`,
        'unfinished frames over total',
      );
    }
    remotingTotals.pendingFrameBytes = total;
    this.allocated += size;
  }

  private dropFrame(): void {
    if (!this.frame) return;
    remotingTotals.pendingFrameBytes -= this.allocated;
    this.allocated = 0;
    this.frame = undefined;
    this.memory = undefined;
  }

  private checkLength(length: number): void {
    const max = this.limits.frameMaxLength;
    if (length < 4 || length + 4 > max) throw new FrameError(`frame length ${length} outside [4, ${max - 4}]`);
  }

  private emit(frame: Buffer): void {
    this.onCommand(decodeFrameContent(frame, this.limits.remotingHeaderMaxBytes, this.limits.remotingHeaderMaxFields));
  }
}
