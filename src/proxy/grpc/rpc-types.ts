/**
 * The shape of a MessagingService handler. grpc/rpc-table.ts maps each RPC name (as service.proto
 * spells it: 'SendMessage', 'ReceiveMessage', ...) to one of these; grpc/server-binding.ts does the
 * generic part once for all of them: reads the metadata into a RequestMeta, refuses a request without
 * x-mq-client-id (CLIENT_ID_REQUIRED, as ContextInitPipeline + validateContext), and turns a thrown
 * error into the response's `status` (proxy-error.ts statusOf). A handler returns its response
 * object with `status` set (OK_STATUS on success).
 *
 * Requests arrive decoded by grpc/proto.ts's options: camelCase fields, enum names, int64 as numbers.
 */
import type { ProxyContext } from '../context.js';

export type { RequestMeta } from '../request-meta.js';
import type { RequestMeta } from '../request-meta.js';

/** A request → one response. */
export interface UnaryRpc<Req = any, Res = any> {
  kind: 'unary';
  handle(ctx: ProxyContext, req: Req, meta: RequestMeta): Promise<Res>;
}

/**
 * A request → a stream of responses (ReceiveMessage, PullMessage). `write` sends one response;
 * `signal` aborts when the client cancels or the server stops. Resolving ends the stream; a throw
 * writes one last response carrying the error's status, then ends it.
 */
export interface ServerStreamRpc<Req = any, Res = any> {
  kind: 'serverStream';
  handle(ctx: ProxyContext, req: Req, meta: RequestMeta, write: (res: Res) => void, signal: AbortSignal): Promise<void>;
}

/** A bidirectional stream (Telemetry); the handler owns the call. */
export interface BidiRpc {
  kind: 'bidi';
  handle(ctx: ProxyContext, call: import('@grpc/grpc-js').ServerDuplexStream<any, any>, meta: RequestMeta): void;
}

export type Rpc = UnaryRpc | ServerStreamRpc | BidiRpc;

/** RPC name (service.proto's) → handler. */
export type RpcTable = Readonly<Record<string, Rpc>>;
