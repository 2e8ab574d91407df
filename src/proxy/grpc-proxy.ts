/**
 * The 5.x gRPC endpoint (apache.rocketmq.v2.MessagingService, what the Apache rocketmq-proxy serves
 * the 5.x SDKs), in front of brokers reached over remoting through the NameServer's routes. The
 * standalone server starts one pointed at its embedded NameServer (server/standalone.ts); the
 * `proxy` command starts one alone in front of a cluster (cli-command.ts).
 */
import * as grpc from '@grpc/grpc-js';
import { log } from '../logger.js';
import { ProxyContext } from './context.js';
import { PROXY_CONFIG_DEFAULTS, type ProxyConfig } from './proxy-config.js';
import { messagingServiceDefinition } from './grpc/proto.js';
import { RPC_TABLE, setupSides } from './grpc/rpc-table.js';
import { bindService } from './grpc/server-binding.js';
import { listen, type GrpcListener } from './grpc/listener.js';
import { guardLongDeadlines } from './grpc/deadline-guard.js';

export interface GrpcProxyOptions extends Partial<Omit<ProxyConfig, 'namesrvAddr' | 'grpcServerHost' | 'grpcServerPort'>> {
  namesrvAddr: string;
  /** Default 0.0.0.0. */
  host?: string;
  /** 0 takes a free port. */
  port: number;
}

export interface GrpcProxy {
  /** host:port as bound. */
  readonly address: string;
  readonly port: number;
  readonly context: ProxyContext;
  stop(): Promise<void>;
}

/** How long stop waits for calls in flight (long polls, Telemetry streams) before cutting them. */
const SHUTDOWN_GRACE_MS = 1_000;

export async function startGrpcProxy(options: GrpcProxyOptions): Promise<GrpcProxy> {
  const { host, port, ...rest } = options;
  const config: ProxyConfig = { ...PROXY_CONFIG_DEFAULTS, ...rest, grpcServerHost: host ?? PROXY_CONFIG_DEFAULTS.grpcServerHost, grpcServerPort: port };
  const ctx = new ProxyContext(config);
  const server = new grpc.Server({
    'grpc.max_receive_message_length': config.grpcMaxInboundMessageSize,
    // The SDKs keep their channel alive with pings every 30 s (Java) or less; accept them.
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
  });
  server.addService(messagingServiceDefinition(), bindService(ctx, messagingServiceDefinition(), RPC_TABLE));
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  if (!guardLongDeadlines(server)) log.warn('grpc: cannot guard against deadlines past 24.8 days (grpc-js internals changed); Java SDK Telemetry streams will end at once');
  let listener: GrpcListener;
  try {
    listener = await listen(injector, config.grpcServerHost, port, config.tls);
  } catch (e) {
    injector.destroy();
    throw e;
  }
  const bound = listener.port;
  ctx.grpcPort = bound;
  setupSides(ctx);
  ctx.start();
  log.info(`grpc: MessagingService on ${config.grpcServerHost}:${bound} (tls.server.mode ${listener.tlsMode}), namesrv ${config.namesrvAddr}`);
  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    await ctx.stop();
    await listener.close();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      server.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
  };
  return {
    address: `${config.grpcServerHost}:${bound}`,
    port: bound,
    context: ctx,
    stop: () => (stopped ??= stop()),
  };
}
