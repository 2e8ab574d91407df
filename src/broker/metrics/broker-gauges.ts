import fs from 'node:fs';
import type { BrokerContext } from '../broker-context.js';
import { labelText, type PromWriter } from '../../remoting/prom-format.js';
import { versionDesc } from '../../protocol/version-desc.js';
import { readStoreTimestamp } from '../../codec/message-record.js';
import { consumerLagRows } from './consumer-lag.js';
import { isSystemGroup } from './broker-metrics.js';

const GAUGE_HELP = 'default view for gauge.';

/** BrokerMetricsManager#initStatsMetrics: the Java thread pools' queues, ours by request family. */
const PROCESSOR_OF_FAMILY: ReadonlyArray<[string, string | undefined]> = [
  ['client_manager', 'clientManage'], ['heartbeat', 'heartbeat'], ['consumer_manager', 'consumerManage'], ['admin', 'admin'],
  // POP acks and the async put pool have no queue of their own here (they run in the pull and send families).
  ['ack', undefined], ['query_message', 'query'], ['reply', 'reply'], ['transaction', 'endTransaction'], ['send', 'send'],
  ['async_put', undefined], ['lite_pull', undefined], ['pull', 'pull'],
];

/** ConsumeType#getTypeCN, lowercased. */
const CONSUME_MODE: Record<string, string> = { CONSUME_ACTIVELY: 'pull', CONSUME_PASSIVELY: 'push', CONSUME_POP: 'pop' };

/** TimerMetrics#timerDist: the bounds (seconds) of rocketmq_timer_message_snapshot. */
const TIMER_DIST_S = [5, 60, 300, 900, 3600, 14400, 28800, 86400];

/**
 * The broker's gauges, read from its state when /metrics is scraped: BrokerMetricsManager's stats,
 * connection and lag gauges, DefaultStoreMetricsManager's storage and timer gauges, PopMetricsManager's
 * buffer gauges. Names, help texts and units as the Apache 5.3.3 exporter prints them.
 */
export function writeBrokerGauges(ctx: BrokerContext, base: Record<string, string>, w: PromWriter): void {
  const plain = labelText(base);
  const one = (name: string, sample: string, value: number, labels = plain) => {
    w.family(name, 'gauge', GAUGE_HELP);
    w.sample(sample, labels, value);
  };
  const queues = ctx.requestQueues?.();
  w.family('rocketmq_processor_watermark', 'gauge', GAUGE_HELP);
  for (const [processor, family] of PROCESSOR_OF_FAMILY) {
    w.sample('rocketmq_processor_watermark', labelText({ ...base, processor }), (family && queues?.get(family)?.size) || 0);
  }
  one('rocketmq_broker_permission', 'rocketmq_broker_permission', ctx.config.brokerPermission);
  one('rocketmq_topic_number', 'rocketmq_topic_number', ctx.topics.table.size);
  one('rocketmq_consumer_group_number', 'rocketmq_consumer_group_number', ctx.groups.table.size);

  writeConnections(ctx, base, w);
  writeLag(ctx, base, w);
  writeStore(ctx, base, w);
  writeTimer(ctx, base, w);
  writePop(ctx, base, w);
}

function countBy(keys: Iterable<string>): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

function writeConnections(ctx: BrokerContext, base: Record<string, string>, w: PromWriter): void {
  const producers = countBy([...ctx.producers.groups.values()].flatMap((chs) => [...chs.values()].map((ch) =>
    labelText({ ...base, language: ch.language.toLowerCase(), version: versionDesc(ch.version).toLowerCase(), protocol_type: 'remoting' }))));
  if (producers.size > 0) {
    w.family('rocketmq_producer_connections', 'gauge', GAUGE_HELP);
    for (const [labels, n] of producers) w.sample('rocketmq_producer_connections', labels, n);
  }
  const consumers = countBy([...ctx.consumers.groups.values()].flatMap((g) => [...g.channels.values()].map((ch) => labelText({
    ...base, consumer_group: g.groupName, language: ch.language.toLowerCase(), version: versionDesc(ch.version).toLowerCase(),
    consume_mode: CONSUME_MODE[g.consumeType] ?? g.consumeType.toLowerCase(), protocol_type: 'remoting', is_system: String(isSystemGroup(g.groupName)),
  }))));
  if (consumers.size > 0) {
    w.family('rocketmq_consumer_connections', 'gauge', GAUGE_HELP);
    for (const [labels, n] of consumers) w.sample('rocketmq_consumer_connections', labels, n);
  }
}

function writeLag(ctx: BrokerContext, base: Record<string, string>, w: PromWriter): void {
  const rows = consumerLagRows(ctx, base);
  if (rows.length === 0) return;
  const now = Date.now();
  const since = (t: number) => (t !== 0 ? now - t : 0);
  const family = (name: string, sample: string, value: (r: (typeof rows)[number]) => number) => {
    w.family(name, 'gauge', GAUGE_HELP);
    for (const r of rows) w.sample(sample, r.labels, value(r));
  };
  family('rocketmq_consumer_lag_messages', 'rocketmq_consumer_lag_messages', (r) => r.lag);
  family('rocketmq_consumer_lag_latency', 'rocketmq_consumer_lag_latency_milliseconds', (r) => since(r.earliestUnconsumedMs));
  family('rocketmq_consumer_inflight_messages', 'rocketmq_consumer_inflight_messages', (r) => r.inflight);
  family('rocketmq_consumer_queueing_latency', 'rocketmq_consumer_queueing_latency_milliseconds', (r) => since(r.earliestUnpulledMs));
  family('rocketmq_consumer_ready_messages', 'rocketmq_consumer_ready_messages', (r) => r.ready);
}

function writeStore(ctx: BrokerContext, base: Record<string, string>, w: PromWriter): void {
  const labels = labelText({ ...base, storage_type: 'local', storage_medium: 'disk' });
  const gauge = (name: string, sample: string, value: number) => {
    w.family(name, 'gauge', GAUGE_HELP);
    w.sample(sample, labels, value);
  };
  // File#getTotalSpace - File#getFreeSpace of storePathRootDir: what the file system holding the store uses.
  try {
    const s = fs.statfsSync(ctx.config.storePathRootDir);
    if (s.blocks > 0) gauge('rocketmq_storage_size', 'rocketmq_storage_size_bytes', (s.blocks - s.bfree) * s.bsize);
  } catch {
    // No store directory (an in-memory store in tests): Java records nothing either.
  }
  const info = ctx.store.getRuntimeInfo();
  const maxPhy = ctx.store.getMaxPhyOffset();
  const flushed = Number(info.flushedOffset);
  gauge('rocketmq_storage_flush_behind_bytes', 'rocketmq_storage_flush_behind_bytes', Number.isFinite(flushed) ? Math.max(0, maxPhy - flushed) : 0);
  // Records reach their ConsumeQueues in the write that stores them (store/write-pipeline.ts), and a
  // slave's in the replica write (store/ha/replica-log.ts): nothing is ever waiting to be dispatched.
  gauge('rocketmq_storage_dispatch_behind_bytes', 'rocketmq_storage_dispatch_behind_bytes', 0);
  const first = ctx.store.lookMessageByOffset(ctx.store.getMinPhyOffset());
  if (first && first.length > 0) {
    const t = readStoreTimestamp(first);
    if (t > 0) gauge('rocketmq_storage_message_reserve_time', 'rocketmq_storage_message_reserve_time_milliseconds', Date.now() - t);
  }
}

function writeTimer(ctx: BrokerContext, base: Record<string, string>, w: PromWriter): void {
  const labels = labelText({ ...base, storage_type: 'local', storage_medium: 'disk' });
  const now = Date.now();
  const due = ctx.timer.pendingDeliverTimes();
  let overdue = 0;
  let oldest = Infinity;
  for (const t of due) {
    if (t <= now) {
      overdue++;
      oldest = Math.min(oldest, t);
    }
  }
  const gauge = (name: string, sample: string, value: number) => {
    w.family(name, 'gauge', GAUGE_HELP);
    w.sample(sample, labels, value);
  };
  // A timer message is parked in the put that stores it (broker/put/put-message.ts): nothing waits to be enqueued.
  gauge('rocketmq_timer_enqueue_lag', 'rocketmq_timer_enqueue_lag', 0);
  gauge('rocketmq_timer_enqueue_latency', 'rocketmq_timer_enqueue_latency_milliseconds', 0);
  gauge('rocketmq_timer_dequeue_lag', 'rocketmq_timer_dequeue_lag', overdue);
  gauge('rocketmq_timer_dequeue_latency', 'rocketmq_timer_dequeue_latency_milliseconds', oldest === Infinity ? 0 : now - oldest);
  w.family('rocketmq_timer_message_snapshot', 'gauge', GAUGE_HELP);
  for (let i = 0; i < TIMER_DIST_S.length; i++) {
    const from = now + (i === 0 ? 0 : TIMER_DIST_S[i - 1] * 1000);
    const to = now + TIMER_DIST_S[i] * 1000;
    let n = 0;
    for (const t of due) if (t >= from && t < to) n++;
    w.sample('rocketmq_timer_message_snapshot', labelText({ ...base, storage_type: 'local', storage_medium: 'disk', timer_bound_s: String(TIMER_DIST_S[i]) }), n);
  }
}

function writePop(ctx: BrokerContext, base: Record<string, string>, w: PromWriter): void {
  const plain = labelText(base);
  // PopBufferMergeService's buffers: our checkpoints go to the POP journal as they are made, and the
  // offsets with them (broker/pop/pop-journal.ts), so the live checkpoints are what the buffer would hold.
  w.family('rocketmq_pop_checkpoint_buffer_size', 'gauge', GAUGE_HELP);
  w.sample('rocketmq_pop_checkpoint_buffer_size', plain, ctx.pop.state.cks.size);
  w.family('rocketmq_pop_offset_buffer_size', 'gauge', GAUGE_HELP);
  w.sample('rocketmq_pop_offset_buffer_size', plain, ctx.pop.state.offsets.size);
  // PopReviveService per revive queue: checkpoints whose invisible time has passed and that are not revived
  // yet (getReviveBehindMessages, printed with a milliseconds unit by the Java exporter too), and how long
  // the oldest of them has waited (getReviveBehindMillis).
  const n = ctx.config.reviveQueueNum;
  const behind = new Array<number>(n).fill(0);
  const oldest = new Array<number>(n).fill(Infinity);
  const now = Date.now();
  for (const ck of ctx.pop.state.cks.values()) {
    const due = ck.popTime + ck.invisibleTime;
    if (due > now || ck.reviveQid < 0 || ck.reviveQid >= n) continue;
    behind[ck.reviveQid]++;
    oldest[ck.reviveQid] = Math.min(oldest[ck.reviveQid], due);
  }
  w.family('rocketmq_pop_revive_lag', 'gauge', GAUGE_HELP);
  for (let q = n - 1; q >= 0; q--) w.sample('rocketmq_pop_revive_lag_milliseconds', labelText({ ...base, queue_id: String(q) }), behind[q]);
  w.family('rocketmq_pop_revive_latency', 'gauge', GAUGE_HELP);
  for (let q = n - 1; q >= 0; q--) {
    w.sample('rocketmq_pop_revive_latency_milliseconds', labelText({ ...base, queue_id: String(q) }), oldest[q] === Infinity ? 0 : now - oldest[q]);
  }
}
