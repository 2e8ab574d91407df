package rocketmqts.compat;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * Scenarios for delay levels, 5.x timer properties, retry and DLQ (concurrent and orderly),
 * transactions with check-back, and a broker restart with all of them pending.
 *
 * Run as {@code DelayRetryTxScenarios <scenario> <namesrvAddr> [args]}. The broker must be configured as
 * {@link #BROKER_CONF} describes (compat-tests/delay-retry-transaction.test.ts does it).
 */
public final class DelayRetryTxScenarios {
    /**
     * The delay table the test broker runs with (messageDelayLevel): short levels so retries (level 3 +
     * reconsumeTimes) come quickly; level 18 long enough to outlive a broker restart.
     */
    static final String BROKER_CONF = "1s 2s 3s 2s 1s 2s 1s 2s 1s 2s 1s 2s 1s 2s 1s 2s 1s 10s";
    static final long[] LEVEL_MS = parseLevels(BROKER_CONF);
    /** A due message must reach the listener within this after its due time (pull wake-up, dispatch). */
    static final long LATE_MAX_MS = 1500;
    /** Clocks are the same machine's; allow for the ms rounding of born/store timestamps only. */
    static final long EARLY_TOLERANCE_MS = 5;

    interface Scenario {
        Outcome run(String namesrv, List<String> args) throws Exception;
    }

    static final Map<String, Scenario> SCENARIOS = new java.util.LinkedHashMap<>();

    static {
        SCENARIOS.put("delay-levels", (n, a) -> delayLevels(n));
        SCENARIOS.put("timer-delays", (n, a) -> timerDelays(n));
        SCENARIOS.put("retry-then-succeed", (n, a) -> retryThenSucceed(n));
        SCENARIOS.put("retry-to-dlq", (n, a) -> retryToDlq(n));
        SCENARIOS.put("orderly-retry", (n, a) -> orderlyRetry(n));
        SCENARIOS.put("transactions", (n, a) -> transactions(n));
        SCENARIOS.put("restart-pending-send", (n, a) -> restartSend(n, a.get(0)));
        SCENARIOS.put("restart-pending-check", (n, a) -> restartCheck(n, a.get(0), a.size() > 1 && a.get(1).equals("crashed")));
    }

    /**
     * Same output contract as {@link Scenarios#main}: INFO lines, then one PASS/FAIL line and "  - problem"
     * lines; exit 0 on PASS, 1 on FAIL, 2 on bad usage. Kept separate from Scenarios so this class builds
     * with only Outcome beside it (the test compiles the two files itself).
     */
    public static void main(String[] argv) {
        if (argv.length < 2 || !SCENARIOS.containsKey(argv[0])) {
            System.out.println("usage: DelayRetryTxScenarios <scenario> <namesrvAddr> [args]; scenarios: " + SCENARIOS.keySet());
            System.exit(2);
        }
        String label = argv[0] + " [" + System.getProperty("rocketmq.serialize.type", "JSON") + "]";
        long startMs = System.currentTimeMillis();
        Outcome outcome;
        try {
            outcome = SCENARIOS.get(argv[0]).run(argv[1], new ArrayList<>(java.util.Arrays.asList(argv).subList(2, argv.length)));
        } catch (Throwable t) {
            outcome = Outcome.failed("threw " + t);
            t.printStackTrace(System.out);
        }
        long tookMs = System.currentTimeMillis() - startMs;
        if (outcome.problems.isEmpty()) {
            System.out.println("PASS " + label + " in " + tookMs + " ms: " + outcome.summary);
            System.out.flush();
            System.exit(0);
        }
        System.out.println("FAIL " + label + " in " + tookMs + " ms: " + outcome.problems.size() + " problem(s); " + outcome.summary);
        for (String p : outcome.problems) System.out.println("  - " + p);
        System.out.flush();
        System.exit(1);
    }

    static void info(String line) {
        System.out.println("INFO " + line);
        System.out.flush();
    }

    // ------------------------------------------------------------------ delay levels

    static Outcome delayLevels(String ns) throws Exception {
        String run = runId();
        String topic = "DelayT_" + run;
        Outcome o = new Outcome();
        Deliveries got = new Deliveries();
        DefaultMQProducer p = producer(ns, "DelayP_" + run);
        topicFirst(p, topic);
        DefaultMQPushConsumer c = concurrent(ns, "DelayC_" + run, topic, got, m -> ConsumeConcurrentlyStatus.CONSUME_SUCCESS);
        try {
            warmUp(p, topic, got);
            List<String> keys = new ArrayList<>();
            // Every level, plus one above the highest (the broker caps it at 18).
            for (int level = 1; level <= LEVEL_MS.length + 1; level++) {
                Message m = msg(topic, "level-" + level, run);
                m.setDelayTimeLevel(level);
                check(o, p.send(m), "level " + level);
                keys.add("level-" + level);
            }
            got.await(keys, 25_000);
            long worstLate = 0;
            StringBuilder perLevel = new StringBuilder();
            for (int level = 1; level <= LEVEL_MS.length + 1; level++) {
                String key = "level-" + level;
                long delay = LEVEL_MS[Math.min(level, LEVEL_MS.length) - 1];
                Deliveries.D d = got.first(key);
                if (d == null) {
                    o.problem(key + ": never delivered (expected after " + delay + " ms)");
                    continue;
                }
                worstLate = Math.max(worstLate, judgeTiming(o, key, d, d.msg.getBornTimestamp() + delay));
                long due = d.msg.getBornTimestamp() + delay;
                perLevel.append(level).append(":put+").append(d.msg.getStoreTimestamp() - due).append("/got+").append(d.atMs - due).append("ms ");
                if (!topic.equals(d.msg.getTopic()) || !("" + Math.min(level, 18)).equals(d.msg.getProperty(MessageConst.PROPERTY_DELAY_TIME_LEVEL))) {
                    o.problem(key + ": delivered on " + d.msg.getTopic() + " with DELAY=" + d.msg.getProperty(MessageConst.PROPERTY_DELAY_TIME_LEVEL));
                }
                if (got.count(key) != 1) o.problem(key + ": delivered " + got.count(key) + " times");
            }
            info("after due, per level (put to topic / received): " + perLevel);
            return o.summary("19 delayed messages, worst lateness " + worstLate + " ms");
        } finally {
            c.shutdown();
            p.shutdown();
        }
    }

    // ------------------------------------------------------------------ timers

    static Outcome timerDelays(String ns) throws Exception {
        String run = runId();
        String topic = "TimerT_" + run;
        Outcome o = new Outcome();
        Deliveries got = new Deliveries();
        DefaultMQProducer p = producer(ns, "TimerP_" + run);
        topicFirst(p, topic);
        DefaultMQPushConsumer c = concurrent(ns, "TimerC_" + run, topic, got, m -> ConsumeConcurrentlyStatus.CONSUME_SUCCESS);
        try {
            warmUp(p, topic, got);
            Map<String, Long> due = new ConcurrentHashMap<>();
            long now = System.currentTimeMillis();
            String[][] cases = {
                {"sec-2", "TIMER_DELAY_SEC", "2"},
                {"ms-1500", "TIMER_DELAY_MS", "1500"},
                {"abs-3500", "TIMER_DELIVER_MS", Long.toString(now + 3500)},
                {"sec-5", "TIMER_DELAY_SEC", "5"},
                {"abs-past", "TIMER_DELIVER_MS", Long.toString(now - 60_000)},
                {"ms-1200", "TIMER_DELAY_MS", "1200"},
            };
            for (String[] cs : cases) {
                Message m = msg(topic, cs[0], run);
                m.putUserProperty(cs[1], cs[2]);
                long before = System.currentTimeMillis();
                check(o, p.send(m), cs[0]);
                long dueAt;
                if (cs[1].equals("TIMER_DELIVER_MS")) dueAt = Math.max(Long.parseLong(cs[2]), before);
                else if (cs[1].equals("TIMER_DELAY_SEC")) dueAt = before + Long.parseLong(cs[2]) * 1000;
                else dueAt = before + Long.parseLong(cs[2]);
                due.put(cs[0], dueAt);
            }
            // Far beyond the broker's timerMaxDelaySec: refused.
            Message tooFar = msg(topic, "too-far", run);
            tooFar.putUserProperty("TIMER_DELAY_SEC", Long.toString(30L * 86_400));
            try {
                SendResult r = p.send(tooFar);
                o.problem("30-day timer: expected MESSAGE_ILLEGAL, got " + r.getSendStatus());
            } catch (Exception e) {
                info("30-day timer refused as expected: " + e.getMessage().split("\n")[0]);
            }
            got.await(due.keySet(), 15_000);
            long worstLate = 0;
            StringBuilder lines = new StringBuilder();
            for (Map.Entry<String, Long> e : due.entrySet()) {
                Deliveries.D d = got.first(e.getKey());
                if (d == null) {
                    o.problem(e.getKey() + ": never delivered");
                    continue;
                }
                // Timers are measured from when the send started (the broker's clock is the same).
                long late = d.atMs - e.getValue();
                if (d.atMs < e.getValue() - 50) o.problem(e.getKey() + ": received " + (e.getValue() - d.atMs) + " ms before due");
                if (late > LATE_MAX_MS) o.problem(e.getKey() + ": received " + late + " ms after due (max " + LATE_MAX_MS + ")");
                worstLate = Math.max(worstLate, late);
                lines.append(e.getKey()).append(":+").append(late).append("ms ");
                if (got.count(e.getKey()) != 1) o.problem(e.getKey() + ": delivered " + got.count(e.getKey()) + " times");
                if (!topic.equals(d.msg.getTopic())) o.problem(e.getKey() + ": delivered on " + d.msg.getTopic());
            }
            info("lateness after due: " + lines);
            return o.summary(due.size() + " timer messages, worst lateness " + worstLate + " ms");
        } finally {
            c.shutdown();
            p.shutdown();
        }
    }

    // ------------------------------------------------------------------ retry

    static Outcome retryThenSucceed(String ns) throws Exception {
        String run = runId();
        String topic = "RetryT_" + run;
        int failTimes = 3;
        Outcome o = new Outcome();
        Deliveries got = new Deliveries();
        DefaultMQProducer p = producer(ns, "RetryP_" + run);
        topicFirst(p, topic);
        DefaultMQPushConsumer c = concurrent(ns, "RetryC_" + run, topic, got,
            m -> m.getReconsumeTimes() < failTimes && !m.getKeys().startsWith("warm") ? ConsumeConcurrentlyStatus.RECONSUME_LATER : ConsumeConcurrentlyStatus.CONSUME_SUCCESS);
        try {
            warmUp(p, topic, got);
            Message m = msg(topic, "retry-me", run);
            m.putUserProperty("custom", "kept ✓");
            SendResult sent = p.send(m);
            check(o, sent, "retry-me");
            // Deliveries: reconsume 0, then retries after levels 3, 4, 5 (3 s, 2 s, 1 s).
            long deadline = System.currentTimeMillis() + 25_000;
            while (got.count("retry-me") < failTimes + 1 && System.currentTimeMillis() < deadline) Thread.sleep(50);
            Thread.sleep(2500);
            List<Deliveries.D> ds = got.all("retry-me");
            if (ds.size() != failTimes + 1) o.problem("expected " + (failTimes + 1) + " deliveries, got " + ds.size());
            StringBuilder gaps = new StringBuilder();
            for (int i = 0; i < ds.size(); i++) {
                MessageExt d = ds.get(i).msg;
                if (d.getReconsumeTimes() != i) o.problem("delivery " + i + ": reconsumeTimes " + d.getReconsumeTimes());
                if (!topic.equals(d.getTopic())) o.problem("delivery " + i + ": topic " + d.getTopic() + " (client restores it from RETRY_TOPIC)");
                if (!"kept ✓".equals(d.getUserProperty("custom"))) o.problem("delivery " + i + ": user property lost");
                if (!"retry-me".equals(new String(d.getBody(), StandardCharsets.UTF_8))) o.problem("delivery " + i + ": body changed");
                if (!sent.getMsgId().equals(d.getMsgId())) o.problem("delivery " + i + ": msgId " + d.getMsgId() + " != " + sent.getMsgId());
                if (i > 0) {
                    long gap = ds.get(i).atMs - ds.get(i - 1).atMs;
                    long level = LEVEL_MS[3 + (i - 1) - 1];
                    gaps.append(gap).append("ms(level ").append(3 + i - 1).append("=").append(level).append(") ");
                    if (gap < level - 200) o.problem("retry " + i + " came " + gap + " ms after the previous delivery, level delay is " + level);
                    if (d.getProperty(MessageConst.PROPERTY_ORIGIN_MESSAGE_ID) == null) o.problem("retry " + i + ": no ORIGIN_MESSAGE_ID");
                }
            }
            info("retry gaps: " + gaps);
            return o.summary(ds.size() + " deliveries, gaps " + gaps);
        } finally {
            c.shutdown();
            p.shutdown();
        }
    }

    static Outcome retryToDlq(String ns) throws Exception {
        String run = runId();
        String topic = "DlqT_" + run;
        String group = "DlqC_" + run;
        int maxReconsume = 2;
        Outcome o = new Outcome();
        Deliveries got = new Deliveries();
        Deliveries dead = new Deliveries();
        DefaultMQProducer p = producer(ns, "DlqP_" + run);
        topicFirst(p, topic);
        DefaultMQPushConsumer c = consumer(ns, group, topic);
        c.setMaxReconsumeTimes(maxReconsume);
        c.registerMessageListener(concurrentListener(got, m -> m.getKeys().startsWith("warm") ? ConsumeConcurrentlyStatus.CONSUME_SUCCESS : ConsumeConcurrentlyStatus.RECONSUME_LATER));
        c.start();
        DefaultMQPushConsumer dlq = null;
        try {
            warmUp(p, topic, got);
            Message m = msg(topic, "doomed", run);
            m.setTags("TagDoomed");
            SendResult sent = p.send(m);
            check(o, sent, "doomed");
            long deadline = System.currentTimeMillis() + 20_000;
            while (got.count("doomed") < maxReconsume + 1 && System.currentTimeMillis() < deadline) Thread.sleep(50);
            Thread.sleep(1500);
            if (got.count("doomed") != maxReconsume + 1) o.problem("expected " + (maxReconsume + 1) + " deliveries before the DLQ, got " + got.count("doomed"));
            // A DLQ consumer: the DLQ topic must exist, be readable, and hold the message with its origin.
            dlq = consumer(ns, "DlqReader_" + run, "%DLQ%" + group);
            dlq.registerMessageListener(concurrentListener(dead, x -> ConsumeConcurrentlyStatus.CONSUME_SUCCESS));
            dlq.start();
            List<String> one = new ArrayList<>();
            one.add("doomed");
            dead.await(one, 20_000);
            Deliveries.D d = dead.first("doomed");
            if (d == null) {
                o.problem("the DLQ consumer never got the message");
            } else {
                MessageExt x = d.msg;
                if (!("%DLQ%" + group).equals(x.getTopic())) o.problem("DLQ message topic " + x.getTopic());
                if (!topic.equals(x.getProperty(MessageConst.PROPERTY_RETRY_TOPIC))) o.problem("RETRY_TOPIC=" + x.getProperty(MessageConst.PROPERTY_RETRY_TOPIC) + ", expected " + topic);
                if (x.getProperty(MessageConst.PROPERTY_ORIGIN_MESSAGE_ID) == null) o.problem("no ORIGIN_MESSAGE_ID");
                if (x.getReconsumeTimes() != maxReconsume + 1) o.problem("DLQ reconsumeTimes " + x.getReconsumeTimes() + ", expected " + (maxReconsume + 1));
                if (!"TagDoomed".equals(x.getTags())) o.problem("tags " + x.getTags());
                if (!"doomed".equals(new String(x.getBody(), StandardCharsets.UTF_8))) o.problem("body changed");
                if (!sent.getMsgId().equals(x.getMsgId())) o.problem("msgId " + x.getMsgId() + " != " + sent.getMsgId());
                if (dead.count("doomed") != 1) o.problem("DLQ delivered " + dead.count("doomed") + " times");
            }
            Thread.sleep(1000);
            if (got.count("doomed") != maxReconsume + 1) o.problem("delivered again after reaching the DLQ: " + got.count("doomed"));
            return o.summary(got.count("doomed") + " failed deliveries, then DLQ with RETRY_TOPIC=" + (d == null ? null : d.msg.getProperty(MessageConst.PROPERTY_RETRY_TOPIC)));
        } finally {
            if (dlq != null) dlq.shutdown();
            c.shutdown();
            p.shutdown();
        }
    }

    // ------------------------------------------------------------------ orderly

    static Outcome orderlyRetry(String ns) throws Exception {
        String run = runId();
        String topic = "OrderT_" + run;
        String group = "OrderC_" + run;
        Outcome o = new Outcome();
        List<String> seen = new CopyOnWriteArrayList<>();
        Deliveries dead = new Deliveries();
        AtomicInteger firstFailures = new AtomicInteger();
        DefaultMQProducer p = producer(ns, "OrderP_" + run);
        topicFirst(p, topic);
        DefaultMQPushConsumer c = consumer(ns, group, topic);
        // Local retries: "a" fails twice then succeeds; "poison" always fails and, after
        // maxReconsumeTimes local tries, is sent back to %RETRY% by the client, which the broker routes to the DLQ.
        c.setMaxReconsumeTimes(2);
        c.setSuspendCurrentQueueTimeMillis(200);
        c.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                if (!run.equals(m.getUserProperty("run"))) continue;
                String k = m.getKeys();
                seen.add(k + "#" + m.getReconsumeTimes());
                if (k.equals("a") && firstFailures.incrementAndGet() <= 2) return ConsumeOrderlyStatus.SUSPEND_CURRENT_QUEUE_A_MOMENT;
                if (k.equals("poison")) return ConsumeOrderlyStatus.SUSPEND_CURRENT_QUEUE_A_MOMENT;
            }
            return ConsumeOrderlyStatus.SUCCESS;
        });
        c.start();
        DefaultMQPushConsumer dlq = null;
        try {
            MessageQueue mq = null;
            for (String k : new String[] {"a", "b", "poison", "c"}) {
                SendResult r = p.send(msg(topic, k, run), (mqs, m, arg) -> mqs.get(0), null);
                check(o, r, k);
                if (mq == null) mq = r.getMessageQueue();
                if (!mq.equals(r.getMessageQueue())) o.problem("orderly send went to " + r.getMessageQueue());
            }
            long deadline = System.currentTimeMillis() + 30_000;
            while (!seen.contains("c#0") && System.currentTimeMillis() < deadline) Thread.sleep(50);
            Thread.sleep(500);
            List<String> expected = List.of("a#0", "a#1", "a#2", "b#0", "poison#0", "poison#1", "poison#2", "c#0");
            if (!expected.equals(new ArrayList<>(seen))) o.problem("orderly sequence " + seen + ", expected " + expected);
            dlq = consumer(ns, "OrderDlqReader_" + run, "%DLQ%" + group);
            dlq.registerMessageListener(concurrentListener(dead, x -> ConsumeConcurrentlyStatus.CONSUME_SUCCESS));
            dlq.start();
            dead.await(List.of("poison"), 20_000);
            Deliveries.D d = dead.first("poison");
            if (d == null) o.problem("the poison message never reached %DLQ%" + group);
            else if (!topic.equals(d.msg.getProperty(MessageConst.PROPERTY_RETRY_TOPIC))) o.problem("DLQ RETRY_TOPIC=" + d.msg.getProperty(MessageConst.PROPERTY_RETRY_TOPIC));
            return o.summary("orderly sequence " + seen + "; poison in DLQ: " + (d != null));
        } finally {
            if (dlq != null) dlq.shutdown();
            c.shutdown();
            p.shutdown();
        }
    }

    // ------------------------------------------------------------------ transactions

    /** What a transactional message's body asks the listener to do: "<local>-<on check>". */
    static final class TxListener implements TransactionListener {
        final Map<String, AtomicInteger> checks = new ConcurrentHashMap<>();
        final String run;

        TxListener(String run) {
            this.run = run;
        }

        static LocalTransactionState state(String s) {
            switch (s) {
                case "commit": return LocalTransactionState.COMMIT_MESSAGE;
                case "rollback": return LocalTransactionState.ROLLBACK_MESSAGE;
                default: return LocalTransactionState.UNKNOW;
            }
        }

        @Override
        public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
            return state(msg.getKeys().split("-")[0]);
        }

        @Override
        public LocalTransactionState checkLocalTransaction(MessageExt msg) {
            if (!run.equals(msg.getUserProperty("run"))) return LocalTransactionState.UNKNOW;
            checks.computeIfAbsent(msg.getKeys(), k -> new AtomicInteger()).incrementAndGet();
            String[] parts = msg.getKeys().split("-");
            return state(parts.length > 1 ? parts[1] : "unknown");
        }
    }

    static TransactionMQProducer txProducer(String ns, String group, TransactionListener l) throws Exception {
        TransactionMQProducer p = new TransactionMQProducer(group);
        p.setNamesrvAddr(ns);
        p.setInstanceName("tx-" + group + "-" + UUID.randomUUID());
        p.setPollNameServerInterval(1000);
        p.setSendMsgTimeout(10_000);
        p.setTransactionListener(l);
        p.start();
        return p;
    }

    static Outcome transactions(String ns) throws Exception {
        String run = runId();
        String topic = "TxT_" + run;
        Outcome o = new Outcome();
        Deliveries got = new Deliveries();
        TxListener l = new TxListener(run);
        DefaultMQProducer plain = producer(ns, "TxWarmP_" + run);
        topicFirst(plain, topic);
        TransactionMQProducer p = txProducer(ns, "TxP_" + run, l);
        DefaultMQPushConsumer c = concurrent(ns, "TxC_" + run, topic, got, m -> ConsumeConcurrentlyStatus.CONSUME_SUCCESS);
        try {
            warmUp(plain, topic, got);
            String[] kinds = {"commit", "rollback", "unknown-commit", "unknown-rollback", "commit", "unknown-commit"};
            List<String> committed = new ArrayList<>();
            List<String> rolledBack = new ArrayList<>();
            for (int i = 0; i < kinds.length; i++) {
                String key = kinds[i] + "-" + i;
                Message m = msg(topic, key, run);
                TransactionSendResult r = p.sendMessageInTransaction(m, null);
                if (r.getSendStatus() != SendStatus.SEND_OK) o.problem(key + ": half message " + r.getSendStatus());
                if (kinds[i].endsWith("commit")) committed.add(key);
                else rolledBack.add(key);
            }
            // Check-back: transactionTimeOut 3 s, interval 1 s on the test broker.
            got.await(committed, 20_000);
            Thread.sleep(4000);
            for (String k : committed) {
                if (got.count(k) != 1) o.problem(k + ": committed message delivered " + got.count(k) + " times");
                Deliveries.D d = got.first(k);
                if (d != null && !topic.equals(d.msg.getTopic())) o.problem(k + ": delivered on " + d.msg.getTopic());
            }
            for (String k : rolledBack) if (got.count(k) != 0) o.problem(k + ": rolled back but delivered");
            StringBuilder checks = new StringBuilder();
            for (String k : committed) checks.append(k).append('=').append(l.checks.getOrDefault(k, new AtomicInteger()).get()).append(' ');
            for (String k : rolledBack) checks.append(k).append('=').append(l.checks.getOrDefault(k, new AtomicInteger()).get()).append(' ');
            for (String k : committed) {
                int n = l.checks.getOrDefault(k, new AtomicInteger()).get();
                if (k.startsWith("unknown") && n != 1) o.problem(k + ": checked " + n + " times, expected 1");
                if (!k.startsWith("unknown") && n != 0) o.problem(k + ": checked " + n + " times though ended at once");
            }
            for (String k : rolledBack) {
                int n = l.checks.getOrDefault(k, new AtomicInteger()).get();
                if (k.startsWith("unknown") && n != 1) o.problem(k + ": checked " + n + " times, expected 1");
                if (!k.startsWith("unknown") && n != 0) o.problem(k + ": checked " + n + " times though ended at once");
            }
            info("checks per message: " + checks);
            return o.summary(committed.size() + " committed delivered once, " + rolledBack.size() + " rolled back never; checks " + checks);
        } finally {
            c.shutdown();
            p.shutdown();
            plain.shutdown();
        }
    }

    // ------------------------------------------------------------------ restart with everything pending

    /** Phase 1: leave a delayed, a timer, a retry and a half message pending, then exit. */
    static Outcome restartSend(String ns, String stateFile) throws Exception {
        String run = runId();
        String topic = "RestartT_" + run;
        Outcome o = new Outcome();
        Deliveries got = new Deliveries();
        DefaultMQProducer p = producer(ns, "RestartP_" + run);
        topicFirst(p, topic);
        // The retry: this consumer fails the message once, asking for level 18 (10 s) so it is still parked at the restart.
        DefaultMQPushConsumer c = consumer(ns, "RestartC_" + run, topic);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) got.add(m);
            for (MessageExt m : msgs) {
                if ("retry".equals(m.getKeys())) {
                    ctx.setDelayLevelWhenNextConsume(18);
                    return ConsumeConcurrentlyStatus.RECONSUME_LATER;
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        TransactionMQProducer tx = txProducer(ns, "RestartTxP_" + run, new TxListener(run));
        long sentAt;
        try {
            warmUp(p, topic, got);
            sentAt = System.currentTimeMillis();
            Message delayed = msg(topic, "delayed", run);
            delayed.setDelayTimeLevel(18);
            check(o, p.send(delayed), "delayed");
            Message timer = msg(topic, "timer", run);
            timer.putUserProperty("TIMER_DELAY_SEC", "10");
            check(o, p.send(timer), "timer");
            check(o, p.send(msg(topic, "retry", run)), "retry");
            TransactionSendResult half = tx.sendMessageInTransaction(msg(topic, "unknown-commit-tx", run), null);
            if (half.getSendStatus() != SendStatus.SEND_OK) o.problem("half message " + half.getSendStatus());
            long deadline = System.currentTimeMillis() + 10_000;
            while (got.count("retry") < 1 && System.currentTimeMillis() < deadline) Thread.sleep(20);
            if (got.count("retry") != 1) o.problem("retry message not consumed once before the restart");
            // Let the send-back reach the broker before the consumer goes.
            Thread.sleep(300);
            for (String k : new String[] {"delayed", "timer", "unknown-commit-tx"}) if (got.count(k) != 0) o.problem(k + " delivered before it was due");
        } finally {
            tx.shutdown();
            c.shutdown();
            p.shutdown();
        }
        Properties st = new Properties();
        st.setProperty("run", run);
        st.setProperty("sentAt", Long.toString(sentAt));
        try (FileOutputStream f = new FileOutputStream(stateFile)) {
            st.store(f, "restart-pending");
        }
        return o.summary("delayed, timer, retry and half message pending");
    }

    /** Phase 2, after the broker restarted: everything arrives once, when due; the half message is checked. */
    static Outcome restartCheck(String ns, String stateFile, boolean crashed) throws Exception {
        Properties st = new Properties();
        try (FileInputStream f = new FileInputStream(stateFile)) {
            st.load(f);
        }
        String run = st.getProperty("run");
        long sentAt = Long.parseLong(st.getProperty("sentAt"));
        String topic = "RestartT_" + run;
        Outcome o = new Outcome();
        Deliveries got = new Deliveries();
        TxListener l = new TxListener(run);
        TransactionMQProducer tx = txProducer(ns, "RestartTxP_" + run, l);
        DefaultMQPushConsumer c = concurrent(ns, "RestartC_" + run, topic, got, m -> ConsumeConcurrentlyStatus.CONSUME_SUCCESS);
        try {
            List<String> keys = List.of("delayed", "timer", "retry", "unknown-commit-tx");
            got.await(keys, 30_000);
            Thread.sleep(3000);
            if (crashed) {
                // The consumer's offset for the original "retry" delivery may not have reached the broker's
                // consumerOffset.json before the kill: a redelivery of it (reconsumeTimes 0) is at-least-once,
                // not an error. The retry itself (reconsumeTimes 1) must still come once, when due.
                List<Deliveries.D> retries = new ArrayList<>();
                for (Deliveries.D d : got.all("retry")) if (d.msg.getReconsumeTimes() > 0) retries.add(d);
                info("redeliveries of the original consumed before the crash: " + (got.all("retry").size() - retries.size()));
                got.byKey.put("retry", new CopyOnWriteArrayList<>(retries));
            }
            for (String k : keys) {
                Deliveries.D d = got.first(k);
                if (d == null) {
                    o.problem(k + ": never delivered after the restart");
                    continue;
                }
                if (got.count(k) != 1) o.problem(k + ": delivered " + got.count(k) + " times after the restart");
                if (!k.startsWith("unknown") && d.atMs < sentAt + 10_000 - 100) o.problem(k + ": delivered " + (sentAt + 10_000 - d.atMs) + " ms early");
            }
            Deliveries.D r = got.first("retry");
            if (r != null && r.msg.getReconsumeTimes() != 1) o.problem("retry: reconsumeTimes " + r.msg.getReconsumeTimes());
            int checks = l.checks.getOrDefault("unknown-commit-tx", new AtomicInteger()).get();
            if (checks < 1) o.problem("the half message was never checked after the restart");
            return o.summary("all four delivered once after the restart; half message checked " + checks + " time(s)");
        } finally {
            c.shutdown();
            tx.shutdown();
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Deliveries keyed by message KEYS, for messages of this run. */
    static final class Deliveries {
        static final class D {
            final MessageExt msg;
            final long atMs;

            D(MessageExt msg, long atMs) {
                this.msg = msg;
                this.atMs = atMs;
            }
        }

        final Map<String, List<D>> byKey = new ConcurrentHashMap<>();

        void add(MessageExt m) {
            byKey.computeIfAbsent(m.getKeys() == null ? "" : m.getKeys(), k -> new CopyOnWriteArrayList<>()).add(new D(m, System.currentTimeMillis()));
        }

        int count(String key) {
            List<D> l = byKey.get(key);
            return l == null ? 0 : l.size();
        }

        D first(String key) {
            List<D> l = byKey.get(key);
            return l == null || l.isEmpty() ? null : l.get(0);
        }

        List<D> all(String key) {
            List<D> l = byKey.get(key);
            return l == null ? new ArrayList<>() : new ArrayList<>(l);
        }

        void await(java.util.Collection<String> keys, long timeoutMs) throws InterruptedException {
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (System.currentTimeMillis() < deadline) {
                boolean all = true;
                for (String k : keys) all &= count(k) > 0;
                if (all) return;
                Thread.sleep(20);
            }
        }
    }

    interface Verdict {
        ConsumeConcurrentlyStatus of(MessageExt m);
    }

    static MessageListenerConcurrently concurrentListener(Deliveries got, Verdict v) {
        return (msgs, ctx) -> {
            for (MessageExt m : msgs) got.add(m);
            for (MessageExt m : msgs) {
                if (v.of(m) != ConsumeConcurrentlyStatus.CONSUME_SUCCESS) return ConsumeConcurrentlyStatus.RECONSUME_LATER;
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        };
    }

    static DefaultMQPushConsumer consumer(String ns, String group, String topic) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(ns);
        c.setInstanceName("c-" + group + "-" + UUID.randomUUID());
        c.setPollNameServerInterval(1000);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setConsumeMessageBatchMaxSize(1);
        c.subscribe(topic, "*");
        return c;
    }

    static DefaultMQPushConsumer concurrent(String ns, String group, String topic, Deliveries got, Verdict v) throws Exception {
        DefaultMQPushConsumer c = consumer(ns, group, topic);
        c.registerMessageListener(concurrentListener(got, v));
        c.start();
        return c;
    }

    static DefaultMQProducer producer(String ns, String group) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(group);
        p.setNamesrvAddr(ns);
        p.setInstanceName("p-" + group);
        p.setPollNameServerInterval(1000);
        p.setSendMsgTimeout(10_000);
        p.setRetryTimesWhenSendFailed(0);
        p.start();
        return p;
    }

    /**
     * Creates the topic (auto-creation on first send) before a consumer starts. A consumer heartbeats only
     * to brokers its routes name: started on a topic that does not exist yet, it is unknown to the broker
     * (no consumer id list, no rebalance) until its next 30 s heartbeat, on the Java broker as on ours.
     */
    static void topicFirst(DefaultMQProducer p, String topic) throws Exception {
        p.send(new Message(topic, "warm", "warm", new byte[] {1}));
    }

    /**
     * Sends plain messages until the consumer has received one on every queue of the topic: the topic
     * exists and every queue has been assigned and is being pulled, so timing measured afterwards is the broker's.
     */
    static void warmUp(DefaultMQProducer p, String topic, Deliveries got) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        int sent = 0;
        java.util.Set<Integer> queuesSeen = new java.util.HashSet<>();
        int queues = Integer.MAX_VALUE;
        while (queuesSeen.size() < queues && System.currentTimeMillis() < deadline) {
            SendResult r = p.send(new Message(topic, "warm", "warm", ("warm-" + sent++).getBytes(StandardCharsets.UTF_8)));
            queues = Math.min(queues, p.fetchPublishMessageQueues(topic).size());
            long until = System.currentTimeMillis() + 500;
            while (System.currentTimeMillis() < until) {
                for (Deliveries.D d : got.all("warm")) queuesSeen.add(d.msg.getQueueId());
                if (queuesSeen.contains(r.getMessageQueue().getQueueId())) break;
                Thread.sleep(10);
            }
        }
        if (queuesSeen.size() < queues) throw new IllegalStateException("consumer got warm-up messages on queues " + queuesSeen + " of " + queues + " of " + topic);
        info("warm-up on " + topic + " took " + sent + " message(s)");
    }

    static Message msg(String topic, String key, String run) {
        Message m = new Message(topic, "TagA", key, key.getBytes(StandardCharsets.UTF_8));
        m.putUserProperty("run", run);
        return m;
    }

    static void check(Outcome o, SendResult r, String what) {
        if (r.getSendStatus() != SendStatus.SEND_OK) o.problem(what + ": send status " + r.getSendStatus());
    }

    /** Problems for a delivery before due or too late; returns the lateness. */
    static long judgeTiming(Outcome o, String what, Deliveries.D d, long dueMs) {
        long storedAt = d.msg.getStoreTimestamp();
        if (storedAt < dueMs - EARLY_TOLERANCE_MS) o.problem(what + ": put to its topic " + (dueMs - storedAt) + " ms before due");
        long late = d.atMs - dueMs;
        if (late > LATE_MAX_MS) o.problem(what + ": received " + late + " ms after due (max " + LATE_MAX_MS + ")");
        return late;
    }

    static long[] parseLevels(String spec) {
        String[] parts = spec.trim().split("\\s+");
        long[] out = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            long n = Long.parseLong(p.substring(0, p.length() - 1));
            char u = p.charAt(p.length() - 1);
            out[i] = n * (u == 's' ? 1000 : u == 'm' ? 60_000 : u == 'h' ? 3_600_000 : 86_400_000);
        }
        return out;
    }

    static String runId() {
        return Long.toString(System.currentTimeMillis() % 100_000_000) + Integer.toString((int) (Math.random() * 1000));
    }

    private DelayRetryTxScenarios() {
    }
}
