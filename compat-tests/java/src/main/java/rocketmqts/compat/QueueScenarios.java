package rocketmqts.compat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * push-clustering: one push consumer already running (its pulls parked by long polling) receives every
 * message as it is sent, each within LONG_POLL_LATENCY_MAX_MS.
 * shared-queues: two push consumers in one group split a topic of 8 queues; every message is consumed,
 * each consumer only from its own, non-empty, disjoint set of queues.
 */
final class QueueScenarios {
    static final int CLUSTERING_MESSAGES = 100;
    static final int SHARED_TOPIC_QUEUES = 8;
    static final int SHARED_MESSAGES = 160;
    static final long ALLOCATION_TIMEOUT_MS = 30_000;
    /** One rebalance interval in the tests (-Drocketmq.client.rebalance.waitInterval=1000) and some. */
    static final long ALLOCATION_STABLE_MS = 1500;
    static final long CONSUME_TIMEOUT_MS = 30_000;
    static final long DUPLICATE_GRACE_MS = 1000;
    /** Far below the broker's 15 s long-poll suspend: a parked pull must wake when a message arrives. */
    static final long LONG_POLL_LATENCY_MAX_MS = 5000;

    static Outcome clustering(String namesrv) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatPush", runId);
        Map<Integer, Sent> sent = new ConcurrentHashMap<>();
        Outcome out = new Outcome();
        DefaultMQProducer producer = Clients.producer(namesrv, Clients.unique("PG", runId), 4);
        DefaultMQPushConsumer consumer = null;
        try {
            // One message first, so the topic exists (auto-created) before the consumer looks for its route.
            out.problems(SendScenarios.sendSync(producer, topic, Content.range(runId, 0, 1), sent));
            int queues = producer.fetchPublishMessageQueues(topic).size();
            Collector collector = new Collector(runId);
            Clients.RecordingAllocation alloc = new Clients.RecordingAllocation();
            consumer = Clients.pushConsumer(namesrv, Clients.unique("CG", runId), topic, "consumer-" + runId, alloc);
            consumer.registerMessageListener(collector.listener("c1"));
            consumer.start();
            if (!waitFor(() -> alloc.queueIds(topic).size() == queues, ALLOCATION_TIMEOUT_MS)) {
                return out.problem("consumer never got all " + queues + " queues of " + topic + "; allocated "
                    + alloc.queueIds(topic) + " seeing " + alloc.consumersSeen(topic) + " consumer(s)");
            }
            Thread.sleep(500); // let its first pulls reach the broker and park
            List<Content> main = Content.range(runId, 1, CLUSTERING_MESSAGES);
            Scenarios.info("topic " + topic + " (" + queues + " queues): consumer running, sending " + main.size());
            out.problems(SendScenarios.sendSync(producer, topic, main, sent));
            List<Content> all = Content.range(runId, 0, CLUSTERING_MESSAGES + 1);
            collector.await(idxs(all), CONSUME_TIMEOUT_MS, DUPLICATE_GRACE_MS);
            Verify.Report r = Verify.delivery(topic, all, sent, collector, true);
            out.problems(r.problems);
            return out.summary(r.summary(all.size()) + "; " + latency(main, sent, collector, out));
        } finally {
            Clients.markFinalShutdown();
            if (consumer != null) {
                consumer.shutdown();
            }
            producer.shutdown();
        }
    }

    /** Send-to-delivery latency of the messages sent while the consumer ran; too slow is a problem. */
    private static String latency(List<Content> msgs, Map<Integer, Sent> sent, Collector c, Outcome out) {
        long max = 0;
        long sum = 0;
        int n = 0;
        int maxIdx = -1;
        for (Content m : msgs) {
            List<Collector.Delivery> ds = c.byIdx.get(m.idx);
            Sent s = sent.get(m.idx);
            if (ds == null || s == null) {
                continue;
            }
            long l = ds.get(0).atMs - s.sentAtMs;
            sum += l;
            n++;
            if (l > max) {
                max = l;
                maxIdx = m.idx;
            }
        }
        if (max > LONG_POLL_LATENCY_MAX_MS) {
            out.problem("send-to-consume latency: expected at most " + LONG_POLL_LATENCY_MAX_MS + " ms (long polling wakes "
                + "parked pulls on arrival), got " + max + " ms for idx=" + maxIdx);
        }
        return "latency avg " + (n == 0 ? 0 : sum / n) + " ms max " + max + " ms";
    }

    static Outcome sharedQueues(String namesrv) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatShared", runId);
        String group = Clients.unique("CG", runId);
        Map<Integer, Sent> sent = new ConcurrentHashMap<>();
        Outcome out = new Outcome();
        DefaultMQProducer producer = Clients.producer(namesrv, Clients.unique("PG", runId), SHARED_TOPIC_QUEUES);
        List<DefaultMQPushConsumer> consumers = new ArrayList<>();
        try {
            // Warm-up messages create the topic (one per queue); they are consumed while the group forms.
            List<Content> warmup = Content.range(runId, 0, SHARED_TOPIC_QUEUES);
            out.problems(SendScenarios.sendSync(producer, topic, warmup, sent));
            List<MessageQueue> mqs = producer.fetchPublishMessageQueues(topic);
            if (mqs.size() != SHARED_TOPIC_QUEUES) {
                out.problem("auto-created topic with producer defaultTopicQueueNums=" + SHARED_TOPIC_QUEUES
                    + ": expected " + SHARED_TOPIC_QUEUES + " queues, got " + mqs.size() + " " + mqs);
            }
            Collector collector = new Collector(runId);
            Clients.RecordingAllocation a1 = new Clients.RecordingAllocation();
            Clients.RecordingAllocation a2 = new Clients.RecordingAllocation();
            consumers.add(start(namesrv, group, topic, "c1-" + runId, a1, collector.listener("c1")));
            consumers.add(start(namesrv, group, topic, "c2-" + runId, a2, collector.listener("c2")));
            if (!waitForStableSplit(topic, a1, a2, mqs.size())) {
                return out.problem("two consumers in one group never split " + mqs.size() + " queues: c1 has "
                    + a1.queueIds(topic) + " seeing " + a1.consumersSeen(topic) + " consumer(s), c2 has "
                    + a2.queueIds(topic) + " seeing " + a2.consumersSeen(topic) + " consumer(s)");
            }
            Scenarios.info("topic " + topic + ": c1 has queues " + a1.queueIds(topic) + ", c2 has " + a2.queueIds(topic));
            List<Content> main = Content.range(runId, SHARED_TOPIC_QUEUES, SHARED_MESSAGES);
            out.problems(SendScenarios.sendSync(producer, topic, main, sent));
            List<Content> all = Content.range(runId, 0, SHARED_TOPIC_QUEUES + SHARED_MESSAGES);
            collector.await(idxs(all), CONSUME_TIMEOUT_MS, DUPLICATE_GRACE_MS);
            // Warm-up messages may be consumed twice while the group forms (at-least-once); main ones may not.
            Verify.Report r = Verify.delivery(topic, all, sent, collector, false);
            out.problems(r.problems);
            for (Integer dup : collector.duplicated(idxs(main))) {
                out.problem("idx=" + dup + " sent after the split was stable, delivered " + collector.byIdx.get(dup).size() + " times");
            }
            String split = checkSplit(main, collector, Map.of("c1", a1.queueIds(topic), "c2", a2.queueIds(topic)), out);
            return out.summary(r.summary(all.size()) + " (warm-up duplicates tolerated); " + split);
        } finally {
            Clients.markFinalShutdown();
            for (DefaultMQPushConsumer c : consumers) {
                c.shutdown();
            }
            producer.shutdown();
        }
    }

    private static DefaultMQPushConsumer start(String namesrv, String group, String topic, String instance,
        Clients.RecordingAllocation alloc,
        org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently listener) throws Exception {
        DefaultMQPushConsumer c = Clients.pushConsumer(namesrv, group, topic, instance, alloc);
        c.registerMessageListener(listener);
        c.start();
        return c;
    }

    private static boolean waitForStableSplit(String topic, Clients.RecordingAllocation a1, Clients.RecordingAllocation a2,
        int queues) throws InterruptedException {
        BooleanSupplier split = () -> {
            Set<Integer> q1 = a1.queueIds(topic);
            Set<Integer> q2 = a2.queueIds(topic);
            Set<Integer> union = new HashSet<>(q1);
            union.addAll(q2);
            return !q1.isEmpty() && !q2.isEmpty() && union.size() == queues && q1.size() + q2.size() == queues
                && a1.consumersSeen(topic) == 2 && a2.consumersSeen(topic) == 2;
        };
        long deadline = System.currentTimeMillis() + ALLOCATION_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            if (split.getAsBoolean()) {
                Thread.sleep(ALLOCATION_STABLE_MS);
                if (split.getAsBoolean()) {
                    return true;
                }
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** Each consumer got main-phase messages only from its own allocation, from a non-empty set, disjoint from the other's. */
    private static String checkSplit(List<Content> main, Collector c, Map<String, Set<Integer>> allocation, Outcome out) {
        Map<Integer, Set<String>> consumersByQueue = new TreeMap<>();
        Map<String, Set<Integer>> queuesByConsumer = new TreeMap<>();
        allocation.keySet().forEach(k -> queuesByConsumer.put(k, new TreeSet<>()));
        for (Content m : main) {
            for (Collector.Delivery d : c.byIdx.getOrDefault(m.idx, List.of())) {
                consumersByQueue.computeIfAbsent(d.msg.getQueueId(), k -> new TreeSet<>()).add(d.consumer);
                queuesByConsumer.get(d.consumer).add(d.msg.getQueueId());
            }
        }
        consumersByQueue.forEach((q, cs) -> {
            if (cs.size() > 1) {
                out.problem("queue " + q + ": expected one consumer, got messages at " + cs);
            }
        });
        queuesByConsumer.forEach((name, qs) -> {
            if (qs.isEmpty()) {
                out.problem(name + ": expected messages from its queues " + allocation.get(name) + ", got none");
            }
            Set<Integer> stray = new TreeSet<>(qs);
            stray.removeAll(allocation.get(name));
            if (!stray.isEmpty()) {
                out.problem(name + ": consumed from queues " + stray + " outside its allocation " + allocation.get(name));
            }
        });
        return "queues consumed: " + queuesByConsumer;
    }

    static List<Integer> idxs(List<Content> cs) {
        List<Integer> l = new ArrayList<>();
        cs.forEach(c -> l.add(c.idx));
        return l;
    }

    static boolean waitFor(BooleanSupplier cond, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    private QueueScenarios() {
    }
}
