/**
 * The gRPC port, serving plaintext and TLS peers on one port as the Apache proxy does (its
 * grpcServerPort sniffs the first byte, tls.server.mode permissive by default): 0x16 (a TLS
 * ClientHello) goes through a TLS server offering ALPN h2, anything else is HTTP/2 in the clear. Both
 * end up in the grpc-js server through a connection injector, so one MessagingService serves both.
 *
 *   tls.server.mode   plaintext peer   TLS peer
 *   disabled          served           closed
 *   permissive        served           served
 *   enforcing         closed           served
 *
 * The certificate is tls.server.certPath/keyPath when set, otherwise one made at start
 * (tls/self-signed.ts), as the Apache proxy's test mode makes one: the Java and Go SDKs dial TLS by
 * default and do not verify it.
 */
import net from 'node:net';
import tls from 'node:tls';
import type * as grpc from '@grpc/grpc-js';
import { TLS_CONFIG_DEFAULTS, type TlsConfig } from '../../config/security.js';
import { resolveTlsConfig, tlsServerSide } from '../../remoting/tls.js';
import { log } from '../../logger.js';
import { makeSelfSigned } from '../tls/self-signed.js';

/** A TLS handshake record's first byte. */
const HANDSHAKE_MAGIC = 0x16;
/** A peer silent this long before its first byte, or its TLS handshake, is closed. */
const FIRST_BYTES_TIMEOUT_MS = 10_000;

export interface GrpcListener {
  readonly port: number;
  readonly tlsMode: string;
  close(): Promise<void>;
}

export async function listen(
  injector: grpc.ConnectionInjector,
  host: string,
  port: number,
  tlsKeys: Partial<TlsConfig> | undefined,
): Promise<GrpcListener> {
  const cfg = resolveTlsConfig({ ...TLS_CONFIG_DEFAULTS, ...tlsKeys });
  const mode = cfg['tls.server.mode'] as 'disabled' | 'permissive' | 'enforcing';
  const tlsServer = mode === 'disabled' ? undefined : makeTlsServer(cfg, (s) => injector.injectConnection(s));
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.setTimeout(FIRST_BYTES_TIMEOUT_MS, () => socket.destroy());
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      const wantsTls = chunk[0] === HANDSHAKE_MAGIC;
      if (wantsTls ? !tlsServer : mode === 'enforcing') {
        log.client('grpc tls', `${socket.remoteAddress}:${socket.remotePort}: ${wantsTls ? 'TLS' : 'plaintext'} refused (tls.server.mode=${mode}); closed`);
        socket.destroy();
        return;
      }
      socket.setTimeout(0);
      if (wantsTls) {
        tlsServer!.emit('connection', socket);
        return;
      }
      injector.injectConnection(socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as net.AddressInfo).port;
  return {
    port: bound,
    tlsMode: mode,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

function makeTlsServer(cfg: TlsConfig, ready: (s: tls.TLSSocket) => void): tls.Server {
  let credentials: tls.SecureContextOptions;
  let requestCert = false;
  let rejectUnauthorized = false;
  if (cfg['tls.server.certPath'] && cfg['tls.server.keyPath']) {
    const side = tlsServerSide(cfg, 'grpc');
    credentials = side.credentials ?? {};
    requestCert = side.clientAuth !== 'none';
    rejectUnauthorized = side.verifyClient && side.clientAuth === 'require';
  } else {
    const made = makeSelfSigned();
    credentials = { cert: made.certPem, key: made.keyPem };
  }
  const server = tls.createServer({
    ...credentials,
    ALPNProtocols: ['h2'],
    requestCert,
    rejectUnauthorized,
    handshakeTimeout: FIRST_BYTES_TIMEOUT_MS,
  });
  server.on('secureConnection', (s: tls.TLSSocket) => {
    s.on('error', () => {});
    ready(s);
  });
  server.on('tlsClientError', (e: Error, s: tls.TLSSocket) => {
    log.client('grpc tls', `${s.remoteAddress}:${s.remotePort}: ${e.message}`);
    s.destroy();
  });
  return server;
}
