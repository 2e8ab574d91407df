package rocketmqts.compat;

import com.alibaba.fastjson.JSON;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.apache.rocketmq.client.QueryResult;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.impl.consumer.ProcessQueue;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.common.admin.ConsumeStats;
import org.apache.rocketmq.common.admin.OffsetWrapper;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.ResponseCode;

/**
 * The load side of the soak (soak/run.mjs, `npm run soak`): one JVM with the official 4.9.8 client that
 * keeps a moderate mixed load running against a broker the driver SIGKILLs and restarts every few minutes,
 * records every acknowledgement and every delivery, and at the end reports what was lost.
 *
 * {@code SoakLoad <namesrv> <brokerAddr> <workDir> <runId> <msgPerSec> <drainSec> <maxRunSec>}
 *
 * Load, paced to msgPerSec in total (one producer client, one consumer client, shared by the roles):
 * - normal (NORMAL_SHARE): sync sends of keyed messages to SoakN_<run>, NORMAL_THREADS threads. A push
 *   consumer (clustering, group CG_SoakN_<run>) fails the first delivery of every FAIL_FIRST_EVERY-th
 *   message with RECONSUME_LATER, so those come back through %RETRY%CG_SoakN_<run> after delay level 3.
 * - delay (DELAY_SHARE): sync sends to SoakD_<run> with delayTimeLevel 1..3 (seq % 3 + 1), consumed by
 *   CG_SoakD_<run>; a delivery stored on the topic (or received) before born + level delay is "early".
 * - transactions (TX_SHARE): sendMessageInTransaction to SoakT_<run>. By seq % 20 the local transaction
 *   commits (16 of 20), rolls back (0, 1), or answers UNKNOW (2: the check-back then commits, 3: rolls
 *   back). Check-back answers from what the producer actually did: a half whose send failed (or was not
 *   SEND_OK, which the client rolls back itself) is rolled back. Consumed by CG_SoakT_<run>: every acked,
 *   committed key must arrive; nothing else may.
 * A send counts as acknowledged when the SendResult is SEND_OK (FLUSH_DISK_TIMEOUT too for normal and delay
 * sends: written, not synced in time; a SIGKILL keeps written data. Both are counted by status). Failed
 * sends (broker down) are counted and the thread moves to the next key after FAILED_SEND_PAUSE_MS: they are
 * not acknowledged, and if one was stored anyway it shows up as "consumed, not acknowledged".
 * Every acknowledgement is appended to workDir/acked.log ({@code kind seq ackMs status queueId queueOffset
 * msgId offsetMsgId}); deliveries are kept in bit sets per kind.
 *
 * Output: {@code INFO load running ...} once the load runs; {@code STATS {json}} every STATS_EVERY_MS (totals so
 * far; delayLateMaxMs is the largest first-delivery lateness of a delay message since the previous line);
 * {@code EVENT ...} when sends start failing and recover. When workDir/stop appears: producing stops (the
 * transaction producer stays up for check-backs), consumers drain until every expected key was consumed and
 * every group's lag (GET_CONSUME_STATS, as mqadmin consumerProgress) is 0, at most drainSec; then
 * {@code RESULT {json}} and {@code DONE}. Exits by itself when its parent process is gone or after maxRunSec.
 */
public final class SoakLoad {
    /** The first three levels of the broker's default messageDelayLevel (1s 5s 10s ...): the driver leaves it at its default. */
    static final long[] DELAY_LEVEL_MS = {1_000, 5_000, 10_000};
    /** A first RECONSUME_LATER goes back with delay level 3 (3 + reconsumeTimes 0): 10 s on the default table. */
    static final long RETRY_FIRST_DELAY_MS = 10_000;
    /** Millisecond rounding of client / broker timestamps on the same clock. */
    static final long EARLY_TOLERANCE_MS = 5;
    static final double NORMAL_SHARE = 0.60;
    static final double DELAY_SHARE = 0.15;
    static final double TX_SHARE = 0.25;
    static final int NORMAL_THREADS = 3;
    static final int DELAY_THREADS = 1;
    static final int TX_THREADS = 2;
    static final int FAIL_FIRST_EVERY = 10;
    static final int FAIL_FIRST_REMAINDER = 7;
    static final int TOPIC_QUEUES = 4;
    /** Sends in flight when the broker dies are only failed at their timeout (4.9.8), so keep it short. */
    static final int SEND_TIMEOUT_MS = 3_000;
    static final long FAILED_SEND_PAUSE_MS = 200;
    static final long STATS_EVERY_MS = 10_000;
    static final long CONTROL_POLL_MS = 200;
    static final long DRAIN_POLL_MS = 2_000;
    static final int CONSUME_THREADS = 4;
    /**
     * Heartbeat and route polling: the client defaults are 30 s. A restarted broker knows no consumer or
     * producer until the next heartbeat (pulls are refused, check-backs have no producer to ask), so a kill
     * every few minutes would spend much of the run waiting for it. Offsets are committed at the default 5 s.
     */
    static final int CLIENT_INTERVAL_MS = 5_000;
    static final long PULL_DELAY_WHEN_EXCEPTION_MS = 1_000;
    static final int BODY_MIN = 64;
    static final int BODY_MAX = 1024;
    static final int LISTED_MAX = 20;
    static final String CRC_PROPERTY = "soakCrc";
    /** First-delivery lateness of delay messages: upper bounds of the histogram buckets, ms. */
    static final long[] LATE_BUCKETS_MS = {250, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000, Long.MAX_VALUE};

    enum Kind {
        N("normal"), D("delay"), T("transaction");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /** Per kind: what was attempted, acknowledged and consumed (bit per seq; seqs are dense from 0). */
    static final class Track {
        final Kind kind;
        final AtomicLong nextSeq = new AtomicLong();
        final AtomicLong failedSends = new AtomicLong();
        final Map<String, AtomicLong> statuses = new ConcurrentHashMap<>();
        private final BitSet acked = new BitSet();
        private final BitSet consumed = new BitSet();
        private long ackedCount;
        private long deliveries;
        private long duplicates;

        Track(Kind kind) {
            this.kind = kind;
        }

        synchronized void ack(long seq) {
            if (!acked.get((int) seq)) {
                acked.set((int) seq);
                ackedCount++;
            }
        }

        /** Records a successful consumption; false if seq was consumed before (a duplicate). */
        synchronized boolean consume(long seq) {
            deliveries++;
            if (consumed.get((int) seq)) {
                duplicates++;
                return false;
            }
            consumed.set((int) seq);
            return true;
        }

        synchronized long ackedCount() {
            return ackedCount;
        }

        synchronized long consumedCount() {
            return consumed.cardinality();
        }

        synchronized long deliveries() {
            return deliveries;
        }

        synchronized long duplicates() {
            return duplicates;
        }

        /** Acknowledged seqs that must be consumed (for transactions: those finally committed). */
        synchronized BitSet expected() {
            BitSet e = (BitSet) acked.clone();
            if (kind == Kind.T) {
                for (int i = e.nextSetBit(0); i >= 0; i = e.nextSetBit(i + 1)) {
                    if (!txFinallyCommitted(i)) {
                        e.clear(i);
                    }
                }
            }
            return e;
        }

        synchronized BitSet missing() {
            BitSet m = expected();
            m.andNot(consumed);
            return m;
        }

        synchronized long consumedNotAcked() {
            BitSet c = (BitSet) consumed.clone();
            c.andNot(acked);
            return c.cardinality();
        }
    }

    /** seq % 20: 0-1 roll back, 2 UNKNOW then commit on check, 3 UNKNOW then roll back on check, else commit. */
    static LocalTransactionState txFirstAnswer(long seq) {
        int r = (int) (seq % 20);
        if (r < 2) {
            return LocalTransactionState.ROLLBACK_MESSAGE;
        }
        if (r < 4) {
            return LocalTransactionState.UNKNOW;
        }
        return LocalTransactionState.COMMIT_MESSAGE;
    }

    static boolean txFinallyCommitted(long seq) {
        int r = (int) (seq % 20);
        return r != 0 && r != 1 && r != 3;
    }

    private final String namesrv;
    private final String brokerAddr;
    private final Path dir;
    private final String runId;
    private final double msgPerSec;
    private final long drainMs;
    private final long maxRunMs;
    private final String keyPrefix;
    private final Map<Kind, String> topics = new LinkedHashMap<>();
    private final Map<Kind, String> groups = new LinkedHashMap<>();
    private final Map<Kind, Track> tracks = new LinkedHashMap<>();
    private final Map<Kind, DefaultMQPushConsumer> consumers = new LinkedHashMap<>();
    private final AtomicBoolean stopProducing = new AtomicBoolean();
    private final long startedMs = System.currentTimeMillis();
    private BufferedWriter ackLog;

    // consume-side counters
    private final AtomicLong corrupt = new AtomicLong();
    private final List<String> corruptListed = new ArrayList<>();
    private final AtomicLong foreign = new AtomicLong();
    private final AtomicLong failedFirst = new AtomicLong();
    private final AtomicLong retriedOkViaBroker = new AtomicLong();
    private final AtomicLong retriedOkLocally = new AtomicLong();
    private final AtomicLong retryEarly = new AtomicLong();
    private final AtomicLong retryMinGapMs = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong retryMaxGapMs = new AtomicLong();
    /** seq of a normal message → when its first delivery was failed; removed when a retry succeeds. */
    private final Map<Long, Long> firstFailAt = new ConcurrentHashMap<>();
    private final AtomicLong delayEarly = new AtomicLong();
    private final AtomicLong delayEarlyStored = new AtomicLong();
    private final AtomicLong delayEarlyReceived = new AtomicLong();
    private final AtomicLong delayMaxEarlyMs = new AtomicLong();
    private final AtomicLong delayMaxLateMs = new AtomicLong();
    /** The largest first-delivery lateness since the last STATS line. */
    private final AtomicLong delayWindowLateMs = new AtomicLong(Long.MIN_VALUE);
    private final long[] delayLateBuckets = new long[LATE_BUCKETS_MS.length];
    private final List<String> delayEarlyListed = new ArrayList<>();
    private final AtomicLong txDeliveredNotCommitted = new AtomicLong();
    private final List<String> txBadListed = new ArrayList<>();

    // transaction producer side
    private final BitSet txExecuted = new BitSet();
    private final Set<Long> txInFlight = ConcurrentHashMap.newKeySet();
    private final BitSet txCheckedUnknown = new BitSet();
    private final Map<String, AtomicLong> txChecks = new ConcurrentHashMap<>();

    // producer outage tracking (all kinds)
    private final AtomicLong failingSinceMs = new AtomicLong();
    private final AtomicLong failedInOutage = new AtomicLong();
    private final List<Map<String, Object>> outages = new ArrayList<>();

    private SoakLoad(String[] a) {
        namesrv = a[0];
        brokerAddr = a[1];
        dir = Paths.get(a[2]);
        runId = a[3];
        msgPerSec = Double.parseDouble(a[4]);
        drainMs = Long.parseLong(a[5]) * 1000;
        maxRunMs = Long.parseLong(a[6]) * 1000;
        keyPrefix = "soak-" + runId + "-";
        for (Kind k : Kind.values()) {
            topics.put(k, "Soak" + k.name() + "_" + runId);
            groups.put(k, "CG_Soak" + k.name() + "_" + runId);
            tracks.put(k, new Track(k));
        }
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length != 7) {
            System.out.println("usage: SoakLoad <namesrv> <brokerAddr> <workDir> <runId> <msgPerSec> <drainSec> <maxRunSec>");
            System.exit(2);
        }
        watchParent();
        int code = new SoakLoad(argv).run();
        System.exit(code);
    }

    /** The driver is the parent: if it is gone (killed), nobody will ever stop this load. */
    private static void watchParent() {
        ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
        if (parent == null) {
            return;
        }
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException e) {
                    return;
                }
                if (!parent.isAlive()) {
                    System.out.println("PROBLEM parent process gone: exiting");
                    System.out.flush();
                    Runtime.getRuntime().halt(3);
                }
            }
        }, "soak-parent-watch");
        t.setDaemon(true);
        t.start();
    }

    private static void info(String s) {
        System.out.println("INFO " + s);
        System.out.flush();
    }

    private int run() throws Exception {
        ackLog = Files.newBufferedWriter(dir.resolve("acked.log"), StandardCharsets.UTF_8);
        DefaultMQProducer producer = new DefaultMQProducer("PG_Soak_" + runId);
        configureProducer(producer);
        producer.start();
        TransactionMQProducer txProducer = new TransactionMQProducer("PG_SoakTx_" + runId);
        configureProducer(txProducer);
        txProducer.setTransactionListener(new TxListener());
        txProducer.start();
        // Topics first (auto-created by the first send), so consumers find their routes at once.
        for (Kind k : Kind.values()) {
            warmUp(producer, topics.get(k));
        }
        consumers.put(Kind.N, startConsumer(Kind.N, this::consumeNormal));
        consumers.put(Kind.D, startConsumer(Kind.D, this::consumeDelay));
        consumers.put(Kind.T, startConsumer(Kind.T, this::consumeTx));

        List<Thread> threads = new ArrayList<>();
        startSenders(threads, Kind.N, NORMAL_THREADS, msgPerSec * NORMAL_SHARE, producer, null);
        startSenders(threads, Kind.D, DELAY_THREADS, msgPerSec * DELAY_SHARE, producer, null);
        startSenders(threads, Kind.T, TX_THREADS, msgPerSec * TX_SHARE, null, txProducer);
        info("load running: topics=" + topics.values() + " groups=" + groups.values() + " msgPerSec=" + msgPerSec);

        long deadline = startedMs + maxRunMs;
        long nextStats = System.currentTimeMillis() + STATS_EVERY_MS;
        while (!Files.exists(dir.resolve("stop")) && System.currentTimeMillis() < deadline) {
            Thread.sleep(CONTROL_POLL_MS);
            if (System.currentTimeMillis() >= nextStats) {
                nextStats += STATS_EVERY_MS;
                System.out.println("STATS " + JSON.toJSONString(stats()));
                System.out.flush();
            }
        }
        if (System.currentTimeMillis() >= deadline) {
            System.out.println("PROBLEM no stop file within " + maxRunMs / 1000 + " s: stopping by itself");
        }
        long producingStoppedMs = System.currentTimeMillis();
        stopProducing.set(true);
        for (Thread t : threads) {
            t.join();
        }
        synchronized (ackLog) {
            ackLog.flush();
        }
        info("producing stopped after " + (producingStoppedMs - startedMs) / 1000 + " s: " + JSON.toJSONString(stats()));

        // Drain: every expected key consumed and every group's lag 0, or the drain time is up.
        long drainDeadline = System.currentTimeMillis() + drainMs;
        long nextProgress = System.currentTimeMillis() + STATS_EVERY_MS;
        Map<String, Object> lags;
        long missing;
        while (true) {
            missing = 0;
            for (Track t : tracks.values()) {
                missing += t.missing().cardinality();
            }
            lags = lags();
            boolean settled = missing == 0 && totalLag(lags) == 0;
            if (settled || System.currentTimeMillis() >= drainDeadline) {
                break;
            }
            if (System.currentTimeMillis() >= nextProgress) {
                nextProgress += STATS_EVERY_MS;
                info("draining: missing=" + missing + " lag=" + JSON.toJSONString(lags));
            }
            Thread.sleep(DRAIN_POLL_MS);
        }
        long drainTookMs = System.currentTimeMillis() - producingStoppedMs;
        Map<String, Object> result = result(lags, drainTookMs, producingStoppedMs);
        System.out.println("RESULT " + JSON.toJSONString(result));
        System.out.flush();

        Clients.markFinalShutdown();
        for (DefaultMQPushConsumer c : consumers.values()) {
            c.shutdown();
        }
        txProducer.shutdown();
        producer.shutdown();
        synchronized (ackLog) {
            ackLog.close();
        }
        System.out.println("DONE");
        System.out.flush();
        return 0;
    }

    private void configureProducer(DefaultMQProducer p) {
        p.setNamesrvAddr(namesrv);
        p.setInstanceName("soak-producers-" + runId);
        p.setPollNameServerInterval(CLIENT_INTERVAL_MS);
        p.setHeartbeatBrokerInterval(CLIENT_INTERVAL_MS);
        p.setSendMsgTimeout(SEND_TIMEOUT_MS);
        p.setDefaultTopicQueueNums(TOPIC_QUEUES);
        // retryTimesWhenSendFailed stays at the client's default (2): an ordinary application.
    }

    private void warmUp(DefaultMQProducer p, String topic) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            try {
                SendResult r = p.send(new Message(topic, "warm", "warm-" + runId, "warm".getBytes(StandardCharsets.UTF_8)));
                if (r.getSendStatus() == SendStatus.SEND_OK) {
                    return;
                }
            } catch (Exception e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
            }
            Thread.sleep(500);
        }
    }

    // ------------------------------------------------------------------ producing

    /** Sends at a fixed pace; when it falls more than a second behind (broker down) it does not catch up in a burst. */
    static final class Pacer {
        private final long intervalNanos;
        private long next = System.nanoTime();

        Pacer(double perSec) {
            this.intervalNanos = (long) (1e9 / Math.max(perSec, 0.001));
        }

        void await() throws InterruptedException {
            long now = System.nanoTime();
            if (next - now > 0) {
                long waitNanos = next - now;
                Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
            } else if (now - next > 1_000_000_000L) {
                next = now;
            }
            next += intervalNanos;
        }
    }

    private void startSenders(List<Thread> threads, Kind kind, int n, double perSec, DefaultMQProducer p, TransactionMQProducer tx) {
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> {
                Pacer pacer = new Pacer(perSec / n);
                Random rnd = new Random();
                Track track = tracks.get(kind);
                while (!stopProducing.get()) {
                    try {
                        pacer.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    long seq = track.nextSeq.getAndIncrement();
                    boolean ok = tx != null ? sendTx(tx, seq, rnd) : send(p, kind, seq, rnd);
                    if (!ok) {
                        try {
                            Thread.sleep(FAILED_SEND_PAUSE_MS);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            }, "soak-sender-" + kind.name() + "-" + i);
            t.start();
            threads.add(t);
        }
    }

    private Message message(Kind kind, long seq, Random rnd) {
        byte[] body = new byte[BODY_MIN + rnd.nextInt(BODY_MAX - BODY_MIN + 1)];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) ('a' + rnd.nextInt(26));
        }
        CRC32 crc = new CRC32();
        crc.update(body);
        Message m = new Message(topics.get(kind), "Tag" + kind.name(), keyPrefix + kind.name() + "-" + seq, body);
        m.putUserProperty(CRC_PROPERTY, Long.toHexString(crc.getValue()));
        return m;
    }

    /** true unless the send threw (broker unreachable, timeout). */
    private boolean send(DefaultMQProducer p, Kind kind, long seq, Random rnd) {
        Track track = tracks.get(kind);
        Message m = message(kind, seq, rnd);
        if (kind == Kind.D) {
            m.setDelayTimeLevel((int) (seq % DELAY_LEVEL_MS.length) + 1);
        }
        try {
            SendResult r = p.send(m);
            sendSucceeded();
            track.statuses.computeIfAbsent(r.getSendStatus().name(), s -> new AtomicLong()).incrementAndGet();
            if (r.getSendStatus() == SendStatus.SEND_OK || r.getSendStatus() == SendStatus.FLUSH_DISK_TIMEOUT) {
                ack(kind, seq, r);
            }
            return true;
        } catch (Exception e) {
            track.failedSends.incrementAndGet();
            sendFailed(e);
            return false;
        }
    }

    private boolean sendTx(TransactionMQProducer p, long seq, Random rnd) {
        Track track = tracks.get(Kind.T);
        Message m = message(Kind.T, seq, rnd);
        txInFlight.add(seq);
        try {
            SendResult r = p.sendMessageInTransaction(m, null);
            sendSucceeded();
            track.statuses.computeIfAbsent(r.getSendStatus().name(), s -> new AtomicLong()).incrementAndGet();
            // Only SEND_OK runs the local transaction; the client rolls back every other status itself.
            if (r.getSendStatus() == SendStatus.SEND_OK) {
                ack(Kind.T, seq, r);
            }
            return true;
        } catch (Exception e) {
            track.failedSends.incrementAndGet();
            sendFailed(e);
            return false;
        } finally {
            txInFlight.remove(seq);
        }
    }

    private void ack(Kind kind, long seq, SendResult r) {
        tracks.get(kind).ack(seq);
        String line = kind.name() + " " + seq + " " + System.currentTimeMillis() + " " + r.getSendStatus().name() + " "
            + r.getMessageQueue().getQueueId() + " " + r.getQueueOffset() + " " + r.getMsgId() + " " + r.getOffsetMsgId();
        synchronized (ackLog) {
            try {
                ackLog.write(line);
                ackLog.newLine();
                ackLog.flush();
            } catch (Exception e) {
                System.out.println("PROBLEM acked.log write failed: " + e);
            }
        }
    }

    private void sendFailed(Exception e) {
        failedInOutage.incrementAndGet();
        long now = System.currentTimeMillis();
        if (failingSinceMs.compareAndSet(0, now)) {
            System.out.println("EVENT sends failing at t=" + (now - startedMs) / 1000.0 + "s: " + firstLine(e));
            System.out.flush();
        }
    }

    private void sendSucceeded() {
        long since = failingSinceMs.get();
        if (since != 0 && failingSinceMs.compareAndSet(since, 0)) {
            long now = System.currentTimeMillis();
            long failed = failedInOutage.getAndSet(0);
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("fromSec", (since - startedMs) / 1000.0);
            o.put("durationMs", now - since);
            o.put("failedSends", failed);
            synchronized (outages) {
                outages.add(o);
            }
            System.out.println("EVENT sends ok again at t=" + (now - startedMs) / 1000.0 + "s after " + (now - since) + " ms, " + failed + " failed sends");
            System.out.flush();
        } else {
            failedInOutage.set(0);
        }
    }

    private static String firstLine(Throwable e) {
        String s = String.valueOf(e);
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Check-back answers from what this producer did with the key (see the class comment). */
    final class TxListener implements TransactionListener {
        @Override
        public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
            long seq = seqOf(msg.getKeys(), Kind.T);
            synchronized (txExecuted) {
                txExecuted.set((int) seq);
            }
            return txFirstAnswer(seq);
        }

        @Override
        public LocalTransactionState checkLocalTransaction(MessageExt msg) {
            long seq = seqOf(msg.getKeys(), Kind.T);
            if (seq < 0) {
                count(txChecks, "foreign");
                return LocalTransactionState.ROLLBACK_MESSAGE;
            }
            boolean executed;
            synchronized (txExecuted) {
                executed = txExecuted.get((int) seq);
            }
            if (!executed) {
                if (txInFlight.contains(seq)) {
                    count(txChecks, "inFlightUnknow");
                    return LocalTransactionState.UNKNOW;
                }
                count(txChecks, "sendFailedRollback");
                return LocalTransactionState.ROLLBACK_MESSAGE;
            }
            if (txFirstAnswer(seq) == LocalTransactionState.UNKNOW) {
                boolean first;
                synchronized (txCheckedUnknown) {
                    first = !txCheckedUnknown.get((int) seq);
                    txCheckedUnknown.set((int) seq);
                }
                count(txChecks, first ? "unknownResolved" : "unknownAskedAgain");
            } else {
                // Ended by the producer already: its END_TRANSACTION was lost (broker killed) or not applied.
                count(txChecks, "alreadyEnded");
            }
            return txFinallyCommitted(seq) ? LocalTransactionState.COMMIT_MESSAGE : LocalTransactionState.ROLLBACK_MESSAGE;
        }
    }

    private static void count(Map<String, AtomicLong> m, String k) {
        m.computeIfAbsent(k, x -> new AtomicLong()).incrementAndGet();
    }

    // ------------------------------------------------------------------ consuming

    interface OneMessage {
        ConsumeConcurrentlyStatus consume(MessageExt m, long seq);
    }

    private DefaultMQPushConsumer startConsumer(Kind kind, OneMessage handler) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(groups.get(kind));
        c.setNamesrvAddr(namesrv);
        c.setInstanceName("soak-consumers-" + runId);
        c.setPollNameServerInterval(CLIENT_INTERVAL_MS);
        c.setHeartbeatBrokerInterval(CLIENT_INTERVAL_MS);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setConsumeThreadMin(CONSUME_THREADS);
        c.setConsumeThreadMax(CONSUME_THREADS);
        c.subscribe(topics.get(kind), "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            // consumeMessageBatchMaxSize is 1: one message per call.
            for (MessageExt m : msgs) {
                long seq = seqOf(m.getKeys(), kind);
                if (seq < 0) {
                    foreign.incrementAndGet();
                    continue;
                }
                checkBody(m);
                ConsumeConcurrentlyStatus s = handler.consume(m, seq);
                if (s != ConsumeConcurrentlyStatus.CONSUME_SUCCESS) {
                    return s;
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.getDefaultMQPushConsumerImpl().setPullTimeDelayMillsWhenException(PULL_DELAY_WHEN_EXCEPTION_MS);
        c.start();
        return c;
    }

    private long seqOf(String key, Kind kind) {
        String p = keyPrefix + kind.name() + "-";
        if (key == null || !key.startsWith(p)) {
            return -1;
        }
        try {
            return Long.parseLong(key.substring(p.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void checkBody(MessageExt m) {
        CRC32 crc = new CRC32();
        crc.update(m.getBody());
        String want = m.getUserProperty(CRC_PROPERTY);
        if (!Long.toHexString(crc.getValue()).equals(want)) {
            corrupt.incrementAndGet();
            synchronized (corruptListed) {
                if (corruptListed.size() < LISTED_MAX) {
                    corruptListed.add(m.getKeys() + " on " + m.getTopic() + " queue " + m.getQueueId() + " offset " + m.getQueueOffset()
                        + ": crc " + Long.toHexString(crc.getValue()) + " != " + want + " (" + m.getBody().length + " bytes)");
                }
            }
        }
    }

    private ConsumeConcurrentlyStatus consumeNormal(MessageExt m, long seq) {
        long now = System.currentTimeMillis();
        if (m.getReconsumeTimes() == 0 && seq % FAIL_FIRST_EVERY == FAIL_FIRST_REMAINDER) {
            failedFirst.incrementAndGet();
            firstFailAt.putIfAbsent(seq, now);
            return ConsumeConcurrentlyStatus.RECONSUME_LATER;
        }
        tracks.get(Kind.N).consume(seq);
        if (m.getReconsumeTimes() > 0) {
            Long failedAt = firstFailAt.remove(seq);
            // From %RETRY% (the broker's delay level) or, when the send-back failed, resubmitted by the client itself after 5 s.
            if (m.getProperty(MessageConst.PROPERTY_RETRY_TOPIC) != null) {
                retriedOkViaBroker.incrementAndGet();
                if (failedAt != null) {
                    long gap = now - failedAt;
                    retryMinGapMs.accumulateAndGet(gap, Math::min);
                    retryMaxGapMs.accumulateAndGet(gap, Math::max);
                    if (gap < RETRY_FIRST_DELAY_MS - EARLY_TOLERANCE_MS) {
                        retryEarly.incrementAndGet();
                    }
                }
            } else {
                retriedOkLocally.incrementAndGet();
            }
        }
        return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
    }

    private ConsumeConcurrentlyStatus consumeDelay(MessageExt m, long seq) {
        long now = System.currentTimeMillis();
        boolean first = tracks.get(Kind.D).consume(seq);
        long due = m.getBornTimestamp() + DELAY_LEVEL_MS[(int) (seq % DELAY_LEVEL_MS.length)];
        long earlyStored = due - m.getStoreTimestamp();
        long earlyReceived = due - now;
        if (earlyStored > EARLY_TOLERANCE_MS || earlyReceived > EARLY_TOLERANCE_MS) {
            delayEarly.incrementAndGet();
            if (earlyStored > EARLY_TOLERANCE_MS) {
                delayEarlyStored.incrementAndGet();
            }
            if (earlyReceived > EARLY_TOLERANCE_MS) {
                delayEarlyReceived.incrementAndGet();
            }
            delayMaxEarlyMs.accumulateAndGet(Math.max(earlyStored, earlyReceived), Math::max);
            synchronized (delayEarlyListed) {
                if (delayEarlyListed.size() < LISTED_MAX) {
                    delayEarlyListed.add(m.getKeys() + " level " + (seq % DELAY_LEVEL_MS.length + 1) + ": stored " + earlyStored
                        + " ms and received " + earlyReceived + " ms before due (born " + m.getBornTimestamp() + ", DELAY="
                        + m.getProperty(MessageConst.PROPERTY_DELAY_TIME_LEVEL) + ", reconsumeTimes " + m.getReconsumeTimes() + ")");
                }
            }
        }
        if (first) {
            long late = now - due;
            delayMaxLateMs.accumulateAndGet(late, Math::max);
            delayWindowLateMs.accumulateAndGet(late, Math::max);
            synchronized (delayLateBuckets) {
                for (int i = 0; i < LATE_BUCKETS_MS.length; i++) {
                    if (late < LATE_BUCKETS_MS[i]) {
                        delayLateBuckets[i]++;
                        break;
                    }
                }
            }
        }
        return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
    }

    private ConsumeConcurrentlyStatus consumeTx(MessageExt m, long seq) {
        tracks.get(Kind.T).consume(seq);
        boolean executed;
        synchronized (txExecuted) {
            executed = txExecuted.get((int) seq);
        }
        if (!executed || !txFinallyCommitted(seq)) {
            txDeliveredNotCommitted.incrementAndGet();
            synchronized (txBadListed) {
                if (txBadListed.size() < LISTED_MAX) {
                    txBadListed.add(m.getKeys() + " (" + (executed ? "local transaction answered " + txFirstAnswer(seq) + ", finally rolled back"
                        : "half send not acknowledged: rolled back") + ") delivered from queue " + m.getQueueId() + " offset " + m.getQueueOffset()
                        + ", msgId " + m.getMsgId());
                }
            }
        }
        return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
    }

    // ------------------------------------------------------------------ reporting

    private Map<String, Object> stats() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("t", (System.currentTimeMillis() - startedMs) / 1000);
        Map<String, Object> acked = new LinkedHashMap<>();
        Map<String, Object> failed = new LinkedHashMap<>();
        Map<String, Object> consumed = new LinkedHashMap<>();
        Map<String, Object> dups = new LinkedHashMap<>();
        long ackedTotal = 0;
        long consumedTotal = 0;
        for (Track t : tracks.values()) {
            acked.put(t.kind.name(), t.ackedCount());
            failed.put(t.kind.name(), t.failedSends.get());
            consumed.put(t.kind.name(), t.consumedCount());
            dups.put(t.kind.name(), t.duplicates());
            ackedTotal += t.ackedCount();
            consumedTotal += t.consumedCount();
        }
        s.put("ackedTotal", ackedTotal);
        s.put("consumedTotal", consumedTotal);
        s.put("acked", acked);
        s.put("failedSends", failed);
        s.put("consumed", consumed);
        s.put("duplicates", dups);
        s.put("failedFirst", failedFirst.get());
        s.put("retriedOk", retriedOkViaBroker.get() + retriedOkLocally.get());
        s.put("txChecks", snapshot(txChecks));
        s.put("corrupt", corrupt.get());
        long windowLate = delayWindowLateMs.getAndSet(Long.MIN_VALUE);
        s.put("delayLateMaxMs", windowLate == Long.MIN_VALUE ? null : windowLate);
        return s;
    }

    private static Map<String, Long> snapshot(Map<String, AtomicLong> m) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** Per group: GET_CONSUME_STATS over every topic it has offsets for (its topic and its %RETRY% topic). */
    private Map<String, Object> lags() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Kind k : Kind.values()) {
            String group = groups.get(k);
            Map<String, Object> g = new LinkedHashMap<>();
            try {
                ConsumeStats cs = consumers.get(k).getDefaultMQPushConsumerImpl().getmQClientFactory().getMQClientAPIImpl()
                    .getConsumeStats(brokerAddr, group, 5_000);
                Map<String, Long> byTopic = new TreeMap<>();
                Map<String, String> offsets = new TreeMap<>();
                long lag = 0;
                for (Map.Entry<MessageQueue, OffsetWrapper> e : cs.getOffsetTable().entrySet()) {
                    long d = e.getValue().getBrokerOffset() - e.getValue().getConsumerOffset();
                    lag += d;
                    byTopic.merge(e.getKey().getTopic(), d, Long::sum);
                    offsets.put(e.getKey().getTopic() + "#" + e.getKey().getQueueId(),
                        e.getValue().getConsumerOffset() + "/" + e.getValue().getBrokerOffset());
                }
                g.put("lag", lag);
                g.put("byTopic", byTopic);
                g.put("offsets", offsets);
            } catch (Exception e) {
                g.put("lag", -1L);
                g.put("error", firstLine(e));
            }
            long cached = 0;
            int queues = 0;
            for (ProcessQueue pq : consumers.get(k).getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().values()) {
                if (!pq.isDropped()) {
                    queues++;
                    cached += pq.getMsgCount().get();
                }
            }
            g.put("clientQueues", queues);
            g.put("clientCachedMsgs", cached);
            out.put(group, g);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static long totalLag(Map<String, Object> lags) {
        long sum = 0;
        for (Object v : lags.values()) {
            long l = (Long) ((Map<String, Object>) v).get("lag");
            sum += l < 0 ? 1 : l; // an unanswered query counts as not settled
        }
        return sum;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> result(Map<String, Object> lags, long drainTookMs, long producingStoppedMs) throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("runId", runId);
        r.put("producingSec", (producingStoppedMs - startedMs) / 1000);
        r.put("targetMsgPerSec", msgPerSec);
        r.put("drainMs", drainTookMs);
        long ackedTotal = 0;
        long expectedTotal = 0;
        long lostTotal = 0;
        long consumedTotal = 0;
        long duplicatesTotal = 0;
        Map<String, Object> kinds = new LinkedHashMap<>();
        Map<Kind, BitSet> missing = new LinkedHashMap<>();
        for (Track t : tracks.values()) {
            Map<String, Object> k = new LinkedHashMap<>();
            BitSet miss = t.missing();
            missing.put(t.kind, miss);
            long expected = t.expected().cardinality();
            k.put("sent", t.nextSeq.get());
            k.put("acknowledged", t.ackedCount());
            k.put("failedSends", t.failedSends.get());
            k.put("statuses", snapshot(t.statuses));
            k.put("mustBeConsumed", expected);
            k.put("consumedDistinct", t.consumedCount());
            k.put("deliveries", t.deliveries());
            k.put("duplicates", t.duplicates());
            k.put("consumedNotAcknowledged", t.consumedNotAcked());
            k.put("lost", (long) miss.cardinality());
            kinds.put(t.kind.label, k);
            ackedTotal += t.ackedCount();
            expectedTotal += expected;
            lostTotal += miss.cardinality();
            consumedTotal += t.consumedCount();
            duplicatesTotal += t.duplicates();
        }
        r.put("acknowledged", ackedTotal);
        r.put("mustBeConsumed", expectedTotal);
        r.put("consumedDistinct", consumedTotal);
        r.put("lost", lostTotal);
        r.put("duplicates", duplicatesTotal);
        r.put("rolledBackDelivered", txDeliveredNotCommitted.get());
        r.put("delayDeliveredEarly", delayEarly.get());
        r.put("corrupt", corrupt.get());
        List<String> stuck = new ArrayList<>();
        for (Map.Entry<String, Object> e : lags.entrySet()) {
            if ((Long) ((Map<String, Object>) e.getValue()).get("lag") != 0) {
                stuck.add(e.getKey());
            }
        }
        r.put("stuckConsumers", stuck.size());
        r.put("stuckGroups", stuck);
        r.put("kinds", kinds);

        Map<String, Object> retry = new LinkedHashMap<>();
        retry.put("failedFirstDeliveries", failedFirst.get());
        retry.put("retriedOkViaRetryTopic", retriedOkViaBroker.get());
        retry.put("retriedOkResubmittedByClient", retriedOkLocally.get());
        retry.put("failedNeverRetriedOk", (long) firstFailAt.size());
        retry.put("retryEarly", retryEarly.get());
        retry.put("retryGapMinMs", retryMinGapMs.get() == Long.MAX_VALUE ? null : retryMinGapMs.get());
        retry.put("retryGapMaxMs", retryMaxGapMs.get());
        r.put("retry", retry);

        Map<String, Object> delay = new LinkedHashMap<>();
        delay.put("earlyStoredOnTopic", delayEarlyStored.get());
        delay.put("earlyReceived", delayEarlyReceived.get());
        delay.put("maxEarlyMs", delayMaxEarlyMs.get());
        delay.put("maxLateMs", delayMaxLateMs.get());
        Map<String, Long> buckets = new LinkedHashMap<>();
        synchronized (delayLateBuckets) {
            for (int i = 0; i < LATE_BUCKETS_MS.length; i++) {
                buckets.put(LATE_BUCKETS_MS[i] == Long.MAX_VALUE ? "rest" : "<" + LATE_BUCKETS_MS[i] + "ms", delayLateBuckets[i]);
            }
        }
        delay.put("firstDeliveryLateness", buckets);
        synchronized (delayEarlyListed) {
            delay.put("earlyListed", new ArrayList<>(delayEarlyListed));
        }
        r.put("delay", delay);

        Map<String, Object> tx = new LinkedHashMap<>();
        tx.put("checks", snapshot(txChecks));
        synchronized (txCheckedUnknown) {
            tx.put("unknownKeysResolvedByCheck", (long) txCheckedUnknown.cardinality());
        }
        synchronized (txBadListed) {
            tx.put("deliveredNotCommittedListed", new ArrayList<>(txBadListed));
        }
        r.put("transactions", tx);
        synchronized (corruptListed) {
            r.put("corruptListed", new ArrayList<>(corruptListed));
        }
        r.put("foreignDeliveries", foreign.get());
        synchronized (outages) {
            r.put("sendOutages", new ArrayList<>(outages));
        }
        r.put("groups", lags);
        try {
            r.put("lostListed", lostDetail(missing, lags));
        } catch (Exception e) {
            r.put("lostListed", List.of("diagnosis failed: " + firstLine(e)));
        }
        return r;
    }

    /**
     * For the first LISTED_MAX lost keys: the acknowledgement (acked.log), whether the broker's index finds the
     * key on its topic (and, for normal messages, on the group's %RETRY% topic), and where the send said it went.
     * Tells a message the store lost from one the consumer skipped.
     */
    private List<String> lostDetail(Map<Kind, BitSet> missing, Map<String, Object> lags) throws Exception {
        List<String> out = new ArrayList<>();
        Map<String, String> wanted = new LinkedHashMap<>();
        for (Map.Entry<Kind, BitSet> e : missing.entrySet()) {
            for (int i = e.getValue().nextSetBit(0); i >= 0 && wanted.size() < LISTED_MAX; i = e.getValue().nextSetBit(i + 1)) {
                wanted.put(e.getKey().name() + " " + i, null);
            }
        }
        if (wanted.isEmpty()) {
            return out;
        }
        try (BufferedReader in = Files.newBufferedReader(dir.resolve("acked.log"), StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.split(" ");
                if (f.length >= 2 && wanted.containsKey(f[0] + " " + f[1]) && wanted.get(f[0] + " " + f[1]) == null) {
                    wanted.put(f[0] + " " + f[1], line);
                }
            }
        }
        DefaultMQPushConsumer admin = consumers.get(Kind.N);
        for (Map.Entry<String, String> e : wanted.entrySet()) {
            String[] id = e.getKey().split(" ");
            Kind kind = Kind.valueOf(id[0]);
            String key = keyPrefix + kind.name() + "-" + id[1];
            StringBuilder sb = new StringBuilder(key).append(": acked.log ").append(e.getValue());
            if (e.getValue() != null) {
                String[] f = e.getValue().split(" ");
                sb.append(" (t=").append((Long.parseLong(f[2]) - startedMs) / 1000.0).append("s)");
                // A TransactionSendResult (4.9.8) carries no offsetMsgId; its queue offset is the half queue's.
                if (!"null".equals(f[7])) {
                    try {
                        MessageExt m = admin.viewMessage(f[7]);
                        sb.append("; record at offsetMsgId: ").append(m.getTopic()).append(" queue ").append(m.getQueueId())
                            .append(" offset ").append(m.getQueueOffset());
                    } catch (Exception x) {
                        sb.append("; record at offsetMsgId not found: ").append(firstLine(x));
                    }
                }
            }
            List<String> where = new ArrayList<>();
            where.add(topics.get(kind));
            if (kind == Kind.N) {
                where.add("%RETRY%" + groups.get(kind));
            }
            for (String topic : where) {
                try {
                    QueryResult q = admin.queryMessage(topic, key, 32, 0, Long.MAX_VALUE);
                    sb.append("; index on ").append(topic).append(": ").append(q.getMessageList().size()).append(" found");
                    for (MessageExt m : q.getMessageList()) {
                        sb.append(" [queue ").append(m.getQueueId()).append(" offset ").append(m.getQueueOffset())
                            .append(" reconsumeTimes ").append(m.getReconsumeTimes()).append(']');
                    }
                } catch (MQClientException x) {
                    // The client reports "nothing found" as an exception with NO_MESSAGE (208).
                    sb.append("; index on ").append(topic).append(": ")
                        .append(x.getResponseCode() == ResponseCode.NO_MESSAGE ? "0 found" : firstLine(x));
                } catch (Exception x) {
                    sb.append("; index on ").append(topic).append(": ").append(firstLine(x));
                }
            }
            out.add(sb.toString());
        }
        return out;
    }
}
