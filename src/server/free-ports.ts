import net from 'node:net';

/**
 * A broker listenPort for an embedded server: the broker binds listenPort, listenPort-2 (the VIP channel
 * clients with vipChannelEnabled use) and listenPort+1 (HA), all on 0.0.0.0, so the OS cannot pick it
 * (port 0 gives one port, not three side by side). Candidates come from below Linux's ephemeral range
 * (32768+), so an outgoing connection does not take one between this check and the broker's bind.
 */
const PORT_MIN = 12_000;
const PORT_MAX = 32_000;
/** Candidates tried before giving up: on a machine with this many ports taken, say so. */
const ATTEMPTS_MAX = 200;

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port p with p-2 and p+1 free too. */
export async function freeBrokerPort(): Promise<number> {
  for (let i = 0; i < ATTEMPTS_MAX; i++) {
    const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN));
    let free = true;
    for (const p of [port, port - 2, port + 1]) {
      if (!(await canBind(p, '0.0.0.0'))) {
        free = false;
        break;
      }
    }
    if (free) return port;
  }
  throw new Error(`no free broker port (with its VIP and HA neighbours) after ${ATTEMPTS_MAX} attempts in ${PORT_MIN}-${PORT_MAX}`);
}
