/** Raw sockets for attacks: write bytes, see whether (and when) the server closes, count what it answered. */
import net from 'node:net';
import { hostPort } from './frames.js';
import { sleep } from './harness.js';

export interface RawOutcome {
  /** The server closed the connection (FIN or reset) before we gave up. */
  closedByServer: boolean;
  /** From the last byte written to the close; 0 when the server closed before all of it was written. */
  closedAfterMs: number | undefined;
  bytesReceived: number;
}

/** Opens a connection, resolved once connected; errors are swallowed (a reset is an outcome here). */
export function connectRaw(addr: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(hostPort(addr));
    s.setNoDelay(true);
    s.once('connect', () => {
      s.removeListener('error', reject);
      s.on('error', () => {});
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Writes `bytes` (respecting back-pressure) and waits up to waitMs for the server to close; then closes. */
export async function writeAndWatch(addr: string, bytes: Buffer | Buffer[], waitMs: number): Promise<RawOutcome> {
  const s = await connectRaw(addr);
  let received = 0;
  let closedAt: number | undefined;
  s.on('data', (d: Buffer) => (received += d.length));
  const closed = new Promise<void>((r) => s.once('close', () => {
    closedAt = Date.now();
    r();
  }));
  for (const b of Array.isArray(bytes) ? bytes : [bytes]) {
    if (closedAt !== undefined) break;
    if (!s.write(b)) await Promise.race([new Promise((r) => s.once('drain', r)), closed]);
  }
  // 'finish' would wait for the kernel: what matters is that the bytes left us.
  const wroteAt = Date.now();
  await Promise.race([closed, sleep(waitMs)]);
  const closedByServer = closedAt !== undefined;
  s.destroy();
  return { closedByServer, closedAfterMs: closedAt === undefined ? undefined : Math.max(0, closedAt - wroteAt), bytesReceived: received };
}
