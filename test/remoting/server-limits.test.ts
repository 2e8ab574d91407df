import { describe, test, expect, afterEach } from 'vitest';
import net from 'node:net';
import { RemotingServer } from '../../src/remoting/server.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, createResponse, SerializeType, type RemotingCommand } from '../../src/remoting/command.js';
import { encodeFrameToBuffer } from '../../src/remoting/frame.js';
import { remotingMemoryStats, type RemotingLimits } from '../../src/remoting/limits-state.js';

const servers: RemotingServer[] = [];
const sockets: net.Socket[] = [];
const clients: RemotingClient[] = [];

/** A server answering every request with an empty SUCCESS, bounded by `limits`. */
async function serve(limits: Partial<RemotingLimits>): Promise<RemotingServer> {
  const s = new RemotingServer({ host: '127.0.0.1', port: 0, limits }, (conn, req) => {
    conn.send(createResponse(req, 0, undefined, undefined, req.body));
  });
  await s.listen();
  servers.push(s);
  return s;
}

interface Raw {
  socket: net.Socket;
  closed: Promise<number>;
  isClosed(): boolean;
}

/** A raw socket; `closed` resolves with the milliseconds from connect to the server closing it. */
async function raw(port: number): Promise<Raw> {
  const socket = net.connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  socket.setNoDelay(true);
  socket.on('error', () => {});
  socket.on('data', () => {});
  await new Promise((r) => socket.once('connect', r));
  const t0 = Date.now();
  let isClosed = false;
  const closed = new Promise<number>((r) => socket.once('close', () => {
    isClosed = true;
    r(Date.now() - t0);
  }));
  return { socket, closed, isClosed: () => isClosed };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A normal client still gets its answer from the server. */
async function stillServes(port: number): Promise<void> {
  const c = new RemotingClient();
  clients.push(c);
  const res = await c.invoke(`127.0.0.1:${port}`, createRequest(1, { a: 'b' }), 3000);
  expect(res.code).toBe(0);
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.close();
  await sleep(20);
  // Every byte a closed connection held is given back to the process totals.
  expect(remotingMemoryStats()).toEqual({ writeBufferBytes: 0, pausedConnections: 0, pendingFrameBytes: 0 });
});

describe('frames over a socket', () => {
  test('a frame trickled in 1-byte segments is answered, holding about its size', async () => {
    const server = await serve({});
    const body = Buffer.alloc(3000, 5);
    const frame = encodeFrameToBuffer({ ...createRequest(7, { k: 'v' }, body), opaque: 41 });
    const c = await raw(server.port);
    const got: Buffer[] = [];
    c.socket.on('data', (d) => got.push(d));
    let maxPending = 0;
    for (let i = 0; i < frame.length; i++) {
      c.socket.write(frame.subarray(i, i + 1));
      // A macrotask between bytes, so the server reads them one by one.
      await new Promise((r) => setImmediate(r));
      maxPending = Math.max(maxPending, remotingMemoryStats().pendingFrameBytes);
    }
    for (let t = 0; Buffer.concat(got).length < 8 + body.length && t < 200; t++) await sleep(10);
    const reply = Buffer.concat(got);
    expect(reply.readInt32BE(0)).toBe(reply.length - 4);
    expect(reply.subarray(reply.length - body.length).equals(body)).toBe(true);
    expect(maxPending).toBeGreaterThan(0);
    expect(maxPending).toBeLessThanOrEqual(frame.length);
    expect(remotingMemoryStats().pendingFrameBytes).toBe(0);
  });

  test.each([
    ['JSON', SerializeType.JSON],
    ['binary', SerializeType.ROCKETMQ],
  ])('a %s header over the size cap or the field cap closes only that connection', async (_n, type) => {
    const server = await serve({ remotingHeaderMaxBytes: 4096, remotingHeaderMaxFields: 20 });
    const fields = (n: number, len: number): Record<string, string> =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, 'x'.repeat(len)]));
    const request = (ext: Record<string, string>): Buffer => encodeFrameToBuffer(createRequest(1, ext, undefined, type));
    for (const bad of [request(fields(3, 3000)), request(fields(21, 1))]) {
      const c = await raw(server.port);
      c.socket.write(bad);
      expect(await Promise.race([c.closed.then(() => 'closed'), sleep(2000).then(() => 'open')])).toBe('closed');
      await stillServes(server.port);
    }
    // At the caps it is served.
    const ok = await raw(server.port);
    const answered = new Promise<Buffer>((r) => ok.socket.once('data', r));
    ok.socket.write(request(fields(20, 100)));
    expect((await answered).length).toBeGreaterThan(8);
    expect(ok.isClosed()).toBe(false);
  });

  test('a frame not whole within frameReadTimeoutMills closes the connection, however it trickles', async () => {
    const server = await serve({ frameReadTimeoutMills: 300 });
    const frame = encodeFrameToBuffer(createRequest(1, undefined, Buffer.alloc(200)));
    const stalled = await raw(server.port);
    stalled.socket.write(frame.subarray(0, 50));
    const trickler = await raw(server.port);
    let stop = false;
    void (async () => {
      // One byte every 30 ms: active all along, but the frame would need 6 s.
      for (let i = 0; i < frame.length - 1 && !stop && !trickler.isClosed(); i++) {
        trickler.socket.write(frame.subarray(i, i + 1));
        await sleep(30);
      }
    })();
    const [a, b] = await Promise.all([stalled.closed, trickler.closed]);
    stop = true;
    for (const ms of [a, b]) {
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(ms).toBeLessThan(1500);
    }
    // A frame finished in time on the same kind of connection is answered.
    await stillServes(server.port);
  });

  test('the process-wide cap on unfinished frames closes the connection that would pass it', async () => {
    const server = await serve({ pendingFrameBytesTotalMax: 4 * 1024 * 1024, frameMaxLength: 8 * 1024 * 1024 });
    const frame = encodeFrameToBuffer(createRequest(1, undefined, Buffer.alloc(3 * 1024 * 1024)));
    const part = (n: number): Buffer => frame.subarray(0, n);
    const first = await raw(server.port);
    first.socket.write(part(600 * 1024));
    for (let t = 0; remotingMemoryStats().pendingFrameBytes < 500 * 1024 && t < 200; t++) await sleep(10);
    const held = remotingMemoryStats().pendingFrameBytes;
    expect(held).toBeGreaterThanOrEqual(500 * 1024);
    // What arrived (600 KiB), at most doubled by the live buffer and doubled again by the ones it replaced.
    expect(held).toBeLessThanOrEqual(4 * 600 * 1024);
    const second = await raw(server.port);
    second.socket.write(part(2600 * 1024));
    expect(await Promise.race([second.closed.then(() => 'closed'), sleep(3000).then(() => 'open')])).toBe('closed');
    expect(first.isClosed()).toBe(false);
    await stillServes(server.port);
    first.socket.destroy();
    for (let t = 0; remotingMemoryStats().pendingFrameBytes > 0 && t < 200; t++) await sleep(10);
    expect(remotingMemoryStats().pendingFrameBytes).toBe(0);
  });

  test('many pipelined requests in one write are all answered in order', async () => {
    const server = await serve({});
    const c = await raw(server.port);
    const reqs: RemotingCommand[] = Array.from({ length: 2000 }, (_, i) => ({ ...createRequest(1, { i: String(i) }, Buffer.alloc(i % 50, i)), opaque: i }));
    const got: Buffer[] = [];
    c.socket.on('data', (d) => got.push(d));
    c.socket.write(Buffer.concat(reqs.map(encodeFrameToBuffer)));
    const opaques: number[] = [];
    for (let t = 0; t < 500; t++) {
      const all = Buffer.concat(got);
      opaques.length = 0;
      for (let p = 0; p + 4 <= all.length; ) {
        const len = all.readInt32BE(p);
        if (p + 4 + len > all.length) break;
        const h = JSON.parse(all.subarray(p + 8, p + 8 + (all.readInt32BE(p + 4) & 0xffffff)).toString());
        opaques.push(h.opaque);
        p += 4 + len;
      }
      if (opaques.length === reqs.length) break;
      await sleep(10);
    }
    expect(opaques).toEqual(reqs.map((r) => r.opaque));
  });
});
