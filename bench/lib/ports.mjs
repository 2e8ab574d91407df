/**
 * Free TCP ports for the servers of a run (same scheme as test/support/ports.ts, duplicated so the
 * benchmark runs as plain Node without a TypeScript loader).
 *
 * A broker on listenPort also binds listenPort-2 (the VIP "fast" channel) and listenPort+1 (HA), so
 * brokerPort() returns ports whose neighbours are free too. Checks bind 0.0.0.0 because the Apache
 * broker does. Ports come from below Linux's ephemeral range so outgoing connections do not take them.
 */
import net from 'node:net';

const PORT_MIN = 12000;
const PORT_MAX = 32000;
/** Candidates tried before giving up: a machine this busy has other problems. */
const ATTEMPTS_MAX = 200;
const handedOut = new Set();

function canBind(port, host) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function isFree(port) {
  if (handedOut.has(port)) return false;
  return (await canBind(port, '0.0.0.0')) && (await canBind(port, '127.0.0.1'));
}

async function allocate(neighbours) {
  for (let i = 0; i < ATTEMPTS_MAX; i++) {
    const port = PORT_MIN + 2 + Math.floor(Math.random() * (PORT_MAX - PORT_MIN - 4));
    let free = true;
    for (const d of neighbours) {
      if (!(await isFree(port + d))) {
        free = false;
        break;
      }
    }
    if (free) {
      for (const d of neighbours) handedOut.add(port + d);
      return port;
    }
  }
  throw new Error(`no free port after ${ATTEMPTS_MAX} attempts in ${PORT_MIN}-${PORT_MAX}`);
}

/** A free port for a single listener (a NameServer). */
export const freePort = () => allocate([0]);
/** A free broker listenPort: listenPort-2 (VIP channel) and listenPort+1 (HA) are free as well. */
export const brokerPort = () => allocate([-2, -1, 0, 1]);
