/**
 * `rocketmq-ts proxy`: the gRPC endpoint alone, in front of the brokers a NameServer knows (ours,
 * Apache 4.9.x and 5.x), as `mqproxy` runs the Apache proxy in cluster mode. The CLI (src/cli.ts)
 * parses the options and calls runProxyCommand.
 *
 * -c names a Java-style properties file (rmq-proxy.json's keys as name=value lines): ProxyConfig's
 * keys (proxy-config.ts: namesrvAddr, grpcServerPort, maxMessageSize, ...) and the tls.* keys; an
 * unknown key is refused, a key's value must parse as its default's type.
 */
import { ConfigError } from '../config/config-rules.js';
import { readPropertiesFile } from '../config/properties.js';
import { TLS_CONFIG_DEFAULTS, type TlsConfig } from '../config/security.js';
import { startGrpcProxy, type GrpcProxy } from './grpc-proxy.js';
import { PROXY_CONFIG_DEFAULTS, type ProxyConfig } from './proxy-config.js';

export interface ProxyCommandOptions {
  /** -n: NameServers, ';'-separated (else namesrvAddr from -c, else $NAMESRV_ADDR, else 127.0.0.1:9876). */
  namesrvAddr?: string;
  /** --grpc-port (else grpcServerPort from -c, else 8081). */
  grpcPort?: number;
  /** -c: a properties file of ProxyConfig and tls.* keys. */
  configFile?: string;
}

export async function runProxyCommand(opts: ProxyCommandOptions): Promise<GrpcProxy> {
  const fromFile = opts.configFile ? readProxyConfigFile(opts.configFile) : { config: {}, tls: {} };
  const config = fromFile.config;
  const namesrvAddr = opts.namesrvAddr ?? config.namesrvAddr ?? process.env.NAMESRV_ADDR ?? PROXY_CONFIG_DEFAULTS.namesrvAddr;
  const port = opts.grpcPort ?? config.grpcServerPort ?? PROXY_CONFIG_DEFAULTS.grpcServerPort;
  const { grpcServerHost, grpcServerPort: _p, namesrvAddr: _n, ...rest } = config;
  void _p;
  void _n;
  const tls = Object.keys(fromFile.tls).length > 0 ? { ...TLS_CONFIG_DEFAULTS, ...fromFile.tls } : undefined;
  return startGrpcProxy({ ...rest, namesrvAddr, host: grpcServerHost, port, tls });
}

/** ProxyConfig and tls.* keys from a properties file, typed by their defaults. */
export function readProxyConfigFile(file: string): { config: Partial<ProxyConfig>; tls: Partial<TlsConfig> } {
  const props = readPropertiesFile(file);
  const config: Record<string, unknown> = {};
  const tls: Record<string, unknown> = {};
  for (const [key, text] of props) {
    const defaults: Record<string, unknown> | undefined =
      key in PROXY_CONFIG_DEFAULTS && key !== 'tls' ? (PROXY_CONFIG_DEFAULTS as unknown as Record<string, unknown>)
        : key in TLS_CONFIG_DEFAULTS ? (TLS_CONFIG_DEFAULTS as Record<string, unknown>) : undefined;
    if (!defaults) throw new ConfigError(`${file}: unknown key ${key}`);
    const target = defaults === TLS_CONFIG_DEFAULTS ? tls : config;
    target[key] = typed(file, key, text.trim(), defaults[key]);
  }
  return { config: config as Partial<ProxyConfig>, tls: tls as Partial<TlsConfig> };
}

function typed(file: string, key: string, text: string, def: unknown): unknown {
  if (typeof def === 'number') {
    const n = Number(text);
    if (text === '' || !Number.isFinite(n)) throw new ConfigError(`${file}: ${key}=${text} is not a number`);
    return n;
  }
  if (typeof def === 'boolean') {
    if (text !== 'true' && text !== 'false') throw new ConfigError(`${file}: ${key}=${text} is not true or false`);
    return text === 'true';
  }
  return text;
}
