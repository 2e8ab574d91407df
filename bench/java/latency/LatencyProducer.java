/*
 * Send latency at a fixed offered load, on the official RocketMQ Java client (the one bench/java/pom.xml
 * resolves). The official benchmark Producer sends as fast as it can and prints only average and max RT;
 * this program paces instead: `rate` sends per second in all, spread over `threads` threads, each send
 * scheduled at a fixed time. Latency is measured from the scheduled time, not from when the thread got to
 * it, so a server that stalls is charged for the sends queued behind the stall (no coordinated omission).
 *
 * With ratePerSec 0 the threads do not pace (closed loop, as the official Producer): each sends again as
 * soon as its last send is acknowledged, and latency is measured from the moment the send starts.
 *
 * Usage: LatencyProducer <namesrvAddr> <topic> <bodyBytes> <ratePerSec> <warmupSec> <measureSec> <threads>
 * Prints one line: LATENCY {json} with sent/failed counts, achieved rate, acknowledged body bytes per second
 * and p50/p90/p99/p999/max in microseconds over the measured window.
 */
package rocketmqts.bench;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;

public final class LatencyProducer {
    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: LatencyProducer <namesrvAddr> <topic> <bodyBytes> <ratePerSec> <warmupSec> <measureSec> <threads>");
            System.exit(2);
        }
        final String namesrv = args[0];
        final String topic = args[1];
        final byte[] body = new byte[Integer.parseInt(args[2])];
        Arrays.fill(body, (byte) 'x');
        final double rate = Double.parseDouble(args[3]);
        final long warmupNs = Long.parseLong(args[4]) * 1_000_000_000L;
        final long measureNs = Long.parseLong(args[5]) * 1_000_000_000L;
        final int threads = Integer.parseInt(args[6]);

        DefaultMQProducer producer = new DefaultMQProducer("bench_latency_producer");
        producer.setNamesrvAddr(namesrv);
        producer.setSendMsgTimeout(10_000);
        producer.setRetryTimesWhenSendFailed(0);
        producer.start();
        // One send before the clock starts: route lookup and connection set-up are not part of the load.
        producer.send(new Message(topic, body));

        final boolean paced = rate > 0;
        final double intervalNs = paced ? 1e9 / rate : 0;
        final long start = System.nanoTime() + 100_000_000L;
        final long measureFrom = start + warmupNs;
        final long end = measureFrom + measureNs;
        // Paced: the schedule bounds the count. Closed loop: room for 200k sends a second in all.
        final double expected = (paced ? rate : 200_000) * (measureNs / 1e9) / threads;
        final int perThreadCap = (int) Math.min(50_000_000L, (long) expected + 1024);
        final long[][] samples = new long[threads][perThreadCap];
        final int[] counts = new int[threads];
        final AtomicLong failed = new AtomicLong();
        final AtomicLong sent = new AtomicLong();
        final CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            final int me = t;
            Thread th = new Thread(() -> {
                try {
                    // Send k of this thread is send (k * threads + me) of the whole schedule.
                    for (long k = 0; ; k++) {
                        long due;
                        if (paced) {
                            due = start + (long) ((k * threads + me) * intervalNs);
                            if (due >= end) break;
                            long now = System.nanoTime();
                            if (due > now) LockSupport.parkNanos(due - now);
                        } else {
                            due = System.nanoTime();
                            if (due >= end) break;
                            if (due < start) LockSupport.parkNanos(start - due);
                            due = Math.max(due, start);
                        }
                        boolean ok;
                        try {
                            SendResult r = producer.send(new Message(topic, body));
                            ok = r.getSendStatus() == SendStatus.SEND_OK;
                        } catch (Exception e) {
                            ok = false;
                        }
                        long finished = System.nanoTime();
                        if (due < measureFrom) continue;
                        if (!ok) {
                            failed.incrementAndGet();
                            continue;
                        }
                        sent.incrementAndGet();
                        if (counts[me] < perThreadCap) samples[me][counts[me]++] = (finished - due) / 1_000;
                    }
                } finally {
                    done.countDown();
                }
            }, "latency-" + t);
            th.start();
        }
        done.await();
        long elapsedNs = Math.max(System.nanoTime(), end) - measureFrom;
        producer.shutdown();

        int n = 0;
        for (int c : counts) n += c;
        long[] all = new long[n];
        int at = 0;
        for (int t = 0; t < threads; t++) {
            System.arraycopy(samples[t], 0, all, at, counts[t]);
            at += counts[t];
        }
        Arrays.sort(all);
        System.out.println("LATENCY {\"offeredRate\":" + rate
            + ",\"achievedRate\":" + Math.round(sent.get() / (elapsedNs / 1e9))
            + ",\"bytesPerSec\":" + Math.round(sent.get() * (double) body.length / (elapsedNs / 1e9))
            + ",\"sent\":" + sent.get() + ",\"failed\":" + failed.get()
            + ",\"p50Us\":" + pct(all, 0.50) + ",\"p90Us\":" + pct(all, 0.90) + ",\"p99Us\":" + pct(all, 0.99)
            + ",\"p999Us\":" + pct(all, 0.999) + ",\"maxUs\":" + (n == 0 ? -1 : all[n - 1]) + "}");
    }

    private static long pct(long[] sorted, double q) {
        if (sorted.length == 0) return -1;
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
