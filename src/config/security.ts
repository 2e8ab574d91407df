import { BOOL, STRING, oneOf, type Rules } from './config-rules.js';

/**
 * ACL and TLS keys, named as the Java servers name them. The ACL keys are BrokerConfig (`aclEnable`,
 * `rocketmqHome`) and 5.x AuthConfig fields, read from broker.conf. The TLS keys are the names of the
 * Java TlsSystemConfig system properties (`-Dtls.server.mode=enforcing`); a Java server reads them from
 * `-D` options or from the `tls.config.file` properties file, this one from its config file (broker.conf
 * or namesrv.conf) and then from `tls.config.file`, whose values win as they do in TlsHelper.
 */
export const ACL_CONFIG_DEFAULTS = {
  /** 4.9 plain ACL (accounts in ${rocketmqHome}/conf/plain_acl.yml and conf/acl/*.yml). */
  aclEnable: false,
  /**
   * BrokerConfig.rocketmqHome: where conf/plain_acl.yml and conf/acl/ are looked for. The Java broker
   * takes `-Drocketmq.home.dir`, else the ROCKETMQ_HOME environment variable; here the key, else
   * ROCKETMQ_HOME (resolved at load).
   */
  rocketmqHome: '',
  /** The `rocketmq.acl.plain.file` system property: plain_acl.yml's path relative to rocketmqHome. */
  'rocketmq.acl.plain.file': 'conf/plain_acl.yml',
  // 5.x AuthConfig (ACL 2.0)
  authenticationEnabled: false,
  authorizationEnabled: false,
  /** Comma-separated request codes let through without authentication (authorization: the next key). */
  authenticationWhitelist: '',
  authorizationWhitelist: '',
  /** JSON {"username":..,"password":..} of a super user created at start when no user has that name. */
  initAuthenticationUser: '',
  /** JSON {"accessKey":..,"secretKey":..}: how this broker signs its own requests (namesrv, master, slave). */
  innerClientAuthenticationCredentials: '',
  /** Imports the accounts of plain_acl.yml as users and policies at start. */
  migrateAuthFromV1Enabled: false,
};

export const TLS_CONFIG_DEFAULTS = {
  /** disabled: TLS handshakes are closed; permissive: plain and TLS on one port; enforcing: TLS only. */
  'tls.server.mode': 'permissive',
  /** Outgoing connections (broker to namesrv, slave to master) use TLS. */
  'tls.enable': false,
  'tls.test.mode.enable': true,
  'tls.config.file': '/etc/rocketmq/tls.properties',
  /** none | optional | require */
  'tls.server.need.client.auth': 'none',
  'tls.server.keyPath': '',
  'tls.server.keyPassword': '',
  'tls.server.certPath': '',
  'tls.server.authClient': false,
  'tls.server.trustCertPath': '',
  'tls.client.keyPath': '',
  'tls.client.keyPassword': '',
  'tls.client.certPath': '',
  'tls.client.authServer': false,
  'tls.client.trustCertPath': '',
};

export type AclConfig = { -readonly [K in keyof typeof ACL_CONFIG_DEFAULTS]: (typeof ACL_CONFIG_DEFAULTS)[K] };
export type TlsConfig = { -readonly [K in keyof typeof TLS_CONFIG_DEFAULTS]: (typeof TLS_CONFIG_DEFAULTS)[K] };

export const ACL_RULES: Rules<AclConfig> = {
  aclEnable: BOOL,
  rocketmqHome: STRING,
  'rocketmq.acl.plain.file': STRING,
  authenticationEnabled: BOOL,
  authorizationEnabled: BOOL,
  authenticationWhitelist: STRING,
  authorizationWhitelist: STRING,
  initAuthenticationUser: STRING,
  innerClientAuthenticationCredentials: STRING,
  migrateAuthFromV1Enabled: BOOL,
};

export const TLS_RULES: Rules<TlsConfig> = {
  'tls.server.mode': oneOf('disabled', 'permissive', 'enforcing'),
  'tls.enable': BOOL,
  'tls.test.mode.enable': BOOL,
  'tls.config.file': STRING,
  'tls.server.need.client.auth': oneOf('none', 'optional', 'require'),
  'tls.server.keyPath': STRING,
  'tls.server.keyPassword': STRING,
  'tls.server.certPath': STRING,
  'tls.server.authClient': BOOL,
  'tls.server.trustCertPath': STRING,
  'tls.client.keyPath': STRING,
  'tls.client.keyPassword': STRING,
  'tls.client.certPath': STRING,
  'tls.client.authServer': BOOL,
  'tls.client.trustCertPath': STRING,
};

/** 5.x AuthConfig keys naming Java classes: accepted, without effect (the built-in providers are used). */
export const AUTH_CLASS_KEYS = [
  'authenticationProvider', 'authenticationMetadataProvider', 'authenticationStrategy',
  'authorizationProvider', 'authorizationMetadataProvider', 'authorizationStrategy',
] as const;

/**
 * Keys GET_BROKER_CONFIG leaves out: the TLS keys are system properties on a Java server (not part of its
 * configuration dump), and the credentials are secrets a config reader must not learn.
 */
export function isHiddenConfigKey(key: string): boolean {
  return key.startsWith('tls.') || key === 'innerClientAuthenticationCredentials' || key === 'initAuthenticationUser';
}

/** Security keys are read once at start: an UPDATE_BROKER_CONFIG change is persisted and applies at the next start. */
export const SECURITY_RESTART_ONLY: readonly string[] = [...Object.keys(ACL_CONFIG_DEFAULTS), ...Object.keys(TLS_CONFIG_DEFAULTS)];

/** The TLS keys of a config (a standalone's broker.conf handed to its NameServer). */
export function tlsKeysOf(cfg: TlsConfig): TlsConfig {
  const out = {} as Record<string, unknown>;
  for (const k of Object.keys(TLS_CONFIG_DEFAULTS)) out[k] = (cfg as Record<string, unknown>)[k];
  return out as TlsConfig;
}
