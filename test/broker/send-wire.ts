/**
 * Raw protocol helpers for the header-validation tests: sends built field by field (so any header value
 * can be put on the wire), pulls, and a record reader that takes the int64 fields straight from the
 * bytes with readBigInt64BE, independent of the broker's own decoder.
 */
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, requestBody, type ExtFields, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { decodeRecord } from '../../src/codec/message-record.js';
import { createTopicRequest } from '../support/wire.js';

export const TIMEOUT_MS = 5_000;
export const GROUP = 'header_validation_group';

/** The V2 one-letter names (SendMessageRequestHeaderV2) and the SEND_MESSAGE long names, numeric fields only. */
export const V2_NUMERIC: Record<string, 'int' | 'long'> = { d: 'int', e: 'int', f: 'int', g: 'long', h: 'int', j: 'int', l: 'int' };
export const V1_NUMERIC: Record<string, 'int' | 'long'> = {
  defaultTopicQueueNums: 'int', queueId: 'int', sysFlag: 'int', bornTimestamp: 'long', flag: 'int', reconsumeTimes: 'int', maxReconsumeTimes: 'int',
};

export type SendForm = 'v1' | 'v2' | 'batch';

export interface SendSpec {
  form: SendForm;
  topic: string;
  queueId: string;
  bornTimestamp: string;
  flag: string;
  sysFlag?: string;
  properties?: string;
  /** Header fields to overwrite after the defaults, by wire name. */
  overrides?: ExtFields;
  bodies: Buffer[];
}

/** The header a Java producer would send, with `overrides` applied last. */
export function sendRequest(s: SendSpec): RemotingCommand {
  const props = s.properties ?? 'WAIT\u0001true';
  let h: ExtFields;
  if (s.form === 'v1') {
    h = {
      producerGroup: 'hv_producer', topic: s.topic, defaultTopic: 'TBW102', defaultTopicQueueNums: '4', queueId: s.queueId,
      sysFlag: s.sysFlag ?? '0', bornTimestamp: s.bornTimestamp, flag: s.flag, properties: props, reconsumeTimes: '0',
      unitMode: 'false', batch: 'false', maxReconsumeTimes: '16',
    };
  } else {
    h = {
      a: 'hv_producer', b: s.topic, c: 'TBW102', d: '4', e: s.queueId, f: s.sysFlag ?? '0', g: s.bornTimestamp, h: s.flag,
      i: props, j: '0', k: 'false', l: '16', m: s.form === 'batch' ? 'true' : 'false',
    };
  }
  Object.assign(h, s.overrides);
  const code = s.form === 'v1' ? RequestCode.SEND_MESSAGE : s.form === 'batch' ? RequestCode.SEND_BATCH_MESSAGE : RequestCode.SEND_MESSAGE_V2;
  const body = s.form === 'batch' ? encodeBatch(s.bodies, Number(s.flag) | 0) : s.bodies[0];
  return createRequest(code, h, body);
}

/** MessageDecoder#encodeMessages: TOTALSIZE, MAGIC 0, BODYCRC 0, FLAG, BODYLEN + body, PROPLEN + properties. */
export function encodeBatch(bodies: Buffer[], flag: number): Buffer {
  return Buffer.concat(bodies.map((b, i) => {
    const props = Buffer.from(`UNIQ_KEY\u0001HV${i}`, 'utf8');
    const out = Buffer.alloc(22 + b.length + props.length);
    out.writeInt32BE(out.length, 0);
    out.writeInt32BE(flag, 12);
    out.writeInt32BE(b.length, 16);
    b.copy(out, 20);
    out.writeInt16BE(props.length, 20 + b.length);
    props.copy(out, 22 + b.length);
    return out;
  }));
}

export async function createTopic(client: RemotingClient, addr: string, topic: string, queues: number): Promise<void> {
  const r = await client.invoke(addr, createTopicRequest(topic, queues), TIMEOUT_MS);
  if (r.code !== ResponseCode.SUCCESS) throw new Error(`create topic ${topic}: ${r.code} ${r.remark}`);
}

export async function maxOffset(client: RemotingClient, addr: string, topic: string, queueId: number): Promise<number> {
  const r = await client.invoke(addr, createRequest(RequestCode.GET_MAX_OFFSET, { topic, queueId: String(queueId) }), TIMEOUT_MS);
  if (r.code !== ResponseCode.SUCCESS) throw new Error(`GET_MAX_OFFSET ${topic}/${queueId}: ${r.code} ${r.remark}`);
  return Number(r.extFields!.offset);
}

export interface PulledRecord {
  queueOffset: bigint;
  queueId: number;
  flag: number;
  sysFlag: number;
  bornTimestamp: bigint;
  body: Buffer;
  topic: string;
}

/** Records of one queue from `offset`, at most 32; [] when nothing is there. */
export async function pull(client: RemotingClient, addr: string, topic: string, queueId: number, offset: number): Promise<PulledRecord[]> {
  const r = await client.invoke(addr, createRequest(RequestCode.PULL_MESSAGE, {
    consumerGroup: GROUP, topic, queueId: String(queueId), queueOffset: String(offset), maxMsgNums: '32',
    sysFlag: '4', commitOffset: '0', suspendTimeoutMillis: '0', subscription: '*', subVersion: '0', expressionType: 'TAG',
  }), TIMEOUT_MS);
  if (r.code === ResponseCode.PULL_NOT_FOUND || r.code === ResponseCode.PULL_OFFSET_MOVED) return [];
  if (r.code !== ResponseCode.SUCCESS) throw new Error(`PULL ${topic}/${queueId}@${offset}: ${r.code} ${r.remark}`);
  const body = requestBody(r)!;
  const out: PulledRecord[] = [];
  for (let p = 0; p < body.length;) {
    const size = body.readInt32BE(p);
    const rec = body.subarray(p, p + size);
    const d = decodeRecord(rec);
    out.push({
      queueOffset: rec.readBigInt64BE(20),
      queueId: rec.readInt32BE(12),
      flag: rec.readInt32BE(16),
      sysFlag: rec.readInt32BE(36),
      bornTimestamp: rec.readBigInt64BE(40),
      body: Buffer.from(d.body),
      topic: d.topic,
    });
    p += size;
  }
  return out;
}

/** Every record of a queue from 0 to its max offset; throws if an offset in between cannot be read. */
export async function readWholeQueue(client: RemotingClient, addr: string, topic: string, queueId: number): Promise<PulledRecord[]> {
  const max = await maxOffset(client, addr, topic, queueId);
  const all: PulledRecord[] = [];
  while (all.length < max) {
    const got = await pull(client, addr, topic, queueId, all.length);
    if (got.length === 0) throw new Error(`${topic}/${queueId}: offset ${all.length} of ${max} is unreadable`);
    for (const rec of got) {
      if (rec.queueOffset !== BigInt(all.length)) throw new Error(`${topic}/${queueId}: expected offset ${all.length}, read ${rec.queueOffset}`);
      all.push(rec);
    }
  }
  return all;
}

/** What Integer.parseInt / Long.parseLong accept: written from the Javadoc, not shared with the broker's parser. */
export function javaParses(v: string, type: 'int' | 'long'): boolean {
  if (!/^[+-]?[0-9]+$/.test(v)) return false;
  const n = BigInt(v);
  const bits = type === 'int' ? 31n : 63n;
  return n >= -(2n ** bits) && n < 2n ** bits;
}

export const nfeRemark = (v: string): string => `java.lang.NumberFormatException: For input string: "${v}"`;
