/**
 * The caller as a gRPC call's metadata describes it; read once per call by grpc/server-binding.ts.
 * Its own file so that the client registry can name it without importing the handler types.
 */
/** What the call's metadata says about the caller (the SDKs' Signature header keys). */
export interface RequestMeta {
  /** x-mq-client-id: the client's id, the key of the client registry. */
  clientId: string;
  /** x-mq-namespace ('' when none). */
  namespace: string;
  /** x-mq-language (JAVA, GOLANG, NODE_JS, ...). */
  language: string;
  /** x-mq-client-version. */
  clientVersion: string;
  /** x-mq-protocol. */
  protocolVersion: string;
  /** x-mq-request-id. */
  requestId: string;
  /** The `authorization` header, as sent (ACL is not checked here). */
  authorization: string;
  /** The peer, host:port. */
  remoteAddr: string;
  /** Our side of the connection, host:port. */
  localAddr: string;
  /** Milliseconds left before the call's deadline (Infinity when none). */
  remainingMs(): number;
}
