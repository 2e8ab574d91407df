/**
 * Our standalone server (`node dist/cli.js standalone`, metricsExporterType=PROM) under the Java 4.9.8
 * client's push-clustering scenario (a producer, a push consumer draining the topic): the counters read
 * back what the client sent and received, the same counts the Apache 5.3.3 broker's exporter printed for
 * the same scenario, and the NameServer's own requests show on the same /metrics (node_type=nameserver).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startOurServer, type OurRunningServer } from '../test/support/our-server.js';
import { describeJava5Failure, runJava5Scenario } from './support/java5.js';
import { freePort } from '../test/support/ports.js';
import { parsePromText, sumSamples } from '../test/support/prom-text.js';

/**
 * What the Apache 5.3.3 broker's exporter printed for this scenario (compat-tests/metrics-apache.test.ts,
 * captured 2026-11-29 with the Java 5.3.3 client): rocketmq_messages_in_total and _out_total of its topic
 * J5Cluster_<run> were both 41 (one message to create the topic, then 40).
 */
const APACHE_PUSH_CLUSTERING_IN_OUT = 41;

describe('metrics with the Java 4.9.8 client', () => {
  let server: OurRunningServer | undefined;
  afterAll(async () => {
    await server?.stop();
  }, 60_000);

  it('counts what the client sent and consumed; the NameServer requests are on the same /metrics', async () => {
    const metricsPort = await freePort();
    server = await startOurServer({ conf: { metricsExporterType: 'PROM', metricsPromExporterPort: metricsPort, enableGrpcServer: false } });
    const r = await runJava5Scenario('push-clustering', server.namesrvAddr, { clientVersion: '4.9.8' });
    expect(r.passed, describeJava5Failure(r)).toBe(true);
    console.log(`metrics with Java 4.9.8: ${r.verdict}`);
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    const fams = parsePromText(await res.text());
    const topics = fams.get('rocketmq_messages_in_total')!.samples.map((s) => s.labels.topic).filter((t) => t.startsWith('J5Cluster_'));
    expect(topics).toHaveLength(1);
    const topic = topics[0];
    const sent = sumSamples(fams, 'rocketmq_messages_in_total', { topic, message_type: 'normal' });
    const consumed = sumSamples(fams, 'rocketmq_messages_out_total', { topic });
    // The scenario's own count: "<queues> queues, 2 consumers, <n> messages, <d> duplicates".
    const m = /(\d+) messages, (\d+) duplicates/.exec(r.verdict);
    expect(m, r.verdict).not.toBeNull();
    const [delivered, duplicates] = [Number(m![1]), Number(m![2])];
    expect(sent).toBe(delivered);
    expect(sent).toBe(APACHE_PUSH_CLUSTERING_IN_OUT);
    // Out counts what pulls handed over: every message once, a duplicate the listener saw again, and a
    // message a consumer had pulled but dropped when its queue moved to the other consumer.
    expect(consumed, r.verdict).toBeGreaterThanOrEqual(delivered + duplicates);
    // Bytes out are the records handed over (some twice), bytes in the records written; each message's size
    // landed in the histogram once.
    const bytesIn = sumSamples(fams, 'rocketmq_throughput_in_total', { topic });
    expect(bytesIn).toBeGreaterThan(sent * 100);
    expect(sumSamples(fams, 'rocketmq_throughput_out_total', { topic })).toBeGreaterThanOrEqual(bytesIn);
    expect(sumSamples(fams, 'rocketmq_message_size_sum', { topic })).toBe(bytesIn);
    expect(sumSamples(fams, 'rocketmq_message_size_count', { topic })).toBe(sent);
    // The sends as the RPC histogram saw them: SEND_MESSAGE_V2 answered SUCCESS once per message.
    expect(sumSamples(fams, 'rocketmq_rpc_latency_milliseconds_count', { node_type: 'broker', request_code: 'send_message_v2', response_code: 'success' }))
      .toBeGreaterThanOrEqual(sent);
    // The client asked the NameServer for the topic's route.
    expect(sumSamples(fams, 'rocketmq_rpc_latency_milliseconds_count', { node_type: 'nameserver', request_code: 'get_routeinfo_by_topic' }))
      .toBeGreaterThan(0);
  }, 240_000);
});
