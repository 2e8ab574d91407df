/**
 * The gRPC endpoint in cluster mode (COMPAT_APACHE=1): our NameServer, an Apache 5.3.3 broker and an
 * Apache 4.9.7 broker, and the endpoint in front of them (startGrpcProxy in this process), as the
 * Apache proxy's cluster mode fronts brokers over remoting. Through a raw grpc-js client: QueryRoute,
 * SendMessage normal and FIFO (read back with PULL from the broker that stored it), the message.type
 * check on the 5.3.3 broker (the 4.9.7 one has no topic attributes: not checked, see
 * src/proxy/producer/message-type.ts), EndTransaction, and the 5.3.3 and 4.9.7 brokers' transaction
 * check-back relayed through Telemetry as RecoverOrphanedTransactionCommand.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apache5Broker, apacheBroker, disposeAll, ourNamesrv, type Node } from './support/cluster.js';
import { startGrpcProxy, type GrpcProxy } from '../src/proxy/grpc-proxy.js';
import { loadMessagingPackage } from '../src/proxy/grpc/proto.js';
import { RemotingClient } from '../src/remoting/client.js';
import { ResponseCode } from '../src/protocol/response-code.js';
import { parseProperties } from '../src/codec/message-properties.js';
import { consumerHeartbeat, createTopicRequest, pullRequest, pulledRecords } from '../test/support/wire.js';

const enabled = process.env.COMPAT_APACHE === '1';
/** Short transaction timers so a check-back comes within seconds (both brokers read these keys). */
const TX_CONF = { transactionTimeOut: 1000, transactionCheckInterval: 1000 };

let namesrv: Node | undefined;
let b5: Node | undefined;
let b4: Node | undefined;
let proxy: GrpcProxy | undefined;
const remoting = new RemotingClient();
let client: any;

describe.skipIf(!enabled)('gRPC endpoint in front of Apache 5.3.3 and 4.9.7 brokers', () => {
  beforeAll(async () => {
    namesrv = await ourNamesrv();
    [b5, b4] = await Promise.all([apache5Broker('apache5-a', namesrv.addr, TX_CONF), apacheBroker('apache4-b', namesrv.addr, TX_CONF)]);
    proxy = await startGrpcProxy({ namesrvAddr: namesrv.addr, host: '127.0.0.1', port: 0, topicRouteServiceCacheRefreshSeconds: 1 });
    const pkg = loadMessagingPackage() as any;
    client = new pkg.apache.rocketmq.v2.MessagingService(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure());
    await createTopic(b5.addr, 'ClusterNormal5', 'NORMAL');
    await createTopic(b5.addr, 'ClusterFifo5', 'FIFO');
    await createTopic(b5.addr, 'ClusterTx5', 'TRANSACTION');
    await createTopic(b4.addr, 'ClusterNormal4');
    await createTopic(b4.addr, 'ClusterTx4');
    for (const t of ['ClusterNormal5', 'ClusterFifo5', 'ClusterTx5', 'ClusterNormal4', 'ClusterTx4']) {
      await waitFor(async () => (await unary('QueryRoute', { topic: { name: t } })).status.code === 'OK', 40_000);
    }
  }, 240_000);

  afterAll(async () => {
    client?.close();
    remoting.close();
    await proxy?.stop();
    await disposeAll([b4, b5, namesrv]);
  }, 60_000);

  for (const [broker, topic] of [['5.3.3', 'ClusterNormal5'], ['4.9.7', 'ClusterNormal4']] as const) {
    it(`sends a normal message to the Apache ${broker} broker`, async () => {
      const m = message(topic, `to ${broker}`, { tag: 'TagC', keys: ['key-1'] }, { p: 'v' });
      const res = await unary('SendMessage', { messages: [m] });
      expect(res.status.code).toBe('OK');
      const rec = (await stored(brokerOf(broker), topic)).find((r) => r.props.get('UNIQ_KEY') === m.systemProperties.messageId);
      expect(rec?.body.toString()).toBe(`to ${broker}`);
      expect(rec?.props.get('TAGS')).toBe('TagC');
      expect(rec?.props.get('KEYS')).toBe('key-1');
      expect(rec?.props.get('p')).toBe('v');
    });
  }

  it('checks message.type on the 5.3.3 broker and keeps a group on one queue', async () => {
    const wrong = await unary('SendMessage', { messages: [message('ClusterFifo5', 'x')] });
    expect(wrong.status.code).toBe('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE');
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const m = message('ClusterFifo5', `f${i}`, { messageType: 'FIFO', messageGroup: 'x' });
      expect((await unary('SendMessage', { messages: [m] })).status.code).toBe('OK');
      ids.push(m.systemProperties.messageId);
    }
    const recs = (await stored(b5!, 'ClusterFifo5')).filter((r) => ids.includes(r.props.get('UNIQ_KEY')!));
    expect(recs.map((r) => r.body.toString())).toEqual(['f0', 'f1', 'f2', 'f3']);
    expect(new Set(recs.map((r) => r.queueId))).toEqual(new Set([1]));
  });

  for (const [broker, topic] of [['5.3.3', 'ClusterTx5'], ['4.9.7', 'ClusterTx4']] as const) {
    it(`commits with EndTransaction and relays the Apache ${broker} broker's check-back`, async () => {
      const direct = message(topic, 'committed', { messageType: 'TRANSACTION' });
      const r1 = await unary('SendMessage', { messages: [direct] });
      expect(r1.status.code).toBe('OK');
      const e1 = await unary('EndTransaction', {
        topic: { name: topic }, messageId: direct.systemProperties.messageId, transactionId: r1.entries[0].transactionId, resolution: 'COMMIT',
      });
      expect(e1.status.code).toBe('OK');
      await waitFor(async () => (await stored(brokerOf(broker), topic)).some((r) => r.props.get('UNIQ_KEY') === direct.systemProperties.messageId));

      const stream = client.Telemetry(metadata(`tx-${broker}`));
      const commands: any[] = [];
      stream.on('data', (c: any) => commands.push(c));
      stream.on('error', () => {});
      stream.write({ settings: { clientType: 'PRODUCER', publishing: { topics: [{ name: topic }] } } });
      try {
        await waitFor(async () => commands.some((c) => c.settings));
        const orphan = message(topic, 'orphan', { messageType: 'TRANSACTION' });
        const r2 = await unary('SendMessage', { messages: [orphan] }, `tx-${broker}`);
        expect(r2.status.code).toBe('OK');
        const cmd = await waitFor(async () =>
          commands.find((c) => c.recoverOrphanedTransactionCommand?.message?.systemProperties?.messageId === orphan.systemProperties.messageId), 40_000);
        expect(cmd.recoverOrphanedTransactionCommand.message.body.toString()).toBe('orphan');
        const e2 = await unary('EndTransaction', {
          topic: { name: topic }, messageId: orphan.systemProperties.messageId,
          transactionId: cmd.recoverOrphanedTransactionCommand.transactionId, resolution: 'COMMIT', source: 'SOURCE_SERVER_CHECK',
        }, `tx-${broker}`);
        expect(e2.status.code).toBe('OK');
        await waitFor(async () => (await stored(brokerOf(broker), topic)).some((r) => r.props.get('UNIQ_KEY') === orphan.systemProperties.messageId));
      } finally {
        stream.end();
      }
    }, 90_000);
  }
});

const brokerOf = (v: string): Node => (v === '5.3.3' ? b5! : b4!);

function metadata(clientId: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('x-mq-client-id', clientId);
  md.set('x-mq-language', 'JAVA');
  return md;
}

function unary(method: string, req: object, clientId = 'cluster-client'): Promise<any> {
  return new Promise((resolve, reject) =>
    client[method](req, metadata(clientId), { deadline: Date.now() + 10_000 }, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))));
}

let seq = 0;
function message(topic: string, body: string, sys: Record<string, unknown> = {}, user: Record<string, string> = {}): any {
  const id = `01CCDDEEFF0011${(Date.now() % 1e8).toString(16).toUpperCase()}${String(seq++).padStart(6, '0')}`;
  return { topic: { name: topic }, userProperties: user, systemProperties: { messageId: id, messageType: 'NORMAL', ...sys }, body: Buffer.from(body) };
}

async function createTopic(addr: string, topic: string, type?: string): Promise<void> {
  const req = createTopicRequest(topic, 4);
  if (type) req.extFields!.attributes = `+message.type=${type}`;
  const res = await remoting.invoke(addr, req, 10_000);
  if (res.code !== ResponseCode.SUCCESS) throw new Error(`create ${topic} on ${addr}: ${res.code} ${res.remark}`);
}

async function stored(broker: Node, topic: string): Promise<{ body: Buffer; queueId: number; props: Map<string, string> }[]> {
  await remoting.invoke(broker.addr, consumerHeartbeat('cluster-reader@1', 'cluster-reader', topic), 5000);
  const out: { body: Buffer; queueId: number; props: Map<string, string> }[] = [];
  for (let q = 0; q < 4; q++) {
    const res = await remoting.invoke(broker.addr, pullRequest('cluster-reader', topic, q, 0, 64), 5000);
    if (res.code !== ResponseCode.SUCCESS) continue;
    for (const r of pulledRecords(res)) out.push({ body: r.body, queueId: r.queueId, props: parseProperties(r.propertiesString) });
  }
  return out;
}

async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}
