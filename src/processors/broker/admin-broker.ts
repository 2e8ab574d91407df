/**
 * Broker-wide administration (AdminBrokerProcessor): runtime figures, configuration read and
 * live update, stats items, consume-queue housekeeping.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse, requestBody } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { str } from '../../remoting/header-fields.js';
import { toFastJson, JavaDouble } from '../../codec/fastjson.js';
import { brokerRuntimeInfo } from './runtime-info.js';
import { BROKER_CONFIG_DEFAULTS, applyConfig, type BrokerConfig } from '../../config/broker-config.js';
import { parseProperties, propertiesToString } from '../../config/properties.js';
import { SECURITY_RESTART_ONLY, isHiddenConfigKey } from '../../config/security.js';
import { writeFileAtomic } from '../../config/persist.js';
import { newDataVersion, nextVersion } from '../../protocol/data-version.js';
import type { DataVersion } from '../../protocol/data-version.js';
import type { StatsSnapshot } from '../../broker/stats/stats-item.js';
import { TopicValidator } from '../../protocol/topic-validator.js';
import { log } from '../../logger.js';

const json = (v: unknown): Buffer => Buffer.from(toFastJson(v), 'utf8');

/** GET_BROKER_RUNTIME_INFO (28): a KVTable. */
export function getBrokerRuntimeInfo(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, json({ table: brokerRuntimeInfo(ctx) }));
}

/** The configuration's DataVersion (Configuration#getDataVersionJson), bumped by every update. */
const configVersions = new WeakMap<BrokerConfig, DataVersion>();
function configVersion(config: BrokerConfig): DataVersion {
  let dv = configVersions.get(config);
  if (!dv) configVersions.set(config, (dv = newDataVersion()));
  return dv;
}

/** GET_BROKER_CONFIG (26): every setting as properties text; header `version` = the config DataVersion. */
export function getBrokerConfig(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  // An empty text setting is Java's null (haMasterAddress, namesrvAddr unset), which
  // MixAll#properties2String leaves out.
  const entries = Object.keys(BROKER_CONFIG_DEFAULTS)
    .map((k) => [k, ctx.config[k as keyof BrokerConfig]] as [string, unknown])
    .filter(([k, v]) => v !== '' && !isHiddenConfigKey(k));
  entries.push(...javaOnlyConfig(ctx.config));
  const body = Buffer.from(propertiesToString(entries), 'utf8');
  return createResponse(req, ResponseCode.SUCCESS, undefined, { version: toFastJson(configVersion(ctx.config)) }, body);
}

/**
 * Keys of the Java broker's configuration this broker has no setting for, with the value that describes
 * it; mqadmin 4.9.8 exportConfigs reads each (Properties#setProperty throws on a missing one):
 * filterServerNums (BrokerConfig: filter servers to start; this broker starts none, Java's default 0) and
 * useTLS (NettyClientConfig: the broker's outgoing connections use TLS, which tls.enable decides here).
 */
function javaOnlyConfig(config: BrokerConfig): Array<[string, unknown]> {
  return [['filterServerNums', 0], ['useTLS', config['tls.enable']]];
}

/**
 * Settings read once at start-up (identity, ports, paths, file layouts): an update is persisted
 * and shown, and takes effect at the next start. The Java broker also only reads these at start,
 * but overwrites the in-memory value at once; we keep the running value so the broker never
 * advertises an identity or path it is not actually using.
 */
const RESTART_ONLY = new Set<string>([
  'brokerClusterName', 'brokerName', 'brokerId', 'brokerIP1', 'brokerIP2', 'listenPort', 'haListenPort', 'namesrvAddr',
  'storePathRootDir', 'storePathCommitLog', 'mappedFileSizeCommitLog', 'mappedFileSizeConsumeQueue', 'brokerRole',
  'flushDiskType', 'serverChannelMaxIdleTimeSeconds', 'messageDelayLevel', 'maxHashSlotNum', 'maxIndexNum',
  ...SECURITY_RESTART_ONLY,
]);

/**
 * UPDATE_BROKER_CONFIG (25): body is properties text. Known keys are applied to the running
 * config (everything that reads the config per request sees them at once) and merged into the
 * broker's config file (the -c file, else <storePathRootDir>/config/broker.properties), as
 * Configuration#update persists them. A brokerPermission change re-registers with the namesrv at
 * once with a new data version (AdminBrokerProcessor#updateBrokerConfig).
 */
export function updateBrokerConfig(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const body = requestBody(req);
  if (!body || body.length === 0) return createResponse(req, ResponseCode.SUCCESS);
  const props = parseProperties(body.toString('utf8'));
  const candidate: BrokerConfig = { ...ctx.config };
  let unknown: string[];
  try {
    unknown = applyConfig(candidate, props, 'UPDATE_BROKER_CONFIG');
  } catch (e) {
    return createResponse(req, ResponseCode.SYSTEM_ERROR, (e as Error).message);
  }
  const accepted = [...props.keys()].filter((k) => !unknown.includes(k));
  for (const k of accepted) {
    // Keys this broker accepts but has no setting for (Java-only knobs) are persisted as given, not applied.
    if (RESTART_ONLY.has(k) || !(k in candidate)) continue;
    (ctx.config as Record<string, unknown>)[k] = candidate[k as keyof BrokerConfig];
  }
  nextVersion(configVersion(ctx.config));
  persistConfig(ctx, candidate, props, accepted);
  log.info(`broker: config updated by ${req.extFields?.clientAddr ?? 'admin'}: ${accepted.map((k) => `${k}=${props.get(k)}`).join(', ')}`);
  if (props.has('brokerPermission')) {
    nextVersion(ctx.topics.dataVersion);
    ctx.registerBrokerAll();
  }
  return createResponse(req, ResponseCode.SUCCESS);
}

function persistConfig(ctx: BrokerContext, updated: BrokerConfig, given: Map<string, string>, keys: string[]): void {
  if (keys.length === 0) return;
  const file = ctx.brokerConfigPath ?? path.join(ctx.config.storePathRootDir, 'config', 'broker.properties');
  let current = new Map<string, string>();
  try {
    current = parseProperties(fs.readFileSync(file, 'utf8'));
  } catch {
    // first update: no file yet
  }
  for (const k of keys) current.set(k, k in updated ? String(updated[k as keyof BrokerConfig]) : given.get(k)!);
  try {
    writeFileAtomic(file, propertiesToString(current));
  } catch (e) {
    log.error(`broker: persisting config to ${file} failed: ${(e as Error).message}`);
  }
}

/** VIEW_BROKER_STATS_DATA (315): BrokerStatsData of one stats item; SYSTEM_ERROR if the item does not exist. */
export function viewBrokerStatsData(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const statsName = str(req.extFields, 'statsName');
  const statsKey = str(req.extFields, 'statsKey');
  const item = ctx.stats.sets.get(statsName)?.get(statsKey);
  if (!item) return createResponse(req, ResponseCode.SYSTEM_ERROR, `The stats <${statsName}> <${statsKey}> not exist`);
  const it = (s: StatsSnapshot) => ({ avgpt: new JavaDouble(s.avgpt), sum: s.sum, tps: new JavaDouble(s.tps) });
  const body = json({ statsDay: it(item.inDay()), statsHour: it(item.inHour()), statsMinute: it(item.inMinute()) });
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, body);
}

/** Topics that have consume queues on disk ({storePathRootDir}/consumequeue/<topic>). */
function topicsWithQueues(ctx: BrokerContext): string[] {
  try {
    return fs.readdirSync(path.join(ctx.config.storePathRootDir, 'consumequeue'));
  } catch {
    return [];
  }
}

/**
 * CLEAN_EXPIRED_CONSUMEQUEUE (306), DefaultMessageStore#cleanExpiredConsumerQueue: drop the
 * consume queues of a topic whose every entry points below the CommitLog's first offset (their
 * messages are gone). The schedule topic is never touched.
 */
export function cleanExpiredConsumeQueue(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const minPhy = ctx.store.getMinPhyOffset();
  const expired: string[] = [];
  for (const topic of topicsWithQueues(ctx)) {
    if (topic === TopicValidator.RMQ_SYS_SCHEDULE_TOPIC) continue;
    const queueIds = queueIdsOnDisk(ctx, topic);
    if (queueIds.length === 0) continue;
    const allExpired = queueIds.every((q) => {
      const max = ctx.store.getMaxOffsetInQueue(topic, q);
      if (max <= 0) return false;
      // The newest entry's message is unreadable only if the CommitLog no longer holds it.
      const r = ctx.store.getMessage('TOOLS_CONSUMER', topic, q, max - 1, 1);
      return r.status !== 'FOUND' && minPhy > 0;
    });
    if (allExpired) expired.push(topic);
  }
  if (expired.length > 0) {
    log.warn(`broker: cleanExpiredConsumeQueue destroys the consume queues of ${expired.join(', ')}`);
    ctx.store.deleteTopics(expired);
  }
  return createResponse(req, ResponseCode.SUCCESS);
}

/** CLEAN_UNUSED_TOPIC (316): consume queues of topics that no longer have a config. */
export function cleanUnusedTopic(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const keep = new Set<string>([TopicValidator.RMQ_SYS_SCHEDULE_TOPIC, TopicValidator.RMQ_SYS_TRANS_OP_HALF_TOPIC]);
  const unused = topicsWithQueues(ctx).filter((t) => !ctx.topics.select(t) && !keep.has(t));
  if (unused.length > 0) {
    log.warn(`broker: cleanUnusedTopic destroys the consume queues of ${unused.join(', ')}`);
    ctx.store.deleteTopics(unused);
  }
  return createResponse(req, ResponseCode.SUCCESS);
}

/** DELETE_EXPIRED_COMMITLOG (329): run the CommitLog retention now instead of at deleteWhen (executeDeleteFilesManually). */
export function deleteExpiredCommitLog(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  log.warn('broker: deleteExpiredCommitLog requested');
  ctx.store.executeDeleteFilesManually();
  return createResponse(req, ResponseCode.SUCCESS);
}

function queueIdsOnDisk(ctx: BrokerContext, topic: string): number[] {
  try {
    return fs
      .readdirSync(path.join(ctx.config.storePathRootDir, 'consumequeue', topic))
      .map(Number)
      .filter((n) => Number.isInteger(n) && n >= 0);
  } catch {
    return [];
  }
}
