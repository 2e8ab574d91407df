/**
 * Bytes read from a socket, kept as the chunks they arrived in: a frame that spans two chunks is handed
 * on as its pieces rather than copied into one buffer (the slave's hot path while it catches up).
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Bytes of chunks[0] already taken. */
  private head = 0;
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The first `n` bytes (n <= length) without taking them: a view when one chunk holds them, else a small copy. */
  peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    for (let i = 0; filled < n; i++) {
      const c = this.chunks[i];
      const from = i === 0 ? this.head : 0;
      filled += c.copy(out, filled, from, from + Math.min(n - filled, c.length - from));
    }
    return out;
  }

  /** Takes the first `n` bytes (n <= length) as the pieces of the chunks they are in, without copying. */
  take(n: number): Buffer[] {
    const pieces: Buffer[] = [];
    this.length -= n;
    while (n > 0) {
      const c = this.chunks[0];
      const avail = c.length - this.head;
      const k = Math.min(n, avail);
      pieces.push(c.subarray(this.head, this.head + k));
      n -= k;
      if (k === avail) {
        this.chunks.shift();
        this.head = 0;
      } else {
        this.head += k;
      }
    }
    return pieces;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.length = 0;
  }
}
