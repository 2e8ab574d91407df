/**
 * A minimal RocketMQ remoting client for the replication phase's probe (JSON headers, one connection
 * per broker address, requests matched by opaque). Deliberately not our src/remoting client: the probe
 * must be the same neutral code against both servers and must not move when src/ does.
 *
 * Frame: int32 length (of what follows) | int32 (serializeType << 24 | headerLength) | header JSON | body.
 */
import net from 'node:net';

export const RequestCode = { SEND_MESSAGE: 10, UPDATE_AND_CREATE_TOPIC: 17, GET_BROKER_RUNTIME_INFO: 28, GET_MAX_OFFSET: 30 };
/** ResponseCode names for the codes a probe send can get. */
export const RESPONSE_NAMES = { 0: 'SUCCESS', 1: 'SYSTEM_ERROR', 2: 'SYSTEM_BUSY', 10: 'FLUSH_DISK_TIMEOUT', 11: 'SLAVE_NOT_AVAILABLE', 12: 'FLUSH_SLAVE_TIMEOUT', 14: 'SERVICE_NOT_AVAILABLE', 17: 'TOPIC_NOT_EXIST' };

const RESPONSE_FLAG = 1;
const CONNECT_TIMEOUT_MS = 3_000;

export class WireClient {
  constructor(addr) {
    this.addr = addr;
    this.opaque = 1;
    this.pending = new Map();
    this.socket = undefined;
    this.connecting = undefined;
  }

  connect() {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    const [host, port] = this.addr.split(':');
    this.connecting = new Promise((resolve, reject) => {
      const s = net.connect({ host, port: Number(port), noDelay: true });
      const timer = setTimeout(() => s.destroy(new Error(`connect ${this.addr}: timeout`)), CONNECT_TIMEOUT_MS);
      let buf = Buffer.alloc(0);
      s.on('data', (chunk) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        while (buf.length >= 4) {
          const len = buf.readInt32BE(0);
          if (buf.length < 4 + len) break;
          const frame = buf.subarray(4, 4 + len);
          buf = buf.subarray(4 + len);
          const headerLength = frame.readUInt32BE(0) & 0xffffff;
          const header = JSON.parse(frame.subarray(4, 4 + headerLength).toString('utf8'));
          if (!(header.flag & RESPONSE_FLAG)) continue;
          const p = this.pending.get(header.opaque);
          if (!p) continue;
          this.pending.delete(header.opaque);
          clearTimeout(p.timer);
          p.resolve({ code: header.code, remark: header.remark, ext: header.extFields ?? {}, body: frame.subarray(4 + headerLength) });
        }
      });
      const fail = (err) => {
        clearTimeout(timer);
        this.connecting = undefined;
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(err);
        }
        this.pending.clear();
        reject(err);
      };
      s.once('error', fail);
      s.once('close', () => fail(new Error(`connection to ${this.addr} closed`)));
      s.once('connect', () => {
        clearTimeout(timer);
        this.socket = s;
        this.connecting = undefined;
        resolve(s);
      });
    });
    return this.connecting;
  }

  /** Resolves with { code, remark, ext, body }; rejects on timeout or a broken connection. */
  async invoke(code, extFields, body, timeoutMs = 5_000) {
    const s = await this.connect();
    const opaque = this.opaque++;
    const header = Buffer.from(JSON.stringify({ code, language: 'JAVA', version: 0, opaque, flag: 0, extFields: stringify(extFields) }), 'utf8');
    const bodyBuf = body ?? Buffer.alloc(0);
    const head = Buffer.allocUnsafe(8);
    head.writeInt32BE(4 + header.length + bodyBuf.length, 0);
    head.writeInt32BE(header.length, 4); // serializeType 0 (JSON) in the top byte
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(opaque);
        reject(new Error(`${this.addr}: request ${code} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(opaque, { resolve, reject, timer });
      s.write(Buffer.concat([head, header, bodyBuf]));
    });
  }

  close() {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

const stringify = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));

/** UPDATE_AND_CREATE_TOPIC on one broker (as mqadmin updateTopic -b does). */
export async function createTopic(client, topic, queues) {
  const r = await client.invoke(RequestCode.UPDATE_AND_CREATE_TOPIC, {
    topic, defaultTopic: 'TBW102', readQueueNums: queues, writeQueueNums: queues, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
  });
  if (r.code !== 0) throw new Error(`UPDATE_AND_CREATE_TOPIC ${topic} on ${client.addr}: code ${r.code} ${r.remark ?? ''}`);
}

/** SEND_MESSAGE (v1 header) of one message to queue `queueId`; resolves with { code, queueOffset }. */
export async function sendOne(client, topic, queueId, body) {
  const r = await client.invoke(RequestCode.SEND_MESSAGE, {
    producerGroup: 'bench_lag_probe', topic, defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId, sysFlag: 0,
    bornTimestamp: Date.now(), flag: 0, properties: '', reconsumeTimes: 0, unitMode: false, batch: false,
  }, body);
  return { code: r.code, remark: r.remark, queueOffset: r.ext.queueOffset === undefined ? undefined : Number(r.ext.queueOffset) };
}

/** GET_MAX_OFFSET: the next offset to be written in that queue (0 for a queue the broker has not seen). */
export async function maxOffset(client, topic, queueId, timeoutMs) {
  const r = await client.invoke(RequestCode.GET_MAX_OFFSET, { topic, queueId }, undefined, timeoutMs);
  if (r.code !== 0) throw new Error(`GET_MAX_OFFSET ${topic}:${queueId} on ${client.addr}: code ${r.code} ${r.remark ?? ''}`);
  return Number(r.ext.offset);
}

/** GET_BROKER_RUNTIME_INFO's table (commitLogMaxOffset etc.). */
export async function runtimeInfo(client) {
  const r = await client.invoke(RequestCode.GET_BROKER_RUNTIME_INFO, {});
  if (r.code !== 0) throw new Error(`GET_BROKER_RUNTIME_INFO on ${client.addr}: code ${r.code} ${r.remark ?? ''}`);
  return JSON.parse(r.body.toString('utf8')).table;
}
