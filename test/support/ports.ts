/**
 * Free TCP ports on 127.0.0.1 for servers the tests start.
 *
 * A RocketMQ broker on listenPort also binds listenPort-2 (the VIP "fast" channel) and listenPort+1 (HA),
 * so brokerPort() only returns ports whose neighbours are free too. Checks bind 0.0.0.0 because the
 * Apache broker does: that also fails when anything holds the port on 127.0.0.1.
 * Ports come from below Linux's ephemeral range (32768+) so outgoing connections do not take them
 * between the check and the server's bind.
 */
import net from 'node:net';

const PORT_MIN = 12000;
const PORT_MAX = 32000;
/** Candidates tried before giving up: a machine this busy has other problems. */
const ATTEMPTS_MAX = 200;

/** Ports handed out by this process, so two servers started back to back never get the same one. */
const handedOut = new Set<number>();

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function isFree(port: number): Promise<boolean> {
  if (handedOut.has(port) || port < 1024 || port > 65535) return false;
  return (await canBind(port, '0.0.0.0')) && (await canBind(port, '127.0.0.1'));
}

async function allocate(neighbours: number[]): Promise<number> {
  for (let i = 0; i < ATTEMPTS_MAX; i++) {
    const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN));
    const all = neighbours.map((d) => port + d);
    let free = true;
    for (const p of all) {
      if (!(await isFree(p))) {
        free = false;
        break;
      }
    }
    if (free) {
      for (const p of all) handedOut.add(p);
      return port;
    }
  }
  throw new Error(`no free port after ${ATTEMPTS_MAX} attempts in ${PORT_MIN}-${PORT_MAX}`);
}

/** A free port for a single listener (a NameServer). */
export function freePort(): Promise<number> {
  return allocate([0]);
}

/** A free broker listenPort: listenPort-2 (VIP channel) and listenPort+1 (HA) are free as well. */
export function brokerPort(): Promise<number> {
  return allocate([-2, -1, 0, 1]);
}
