package rocketmqts.grpc;

import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.apis.ClientConfiguration;
import org.apache.rocketmq.client.apis.ClientServiceProvider;
import org.apache.rocketmq.client.apis.consumer.ConsumeResult;
import org.apache.rocketmq.client.apis.consumer.FilterExpression;
import org.apache.rocketmq.client.apis.consumer.PushConsumer;
import org.apache.rocketmq.client.apis.message.Message;
import org.apache.rocketmq.client.apis.producer.Producer;

/**
 * Throughput programs for bench/grpc.mjs (not scenarios: nothing is asserted). Settings from system
 * properties: bench.sec (measured seconds), bench.inflight (async sends in flight), bench.size (body
 * bytes), bench.threads (PushConsumer consumption threads). Both print one line per second:
 *   BENCH-TICK <send|receive> <count so far> <failures so far>
 * and at the end: BENCH <send|receive> count=N failures=F sec=S
 */
final class Bench {
    private static final ClientServiceProvider PROVIDER = ClientServiceProvider.loadService();

    private Bench() {
    }

    private static ClientConfiguration config(String endpoint) {
        return ClientConfiguration.newBuilder().setEndpoints(endpoint).enableSsl(false).setRequestTimeout(Duration.ofSeconds(10)).build();
    }

    static String send(String endpoint, String topic) throws Exception {
        int sec = Integer.getInteger("bench.sec", 30);
        int inflight = Integer.getInteger("bench.inflight", 64);
        byte[] body = new byte[Integer.getInteger("bench.size", 128)];
        Arrays.fill(body, (byte) 'x');
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        Semaphore window = new Semaphore(inflight);
        try (Producer p = PROVIDER.newProducerBuilder().setClientConfiguration(config(endpoint)).setTopics(topic).build()) {
            Message m = PROVIDER.newMessageBuilder().setTopic(topic).setTag("bench").setBody(body).build();
            long start = System.currentTimeMillis();
            long end = start + sec * 1000L;
            long nextTick = start + 1000;
            while (System.currentTimeMillis() < end) {
                window.acquire();
                p.sendAsync(m).whenComplete((r, t) -> {
                    (t == null ? ok : failed).incrementAndGet();
                    window.release();
                });
                long now = System.currentTimeMillis();
                if (now >= nextTick) {
                    Scenarios.print("BENCH-TICK send " + ok.get() + " " + failed.get());
                    nextTick += 1000;
                }
            }
            window.acquire(inflight);
            double took = (System.currentTimeMillis() - start) / 1000.0;
            return "count=" + ok.get() + " failures=" + failed.get() + " sec=" + took;
        }
    }

    /** Consumes until bench.expect messages arrived or nothing came for 5 s (after the first). */
    static String receive(String endpoint, String topic, String group) throws Exception {
        long expect = Long.getLong("bench.expect", Long.MAX_VALUE);
        int threads = Integer.getInteger("bench.threads", 20);
        int maxSec = Integer.getInteger("bench.sec", 120);
        AtomicLong got = new AtomicLong();
        AtomicLong last = new AtomicLong();
        long start = System.currentTimeMillis();
        AtomicLong first = new AtomicLong();
        PushConsumer pc = PROVIDER.newPushConsumerBuilder().setClientConfiguration(config(endpoint)).setConsumerGroup(group)
            .setSubscriptionExpressions(Collections.singletonMap(topic, FilterExpression.SUB_ALL))
            .setConsumptionThreadCount(threads).setMaxCacheMessageCount(4096)
            .setMessageListener(v -> {
                long now = System.currentTimeMillis();
                first.compareAndSet(0, now);
                last.set(now);
                got.incrementAndGet();
                return ConsumeResult.SUCCESS;
            }).build();
        try {
            long nextTick = start + 1000;
            while (true) {
                Thread.sleep(50);
                long now = System.currentTimeMillis();
                if (now >= nextTick) {
                    Scenarios.print("BENCH-TICK receive " + got.get() + " 0");
                    nextTick += 1000;
                }
                if (got.get() >= expect || now - start > maxSec * 1000L) {
                    break;
                }
                if (first.get() > 0 && now - last.get() > 5000) {
                    break;
                }
            }
        } finally {
            pc.close();
        }
        double took = Math.max(1, last.get() - first.get()) / 1000.0;
        return "count=" + got.get() + " failures=0 sec=" + took;
    }
}
