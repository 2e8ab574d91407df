/**
 * What the producer-side gRPC tests share: an in-process NameServer + broker, the gRPC endpoint in
 * front of it (startGrpcProxy), a raw @grpc/grpc-js MessagingService client sending the SDKs' x-mq-*
 * metadata, and remoting helpers to create topics and read back what was stored.
 */
import * as grpc from '@grpc/grpc-js';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { startGrpcProxy, type GrpcProxy } from '../../src/proxy/grpc-proxy.js';
import { loadMessagingPackage } from '../../src/proxy/grpc/proto.js';
import { RemotingClient } from '../../src/remoting/client.js';
import type { RemotingCommand } from '../../src/remoting/command.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { parseProperties } from '../../src/codec/message-properties.js';
import type { BrokerConfig } from '../../src/config/broker-config.js';
import type { ProxyConfig } from '../../src/proxy/proxy-config.js';
import { consumerHeartbeat, createTopicRequest, pullRequest, pulledRecords } from '../support/wire.js';
import type { DecodedRecord } from '../../src/codec/message-record.js';

export interface ProducerRig {
  srv: InProcessServer;
  proxy: GrpcProxy;
  client: any;
  metadata(clientId?: string): grpc.Metadata;
  unary(method: string, req: object, clientId?: string | null): Promise<any>;
  createTopic(topic: string, queues?: number, messageType?: string): Promise<void>;
  /** Every stored record of `topic` (all queues), with its properties parsed. */
  stored(topic: string): Promise<(DecodedRecord & { props: Map<string, string> })[]>;
  broker(req: RemotingCommand): Promise<RemotingCommand>;
  stop(): Promise<void>;
}

export async function startProducerRig(brokerOverrides: Partial<BrokerConfig> = {}, proxyOverrides: Partial<ProxyConfig> = {}): Promise<ProducerRig> {
  const srv = await startInProcess(brokerOverrides);
  let proxy: GrpcProxy;
  try {
    proxy = await startGrpcProxy({ namesrvAddr: srv.namesrvAddr, host: '127.0.0.1', port: 0, topicRouteServiceCacheRefreshSeconds: 1, ...proxyOverrides });
  } catch (e) {
    await srv.stop();
    throw e;
  }
  const remoting = new RemotingClient();
  const pkg = loadMessagingPackage() as any;
  const client = new pkg.apache.rocketmq.v2.MessagingService(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure());
  const metadata = (clientId = 'test-client-1'): grpc.Metadata => {
    const md = new grpc.Metadata();
    md.set('x-mq-client-id', clientId);
    md.set('x-mq-language', 'NODE_JS');
    md.set('x-mq-client-version', '5.0.7');
    md.set('x-mq-protocol', 'v2');
    return md;
  };
  const broker = (req: RemotingCommand): Promise<RemotingCommand> => remoting.invoke(srv.brokerAddr, req, 5000);
  return {
    srv, proxy, client, metadata, broker,
    unary: (method, req, clientId = 'test-client-1') =>
      new Promise((resolve, reject) => {
        const md = clientId === null ? new grpc.Metadata() : metadata(clientId);
        client[method](req, md, { deadline: Date.now() + 10_000 }, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res)));
      }),
    async createTopic(topic, queues = 4, messageType) {
      const req = createTopicRequest(topic, queues);
      if (messageType) req.extFields!.attributes = `+message.type=${messageType}`;
      const res = await broker(req);
      if (res.code !== ResponseCode.SUCCESS) throw new Error(`create topic ${topic}: ${res.code} ${res.remark}`);
      // The proxy reads routes from the NameServer: register now rather than on the broker's schedule.
      await srv.broker.registerBrokerAll();
    },
    async stored(topic) {
      const out: (DecodedRecord & { props: Map<string, string> })[] = [];
      // A pull needs the group's subscription, which a consumer heartbeat registers.
      await broker(consumerHeartbeat('producer-rig-reader@1', 'producer-rig-reader', topic));
      for (let q = 0; q < 8; q++) {
        const res = await broker(pullRequest('producer-rig-reader', topic, q, 0, 64));
        if (res.code !== ResponseCode.SUCCESS) continue;
        for (const r of pulledRecords(res)) out.push({ ...r, props: parseProperties(r.propertiesString) });
      }
      return out;
    },
    async stop() {
      client.close();
      remoting.close();
      await proxy.stop();
      await srv.stop();
    },
  };
}
