/**
 * Binds the RPC table to grpc-js: the generic steps every call takes before and after its handler,
 * as GrpcMessagingApplication does them once for all RPCs:
 *   1. read the metadata into a RequestMeta (the SDKs' x-mq-* headers);
 *   2. refuse a call without x-mq-client-id: CLIENT_ID_REQUIRED "client id cannot be empty";
 *   3. note the client as seen (client-registry.ts);
 *   4. run the handler; a thrown error becomes the response's status (proxy-error.ts statusOf),
 *      the gRPC call itself ending OK, as the Apache proxy answers.
 * An RPC of service.proto that the table lacks answers NOT_IMPLEMENTED the same way.
 */
import * as grpc from '@grpc/grpc-js';
import { log } from '../../logger.js';
import type { ProxyContext } from '../context.js';
import { statusOf, type Status } from '../proxy-error.js';
import type { RequestMeta, Rpc, RpcTable } from './rpc-types.js';

type AnyCall = grpc.ServerUnaryCall<any, any> | grpc.ServerWritableStream<any, any> | grpc.ServerDuplexStream<any, any>;

export function metaOf(call: AnyCall): RequestMeta {
  const md = call.metadata;
  const text = (key: string): string => {
    const v = md.get(key)[0];
    return v === undefined ? '' : String(v);
  };
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  return {
    clientId: text('x-mq-client-id'),
    namespace: text('x-mq-namespace'),
    language: text('x-mq-language'),
    clientVersion: text('x-mq-client-version'),
    protocolVersion: text('x-mq-protocol'),
    requestId: text('x-mq-request-id'),
    authorization: text('authorization'),
    remoteAddr: peerAddr(call.getPeer()),
    localAddr: '',
    remainingMs: () => (Number.isFinite(deadlineMs) ? deadlineMs - Date.now() : Infinity),
  };
}

/** grpc-js peers look like "ipv4:127.0.0.1:5000", "ipv6:[::1]:5000" or "127.0.0.1:5000". */
function peerAddr(peer: string): string {
  return peer.replace(/^ipv[46]:/, '').replace(/^\[(.*)\]:(\d+)$/, '$1:$2');
}

const CLIENT_ID_REQUIRED: Status = { code: 'CLIENT_ID_REQUIRED', message: 'client id cannot be empty' };

/** The grpc-js implementation object for `service`: one function per RPC. */
export function bindService(ctx: ProxyContext, service: grpc.ServiceDefinition, table: RpcTable): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, def] of Object.entries(service)) {
    const rpc: Rpc | undefined = table[name];
    if (def.requestStream && def.responseStream) impl[name] = bidi(ctx, name, rpc);
    else if (def.responseStream) impl[name] = serverStream(ctx, name, rpc);
    else impl[name] = unary(ctx, name, rpc);
  }
  return impl;
}

function unary(ctx: ProxyContext, name: string, rpc: Rpc | undefined): grpc.handleUnaryCall<any, any> {
  return (call, callback) => {
    const meta = metaOf(call);
    if (!rpc || rpc.kind !== 'unary') {
      callback(null, { status: { code: 'NOT_IMPLEMENTED', message: `${name} is not implemented` } });
      return;
    }
    if (!meta.clientId) {
      callback(null, { status: CLIENT_ID_REQUIRED });
      return;
    }
    ctx.clients.touch(meta);
    rpc.handle(ctx, call.request, meta).then(
      (res) => callback(null, res),
      (e) => callback(null, { status: failed(name, e) }),
    );
  };
}

function serverStream(ctx: ProxyContext, name: string, rpc: Rpc | undefined): grpc.handleServerStreamingCall<any, any> {
  return (call) => {
    const meta = metaOf(call);
    const finish = (status: Status): void => {
      if (!call.cancelled) {
        call.write({ status });
        call.end();
      }
    };
    if (!rpc || rpc.kind !== 'serverStream') return finish({ code: 'NOT_IMPLEMENTED', message: `${name} is not implemented` });
    if (!meta.clientId) return finish(CLIENT_ID_REQUIRED);
    ctx.clients.touch(meta);
    const abort = new AbortController();
    const onStop = (): void => abort.abort();
    call.on('cancelled', onStop);
    ctx.stopping.addEventListener('abort', onStop, { once: true });
    const write = (res: unknown): void => {
      if (!call.cancelled) call.write(res);
    };
    rpc.handle(ctx, call.request, meta, write, abort.signal).then(
      () => {
        if (!call.cancelled) call.end();
      },
      (e) => finish(failed(name, e)),
    ).finally(() => ctx.stopping.removeEventListener('abort', onStop));
  };
}

function bidi(ctx: ProxyContext, name: string, rpc: Rpc | undefined): grpc.handleBidiStreamingCall<any, any> {
  return (call) => {
    const meta = metaOf(call);
    if (!rpc || rpc.kind !== 'bidi') {
      call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented` });
      return;
    }
    if (!meta.clientId) {
      call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: CLIENT_ID_REQUIRED.message });
      return;
    }
    ctx.clients.touch(meta);
    rpc.handle(ctx, call, meta);
  };
}

function failed(name: string, e: unknown): Status {
  const status = statusOf(e);
  if (status.code === 'INTERNAL_SERVER_ERROR') log.warn(`grpc ${name}: ${status.message}`);
  return status;
}
