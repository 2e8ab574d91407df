/**
 * Asks the server's V8 for a full garbage collection through the inspector (the server runs with
 * --inspect=127.0.0.1:0 in this suite): a minimal WebSocket client sending the DevTools protocol's
 * HeapProfiler.collectGarbage.
 *
 * Why: an idle Node process may keep dead buffers for a minute before idle-time collection gets to them
 * (measured after a never-reading client: +45 MiB of dead reply buffers, gone only after 15 to 51 s). The
 * suite checks that memory is not held, not when V8 chooses to collect; after this call, what RSS still
 * shows is held by the server (or kept by the allocator).
 */
import crypto from 'node:crypto';
import net from 'node:net';

const INSPECTOR_URL = /Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)(\/[\w-]+)/;

export function inspectorUrl(output: string): { port: number; path: string } | undefined {
  const m = INSPECTOR_URL.exec(output);
  return m ? { port: Number(m[1]), path: m[2] } : undefined;
}

/** One masked client text frame (RFC 6455). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const mask = crypto.randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x81, 0x80 | len]) : Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff]);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, masked]);
}

/** Resolves once V8 reports the collection done; rejects on any failure or after timeoutMs. */
export function collectGarbage(target: { port: number; path: string }, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: target.port });
    const timer = setTimeout(() => finish(new Error(`no answer from the inspector within ${timeoutMs} ms`)), timeoutMs);
    let buf = Buffer.alloc(0);
    let upgraded = false;
    const finish = (err?: Error) => {
      clearTimeout(timer);
      s.destroy();
      if (err) reject(err);
      else resolve();
    };
    s.on('error', (e) => finish(e));
    s.on('connect', () => {
      s.write(`GET ${target.path} HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = buf.subarray(0, buf.indexOf('\r\n')).toString();
        if (!/ 101 /.test(status)) return finish(new Error(`inspector refused the upgrade: ${status}`));
        upgraded = true;
        buf = buf.subarray(end + 4);
        s.write(textFrame(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
      }
      // Server frames are unmasked: [0x81][len][payload], len 126 → 16-bit, 127 → 64-bit length.
      while (buf.length >= 2) {
        let len = buf[1] & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          off = 10;
        }
        if (buf.length < off + len) return;
        const msg = buf.subarray(off, off + len).toString('utf8');
        buf = buf.subarray(off + len);
        try {
          const o = JSON.parse(msg) as { id?: number; error?: { message: string } };
          if (o.id === 1) return finish(o.error ? new Error(`HeapProfiler.collectGarbage: ${o.error.message}`) : undefined);
        } catch {
          // not a protocol message
        }
      }
    });
  });
}
