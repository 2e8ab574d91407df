/**
 * POP consumption for compat-tests/pop.test.ts: the Java 5.3.3 PopTraffic program
 * (compat-tests/java5/src/main/java/rocketmqts/compat5/PopTraffic.java) as one line-driven JVM, the reading
 * of what it printed (deliveries, acknowledgement answers), the delivery accounting of the durability
 * scenario, and raw POP-family requests from Node. No vitest imports.
 */
import path from 'node:path';
import { java5Classpath } from './java5.js';
import { LineDrivenJvm } from './mqadmin.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, requestBody, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { consumerHeartbeat, pulledRecords } from '../../test/support/wire.js';
import type { DecodedRecord } from '../../src/codec/message-record.js';

const START_TIMEOUT_MS = 120_000;

export interface Delivery {
  key: string;
  reconsumeTimes: number;
  msgId: string;
  queueId: number;
  /** The broker's clock when it popped this delivery (POP_CK field 1); NaN without POP_CK. */
  popTime: number;
  contentOk: boolean;
  /** The POP_CK property (the extraInfo the client acknowledges with); '' without one. */
  ck: string;
  /** Position in the JVM's output: orders deliveries against acknowledgement answers. */
  seq: number;
}

export interface AckAnswer {
  kind: 'ACK' | 'CIT';
  code: number;
  /** Client clock when the answer arrived. */
  atMs: number;
  ck: string;
  seq: number;
}

export interface PopEvents {
  sent: Map<string, { msgId: string; queueId: number; queueOffset: number }>;
  deliveries: Delivery[];
  answers: AckAnswer[];
  assignments: Array<{ code: number; body: string }>;
}

/** Reads PopTraffic's lines (see its class comment). */
export function parsePopOutput(output: string): PopEvents {
  const ev: PopEvents = { sent: new Map(), deliveries: [], answers: [], assignments: [] };
  const lines = output.split('\n');
  lines.forEach((line, seq) => {
    const f = line.split(' ');
    const unflat = (s: string | undefined) => (s === undefined || s === '-' ? '' : s.replace(/\|/g, ' '));
    if (f[0] === 'SENT' && f.length >= 5) ev.sent.set(f[1], { msgId: f[2], queueId: Number(f[3]), queueOffset: Number(f[4]) });
    else if (f[0] === 'RECV' && f.length >= 8) {
      ev.deliveries.push({
        key: f[1], reconsumeTimes: Number(f[2]), msgId: f[3], queueId: Number(f[4]),
        popTime: f[5] === '-' ? NaN : Number(f[5]), contentOk: f[6] === 'true', ck: unflat(f[7]), seq,
      });
    } else if ((f[0] === 'ACK' || f[0] === 'CIT') && f.length >= 4) {
      ev.answers.push({ kind: f[0], code: Number(f[1]), atMs: Number(f[2]), ck: unflat(f[3]), seq });
    } else if (f[0] === 'ASSIGN') ev.assignments.push({ code: Number(f[1]), body: f.slice(2).join(' ') });
  });
  return ev;
}

/** The Java 5.3.3 producer and POP push consumers of PopTraffic.java. */
export class PopTraffic {
  private constructor(
    private readonly jvm: LineDrivenJvm,
    readonly dir: string,
  ) {}

  static async start(namesrvAddr: string, workDir: string): Promise<PopTraffic> {
    const cp = await java5Classpath('5.3.3');
    const jvm = new LineDrivenJvm('pop traffic', [
      '-Xms64m', '-Xmx256m', '-XX:TieredStopAtLevel=1', '-Duser.language=en', `-Duser.home=${workDir}`,
      // Rebalance (QUERY_ASSIGNMENT) every second instead of 20 s; the client's log in the work dir.
      '-Drocketmq.client.rebalance.waitInterval=1000',
      '-Drocketmq.client.logUseSlf4j=false',
      `-Drocketmq.client.logRoot=${path.join(workDir, 'logs')}`,
      '-cp', cp, 'rocketmqts.compat5.PopTraffic', namesrvAddr,
    ], workDir);
    return new PopTraffic(jvm, workDir);
  }

  async run(line: string, timeoutMs = START_TIMEOUT_MS): Promise<string[]> {
    const verb = line.split(' ')[0];
    const from = this.jvm.output.length;
    this.jvm.send(line);
    const text = await this.jvm.waitFor(from, new RegExp(`^(OK|ERR) ${verb}\\b.*$`, 'm'), timeoutMs);
    if (/^ERR /m.test(text)) throw new Error(`pop traffic "${line}" failed:\n${text.slice(-4000)}`);
    return text.split('\n');
  }

  async produce(topic: string, count: number, keyPrefix: string): Promise<string[]> {
    const lines = await this.run(`produce ${topic} ${count} ${keyPrefix}`);
    return lines.filter((l) => l.startsWith('SENT ')).map((l) => l.split(' ')[1]);
  }

  /** Starts a POP-capable push consumer (see PopTraffic `consume`); '-' disables a prefix. */
  async consume(group: string, topic: string, o: { invisibleMs: number; maxReconsume?: number; failPrefix?: string;
    stallPrefix?: string; stallMs?: number; sleepMs?: number; stallAlways?: boolean }): Promise<void> {
    await this.run(['consume', group, topic, o.invisibleMs, o.maxReconsume ?? 16, o.failPrefix ?? '-', o.stallPrefix ?? '-',
      o.stallMs ?? 0, o.sleepMs ?? 0, o.stallAlways ?? false].join(' '));
  }

  async stopConsumer(group: string): Promise<void> {
    await this.run(`stop ${group}`, 30_000);
  }

  /** Resolves once `predicate` holds for what the JVM printed so far (checked on every output chunk). */
  async until(predicate: (ev: PopEvents) => boolean, timeoutMs: number, what: string): Promise<PopEvents> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ev = this.events();
      if (predicate(ev)) return ev;
      if (Date.now() > deadline) throw new Error(`pop traffic: no "${what}" within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  events(): PopEvents {
    return parsePopOutput(this.jvm.output);
  }

  get output(): string {
    return this.jvm.output;
  }

  async stop(): Promise<void> {
    try {
      await this.run('quit', 30_000);
    } catch {
      // gone already or slow to shut down: stop() below ends it
    }
    await this.jvm.stop();
  }
}

/**
 * What the durability scenario counts. A delivery is "after invisible time" when the same key's previous
 * delivery was not acknowledged with SUCCESS and this one was popped at least invisibleMs − tolerance
 * after it. "Acked then delivered again": a delivery popped (broker clock, POP_CK popTime) after the client
 * had received SUCCESS for an earlier delivery of the same key (client clock; broker and client share the
 * host's clock). The broker answered SUCCESS only after taking the ack, so such a pop re-delivered an
 * acknowledged message. A pop that raced the ack (popped before the SUCCESS arrived) is not counted.
 */
export interface PopAccount {
  sent: number;
  /** Distinct keys delivered at least once. */
  delivered: number;
  deliveries: number;
  /** Distinct keys with an ACK answered SUCCESS. */
  acked: number;
  ackFailures: number;
  redeliveredAfterInvisibleTime: number;
  /** Re-deliveries of an un-acked message before its invisible time was over. */
  redeliveredEarly: number;
  lost: number;
  ackedThenDeliveredAgain: number;
  contentMismatches: number;
  withoutPopCk: number;
  examples: string[];
}

export function accountDeliveries(sentKeys: string[], ev: PopEvents, invisibleMs: number, toleranceMs = 1500): PopAccount {
  const byKey = new Map<string, Delivery[]>();
  for (const d of ev.deliveries) {
    let l = byKey.get(d.key);
    if (!l) byKey.set(d.key, (l = []));
    l.push(d);
  }
  const ackOk = new Map<string, number>();
  let ackFailures = 0;
  const cks = new Set(sentKeys.flatMap((k) => (byKey.get(k) ?? []).map((d) => d.ck)));
  for (const a of ev.answers) {
    if (!cks.has(a.ck)) continue;
    if (a.kind !== 'ACK') continue;
    if (a.code === 0) ackOk.set(a.ck, Math.min(ackOk.get(a.ck) ?? Infinity, a.atMs));
    else ackFailures++;
  }
  const mine = sentKeys.flatMap((k) => byKey.get(k) ?? []);
  const acct: PopAccount = {
    sent: sentKeys.length, delivered: 0, deliveries: mine.length, acked: 0, ackFailures,
    redeliveredAfterInvisibleTime: 0, redeliveredEarly: 0, lost: 0, ackedThenDeliveredAgain: 0,
    contentMismatches: mine.filter((d) => !d.contentOk).length,
    withoutPopCk: mine.filter((d) => d.ck === '').length, examples: [],
  };
  for (const key of sentKeys) {
    const ds = (byKey.get(key) ?? []).slice().sort((x, y) => x.popTime - y.popTime);
    if (ds.length === 0) {
      acct.lost++;
      if (acct.examples.length < 10) acct.examples.push(`lost ${key}`);
      continue;
    }
    acct.delivered++;
    let firstAckMs = Infinity;
    let keyAcked = false;
    for (let i = 0; i < ds.length; i++) {
      const d = ds[i];
      if (d.popTime > firstAckMs) {
        acct.ackedThenDeliveredAgain++;
        if (acct.examples.length < 10) acct.examples.push(`${key} popped at ${d.popTime} after its ack at ${firstAckMs}`);
      } else if (i > 0) {
        if (d.popTime >= ds[i - 1].popTime + invisibleMs - toleranceMs) acct.redeliveredAfterInvisibleTime++;
        else {
          acct.redeliveredEarly++;
          if (acct.examples.length < 10) acct.examples.push(`${key} re-popped ${d.popTime - ds[i - 1].popTime} ms after the previous pop`);
        }
      }
      const at = ackOk.get(d.ck);
      if (at !== undefined) {
        keyAcked = true;
        firstAckMs = Math.min(firstAckMs, at);
      }
    }
    if (keyAcked) acct.acked++;
  }
  return acct;
}

// ---- raw POP-family requests -------------------------------------------------------------------

export interface RawAnswer {
  code: number;
  remark?: string;
  fields: Record<string, string>;
  records: DecodedRecord[];
}

async function invoke(client: RemotingClient, addr: string, req: RemotingCommand, timeoutMs = 10_000): Promise<RawAnswer> {
  const res = await client.invoke(addr, req, timeoutMs);
  let records: DecodedRecord[] = [];
  try {
    records = res.code === 0 ? pulledRecords(res) : [];
  } catch {
    records = [];
  }
  return { code: res.code, remark: res.remark, fields: { ...(res.extFields ?? {}) }, records };
}

const str = (o: Record<string, string | number | boolean | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));

export interface PopArgs {
  group: string;
  topic: string;
  queueId: number;
  maxMsgNums?: number;
  invisibleTime?: number;
  pollTime?: number;
  order?: boolean;
  initMode?: number;
}

/** POP_MESSAGE (200050) with the header the 5.3.3 client (or the proxy, with order) sends. */
export function popRaw(client: RemotingClient, addr: string, a: PopArgs): Promise<RawAnswer> {
  const pollTime = a.pollTime ?? 0;
  return invoke(client, addr, createRequest(RequestCode.POP_MESSAGE, str({
    consumerGroup: a.group, topic: a.topic, queueId: a.queueId, maxMsgNums: a.maxMsgNums ?? 32,
    invisibleTime: a.invisibleTime ?? 60_000, pollTime, bornTime: Date.now(), initMode: a.initMode ?? 0,
    expType: 'TAG', exp: '*', order: a.order ?? false,
  })), pollTime + 10_000);
}

export function ackRaw(client: RemotingClient, addr: string, a: { group: string; topic: string; queueId: number; offset: number; extraInfo: string }): Promise<RawAnswer> {
  return invoke(client, addr, createRequest(RequestCode.ACK_MESSAGE, str({
    consumerGroup: a.group, topic: a.topic, queueId: a.queueId, offset: a.offset, extraInfo: a.extraInfo,
  })));
}

export function peekRaw(client: RemotingClient, addr: string, a: { group: string; topic: string; queueId: number; maxMsgNums?: number }): Promise<RawAnswer> {
  return invoke(client, addr, createRequest(RequestCode.PEEK_MESSAGE, str({
    consumerGroup: a.group, topic: a.topic, queueId: a.queueId, maxMsgNums: a.maxMsgNums ?? 32,
  })));
}

export function notificationRaw(client: RemotingClient, addr: string, a: { group: string; topic: string; queueId: number; pollTime: number; order?: boolean }): Promise<RawAnswer> {
  return invoke(client, addr, createRequest(RequestCode.NOTIFICATION, str({
    consumerGroup: a.group, topic: a.topic, queueId: a.queueId, pollTime: a.pollTime, bornTime: Date.now(), order: a.order ?? false,
  })), a.pollTime + 10_000);
}

export function pollingInfoRaw(client: RemotingClient, addr: string, a: { group: string; topic: string; queueId: number }): Promise<RawAnswer> {
  return invoke(client, addr, createRequest(RequestCode.POLLING_INFO, str({ consumerGroup: a.group, topic: a.topic, queueId: a.queueId })));
}

export interface BatchAckEntry {
  group: string;
  topic: string;
  retry: string;
  startOffset: number;
  queueId: number;
  reviveQid: number;
  popTime: number;
  invisibleTime: number;
  /** Positions (message offset − startOffset) acknowledged. */
  positions: number[];
}

/** java.util.BitSet.toByteArray(): little-endian bytes, trailing zero bytes dropped. */
export function bitSetBytes(positions: number[]): Buffer {
  const n = positions.length ? Math.max(...positions) + 1 : 0;
  const b = Buffer.alloc(Math.ceil(n / 8));
  for (const p of positions) b[p >> 3] |= 1 << (p & 7);
  return b;
}

/** BATCH_ACK_MESSAGE (200151): no header, body BatchAckMessageRequestBody with BatchAck's short JSON keys. */
export function batchAckRaw(client: RemotingClient, addr: string, brokerName: string, acks: BatchAckEntry[]): Promise<RawAnswer> {
  const body = {
    brokerName,
    acks: acks.map((a) => ({
      c: a.group, t: a.topic, r: a.retry, so: a.startOffset, q: a.queueId, rq: a.reviveQid, pt: a.popTime, it: a.invisibleTime,
      b: bitSetBytes(a.positions).toString('base64'),
    })),
  };
  return invoke(client, addr, createRequest(RequestCode.BATCH_ACK_MESSAGE, undefined, Buffer.from(JSON.stringify(body))));
}

/**
 * QUERY_ASSIGNMENT (400) for one client of `group`, heartbeated first on the same connection (the broker
 * balances over the group's heartbeated clients): the broker's PULL/POP decision per queue.
 */
export async function queryAssignment(client: RemotingClient, addr: string, topic: string, group: string, clientId: string): Promise<RawAnswer & { modes: string[]; queueIds: number[] }> {
  const hb = await client.invoke(addr, consumerHeartbeat(clientId, group, topic), 10_000);
  if (hb.code !== 0) throw new Error(`heartbeat of ${clientId}: ${hb.code} ${hb.remark}`);
  const body = { topic, consumerGroup: group, clientId, strategyName: 'AVG', messageModel: 'CLUSTERING' };
  const res = await client.invoke(addr, createRequest(RequestCode.QUERY_ASSIGNMENT, undefined, Buffer.from(JSON.stringify(body))), 10_000);
  const raw = requestBody(res);
  const parsed = raw ? (JSON.parse(raw.toString('utf8')) as { messageQueueAssignments?: Array<{ mode: string; messageQueue: { queueId: number } }> }) : {};
  const list = parsed.messageQueueAssignments ?? [];
  return {
    code: res.code, remark: res.remark, fields: { ...(res.extFields ?? {}) }, records: [],
    modes: list.map((x) => x.mode), queueIds: list.map((x) => x.messageQueue.queueId),
  };
}

/** The properties of a decoded record as a map (name\u0001value pairs separated by \u0002). */
export function recordProps(r: DecodedRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of r.propertiesString.split('\u0002')) {
    const i = pair.indexOf('\u0001');
    if (i > 0) out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}
