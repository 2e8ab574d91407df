import { isHiddenConfigKey } from '../config/security.js';
import type { BrokerController } from './broker-controller.js';
import type { NamesrvController } from './namesrv-controller.js';

/**
 * What the CLI prints once a server is up, after the ready lines: what listens where, the store path, and
 * the effective config keys whose values differ from the defaults. One line each, so an operator greps a
 * log for "listening:" or "config:" alike.
 */
export interface StartupParts {
  namesrv?: NamesrvController;
  broker?: BrokerController;
  /** Listeners beside the broker (grpc, console, metrics), as Standalone.endpoints. */
  endpoints?: Record<string, string>;
}

export function listeningLines(parts: StartupParts): string[] {
  const lines: string[] = [];
  const { namesrv, broker } = parts;
  if (namesrv) lines.push(`listening: namesrv ${namesrv.config.listenHost}:${namesrv.port}`);
  if (broker) lines.push(`listening: broker ${broker.listening().map((l) => `${l.address} (${l.name})`).join(', ')}`);
  const others: Record<string, string> = { ...parts.endpoints };
  // A server alone (broker, namesrv command) serves /metrics itself; the standalone lists it among its endpoints.
  if (broker?.metricsAddress && others.metrics === undefined) others.metrics = broker.metricsAddress;
  if (namesrv?.metricsAddress && others.metrics === undefined) others.metrics = namesrv.metricsAddress;
  for (const [name, address] of Object.entries(others)) lines.push(`listening: ${name} ${address}`);
  return lines;
}

/**
 * `key=value` of every key whose value is not its default, in the defaults' order. Hidden keys (TLS
 * settings, credentials: isHiddenConfigKey) are left out, as GET_BROKER_CONFIG leaves them out: a log is
 * read by more people than the config file.
 */
export function configDifferences(cfg: object, defaults: object): string[] {
  const out: string[] = [];
  const values = cfg as Record<string, unknown>;
  for (const [key, def] of Object.entries(defaults)) {
    if (isHiddenConfigKey(key) || !Object.hasOwn(values, key) || values[key] === def) continue;
    out.push(`${key}=${String(values[key])}`);
  }
  return out;
}

/** The report's lines: listeners, the store (a broker's), then one `config: key=value` line per key not at its default. */
export function startupReport(parts: StartupParts, cfg: object, defaults: object): string[] {
  const lines = listeningLines(parts);
  if (parts.broker) lines.push(`store: ${parts.broker.config.storePathRootDir} (commitlog ${parts.broker.config.storePathCommitLog})`);
  const diff = configDifferences(cfg, defaults);
  if (diff.length === 0) lines.push('config: every key at its default');
  for (const kv of diff) lines.push(`config: ${kv}`);
  return lines;
}
