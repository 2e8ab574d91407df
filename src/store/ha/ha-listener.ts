/**
 * The HA port of a master, shared by both replication protocols (4.x HAService, 5.x AutoSwitchHA): it
 * accepts slaves on all interfaces (as the Java broker's AcceptSocketService binds), tells TLS from plain by
 * the first byte when TLS is configured, and closes what it accepted at shutdown.
 */
import net from 'node:net';
import { log } from '../../logger.js';
import { acceptSniffed, tlsDecidesAtFirstByte, type TlsServerSide } from '../../remoting/tls-accept.js';

export class HaListener {
  private server: net.Server | undefined;
  /** Slaves still before their first byte or in their TLS handshake. */
  private readonly accepting = new Set<net.Socket>();

  constructor(
    private readonly port: number,
    /** A peer that never sends its first byte is closed after this long (afterwards the connection's tick watches). */
    private readonly firstByteTimeoutMs: number,
  ) {}

  /** Resolves once listening; `onSlave` gets each accepted stream (plain, or TLS once its handshake is done). */
  async listen(tlsSide: TlsServerSide | undefined, onSlave: (stream: net.Socket, overTls: boolean) => void): Promise<void> {
    // A slave speaks first (its offset report or handshake), so the first byte tells TLS from plain here too.
    // Without TLS to decide, a slave is taken at accept: a 4.9 slave reports only after haSendHeartbeatInterval.
    const tls = tlsDecidesAtFirstByte(tlsSide) ? tlsSide : undefined;
    const server = net.createServer((socket) => {
      this.accepting.add(socket);
      socket.once('close', () => this.accepting.delete(socket));
      if (tls) socket.setTimeout(this.firstByteTimeoutMs, () => socket.destroy());
      acceptSniffed(socket, tls, `ha port ${this.port}`, (stream) => {
        this.accepting.delete(socket);
        if (tls) socket.setTimeout(0);
        if (!this.server) {
          stream.destroy();
          return;
        }
        onSlave(stream, stream !== socket);
        stream.resume();
      });
    });
    server.on('error', (e) => log.error(`ha: listener: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.port, host: '0.0.0.0' }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  async close(): Promise<void> {
    for (const s of this.accepting) s.destroy();
    this.accepting.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
