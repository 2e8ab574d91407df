package rocketmqts.compat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * The server restarted between sending and consuming: nothing acknowledged is lost and committed offsets hold.
 *
 * restart-send: send the first half (A) synchronously, consume it with group G_A and shut that consumer
 * down (which commits its offsets), check the broker reports those offsets, send the second half (B),
 * and write everything to the state file. The harness then restarts the server.
 * restart-consume: the broker still reports G_A's offsets; a new group reads all of A and B, intact; G_A
 * resumes and gets all of B and none of A.
 */
final class RestartScenarios {
    static final int HALF = 20;
    static final int TOPIC_QUEUES = 4;
    static final long CONSUME_TIMEOUT_MS = 30_000;
    /** Offsets are committed one-way; give the broker this long to show them. */
    static final long OFFSET_COMMIT_TIMEOUT_MS = 15_000;
    /** After the last expected message: long enough for any re-delivered first-half message to show up. */
    static final long REDELIVERY_GRACE_MS = 2000;

    static Outcome send(String namesrv, String stateFile) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatRestart", runId);
        String groupA = Clients.unique("CG_A", runId);
        Map<Integer, Sent> sent = new ConcurrentHashMap<>();
        Outcome out = new Outcome();
        DefaultMQProducer producer = Clients.producer(namesrv, Clients.unique("PG", runId), TOPIC_QUEUES);
        try {
            List<Content> a = Content.range(runId, 0, HALF);
            out.problems(SendScenarios.sendSync(producer, topic, a, sent));
            Collector collector = new Collector(runId);
            DefaultMQPushConsumer consumer = Clients.pushConsumer(namesrv, groupA, topic, "a-" + runId,
                new Clients.RecordingAllocation());
            consumer.registerMessageListener(collector.listener("G_A"));
            consumer.start();
            collector.await(QueueScenarios.idxs(a), CONSUME_TIMEOUT_MS, 500);
            consumer.shutdown(); // persists G_A's offsets to the broker
            Verify.Report r = Verify.delivery(topic, a, sent, collector, true);
            out.problems(r.problems);
            Map<Integer, Long> committed = expectedOffsets(a, sent);
            out.problems(awaitOffsets(namesrv, groupA, topic, committed, OFFSET_COMMIT_TIMEOUT_MS, "before restart"));
            List<Content> b = Content.range(runId, HALF, HALF);
            out.problems(SendScenarios.sendSync(producer, topic, b, sent));
            writeState(stateFile, runId, topic, groupA, committed, sent);
            return out.summary("first half " + r.summary(a.size()) + ", offsets " + committed + ", second half sent; state in "
                + stateFile);
        } finally {
            Clients.markFinalShutdown();
            producer.shutdown();
        }
    }

    static Outcome consume(String namesrv, String stateFile) throws Exception {
        Properties st = new Properties();
        st.load(Files.newBufferedReader(Paths.get(stateFile), StandardCharsets.UTF_8));
        String runId = st.getProperty("runId");
        String topic = st.getProperty("topic");
        String groupA = st.getProperty("groupA");
        Map<Integer, Long> committed = new TreeMap<>();
        Map<Integer, Sent> sent = new ConcurrentHashMap<>();
        for (String k : st.stringPropertyNames()) {
            if (k.startsWith("committed.")) {
                committed.put(Integer.parseInt(k.substring(10)), Long.parseLong(st.getProperty(k)));
            } else if (k.startsWith("sent.")) {
                sent.put(Integer.parseInt(k.substring(5)), Sent.decode(st.getProperty(k)));
            }
        }
        Outcome out = new Outcome();
        // Short timeout: the offsets must be there right away, not eventually.
        out.problems(awaitOffsets(namesrv, groupA, topic, committed, 2000, "after restart"));
        List<Content> a = Content.range(runId, 0, HALF);
        List<Content> b = Content.range(runId, HALF, HALF);
        List<Content> all = Content.range(runId, 0, 2 * HALF);
        Collector fresh = new Collector(runId);
        Collector resumed = new Collector(runId);
        List<DefaultMQPushConsumer> consumers = new ArrayList<>();
        try {
            consumers.add(startPush(namesrv, Clients.unique("CG_FRESH", runId), topic, "fresh-" + runId, fresh, "fresh"));
            consumers.add(startPush(namesrv, groupA, topic, "a-" + runId, resumed, "G_A"));
            fresh.await(QueueScenarios.idxs(all), CONSUME_TIMEOUT_MS, 0);
            resumed.await(QueueScenarios.idxs(b), CONSUME_TIMEOUT_MS, REDELIVERY_GRACE_MS);
        } finally {
            Clients.markFinalShutdown();
            consumers.forEach(DefaultMQPushConsumer::shutdown);
        }
        Verify.Report rf = Verify.delivery(topic, all, sent, fresh, true);
        rf.problems.forEach(p -> out.problem("new group: " + p));
        Verify.Report ra = Verify.delivery(topic, b, sent, resumed, true);
        ra.problems.forEach(p -> out.problem("G_A resuming: " + p));
        List<String> redelivered = new ArrayList<>();
        for (Content m : a) {
            if (resumed.byIdx.containsKey(m.idx)) {
                Sent s = sent.get(m.idx);
                redelivered.add(m.idx + "(q" + s.queueId + "@" + s.queueOffset + ")");
            }
        }
        if (!redelivered.isEmpty()) {
            out.problem("G_A resuming: expected none of the first half (its committed offsets " + committed + "), got "
                + redelivered.size() + " again: " + redelivered);
        }
        return out.summary("new group " + rf.summary(all.size()) + "; G_A " + ra.summary(b.size()) + ", "
            + redelivered.size() + " of first half re-delivered");
    }

    private static DefaultMQPushConsumer startPush(String namesrv, String group, String topic, String instance,
        Collector c, String name) throws Exception {
        DefaultMQPushConsumer consumer = Clients.pushConsumer(namesrv, group, topic, instance, new Clients.RecordingAllocation());
        consumer.registerMessageListener(c.listener(name));
        consumer.start();
        return consumer;
    }

    /** The offset a group commits after consuming msgs: per queue, one past the last message. */
    private static Map<Integer, Long> expectedOffsets(List<Content> msgs, Map<Integer, Sent> sent) {
        Map<Integer, Long> m = new TreeMap<>();
        for (Content c : msgs) {
            Sent s = sent.get(c.idx);
            if (s != null) {
                m.merge(s.queueId, s.queueOffset + 1, Math::max);
            }
        }
        return m;
    }

    /** Polls the broker's committed offsets for group (QUERY_CONSUMER_OFFSET) until they equal expected. */
    private static List<String> awaitOffsets(String namesrv, String group, String topic, Map<Integer, Long> expected,
        long timeoutMs, String when) throws Exception {
        DefaultMQPullConsumer pull = new DefaultMQPullConsumer(group);
        pull.setNamesrvAddr(namesrv);
        pull.setInstanceName("offsets-" + group + "-" + System.nanoTime());
        pull.start();
        try {
            List<String> problems = new ArrayList<>();
            long deadline = System.currentTimeMillis() + timeoutMs;
            do {
                problems.clear();
                for (Map.Entry<Integer, Long> e : expected.entrySet()) {
                    MessageQueue mq = findQueue(pull, topic, e.getKey());
                    long got = mq == null ? -3 : pull.fetchConsumeOffset(mq, true);
                    if (got != e.getValue()) {
                        problems.add(when + ": committed offset of " + group + " on " + topic + " queue " + e.getKey()
                            + ": expected " + e.getValue() + ", got " + got
                            + (got == -1 ? " (broker returned an error: none stored)" : got == -2 ? " (request failed, see client log)"
                            : got == -3 ? " (queue not in the topic's route)" : ""));
                    }
                }
                if (problems.isEmpty()) {
                    break;
                }
                Thread.sleep(200);
            } while (System.currentTimeMillis() < deadline);
            return problems;
        } finally {
            pull.shutdown();
        }
    }

    private static MessageQueue findQueue(DefaultMQPullConsumer pull, String topic, int queueId) throws Exception {
        for (MessageQueue mq : pull.fetchSubscribeMessageQueues(topic)) {
            if (mq.getQueueId() == queueId) {
                return mq;
            }
        }
        return null;
    }

    private static void writeState(String file, String runId, String topic, String groupA, Map<Integer, Long> committed,
        Map<Integer, Sent> sent) throws Exception {
        Properties st = new Properties();
        st.setProperty("runId", runId);
        st.setProperty("topic", topic);
        st.setProperty("groupA", groupA);
        committed.forEach((q, o) -> st.setProperty("committed." + q, Long.toString(o)));
        sent.forEach((i, s) -> st.setProperty("sent." + i, s.encode()));
        try (var w = Files.newBufferedWriter(Paths.get(file), StandardCharsets.UTF_8)) {
            st.store(w, "rocketmq-ts restart scenario state");
        }
    }

    private RestartScenarios() {
    }
}
