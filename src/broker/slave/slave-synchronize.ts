/**
 * A slave's copy of its master's metadata (broker/slave/SlaveSynchronize.java, as 4.9.8 runs it).
 *
 * The messages reach a slave over the HA byte stream (src/store/ha/); what is not in the CommitLog —
 * topics, consumer offsets, delay-level progress, subscription groups — is fetched over remoting,
 * 3 s after start and then every 10 s, so a consumer sent to the slave, or the slave restarted as a
 * master, finds the master's topics, groups and offsets. Each step fails on its own: a master that
 * refuses one request (or is down) is logged, and the other steps still run.
 */
import type { BrokerContext } from '../broker-context.js';
import { RemotingClient, splitAddr, type RemotingClientOptions } from '../../remoting/client.js';
import { createRequest, requestBody } from '../../remoting/command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { readDataVersion, sameDataVersion, type DataVersion } from '../../protocol/data-version.js';
import { parseFastJson } from '../../codec/fastjson.js';
import { decodeOffsetTable } from '../metadata/consumer-offset-manager.js';
import type { TopicConfig } from '../metadata/topic-config-manager.js';
import type { SubscriptionGroupConfig } from '../metadata/subscription-group-manager.js';
import { decodeTimerCheckpoint } from '../../codec/timer-checkpoint.js';
import { log } from '../../logger.js';

/** BrokerController#handleSlaveSynchronize: first run 3 s after start, then every 10 s (4.9.8). */
const FIRST_SYNC_DELAY_MS = 3_000;
const SYNC_PERIOD_MS = 10_000;
/** BrokerOuterAPI: every sync request waits this long for its answer. */
const REQUEST_TIMEOUT_MS = 3_000;

/** Fetches one body from the master: the answer's bytes, or a throw naming the refusal. */
type Fetch = (addr: string, code: number) => Promise<Buffer>;
type SyncStep = (ctx: BrokerContext, fetch: Fetch, masterAddr: string) => Promise<void>;

/** SlaveSynchronize#syncAll, in Java's order. */
const SYNC_STEPS: ReadonlyArray<[string, SyncStep]> = [
  ['topic config', syncTopicConfig],
  ['consumer offset', syncConsumerOffset],
  ['delay offset', syncDelayOffset],
  ['subscription group', syncSubscriptionGroupConfig],
  ['timer checkpoint', syncTimerCheckPoint],
];

export class SlaveSynchronize {
  /** The master's broker address (ip:listenPort), from the NameServer's answer to our registration. */
  masterAddr: string | undefined;
  private readonly client: RemotingClient;
  private firstRun?: NodeJS.Timeout;
  private period?: NodeJS.Timeout;
  /** The run in progress: a run that waits out its timeouts can outlast the period, and runs never overlap. */
  private running?: Promise<void>;

  constructor(
    private readonly ctx: BrokerContext,
    options: RemotingClientOptions = {},
  ) {
    this.client = new RemotingClient(undefined, options);
  }

  /** Starts the periodic sync; a master has nothing to copy, so this does nothing unless brokerRole=SLAVE. */
  start(): void {
    if (this.ctx.config.brokerRole !== 'SLAVE' || this.firstRun) return;
    this.firstRun = setTimeout(() => {
      this.tick();
      this.period = setInterval(() => this.tick(), SYNC_PERIOD_MS);
      this.period.unref();
    }, FIRST_SYNC_DELAY_MS);
    this.firstRun.unref();
  }

  /** Stops the periodic sync; start() may run it again (a broker switched to master and back, controller mode). */
  stop(): void {
    if (this.firstRun) clearTimeout(this.firstRun);
    if (this.period) clearInterval(this.period);
    this.firstRun = undefined;
    this.period = undefined;
  }

  /** Stops for good: the broker is shutting down. */
  close(): void {
    this.stop();
    this.client.close();
  }

  /** One round of every step against the current master; nothing when none is known or it is ourselves. */
  async syncAll(): Promise<void> {
    const master = this.masterAddr;
    if (!master || master === this.ctx.brokerAddr) return;
    for (const [name, step] of SYNC_STEPS) {
      try {
        await step(this.ctx, this.fetch, master);
      } catch (e) {
        log.error(`slave sync: ${name} from master ${master} failed: ${(e as Error).message}`);
      }
    }
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.syncAll().finally(() => {
      this.running = undefined;
    });
  }

  private readonly fetch: Fetch = async (addr, code) => {
    // No custom header and no body, as BrokerOuterAPI sends them.
    const res = await this.client.invoke(addr, createRequest(code), REQUEST_TIMEOUT_MS);
    if (res.code !== ResponseCode.SUCCESS) throw new Error(`${addr} answered code ${res.code}${res.remark ? ` (${res.remark})` : ''}`);
    return requestBody(res) ?? Buffer.alloc(0);
  };
}

/** MixAll#brokerVIPChannel(true, addr): the master's VIP port, listenPort - 2. */
export function brokerVipChannel(addr: string): string {
  const [host, port] = splitAddr(addr);
  return `${host}:${Number(port) - 2}`;
}

const text = (body: Buffer): string => body.toString('utf8');

function parseObject(text: string, what: string): Record<string, unknown> {
  const v = parseFastJson(text);
  if (typeof v !== 'object' || v === null || v instanceof Map || Array.isArray(v)) throw new Error(`${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

function requireDataVersion(body: Record<string, unknown>, what: string): DataVersion {
  const dv = readDataVersion(body.dataVersion);
  // Java would fail on a null version too (assignNewOne(null)), leaving its table as it was.
  if (!dv) throw new Error(`${what} has no dataVersion`);
  return dv;
}

/** Values of a name-keyed table, each with its name (Java puts the map as it is: the key is the name). */
function namedEntries<T>(table: unknown, nameField: 'topicName' | 'groupName'): T[] {
  if (typeof table !== 'object' || table === null) return [];
  const entries = table instanceof Map ? [...table] : Object.entries(table);
  return entries.map(([k, v]) => ({ ...(v as object), [nameField]: String(k) }) as T);
}

/**
 * GET_ALL_TOPIC_CONFIG (21), asked on the master's VIP port: when its data version differs from ours,
 * the whole table and the version are replaced and written.
 */
async function syncTopicConfig(ctx: BrokerContext, fetch: Fetch, master: string): Promise<void> {
  const body = parseObject(text(await fetch(brokerVipChannel(master), RequestCode.GET_ALL_TOPIC_CONFIG)), 'topic config');
  const dv = requireDataVersion(body, 'topic config');
  if (sameDataVersion(ctx.topics.dataVersion, dv)) return;
  await ctx.topics.replaceAll(namedEntries<TopicConfig>(body.topicConfigTable, 'topicName'), dv);
  log.info(`slave sync: topic config updated from master ${master} (${ctx.topics.table.size} topics)`);
}

/** GET_ALL_CONSUMER_OFFSET (43): put over ours key by key, then written. */
async function syncConsumerOffset(ctx: BrokerContext, fetch: Fetch, master: string): Promise<void> {
  const body = parseObject(text(await fetch(master, RequestCode.GET_ALL_CONSUMER_OFFSET)), 'consumer offset');
  const table = body.offsetTable;
  if (typeof table !== 'object' || table === null) throw new Error('consumer offset has no offsetTable');
  ctx.offsets.putAll(decodeOffsetTable(table as Parameters<typeof decodeOffsetTable>[0]), readDataVersion(body.dataVersion));
  log.info(`slave sync: consumer offsets updated from master ${master}`);
}

/** GET_ALL_DELAY_OFFSET (45): into our delay-level table and delayOffset.json. */
async function syncDelayOffset(ctx: BrokerContext, fetch: Fetch, master: string): Promise<void> {
  ctx.schedule.applyMasterOffsets(text(await fetch(master, RequestCode.GET_ALL_DELAY_OFFSET)));
  log.info(`slave sync: delay offsets updated from master ${master}`);
}

/**
 * GET_TIMER_CHECK_POINT (60), asked on the master's VIP port (5.x SlaveSynchronize#syncTimerCheckPoint):
 * the master's timer read time, so that this broker, made master by the controller, does not deliver again
 * the timer messages the old master delivered. Controller mode only: no 4.x master answers it, and a 4.x
 * slave does not change role while it runs.
 */
async function syncTimerCheckPoint(ctx: BrokerContext, fetch: Fetch, master: string): Promise<void> {
  if (!ctx.config.enableControllerMode) return;
  const cp = decodeTimerCheckpoint(await fetch(brokerVipChannel(master), RequestCode.GET_TIMER_CHECK_POINT));
  if (!cp) throw new Error('timer checkpoint body too short');
  ctx.timer.applyMasterCheckpoint(cp.lastReadTimeMs);
}

/** GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201): like the topics, replaced when the data version differs. */
async function syncSubscriptionGroupConfig(ctx: BrokerContext, fetch: Fetch, master: string): Promise<void> {
  const body = parseObject(text(await fetch(master, RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG)), 'subscription group');
  const dv = requireDataVersion(body, 'subscription group');
  if (sameDataVersion(ctx.groups.dataVersion, dv)) return;
  await ctx.groups.replaceAll(namedEntries<SubscriptionGroupConfig>(body.subscriptionGroupTable, 'groupName'), dv);
  log.info(`slave sync: subscription groups updated from master ${master} (${ctx.groups.table.size} groups)`);
}
