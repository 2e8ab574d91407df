/**
 * TLS settings from the config keys of config/security.ts, read as rocketmq-remoting 4.9.8's
 * TlsSystemConfig and TlsHelper#buildSslContext read them:
 *
 * - `tls.config.file` (default /etc/rocketmq/tls.properties), when it is a readable file, overrides
 *   every tls.* key except tls.server.mode and tls.enable (TlsHelper#extractTlsConfigFromFile);
 * - tls.test.mode.enable (default true): a client trusts any server and sends no certificate; a server
 *   asks for a client certificate without requiring one (ClientAuth.OPTIONAL) and takes any;
 * - otherwise a server asks per tls.server.need.client.auth and checks the certificate against
 *   tls.server.trustCertPath only with tls.server.authClient=true; a client checks the server's against
 *   tls.client.trustCertPath only with tls.client.authServer=true, and sends tls.client.certPath/keyPath.
 *
 * One difference: in test mode the Java server makes itself a self-signed certificate (Netty's
 * SelfSignedCertificate) and ignores the configured one. This server never makes one: it serves
 * tls.server.certPath/keyPath in either mode, and without them it cannot accept TLS (enforcing refuses
 * to start; permissive closes TLS hellos as Java does when its sslContext is null).
 */
import fs from 'node:fs';
import tls from 'node:tls';
import { ConfigError, applyProperties, type Rules } from '../config/config-rules.js';
import { readPropertiesFile } from '../config/properties.js';
import { TLS_RULES, type TlsConfig } from '../config/security.js';
import { log } from '../logger.js';
import type { TlsMode, TlsServerSide } from './tls-accept.js';

export type { TlsServerSide, TlsMode } from './tls-accept.js';

/** The keys tls.config.file may set: all but the two TlsSystemConfig reads only from the command line, and itself. */
const FILE_SCHEMA = {
  rules: Object.fromEntries(
    Object.entries(TLS_RULES).filter(([k]) => k !== 'tls.server.mode' && k !== 'tls.enable' && k !== 'tls.config.file'),
  ) as Rules<Partial<TlsConfig>>,
  noEffect: new Map([
    ['tls.server.mode', 'TlsHelper reads it from the server config only, not from tls.config.file'],
    ['tls.enable', 'TlsHelper reads it from the server config only, not from tls.config.file'],
    ['tls.config.file', 'the file does not name another file'],
  ]),
};

/** The TLS keys after tls.config.file, whose values win as in TlsHelper. A missing or unreadable file is skipped. */
export function resolveTlsConfig<T extends TlsConfig>(cfg: T): TlsConfig {
  const out: TlsConfig = { ...pickTls(cfg) };
  const file = cfg['tls.config.file'];
  if (!file) return out;
  let props: Map<string, string>;
  try {
    if (!fs.statSync(file).isFile()) return out;
    props = readPropertiesFile(file);
  } catch {
    return out;
  }
  applyProperties(out, FILE_SCHEMA as never, props, `tls.config.file ${file}`);
  return out;
}

function pickTls(cfg: TlsConfig): TlsConfig {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(TLS_RULES)) out[k] = (cfg as Record<string, unknown>)[k];
  return out as TlsConfig;
}

function readPem(cfg: TlsConfig, key: keyof TlsConfig): Buffer | undefined {
  const p = cfg[key] as string;
  if (!p) return undefined;
  try {
    return fs.readFileSync(p);
  } catch (e) {
    throw new ConfigError(`${key}=${p} cannot be read: ${(e as Error).message}`);
  }
}

/**
 * The server side for a listener (`who` names it in errors: "namesrv", "broker"). Reads the PEM files
 * now, so a bad path or key stops the start. Enforcing without a certificate and key is a ConfigError.
 */
export function tlsServerSide(config: TlsConfig, who: string): TlsServerSide {
  const cfg = resolveTlsConfig(config);
  // Both were checked against their oneOf rules when the config (and tls.config.file) was read.
  const mode = cfg['tls.server.mode'] as TlsMode;
  const testMode = cfg['tls.test.mode.enable'];
  const side: TlsServerSide = {
    mode,
    clientAuth: testMode ? 'optional' : (cfg['tls.server.need.client.auth'] as TlsServerSide['clientAuth']),
    verifyClient: !testMode && cfg['tls.server.authClient'],
  };
  if (mode === 'disabled') return side;
  const cert = readPem(cfg, 'tls.server.certPath');
  const key = readPem(cfg, 'tls.server.keyPath');
  if (!cert || !key) {
    if (mode === 'enforcing') {
      throw new ConfigError(`${who}: tls.server.mode=enforcing needs tls.server.certPath and tls.server.keyPath ` +
        '(this server does not generate the self-signed certificate of the Java test mode)');
    }
    if (cert || key) log.warn(`${who}: TLS needs both tls.server.certPath and tls.server.keyPath; TLS connections will be closed`);
    return side;
  }
  const ca = side.verifyClient ? readPem(cfg, 'tls.server.trustCertPath') : undefined;
  const credentials = { cert, key, passphrase: cfg['tls.server.keyPassword'] || undefined, ca };
  try {
    // Checked now (a wrong password or a key that does not match the certificate stops the start).
    tls.createSecureContext(credentials);
    side.credentials = credentials;
  } catch (e) {
    throw new ConfigError(`${who}: tls.server.certPath/keyPath/keyPassword: ${(e as Error).message}`);
  }
  log.info(`${who}: TLS ${mode}, client auth ${side.clientAuth}${side.verifyClient ? ' (verified)' : ''}${testMode ? ' (tls.test.mode.enable)' : ''}`);
  return side;
}

/**
 * How this process connects to its peers (a broker to its NameServers and its master, a slave to the HA
 * port) when tls.enable is true; undefined when it is false. No host name check: Netty's client
 * SslContext does none either.
 */
export function tlsClientOptions(config: TlsConfig): tls.ConnectionOptions | undefined {
  if (!config['tls.enable']) return undefined;
  const cfg = resolveTlsConfig(config);
  const base: tls.ConnectionOptions = { checkServerIdentity: () => undefined };
  if (cfg['tls.test.mode.enable']) return { ...base, rejectUnauthorized: false };
  const authServer = cfg['tls.client.authServer'];
  const opts: tls.ConnectionOptions = {
    ...base,
    rejectUnauthorized: authServer,
    ca: authServer ? readPem(cfg, 'tls.client.trustCertPath') : undefined,
    cert: readPem(cfg, 'tls.client.certPath'),
    key: readPem(cfg, 'tls.client.keyPath'),
    passphrase: cfg['tls.client.keyPassword'] || undefined,
  };
  if (opts.key) {
    try {
      tls.createSecureContext({ cert: opts.cert, key: opts.key, passphrase: opts.passphrase });
    } catch (e) {
      throw new ConfigError(`tls.client.certPath/keyPath/keyPassword: ${(e as Error).message}`);
    }
  }
  return opts;
}
