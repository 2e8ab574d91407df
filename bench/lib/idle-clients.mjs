/**
 * Many mostly idle clients on one broker, as a fleet of applications looks to it: each a connection that
 * sends HEART_BEAT (34) every `periodMs` (the Java client's heartbeatBrokerInterval is 30 s) and nothing
 * else. Half are producers (one producer group each), half consumers (clustering, groups of
 * `consumersPerGroup`, subscribed to one topic with "*"). JSON headers, as the Java client sends by default.
 */
import net from 'node:net';

const HEART_BEAT = 34;

function frame(opaque, body) {
  const header = Buffer.from(JSON.stringify({ code: HEART_BEAT, language: 'JAVA', version: 401, opaque, flag: 0, extFields: {} }));
  const head = Buffer.alloc(8);
  head.writeInt32BE(4 + header.length + body.length, 0);
  head.writeInt32BE(header.length, 4);
  return Buffer.concat([head, header, body]);
}

function heartbeatBody(i, topic, consumersPerGroup) {
  const clientID = `127.0.0.1@bench-${i}`;
  if (i % 2 === 0) return JSON.stringify({ clientID, producerDataSet: [{ groupName: `bench_idle_pg_${i}` }], consumerDataSet: [] });
  return JSON.stringify({
    clientID,
    producerDataSet: [],
    consumerDataSet: [{
      groupName: `bench_idle_cg_${Math.floor(i / 2 / consumersPerGroup)}`, consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING',
      consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET', unitMode: false,
      subscriptionDataSet: [{ topic, subString: '*', classFilterMode: false, tagsSet: [], codeSet: [], subVersion: Date.now(), expressionType: 'TAG' }],
    }],
  });
}

/** Opens `count` clients on `brokerAddr`; resolves once every first heartbeat has been answered. */
export async function startIdleClients({ brokerAddr, count, topic, periodMs = 30_000, consumersPerGroup = 10 }) {
  const [host, port] = brokerAddr.split(':');
  const sockets = [];
  let sent = 0;
  let answered = 0;
  let opaque = 1;
  const timers = [];
  const opened = [];
  for (let i = 0; i < count; i++) {
    opened.push(new Promise((resolve, reject) => {
      const s = net.connect({ host, port: Number(port), noDelay: true });
      const body = Buffer.from(heartbeatBody(i, topic, consumersPerGroup));
      let first = true;
      // Answers and the broker's own requests (NOTIFY_CONSUMER_IDS_CHANGED) are counted, not parsed.
      let buf = Buffer.alloc(0);
      s.on('data', (chunk) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          const f = buf.subarray(4, 4 + buf.readInt32BE(0));
          buf = buf.subarray(4 + f.length);
          const hl = f.readUInt32BE(0) & 0xffffff;
          const h = JSON.parse(f.subarray(4, 4 + hl).toString('utf8'));
          if (h.flag & 1) {
            answered++;
            if (first) {
              first = false;
              resolve();
            }
          }
        }
      });
      s.once('error', reject);
      s.once('connect', () => {
        const beat = () => {
          sent++;
          s.write(frame(opaque++, body));
        };
        beat();
        // Spread over the period, as independent applications would be.
        const t = setTimeout(() => {
          beat();
          timers.push(setInterval(beat, periodMs));
        }, Math.random() * periodMs);
        timers.push(t);
      });
      sockets.push(s);
    }));
    // A few hundred connects at a time: the accept backlog of either broker is not what is measured.
    if (i % 200 === 199) await Promise.all(opened.slice(-200));
  }
  await Promise.all(opened);
  return {
    counts: () => ({ sent, answered }),
    close() {
      for (const t of timers) clearTimeout(t), clearInterval(t);
      for (const s of sockets) s.destroy();
    },
  };
}
