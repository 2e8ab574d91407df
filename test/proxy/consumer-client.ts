/**
 * What the consumer-side gRPC tests share: an in-process NameServer + broker with the gRPC endpoint
 * in front of it, a raw @grpc/grpc-js MessagingService client that sends the SDKs' x-mq-* metadata,
 * and remoting helpers to produce and inspect messages behind the endpoint's back.
 */
import * as grpc from '@grpc/grpc-js';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { startGrpcProxy, type GrpcProxy } from '../../src/proxy/grpc-proxy.js';
import { loadMessagingPackage } from '../../src/proxy/grpc/proto.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { createTopicRequest, sendV2, type SendOptions } from '../support/wire.js';
import type { BrokerConfig } from '../../src/config/broker-config.js';
import type { ProxyConfig } from '../../src/proxy/proxy-config.js';

export interface Rig {
  srv: InProcessServer;
  proxy: GrpcProxy;
  remoting: RemotingClient;
  client: any;
  /** One remoting request to the broker. */
  broker(req: RemotingCommand): Promise<RemotingCommand>;
  unary(method: string, req: object, clientId?: string): Promise<any>;
  /** A server-streaming call's responses, all of them, in order. */
  stream(method: string, req: object, opts?: { clientId?: string; deadlineMs?: number; version?: string; signal?: AbortSignal }): Promise<any[]>;
  createTopic(topic: string, queues?: number): Promise<void>;
  send(topic: string, body: string, o?: SendOptions): Promise<string>;
  stop(): Promise<void>;
}

export async function startRig(brokerOverrides: Partial<BrokerConfig> = {}, proxyOverrides: Partial<ProxyConfig> = {}): Promise<Rig> {
  const srv = await startInProcess({ reviveInterval: 100, popFromRetryProbability: 0, ...brokerOverrides });
  let proxy: GrpcProxy | undefined;
  const remoting = new RemotingClient();
  try {
    proxy = await startGrpcProxy({
      namesrvAddr: srv.namesrvAddr, host: '127.0.0.1', port: 0,
      minInvisibleTimeMillsForRecv: 1_000, grpcClientConsumerMinLongPollingTimeoutMillis: 100, topicRouteServiceCacheRefreshSeconds: 1,
      ...proxyOverrides,
    });
  } catch (e) {
    remoting.close();
    await srv.stop();
    throw e;
  }
  const pkg = loadMessagingPackage() as any;
  const client = new pkg.apache.rocketmq.v2.MessagingService(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure());
  const metadata = (clientId: string, version = '5.0.7'): grpc.Metadata => {
    const md = new grpc.Metadata();
    md.set('x-mq-client-id', clientId);
    md.set('x-mq-language', 'NODE_JS');
    md.set('x-mq-client-version', version);
    md.set('x-mq-protocol', 'v2');
    return md;
  };
  const p = proxy;
  const rig: Rig = {
    srv, proxy: p, remoting, client,
    broker: (req) => remoting.invoke(srv.brokerAddr, req, 10_000),
    unary: (method, req, clientId = 'test-client') => new Promise((resolve, reject) => {
      client[method](req, metadata(clientId), { deadline: Date.now() + 10_000 }, (e: Error | null, res: unknown) => (e ? reject(e) : resolve(res)));
    }),
    stream: (method, req, o = {}) => new Promise((resolve, reject) => {
      const out: any[] = [];
      const call = client[method](req, metadata(o.clientId ?? 'test-client', o.version), { deadline: Date.now() + (o.deadlineMs ?? 10_000) });
      o.signal?.addEventListener('abort', () => call.cancel());
      call.on('data', (d: unknown) => out.push(d));
      call.on('end', () => resolve(out));
      call.on('error', (e: Error) => (o.signal?.aborted ? resolve(out) : reject(e)));
    }),
    async createTopic(topic, queues = 1) {
      const res = await rig.broker(createTopicRequest(topic, queues));
      if (res.code !== ResponseCode.SUCCESS) throw new Error(`create ${topic}: ${res.code} ${res.remark}`);
    },
    async send(topic, body, o = {}) {
      const res = await rig.broker(sendV2(topic, body, o));
      if (res.code !== ResponseCode.SUCCESS) throw new Error(`send ${topic}: ${res.code} ${res.remark}`);
      return res.extFields!.msgId;
    },
    async stop() {
      client.close();
      remoting.close();
      await p.stop();
      await srv.stop();
    },
  };
  return rig;
}

/** UPDATE_AND_CREATE_SUBSCRIPTIONGROUP as mqadmin updateSubGroup sends it. */
export function groupRequest(group: string, fields: Record<string, unknown>): RemotingCommand {
  const body = { groupName: group, consumeEnable: true, retryQueueNums: 1, retryMaxTimes: 16, ...fields };
  return createRequest(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined, Buffer.from(JSON.stringify(body)));
}

/** A ReceiveMessageRequest as the SDKs build it. */
export function receiveRequest(topic: string, group: string, o: { batch?: number; invisibleMs?: number; pollMs?: number; filter?: object; autoRenew?: boolean; queueId?: number } = {}): object {
  const req: Record<string, unknown> = {
    group: { name: group },
    messageQueue: { topic: { name: topic }, id: o.queueId ?? -1, broker: { name: 'broker-a' } },
    filterExpression: o.filter ?? { type: 'TAG', expression: '*' },
    batchSize: o.batch ?? 16,
    autoRenew: o.autoRenew ?? false,
    longPollingTimeout: ms(o.pollMs ?? 300),
  };
  if (!o.autoRenew) req.invisibleDuration = ms(o.invisibleMs ?? 10_000);
  return req;
}

export const ms = (n: number): { seconds: number; nanos: number } => ({ seconds: Math.floor(n / 1000), nanos: (n % 1000) * 1_000_000 });

/** The messages of a ReceiveMessage stream. */
export const messagesOf = (responses: any[]): any[] => responses.filter((r) => r.content === 'message').map((r) => r.message);
/** The status of a ReceiveMessage / PullMessage stream. */
export const statusOf = (responses: any[]): any => responses.find((r) => r.content === 'status')?.status;

