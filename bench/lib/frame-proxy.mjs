/**
 * A TCP relay between brokers and a NameServer that reads the remoting frames going through and records
 * each request's code, size and the time until its response: how big a REGISTER_BROKER is and how long the
 * NameServer takes with it. Frames: int32 length | int32 (serializeType << 24 | headerLength) | header |
 * body; a JSON header (type 0) has "code" and "opaque", a binary one (type 1, ROCKETMQ) starts
 * int16 code, int8 language, int16 version, int32 opaque, int32 flag.
 */
import net from 'node:net';

function frames(onFrame) {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 4) {
      const len = buf.readInt32BE(0);
      if (buf.length < 4 + len) break;
      onFrame(buf.subarray(4, 4 + len), 4 + len);
      buf = buf.subarray(4 + len);
    }
  };
}

function headerOf(frame) {
  const word = frame.readUInt32BE(0);
  const type = word >>> 24;
  const h = frame.subarray(4, 4 + (word & 0xffffff));
  if (type === 1) return { code: h.readInt16BE(0), opaque: h.readInt32BE(5), flag: h.readInt32BE(9) };
  const j = JSON.parse(h.toString('utf8'));
  return { code: j.code, opaque: j.opaque, flag: j.flag ?? 0 };
}

export async function startFrameProxy(target) {
  const [host, port] = target.split(':');
  const records = [];
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host, port: Number(port) });
    sockets.add(client).add(upstream);
    const pending = new Map();
    client.on('data', frames((frame, bytes) => {
      try {
        const h = headerOf(frame);
        if (!(h.flag & 1)) pending.set(h.opaque, { code: h.code, bytes, at: performance.now() });
      } catch { /* an unreadable header is relayed all the same */ }
    }));
    upstream.on('data', frames((frame) => {
      try {
        const h = headerOf(frame);
        const req = pending.get(h.opaque);
        if (req && h.flag & 1) {
          pending.delete(h.opaque);
          records.push({ code: req.code, bytes: req.bytes, ms: performance.now() - req.at, responseCode: h.code });
        }
      } catch { /* as above */ }
    }));
    client.pipe(upstream).pipe(client);
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    addr: `127.0.0.1:${server.address().port}`,
    records,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
