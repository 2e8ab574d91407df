import type { RemotingCommand } from '../remoting/command.js';

/** Why a request may not run: the response code and remark the Java broker of that ACL version sends. */
export interface AccessRefusal {
  code: number;
  remark: string;
}

/**
 * One access check (ACL 1.0's plain validator, ACL 2.0's authentication then authorization). It sees
 * every request before its processor, on the main and the VIP port, as the Java broker's RPC hook does.
 * `remoteIp` is the client address without the port (Connection.remoteAddress).
 */
export interface AccessGate {
  check(remoteIp: string, request: RemotingCommand): AccessRefusal | undefined;
  /** Stops file watchers and timers. */
  close?(): void;
}

/** Runs gates in order; the first refusal wins. */
export function chainGates(gates: AccessGate[]): AccessGate {
  return {
    check(ip, req) {
      for (const g of gates) {
        const r = g.check(ip, req);
        if (r) return r;
      }
      return undefined;
    },
    close() {
      for (const g of gates) g.close?.();
    },
  };
}
