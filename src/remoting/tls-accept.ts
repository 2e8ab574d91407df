/**
 * Accepting a connection on a port that serves plain and TLS peers, as NettyRemotingServer's
 * HandshakeHandler does (rocketmq-remoting 4.9.8): the first byte read decides. 0x16 is a TLS record of
 * type handshake (a ClientHello); anything else is the peer's own protocol. A RemotingCommand frame
 * cannot start with it (its first byte is the high byte of the frame length: 0x16 means over 369 MB,
 * past every frame limit), and neither can an HA offset report (the high byte of a log offset).
 *
 *   first byte  disabled     permissive                       enforcing
 *   0x16        closed       TLS (closed without a context)   TLS (closed without a context)
 *   other       plain        plain                            closed
 *
 * This file knows nothing of config keys: tls.ts builds a TlsServerSide from them; the remoting server
 * and the HA listener (store/ha) both accept through here.
 */
import type net from 'node:net';
import tls from 'node:tls';
import { log } from '../logger.js';

export type TlsMode = 'disabled' | 'permissive' | 'enforcing';

/** What a listener needs to accept TLS: the mode, and the server context when a certificate is configured. */
export interface TlsServerSide {
  mode: TlsMode;
  /** Certificate, key, key password and trusted CAs (PEM); undefined when none is configured (Java's null sslContext). */
  credentials?: Pick<tls.SecureContextOptions, 'cert' | 'key' | 'passphrase' | 'ca'>;
  /** tls.server.need.client.auth (Netty ClientAuth). */
  clientAuth: 'none' | 'optional' | 'require';
  /** tls.server.authClient: a client certificate must chain to the trusted CAs (otherwise any is taken). */
  verifyClient: boolean;
  /** A handshake not done by then closes the connection; TLS_HANDSHAKE_TIMEOUT_MS when absent (no Java key sets it). */
  handshakeTimeoutMs?: number;
}

/**
 * Whether a connection's first byte can change what happens to it beyond a log line: TLS is possible
 * (a certificate in permissive or enforcing mode) or required. Otherwise a listener may hand the
 * socket over at once, which the HA port does so a slave counts as connected from its accept, as in Java.
 */
export function tlsDecidesAtFirstByte(side: TlsServerSide | undefined): side is TlsServerSide {
  return side !== undefined && (side.mode === 'enforcing' || (side.mode === 'permissive' && side.credentials !== undefined));
}

/** The first byte of a TLS handshake record (HandshakeHandler.HANDSHAKE_MAGIC_CODE). */
const HANDSHAKE_MAGIC = 0x16;
/** Netty SslHandler's default handshakeTimeoutMillis: a handshake not done by then closes the connection. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Waits for the first bytes of `socket`, then hands the peer's stream (the socket itself, or a server-side
 * TLSSocket over it once the handshake is done) to `ready`, paused, or closes the socket with a log line.
 * `label` names the listener in those lines. Without `side` the socket is handed over at once.
 */
export function acceptSniffed(socket: net.Socket, side: TlsServerSide | undefined, label: string, ready: (s: net.Socket) => void): void {
  if (!side) {
    ready(socket);
    return;
  }
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  // Errors of the TCP socket are only logged until a Connection listens on it (plain), and for good under
  // TLS, where the TLS socket reports them. The idle timeout of the listener covers silence.
  const onEarlyError = (e: Error): void => log.debug(`${label}: ${peer}: ${e.message}`);
  socket.on('error', onEarlyError);
  socket.once('data', (chunk: Buffer) => {
    socket.pause();
    // Put the bytes back: the plain reader, or TLSSocket's first read, takes them from the socket's buffer.
    socket.unshift(chunk);
    if (chunk[0] !== HANDSHAKE_MAGIC) {
      if (side.mode === 'enforcing') {
        log.client('tls refused', `${label}: ${peer} intends an insecure connection while this server is running in SSL enforcing mode; closed`);
        socket.destroy();
        return;
      }
      socket.off('error', onEarlyError);
      ready(socket);
      return;
    }
    if (side.mode === 'disabled') {
      log.client('tls refused', `${label}: ${peer} intends to establish an SSL connection while this server is running in SSL disabled mode; closed`);
      socket.destroy();
      return;
    }
    if (!side.credentials) {
      log.client('tls refused', `${label}: ${peer} tries to establish an SSL connection but no certificate is configured (tls.server.certPath, tls.server.keyPath); closed`);
      socket.destroy();
      return;
    }
    startTls(socket, side, label, ready);
  });
}

/**
 * Hands TLS peers to a tls.Server that never listens (connections are injected with
 * `emit('connection')`, as net.Server documents): it runs the handshake, its timeout and the client
 * certificate check (authorized / authorizationError), which a bare server-side TLSSocket leaves undone.
 * Its events name the TLS socket, not the raw one: connections are told apart by their address
 * 4-tuple, which TCP keeps unique (one acceptor serves every listener given the same TlsServerSide).
 */
class TlsAcceptor {
  private readonly server: tls.Server;
  private readonly waiting = new Map<string, { label: string; ready: (s: net.Socket) => void }>();

  constructor(private readonly side: TlsServerSide) {
    this.server = tls.createServer({
      ...side.credentials,
      requestCert: side.clientAuth !== 'none',
      // Every refusal is decided (and logged) in clientCertRefusal once the handshake is done.
      rejectUnauthorized: false,
      handshakeTimeout: side.handshakeTimeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS,
    });
    this.server.on('secureConnection', (s: tls.TLSSocket) => this.secured(s));
    this.server.on('tlsClientError', (e: Error, s: tls.TLSSocket) => {
      // A peer gone before the handshake ended has no address left; its entry goes when its socket closes.
      const key = peerKey(s);
      const w = this.waiting.get(key);
      this.waiting.delete(key);
      log.client('tls handshake', w ? `${w.label}: ${s.remoteAddress}:${s.remotePort}: ${e.message}` : `a peer left during its TLS handshake: ${e.message}`);
      s.destroy();
    });
  }

  accept(socket: net.Socket, label: string, ready: (s: net.Socket) => void): void {
    const key = peerKey(socket);
    this.waiting.set(key, { label, ready });
    socket.once('close', () => {
      if (this.waiting.get(key)?.ready === ready) this.waiting.delete(key);
    });
    this.server.emit('connection', socket);
  }

  private secured(s: tls.TLSSocket): void {
    const key = peerKey(s);
    const w = this.waiting.get(key);
    this.waiting.delete(key);
    if (!w) {
      s.destroy();
      return;
    }
    const refusal = clientCertRefusal(s, this.side);
    if (refusal) {
      log.client('tls client auth', `${w.label}: ${s.remoteAddress}:${s.remotePort}: ${refusal}; closed`);
      s.destroy();
      return;
    }
    s.pause();
    w.ready(s);
  }
}

const acceptors = new WeakMap<TlsServerSide, TlsAcceptor>();

function startTls(socket: net.Socket, side: TlsServerSide, label: string, ready: (s: net.Socket) => void): void {
  let a = acceptors.get(side);
  if (!a) acceptors.set(side, (a = new TlsAcceptor(side)));
  a.accept(socket, label, ready);
}

function peerKey(s: net.Socket): string {
  return `${s.remoteAddress}:${s.remotePort}>${s.localAddress}:${s.localPort}`;
}

/** Why the client's certificate (or its absence) is not accepted under need.client.auth and authClient. */
function clientCertRefusal(s: tls.TLSSocket, side: TlsServerSide): string | undefined {
  if (side.clientAuth === 'none') return undefined;
  const cert = s.getPeerCertificate();
  const presented = cert !== null && typeof cert === 'object' && Object.keys(cert).length > 0;
  if (!presented) return side.clientAuth === 'require' ? 'no client certificate (tls.server.need.client.auth=require)' : undefined;
  if (side.verifyClient && !s.authorized) return `client certificate not trusted: ${String(s.authorizationError)} (tls.server.authClient=true)`;
  return undefined;
}
