import type { BrokerConfig } from '../../config/broker-config.js';
import type { RemotingClientOptions } from '../../remoting/client.js';
import { type Credentials, signRequest } from '../../auth/signature.js';
import { tlsClientOptions } from '../../remoting/tls.js';

/**
 * innerClientAuthenticationCredentials ({"accessKey":..,"secretKey":..}, as 5.x AuthConfig spells it):
 * the account this broker signs its own requests with, so a secured master answers its slave and a
 * secured peer answers it. Blank: requests go unsigned.
 */
export function innerCredentials(config: Pick<BrokerConfig, 'innerClientAuthenticationCredentials'>): Credentials | undefined {
  const text = config.innerClientAuthenticationCredentials.trim();
  if (!text) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('innerClientAuthenticationCredentials is not JSON {"accessKey":"..","secretKey":".."}');
  }
  const { accessKey, secretKey } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof accessKey !== 'string' || typeof secretKey !== 'string' || !accessKey || !secretKey) {
    throw new Error('innerClientAuthenticationCredentials needs accessKey and secretKey');
  }
  return { accessKey, secretKey };
}

/**
 * How the broker's outgoing clients (namesrv registration, slave synchronization) connect and sign:
 * over TLS when tls.enable is true, as the Java BrokerOuterAPI's client does (NettyClientConfig.useTLS).
 */
export function brokerClientOptions(config: BrokerConfig): RemotingClientOptions {
  const cred = innerCredentials(config);
  return {
    beforeRequest: cred ? (req) => signRequest(req, cred) : undefined,
    tls: tlsClientOptions(config),
  };
}
