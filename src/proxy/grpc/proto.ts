/**
 * The apache.rocketmq.v2 protos (proto/apache/rocketmq/v2/*.proto, as rocketmq-client-nodejs 1.0.8
 * ships them), loaded once at run time with @grpc/proto-loader.
 *
 * Decoding options, which every handler relies on:
 * - field names camelCase (`systemProperties`, `messageGroup`), as proto-loader's default keepCase=false;
 * - enums as their names (`'OK'`, `'FIFO'`, `'PRODUCER'`); a handler may write a name or a number;
 * - int64 as JS numbers (offsets and timestamps stay below 2^53);
 * - bytes as Buffer; unset scalar fields get their defaults, and each oneof gets a virtual field
 *   naming the member that is set (`command.command === 'settings'`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * proto/ at the package root: the first folder upward holding apache/rocketmq/v2 (three levels up
 * from src/proxy/grpc/ and dist/proxy/grpc/; deeper for a copy of dist/ such as the test servers').
 */
function findProtoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = path.join(dir, 'proto');
    if (fs.existsSync(path.join(candidate, 'apache', 'rocketmq', 'v2', 'service.proto'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('proto/apache/rocketmq/v2/service.proto not found above ' + path.dirname(fileURLToPath(import.meta.url)));
}

const PROTO_ROOT = findProtoRoot();

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

let cached: grpc.ServiceDefinition | undefined;

/** The MessagingService definition (method paths, serializers), loaded on first use. */
export function messagingServiceDefinition(): grpc.ServiceDefinition {
  if (cached) return cached;
  const pkg = protoLoader.loadSync('apache/rocketmq/v2/service.proto', LOADER_OPTIONS);
  cached = pkg['apache.rocketmq.v2.MessagingService'] as grpc.ServiceDefinition;
  return cached;
}

/** The loaded package as a grpc object (tests build a client from it). */
export function loadMessagingPackage(): grpc.GrpcObject {
  return grpc.loadPackageDefinition(protoLoader.loadSync('apache/rocketmq/v2/service.proto', LOADER_OPTIONS));
}
