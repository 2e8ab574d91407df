/**
 * Cluster mode, consumer side: our gRPC endpoint in front of an Apache 5.3.3 broker (and Apache
 * 4.9.7 NameServer), driven with a raw @grpc/grpc-js client: POP answers read as the Java client reads
 * them (receipt handles, the retry topic's re-encoded messages, orderly attempt counts), ACK,
 * CHANGE_MESSAGE_INVISIBLETIME and CONSUMER_SEND_MSG_BACK understood by the Apache broker, FIFO groups
 * (consumeMessageOrderly) per queue and locked while in flight. Behind COMPAT_APACHE=1 (two JVMs, ~1 min).
 * Passed on 2026-11-29 (11:10 UTC): both cases; the DLQ forward answered { OK, "0" } as the 5.3.3 proxy writes it.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apacheNamesrv, apache5Broker, type Node } from './support/cluster.js';
import { startGrpcProxy, type GrpcProxy } from '../src/proxy/grpc-proxy.js';
import { loadMessagingPackage } from '../src/proxy/grpc/proto.js';
import { RemotingClient } from '../src/remoting/client.js';
import { createRequest } from '../src/remoting/command.js';
import { createTopicRequest, sendV2 } from '../test/support/wire.js';
import { groupRequest, receiveRequest, messagesOf, statusOf, ms } from '../test/proxy/consumer-client.js';

let ns: Node; let broker: Node; let proxy: GrpcProxy; let rc: RemotingClient; let client: any;
const md = (): grpc.Metadata => { const m = new grpc.Metadata(); m.set('x-mq-client-id', 'g2'); m.set('x-mq-client-version', '5.0.7'); return m; };
const unary = (method: string, req: object): Promise<any> => new Promise((res, rej) => client[method](req, md(), { deadline: Date.now() + 10_000 }, (e: any, r: any) => (e ? rej(e) : res(r))));
const stream = (method: string, req: object): Promise<any[]> => new Promise((res, rej) => { const out: any[] = []; const c = client[method](req, md(), { deadline: Date.now() + 15_000 }); c.on('data', (d: any) => out.push(d)); c.on('end', () => res(out)); c.on('error', rej); });
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

const ENABLED = process.env.COMPAT_APACHE === '1';

beforeAll(async () => {
  if (!ENABLED) return;
  ns = await apacheNamesrv();
  broker = await apache5Broker('broker-a', ns.addr, {});
  rc = new RemotingClient();
  proxy = await startGrpcProxy({ namesrvAddr: ns.addr, host: '127.0.0.1', port: 0, minInvisibleTimeMillsForRecv: 1000, grpcClientConsumerMinLongPollingTimeoutMillis: 100, topicRouteServiceCacheRefreshSeconds: 1 });
  const pkg: any = loadMessagingPackage();
  client = new pkg.apache.rocketmq.v2.MessagingService(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure());
}, 180_000);
afterAll(async () => { client?.close(); rc?.close(); await proxy?.stop(); await broker?.dispose(); await ns?.dispose(); });

async function receiveUntil(topic: string, group: string, tries: number, o: object = {}): Promise<any[]> {
  for (let i = 0; i < tries; i++) {
    const got = messagesOf(await stream('ReceiveMessage', receiveRequest(topic, group, { pollMs: 1000, ...o })));
    if (got.length) return got;
  }
  return [];
}

describe.skipIf(process.env.COMPAT_APACHE !== '1')('gRPC consumer RPCs in front of an Apache 5.3.3 broker', () => {
  it('receive, content, change invisible → attempt 2 via the retry topic, ack, forward to DLQ', async () => {
    expect((await rc.invoke(broker.addr, createTopicRequest('A5T', 2), 5000)).code).toBe(0);
    await sleep(1500);
    await stream('ReceiveMessage', receiveRequest('A5T', 'a5g', { pollMs: 500 }));
    for (const b of ['x0', 'x1']) expect((await rc.invoke(broker.addr, sendV2('A5T', b, { props: { TAGS: 'tg', KEYS: 'k', UNIQ_KEY: `AC1100010000000000000000000000${b === 'x0' ? 'A0' : 'A1'}`, u: 'v' } }), 5000)).code).toBe(0);
    const got: any[] = [];
    for (let i = 0; i < 10 && got.length < 2; i++) got.push(...messagesOf(await stream('ReceiveMessage', receiveRequest('A5T', 'a5g', { pollMs: 1000, invisibleMs: 20_000 }))));
    expect(got.map((m) => m.body.toString()).sort()).toEqual(['x0', 'x1']);
    const x0 = got.find((m) => m.body.toString() === 'x0');
    const x1 = got.find((m) => m.body.toString() === 'x1');
    const ch = await unary('ChangeInvisibleDuration', { group: { name: 'a5g' }, topic: { name: 'A5T' }, receiptHandle: x0.systemProperties.receiptHandle, invisibleDuration: ms(1000), messageId: x0.systemProperties.messageId });
    expect(ch.status.code).toBe('OK');
    const fw = await unary('ForwardMessageToDeadLetterQueue', { group: { name: 'a5g' }, topic: { name: 'A5T' }, receiptHandle: x1.systemProperties.receiptHandle, messageId: x1.systemProperties.messageId });
    expect(fw.status.code).toBe('OK');
    const again = await receiveUntil('A5T', 'a5g', 20, { invisibleMs: 20_000 });
    expect(again.map((m) => m.body.toString())).toEqual(['x0']);
    expect(again[0].systemProperties.deliveryAttempt).toBe(2);
    const ack = await unary('AckMessage', { group: { name: 'a5g' }, topic: { name: 'A5T' }, entries: [{ messageId: again[0].systemProperties.messageId, receiptHandle: again[0].systemProperties.receiptHandle }] });
    expect(ack.status.code).toBe('OK');
    const none = await stream('ReceiveMessage', receiveRequest('A5T', 'a5g', { pollMs: 2000 }));
    expect(statusOf(none).code).toBe('MESSAGE_NOT_FOUND');
  }, 120_000);

  it('FIFO group: per-queue assignments, in order, locked while in flight', async () => {
    expect((await rc.invoke(broker.addr, createTopicRequest('A5F', 2), 5000)).code).toBe(0);
    expect((await rc.invoke(broker.addr, groupRequest('a5f', { consumeMessageOrderly: true }), 5000)).code).toBe(0);
    await sleep(1500);
    const qa = await unary('QueryAssignment', { topic: { name: 'A5F' }, group: { name: 'a5f' }, endpoints: { scheme: 'IPv4', addresses: [{ host: '127.0.0.1', port: 1 }] } });
    expect(qa.assignments.map((a: any) => a.messageQueue.id)).toEqual([0, 1]);
    for (const b of ['f0', 'f1']) expect((await rc.invoke(broker.addr, sendV2('A5F', b, { queueId: 0, props: { __SHARDINGKEY: 'g' } }), 5000)).code).toBe(0);
    const [m0] = await receiveUntil('A5F', 'a5f', 10, { batch: 1, invisibleMs: 2000 });
    expect(m0.body.toString()).toBe('f0');
    const locked = await stream('ReceiveMessage', receiveRequest('A5F', 'a5f', { batch: 1, pollMs: 500 }));
    expect(messagesOf(locked)).toEqual([]);
    const re = await receiveUntil('A5F', 'a5f', 10, { batch: 1, invisibleMs: 20_000 });
    expect(re.map((m) => m.body.toString())).toEqual(['f0']);
    expect(re[0].systemProperties.deliveryAttempt).toBe(2);
    expect((await unary('AckMessage', { group: { name: 'a5f' }, topic: { name: 'A5F' }, entries: [{ messageId: re[0].systemProperties.messageId, receiptHandle: re[0].systemProperties.receiptHandle }] })).status.code).toBe('OK');
    const next = await receiveUntil('A5F', 'a5f', 10, { batch: 1 });
    expect(next.map((m) => m.body.toString())).toEqual(['f1']);
  }, 120_000);
});
