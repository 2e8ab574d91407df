/**
 * metricsExporterType=PROM: our broker's /metrics against the Apache 5.3.3 broker's families
 * (test/fixtures/metrics/apache-5.3.3-broker.json, captured by compat-tests/metrics-apache.test.ts), and the
 * counters against the traffic that made them. One in-process broker, driven over TCP with the wire client
 * as the Java client drives it: producer and consumer heartbeats, N sends, pulls of all N, an offset commit,
 * a transaction committed and one rolled back, a topic and a group created and a send past its retry budget
 * (test/support/metrics-traffic.ts, sent to the Apache broker too); /metrics is scraped while the clients
 * are still registered.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { NamesrvController } from '../../src/server/namesrv-controller.js';
import { NAMESRV_CONFIG_DEFAULTS } from '../../src/config/namesrv-config.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { decodeOffsetMessageId } from '../../src/codec/message-id.js';
import { toFastJson } from '../../src/codec/fastjson.js';
import { consumerHeartbeat, createTopicRequest, pullRequest, pulledRecords, sendV2 } from '../support/wire.js';
import { familySignature, parsePromText, sumSamples, type PromFamily } from '../support/prom-text.js';
import { REPO_ROOT } from '../support/server.js';
import { messageTypeOf } from '../../src/broker/metrics/broker-metrics.js';
import { ADMIN_GROUP, DLQ_PRODUCER_GROUP, adminAndDlqTraffic } from '../support/metrics-traffic.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'metrics', 'apache-5.3.3-broker.json');
const TIMEOUT_MS = 5000;
const TOPIC = 'MetricsTopic';
const GROUP = 'MetricsGroup';
const N = 40;
const QUEUES = 4;

/**
 * Families the Apache 5.3.3 broker prints and we do not, each with the reason (the README's list).
 * Everything else must match by name, type, sample names and label keys.
 */
export const DELIBERATE_DIFFERENCES: Record<string, string> = {
  rocketmq_pop_buffer_scan_time_consume:
    'PopBufferMergeService scans its in-memory checkpoint buffer every few ms; our checkpoints go to the POP journal as they are made (broker/pop/pop-journal.ts), so there is no scan to time',
  rocketmq_half_messages:
    'TransactionalMessageService keeps a count per real topic; ours keeps the pending halves by queue offset without their topic (as transactionCheckpoint.json stores them), so a per-topic gauge would mean reading every pending half from the CommitLog at each scrape',
};

interface FixtureFamily { name: string; type: string; help: string; samples: string[]; labels: string[] }

let srv: InProcessServer;
const client = new RemotingClient(() => {});
const invoke = (req: RemotingCommand) => client.invoke(srv.brokerAddr, req, TIMEOUT_MS);
let families: Map<string, PromFamily>;
let pulledBytes = 0;
let pulled = 0;

async function scrape(): Promise<string> {
  const addr = srv.broker.metricsAddress;
  expect(addr).toBeDefined();
  const res = await fetch(`http://${addr}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

function producerHeartbeat(clientID: string, group: string): RemotingCommand {
  return createRequest(RequestCode.HEART_BEAT, undefined,
    Buffer.from(toFastJson({ clientID, consumerDataSet: [], producerDataSet: [{ groupName: group }] })));
}

beforeAll(async () => {
  srv = await startInProcess({
    metricsExporterType: 'PROM', metricsPromExporterHost: '127.0.0.1', metricsPromExporterPort: 0, brokerClusterName: 'MetricsCluster',
  });
  expect((await invoke(createTopicRequest(TOPIC, QUEUES))).code).toBe(ResponseCode.SUCCESS);
  expect((await invoke(producerHeartbeat('producer-1', 'MetricsProducer'))).code).toBe(ResponseCode.SUCCESS);
  expect((await invoke(consumerHeartbeat('consumer-1', GROUP, TOPIC))).code).toBe(ResponseCode.SUCCESS);
  for (let i = 0; i < N; i++) {
    const r = await invoke(sendV2(TOPIC, `metrics body ${i}`.padEnd(100 + i, '.'), { queueId: i % QUEUES, props: { KEYS: `k${i}` } }));
    expect(r.code).toBe(ResponseCode.SUCCESS);
  }
  for (let q = 0; q < QUEUES; q++) {
    const r = await invoke(pullRequest(GROUP, TOPIC, q, 0, 64));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    const recs = pulledRecords(r);
    pulled += recs.length;
    for (const rec of recs) pulledBytes += rec.totalSize;
  }
  // The consumer committed 2 on queue 0 and 0 on queue 1, nothing on the others.
  for (const [queueId, commitOffset] of [['0', '2'], ['1', '0']]) {
    const r = await invoke(createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: GROUP, topic: TOPIC, queueId, commitOffset }));
    expect(r.code).toBe(ResponseCode.SUCCESS);
  }
  // One transaction committed, one rolled back.
  for (const commitOrRollback of ['8', '12']) {
    const half = await invoke(sendV2('MetricsTx', 'half', { props: { TRAN_MSG: 'true', PGROUP: 'tx-pg' }, header: { f: '4' } }));
    expect(half.code).toBe(ResponseCode.SUCCESS);
    const commitLogOffset = String(decodeOffsetMessageId(half.extFields!.msgId)!.commitLogOffset);
    const end = createRequest(RequestCode.END_TRANSACTION, {
      producerGroup: 'tx-pg', tranStateTableOffset: half.extFields!.queueOffset, commitLogOffset, commitOrRollback, msgId: half.extFields!.msgId,
    });
    expect((await invoke(end)).code).toBe(ResponseCode.SUCCESS);
  }
  await adminAndDlqTraffic(invoke);
  const text = await scrape();
  families = parsePromText(text);
}, 60_000);

afterAll(async () => {
  client.close();
  await srv?.stop();
});

describe('metrics names', () => {
  it('prints the Apache 5.3.3 broker families, with the same types, sample names and label keys', () => {
    const apache = (JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { families: FixtureFamily[] }).families;
    const sig = (f: FixtureFamily) => `${f.name} ${f.type} [${f.samples.join(' ')}] ${f.labels.join(',')}`;
    const theirs = new Map(apache.map((f) => [f.name, sig(f)]));
    const ours = new Map([...families.values()].map((f) => [f.name, familySignature(f)]));
    const missing = [...theirs.keys()].filter((n) => !ours.has(n));
    const extra = [...ours.keys()].filter((n) => !theirs.has(n));
    const differing = [...theirs.keys()].filter((n) => ours.has(n) && ours.get(n) !== theirs.get(n)).map((n) => `${theirs.get(n)}\n  ours: ${ours.get(n)}`);
    expect(missing.sort()).toEqual(Object.keys(DELIBERATE_DIFFERENCES).sort());
    expect(extra).toEqual([]);
    expect(differing).toEqual([]);
    // Help texts as the Java exporter prints them.
    for (const f of apache) if (ours.has(f.name)) expect(families.get(f.name)!.help, f.name).toBe(f.help);
  });

  it('labels every broker series with the cluster, the broker name and node_type=broker', () => {
    const m = families.get('rocketmq_topic_number')!.samples[0];
    expect(m.labels).toMatchObject({ otel_scope_name: 'broker-meter', cluster: 'MetricsCluster', node_id: 'broker-a', node_type: 'broker' });
    const procs = families.get('rocketmq_processor_watermark')!.samples.map((s) => s.labels.processor).sort();
    expect(procs).toEqual(['ack', 'admin', 'async_put', 'client_manager', 'consumer_manager', 'heartbeat', 'lite_pull', 'pull', 'query_message', 'reply', 'send', 'transaction']);
    const rpc = families.get('rocketmq_rpc_latency')!.samples.filter((s) => s.name.endsWith('_count'));
    const send = rpc.find((s) => s.labels.request_code === 'send_message_v2' && s.labels.response_code === 'success');
    expect(send?.labels).toMatchObject({ protocol_type: 'remoting', is_long_polling: 'false', result: 'success' });
    // N sends, two transaction halves, the send past the retry budget.
    expect(send?.value).toBe(N + 3);
    expect(rpc.find((s) => s.labels.request_code === 'update_and_create_topic')?.value).toBe(2);
  });
});

describe('metrics counters', () => {
  it('counts the N messages sent and the N pulled, and their bytes', () => {
    expect(pulled).toBe(N);
    const topic = { topic: TOPIC };
    expect(sumSamples(families, 'rocketmq_messages_in_total', { ...topic, message_type: 'normal', is_system: 'false' })).toBe(N);
    expect(sumSamples(families, 'rocketmq_messages_out_total', { ...topic, consumer_group: GROUP })).toBe(N);
    // Out: the bytes of the records handed over; in: the bytes written, the same records.
    expect(sumSamples(families, 'rocketmq_throughput_out_total', topic)).toBe(pulledBytes);
    expect(sumSamples(families, 'rocketmq_throughput_in_total', topic)).toBe(pulledBytes);
    expect(sumSamples(families, 'rocketmq_message_size_count', topic)).toBe(N);
    expect(sumSamples(families, 'rocketmq_message_size_sum', topic)).toBe(pulledBytes);
    expect(sumSamples(families, 'rocketmq_message_size_bucket', { ...topic, le: '+Inf' })).toBe(N);
  });

  it('reads the lag, in-flight and ready gauges from the offsets', () => {
    const lag = { consumer_group: GROUP, topic: TOPIC, is_retry: 'false' };
    const perQueue = N / QUEUES;
    // Committed 2 and 0 on queues 0 and 1; the others have no committed offset, which Java counts as
    // consumed up to the max (no lag) and as committed where pulled (nothing in flight).
    expect(sumSamples(families, 'rocketmq_consumer_lag_messages', lag)).toBe(perQueue - 2 + perQueue);
    // Every queue was pulled to its end: nothing ready, and what is pulled past the commits is in flight.
    expect(sumSamples(families, 'rocketmq_consumer_ready_messages', lag)).toBe(0);
    expect(sumSamples(families, 'rocketmq_consumer_inflight_messages', lag)).toBe(perQueue - 2 + perQueue);
    // The first unconsumed message was stored during this test: the lag latency is its age.
    const latency = sumSamples(families, 'rocketmq_consumer_lag_latency_milliseconds', lag);
    expect(latency).toBeGreaterThan(0);
    expect(latency).toBeLessThan(60_000);
    // The wire client's heartbeat carries version 409, MQVersion's V4_9_8.
    expect(sumSamples(families, 'rocketmq_consumer_connections', { consumer_group: GROUP, consume_mode: 'push', language: 'java', version: 'v4_9_8' })).toBe(1);
    expect(sumSamples(families, 'rocketmq_producer_connections', { language: 'java', protocol_type: 'remoting' })).toBeGreaterThanOrEqual(1);
  });

  it('counts the admin requests and the message sent to the DLQ', () => {
    const created = (s: string) => sumSamples(families, `rocketmq_${s}_create_execution_time_milliseconds_count`, { invocation_status: 'success' });
    expect(created('topic')).toBe(2);
    expect(created('consumer_group')).toBe(1);
    expect(sumSamples(families, 'rocketmq_send_to_dlq_messages_total', { consumer_group: DLQ_PRODUCER_GROUP, topic: `%RETRY%${ADMIN_GROUP}` })).toBe(1);
    // Not counted in: the put went to a retry topic (then the DLQ), which the Java broker leaves out too.
    expect(sumSamples(families, 'rocketmq_messages_in_total', { topic: `%DLQ%${ADMIN_GROUP}` })).toBe(0);
  });

  it('counts the transaction committed and the one rolled back', () => {
    expect(sumSamples(families, 'rocketmq_commit_messages_total', { topic: 'MetricsTx' })).toBe(1);
    expect(sumSamples(families, 'rocketmq_rollback_messages_total', { topic: 'MetricsTx' })).toBe(1);
    expect(sumSamples(families, 'rocketmq_finish_message_latency_milliseconds_count', { topic: 'MetricsTx' })).toBe(1);
    expect(sumSamples(families, 'rocketmq_topic_number')).toBe(srv.broker.ctx.topics.table.size);
  });
});

describe('message_type', () => {
  it('reads the properties as BrokerMetricsManager#getMessageType: transaction, then FIFO, then delay', () => {
    const p = (o: Record<string, string>) => Object.entries(o).map(([k, v]) => `${k}\u0001${v}`).join('\u0002');
    expect(messageTypeOf(undefined)).toBe(0);
    expect(messageTypeOf(p({ TAGS: 'a', KEYS: 'k' }))).toBe(0);
    expect(messageTypeOf(p({ TAGS: 'a', TRAN_MSG: 'true', __SHARDINGKEY: 's' }))).toBe(3);
    expect(messageTypeOf(p({ TRAN_MSG: 'truex' }))).toBe(0);
    expect(messageTypeOf(p({ DELAY: '3', __SHARDINGKEY: 's' }))).toBe(1);
    for (const k of ['DELAY', 'TIMER_DELIVER_MS', 'TIMER_DELAY_SEC', 'TIMER_DELAY_MS', '__STARTDELIVERTIME']) expect(messageTypeOf(p({ TAGS: 'a', [k]: '5' })), k).toBe(2);
    // A key that only ends like one, and an empty value, do not count.
    expect(messageTypeOf(p({ XDELAY: '3', TIMER_DELAY_MS: '' }))).toBe(0);
  });
});

describe('a NameServer alone', () => {
  it('serves its own request metrics on metricsPromExporterPort, named as the broker names them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-namesrv-metrics-'));
    const namesrv = new NamesrvController({
      ...NAMESRV_CONFIG_DEFAULTS, listenPort: 0, kvConfigPath: path.join(dir, 'kv.json'),
      metricsExporterType: 'PROM', metricsPromExporterHost: '127.0.0.1', metricsPromExporterPort: 0,
    });
    try {
      await namesrv.start();
      const addr = `127.0.0.1:${namesrv.port}`;
      for (let i = 0; i < 3; i++) {
        const r = await client.invoke(addr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'NoSuchTopic' }), TIMEOUT_MS);
        expect(r.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
      }
      const res = await fetch(`http://${namesrv.metricsAddress}/metrics`);
      const fams = parsePromText(await res.text());
      expect([...fams.keys()].sort()).toEqual(['otel_scope_info', 'rocketmq_rpc_latency', 'target']);
      const count = fams.get('rocketmq_rpc_latency')!.samples.find((s) => s.name === 'rocketmq_rpc_latency_milliseconds_count')!;
      expect(count.labels).toEqual({
        otel_scope_name: 'broker-meter', node_type: 'nameserver', node_id: addr, protocol_type: 'remoting', is_long_polling: 'false',
        request_code: 'get_routeinfo_by_topic', response_code: 'topic_not_exist', result: 'success',
      });
      expect(count.value).toBe(3);
    } finally {
      await namesrv.shutdown();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
