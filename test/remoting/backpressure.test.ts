import { describe, test, expect, afterEach } from 'vitest';
import net from 'node:net';
import { RemotingServer } from '../../src/remoting/server.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, createResponse } from '../../src/remoting/command.js';
import { encodeFrameToBuffer } from '../../src/remoting/frame.js';
import { remotingMemoryStats, type RemotingLimits } from '../../src/remoting/limits-state.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const servers: RemotingServer[] = [];
const sockets: net.Socket[] = [];
const clients: RemotingClient[] = [];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(5)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}

/**
 * A server that answers every request with `replyBytes` of body (one shared buffer, so the test itself
 * allocates little), at once or on a later macrotask like a held pull; `handled` counts the requests.
 */
async function serve(limits: Partial<RemotingLimits>, replyBytes: number, later = false): Promise<{ server: RemotingServer; handled: () => number }> {
  const body = Buffer.alloc(replyBytes, 1);
  let handled = 0;
  const server = new RemotingServer({ host: '127.0.0.1', port: 0, limits }, (conn, req) => {
    handled++;
    const reply = (): void => void conn.send(createResponse(req, 0, undefined, undefined, req.code === 1 ? body : undefined));
    if (later) setImmediate(reply);
    else reply();
  });
  await server.listen();
  servers.push(server);
  return { server, handled: () => handled };
}

/** A client that writes `n` pipelined requests and does not read its socket. */
async function neverReads(port: number, n: number): Promise<net.Socket> {
  const s = net.connect({ host: '127.0.0.1', port });
  sockets.push(s);
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  s.pause();
  s.write(Buffer.concat(Array.from({ length: n }, (_, i) => encodeFrameToBuffer({ ...createRequest(1), opaque: i }))));
  return s;
}

/** A normal client: `n` concurrent requests, each answered. */
async function normalClientServed(port: number, n: number): Promise<void> {
  const c = new RemotingClient();
  clients.push(c);
  const res = await Promise.all(Array.from({ length: n }, () => c.invoke(`127.0.0.1:${port}`, createRequest(2), 5000)));
  expect(res.every((r) => r.code === 0)).toBe(true);
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.close();
  // A closed connection's unsent replies and pause leave the process totals.
  await until('totals back to 0', () => remotingMemoryStats().writeBufferBytes === 0 && remotingMemoryStats().pausedConnections === 0, 2000);
  expect(remotingMemoryStats()).toEqual({ writeBufferBytes: 0, pausedConnections: 0, pendingFrameBytes: 0 });
});

describe('output back-pressure', () => {
  test('a client that does not read is paused at the high-water mark, then served whole once it reads', async () => {
    const hwm = 64 * KiB;
    const reply = 32 * KiB;
    const { server, handled } = await serve({ writeBufferHighWaterMark: hwm, writeBufferMaxBytes: 64 * MiB }, reply);
    const n = 3000;
    const slow = await neverReads(server.port, n);
    await until('the connection to pause', () => remotingMemoryStats().pausedConnections === 1);
    const stats = remotingMemoryStats();
    // Reading stopped at the first reply past the mark: no more than one reply beyond it is queued.
    expect(stats.writeBufferBytes).toBeGreaterThan(hwm);
    expect(stats.writeBufferBytes).toBeLessThanOrEqual(hwm + reply + 100);
    const handledAtPause = handled();
    expect(handledAtPause).toBeLessThan(n);
    // It stopped reading the socket too (not only handing requests on): more requests from the client
    // stay in the kernel, not in the server's memory.
    const conn = [...server.connections][0];
    const readAtPause = conn.socket.bytesRead;
    slow.write(Buffer.concat(Array.from({ length: 5000 }, (_, i) => encodeFrameToBuffer({ ...createRequest(3), opaque: n + i }))));
    await sleep(200);
    expect(conn.socket.bytesRead - readAtPause).toBeLessThanOrEqual(64 * KiB);
    // Other clients go on being served while it is paused.
    await normalClientServed(server.port, 200);
    await sleep(200);
    expect(handled()).toBe(handledAtPause + 200);
    expect(remotingMemoryStats().pausedConnections).toBe(1);
    // still open: the slow reader and the normal client
    expect(server.connections.size).toBe(2);

    // Now it reads: every reply arrives, in order, and the connection is no longer paused.
    const opaques: number[] = [];
    let buf = Buffer.alloc(0);
    slow.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      let p = 0;
      while (p + 8 <= buf.length && p + 4 + buf.readInt32BE(p) <= buf.length) {
        const header = buf.subarray(p + 8, p + 8 + (buf.readInt32BE(p + 4) & 0xffffff));
        opaques.push(JSON.parse(header.toString()).opaque);
        p += 4 + buf.readInt32BE(p);
      }
      buf = buf.subarray(p);
    });
    slow.resume();
    await until('all replies', () => opaques.length === n + 5000, 30_000);
    expect(opaques).toEqual(Array.from({ length: n + 5000 }, (_, i) => i));
    expect(remotingMemoryStats()).toMatchObject({ pausedConnections: 0, writeBufferBytes: 0 });
  });

  test('replies produced after reading stopped close the connection past writeBufferMaxBytes', async () => {
    const { server } = await serve({ writeBufferHighWaterMark: 64 * KiB, writeBufferMaxBytes: 2 * MiB }, 256 * KiB, true);
    await neverReads(server.port, 200);
    await until('the slow reader to be closed', () => server.connections.size === 0);
    await normalClientServed(server.port, 50);
  });

  test('past writeBufferTotalMaxBytes a connection above its high-water mark is closed, under its own bound', async () => {
    const { server } = await serve({ writeBufferHighWaterMark: 64 * KiB, writeBufferMaxBytes: 256 * MiB, writeBufferTotalMaxBytes: 4 * MiB }, 256 * KiB, true);
    const closed: number[] = [];
    server.onDisconnect((c) => closed.push(c.id));
    await neverReads(server.port, 120);
    await neverReads(server.port, 120);
    await until('both slow readers closed', () => closed.length === 2);
    await normalClientServed(server.port, 50);
  });

  test('without the total bound the same slow reader stays open, paused (the bounds above are what closed it)', async () => {
    const { server } = await serve({ writeBufferHighWaterMark: 64 * KiB, writeBufferMaxBytes: 256 * MiB, writeBufferTotalMaxBytes: 1024 * MiB }, 256 * KiB, true);
    await neverReads(server.port, 120);
    await until('the connection to pause', () => remotingMemoryStats().pausedConnections === 1);
    await until('its replies to be queued', () => remotingMemoryStats().writeBufferBytes > 4 * MiB);
    await sleep(300);
    expect(server.connections.size).toBe(1);
  });
});
