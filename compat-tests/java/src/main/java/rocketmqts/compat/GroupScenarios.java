package rocketmqts.compat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.consumer.AllocateMessageQueueStrategy;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.heartbeat.MessageModel;

/**
 * clustering-members: two, then three members of one group split a topic; one crashes mid-stream (sockets
 * closed, no unregister, offsets not persisted) and another hangs (no heartbeats, connection kept) until the
 * broker's channel expiry drops it. Every message is consumed at least once; after the expiry the last
 * member alone gets the rest.
 * broadcasting: three BROADCASTING members each get every message exactly once.
 * orderly: 200 order ids x 10 steps sent with a MessageQueueSelector, consumed by orderly members while
 * one joins and one leaves; every id's steps are first seen in order.
 */
final class GroupScenarios {
    static final int TOPIC_QUEUES = 8;
    static final int PHASE_MESSAGES = 80;
    /** The test server's channelExpiredTimeout is a few seconds; scan and rebalance add a few more. */
    static final long EXPIRY_WAIT_MS = 40_000;
    static final long SPLIT_TIMEOUT_MS = 30_000;

    /** Averaging allocation that remembers, per topic, how many members it last saw and what it gave. */
    static final class Track implements AllocateMessageQueueStrategy {
        private final AllocateMessageQueueAveragely delegate = new AllocateMessageQueueAveragely();
        final Map<String, Integer> seen = new ConcurrentHashMap<>();
        final Map<String, List<MessageQueue>> mine = new ConcurrentHashMap<>();

        @Override
        public List<MessageQueue> allocate(String group, String cid, List<MessageQueue> all, List<String> cids) {
            List<MessageQueue> r = delegate.allocate(group, cid, all, cids);
            if (!all.isEmpty()) {
                seen.put(all.get(0).getTopic(), cids.size());
                mine.put(all.get(0).getTopic(), new ArrayList<>(r));
            }
            return r;
        }

        @Override
        public String getName() {
            return "TRACK_AVG";
        }

        int seen(String topic) {
            return seen.getOrDefault(topic, 0);
        }

        int owned(String topic) {
            return mine.getOrDefault(topic, List.of()).size();
        }
    }

    static Outcome clusteringMembers(String namesrv) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatMembers", runId);
        String group = Clients.unique("CGM", runId);
        Map<Integer, Sent> sent = new ConcurrentHashMap<>();
        Outcome out = new Outcome();
        DefaultMQProducer producer = Styles.producer(namesrv, Clients.unique("PG", runId), TOPIC_QUEUES);
        List<DefaultMQPushConsumer> members = new ArrayList<>();
        try {
            out.problems(SendScenarios.sendSync(producer, topic, Content.range(runId, 0, TOPIC_QUEUES), sent));
            Collector collector = new Collector(runId);
            Track[] tracks = {new Track(), new Track(), new Track()};
            AtomicBoolean c2Crashed = new AtomicBoolean();
            for (int i = 0; i < 2; i++) {
                members.add(member(namesrv, group, topic, "m" + (i + 1) + "-" + runId, tracks[i],
                    gate(collector.listener("c" + (i + 1)), i == 1 ? c2Crashed : new AtomicBoolean())));
            }
            if (!split(topic, tracks, 2)) {
                return out.problem("two members never split the topic: seen " + tracks[0].seen(topic) + "/" + tracks[1].seen(topic));
            }
            int next = TOPIC_QUEUES;
            out.problems(SendScenarios.sendSync(producer, topic, Content.range(runId, next, PHASE_MESSAGES), sent));
            next += PHASE_MESSAGES;
            members.add(member(namesrv, group, topic, "m3-" + runId, tracks[2], collector.listener("c3")));
            if (!split(topic, tracks, 3)) {
                return out.problem("three members never split the topic: seen " + tracks[0].seen(topic) + "/"
                    + tracks[1].seen(topic) + "/" + tracks[2].seen(topic));
            }
            Scenarios.info("3 members: owned " + tracks[0].owned(topic) + "/" + tracks[1].owned(topic) + "/" + tracks[2].owned(topic));
            // Crash member 2 half way through a phase.
            out.problems(SendScenarios.sendSync(producer, topic, Content.range(runId, next, PHASE_MESSAGES / 2), sent));
            c2Crashed.set(true);
            Styles.crash(members.get(1));
            Scenarios.info("member 2 crashed");
            out.problems(SendScenarios.sendSync(producer, topic, Content.range(runId, next + PHASE_MESSAGES / 2, PHASE_MESSAGES / 2), sent));
            next += PHASE_MESSAGES;
            List<Content> beforeFreeze = Content.range(runId, 0, next);
            collector.await(Styles.idxs(beforeFreeze), Styles.CONSUME_TIMEOUT_MS, 0);
            // Member 3 hangs: only the broker's channel expiry can take its queues away.
            Styles.freeze(members.get(2));
            long frozenAt = System.currentTimeMillis();
            if (!Styles.waitFor(() -> tracks[0].seen(topic) == 1 && tracks[0].owned(topic) == TOPIC_QUEUES, EXPIRY_WAIT_MS)) {
                out.problem("member 3 stopped heartbeating but member 1 still sees " + tracks[0].seen(topic)
                    + " members after " + EXPIRY_WAIT_MS + " ms (channel expiry did not drop it or the group was not told)");
            } else {
                Scenarios.info("member 3 expired after " + (System.currentTimeMillis() - frozenAt) + " ms; member 1 owns all queues");
            }
            List<Content> last = Content.range(runId, next, PHASE_MESSAGES);
            out.problems(SendScenarios.sendSync(producer, topic, last, sent));
            List<Content> all = Content.range(runId, 0, next + PHASE_MESSAGES);
            collector.await(Styles.idxs(all), Styles.CONSUME_TIMEOUT_MS, Styles.DUPLICATE_GRACE_MS);
            Verify.Report r = Verify.delivery(topic, all, sent, collector, false);
            out.problems(r.problems);
            for (Content c : last) {
                for (Collector.Delivery d : collector.byIdx.getOrDefault(c.idx, List.of())) {
                    if (!d.consumer.equals("c1")) {
                        out.problem("idx=" + c.idx + " sent after member 3 expired was consumed by " + d.consumer);
                    }
                }
            }
            return out.summary(r.summary(all.size()) + " (duplicates after crash/expiry tolerated)");
        } finally {
            for (int i = 0; i < members.size(); i++) {
                try {
                    members.get(i).shutdown();
                } catch (Exception e) {
                    // a crashed member may fail to shut down cleanly
                }
            }
            producer.shutdown();
        }
    }

    /** A crashed member's listener may still be called for messages it already held; those never count. */
    private static MessageListenerConcurrently gate(MessageListenerConcurrently l, AtomicBoolean dead) {
        return (msgs, ctx) -> dead.get() ? ConsumeConcurrentlyStatus.RECONSUME_LATER : l.consumeMessage(msgs, ctx);
    }

    private static DefaultMQPushConsumer member(String namesrv, String group, String topic, String instance, Track track,
        MessageListenerConcurrently listener) throws Exception {
        DefaultMQPushConsumer c = Styles.push(namesrv, group, topic, null, instance, MessageModel.CLUSTERING,
            ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setAllocateMessageQueueStrategy(track);
        c.registerMessageListener(listener);
        c.start();
        return c;
    }

    private static boolean split(String topic, Track[] tracks, int n) throws InterruptedException {
        return Styles.waitFor(() -> {
            int owned = 0;
            for (int i = 0; i < n; i++) {
                if (tracks[i].seen(topic) != n || tracks[i].owned(topic) == 0) {
                    return false;
                }
                owned += tracks[i].owned(topic);
            }
            return owned == TOPIC_QUEUES;
        }, SPLIT_TIMEOUT_MS);
    }

    static final int BROADCAST_MEMBERS = 3;
    static final int BROADCAST_QUEUES = 4;
    static final int BROADCAST_MESSAGES = 60;

    static Outcome broadcasting(String namesrv) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatBroadcast", runId);
        String group = Clients.unique("CGB", runId);
        Map<Integer, Sent> sent = new ConcurrentHashMap<>();
        Outcome out = new Outcome();
        DefaultMQProducer producer = Styles.producer(namesrv, Clients.unique("PG", runId), BROADCAST_QUEUES);
        List<DefaultMQPushConsumer> members = new ArrayList<>();
        try {
            out.problems(SendScenarios.sendSync(producer, topic, Content.range(runId, 0, BROADCAST_QUEUES), sent));
            List<Collector> collectors = new ArrayList<>();
            for (int i = 0; i < BROADCAST_MEMBERS; i++) {
                Collector c = new Collector(runId);
                collectors.add(c);
                DefaultMQPushConsumer m = Styles.push(namesrv, group, topic, null, "b" + i + "-" + runId,
                    MessageModel.BROADCASTING, ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
                m.registerMessageListener(c.listener("b" + i));
                m.start();
                members.add(m);
            }
            for (DefaultMQPushConsumer m : members) {
                if (!Styles.waitFor(() -> m.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().size()
                    >= BROADCAST_QUEUES, SPLIT_TIMEOUT_MS)) {
                    out.problem(m.getInstanceName() + " never took all " + BROADCAST_QUEUES + " queues");
                }
            }
            out.problems(SendScenarios.sendSync(producer, topic, Content.range(runId, BROADCAST_QUEUES, BROADCAST_MESSAGES), sent));
            List<Content> all = Content.range(runId, 0, BROADCAST_QUEUES + BROADCAST_MESSAGES);
            StringBuilder summary = new StringBuilder();
            for (int i = 0; i < BROADCAST_MEMBERS; i++) {
                collectors.get(i).await(Styles.idxs(all), Styles.CONSUME_TIMEOUT_MS, i == BROADCAST_MEMBERS - 1 ? Styles.DUPLICATE_GRACE_MS : 0);
                Verify.Report r = Verify.delivery(topic, all, sent, collectors.get(i), true);
                for (String p : r.problems) {
                    out.problem("member b" + i + ": " + p);
                }
                summary.append("b").append(i).append(": ").append(r.summary(all.size())).append("; ");
            }
            return out.summary(summary.toString().trim());
        } finally {
            for (DefaultMQPushConsumer m : members) {
                m.shutdown();
            }
            producer.shutdown();
        }
    }

    static final int ORDER_IDS = 200;
    static final int ORDER_STEPS = 10;
    /** Orderly handoffs wait for the old owner: the client delays an unlock 20 s while it still holds messages. */
    static final long ORDERLY_TIMEOUT_MS = 150_000;

    static Outcome orderly(String namesrv) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatOrderly", runId);
        String group = Clients.unique("CGO", runId);
        Outcome out = new Outcome();
        DefaultMQProducer producer = Styles.producer(namesrv, Clients.unique("PG", runId), TOPIC_QUEUES);
        List<DefaultMQPushConsumer> members = new ArrayList<>();
        AtomicLong seq = new AtomicLong();
        // "id:step" -> global sequence numbers of its deliveries, and who consumed it
        Map<String, List<Long>> deliveries = new ConcurrentHashMap<>();
        Map<Integer, Integer> queueOfId = new ConcurrentHashMap<>();
        List<String> wrongQueue = new CopyOnWriteArrayList<>();
        try {
            Message first = new Message(topic, "warmup", "warmup".getBytes());
            producer.send(first);
            List<MessageQueue> mqs = producer.fetchPublishMessageQueues(topic);
            Map<String, AtomicLong> perMember = new ConcurrentHashMap<>();
            java.util.function.Function<String, MessageListenerOrderly> listenerFor = member -> (msgs, ctx) -> {
                perMember.computeIfAbsent(member, k -> new AtomicLong()).addAndGet(msgs.size());
                for (MessageExt m : msgs) {
                    if (!runId.equals(m.getUserProperty("run"))) {
                        continue;
                    }
                    int id = Integer.parseInt(m.getUserProperty("id"));
                    String key = id + ":" + m.getUserProperty("step");
                    deliveries.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(seq.incrementAndGet());
                    Integer q = queueOfId.get(id);
                    if (q != null && q != m.getQueueId()) {
                        wrongQueue.add(key + " in queue " + m.getQueueId() + ", selector chose " + q);
                    }
                }
                return ConsumeOrderlyStatus.SUCCESS;
            };
            members.add(orderlyMember(namesrv, group, topic, "o1-" + runId, listenerFor.apply("o1")));
            members.add(orderlyMember(namesrv, group, topic, "o2-" + runId, listenerFor.apply("o2")));
            int total = ORDER_IDS * ORDER_STEPS;
            int sentCount = 0;
            for (int step = 0; step < ORDER_STEPS; step++) {
                for (int id = 0; id < ORDER_IDS; id++) {
                    Message m = new Message(topic, "order", "id-" + id + "-" + step, ("订单 " + id + " step " + step).getBytes("UTF-8"));
                    m.putUserProperty("run", runId);
                    m.putUserProperty("id", Integer.toString(id));
                    m.putUserProperty("step", Integer.toString(step));
                    SendResult r = producer.send(m, (all, msg, arg) -> all.get((Integer) arg % all.size()), id);
                    if (r.getSendStatus() != SendStatus.SEND_OK) {
                        out.problem("id " + id + " step " + step + ": expected SEND_OK, got " + r);
                    }
                    queueOfId.put(id, id % mqs.size());
                    sentCount++;
                    if (sentCount % 50 == 0) {
                        Thread.sleep(100); // spread the sends so the join and the leave happen mid-stream
                    }
                    if (sentCount == total / 3) {
                        members.add(orderlyMember(namesrv, group, topic, "o3-" + runId, listenerFor.apply("o3")));
                        Scenarios.info("member o3 joined after " + sentCount + " messages");
                    } else if (sentCount == 2 * total / 3) {
                        members.remove(0).shutdown();
                        Scenarios.info("member o1 left after " + sentCount + " messages");
                    }
                }
            }
            boolean done = Styles.waitFor(() -> deliveries.size() == total, ORDERLY_TIMEOUT_MS);
            if (!done) {
                out.problem("expected " + total + " distinct (id, step) deliveries, got " + deliveries.size());
            }
            out.problems(wrongQueue.subList(0, Math.min(10, wrongQueue.size())));
            int outOfOrder = 0;
            int redelivered = 0;
            for (int id = 0; id < ORDER_IDS; id++) {
                long prev = -1;
                for (int step = 0; step < ORDER_STEPS; step++) {
                    List<Long> d = deliveries.get(id + ":" + step);
                    if (d == null) {
                        continue;
                    }
                    redelivered += d.size() - 1;
                    long firstSeen = d.get(0);
                    if (firstSeen < prev && outOfOrder++ < 10) {
                        out.problem("id " + id + ": step " + step + " first consumed (#" + firstSeen + ") before step " + (step - 1) + " (#" + prev + ")");
                    }
                    prev = firstSeen;
                }
            }
            return out.summary(deliveries.size() + " of " + total + " (id, step) consumed in order, " + redelivered
                + " redeliveries across join/leave; consumed per member " + new TreeMap<>(perMember));
        } finally {
            for (DefaultMQPushConsumer m : members) {
                m.shutdown();
            }
            producer.shutdown();
        }
    }

    private static DefaultMQPushConsumer orderlyMember(String namesrv, String group, String topic, String instance,
        MessageListenerOrderly listener) throws Exception {
        DefaultMQPushConsumer c = Styles.push(namesrv, group, topic, null, instance, MessageModel.CLUSTERING,
            ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.registerMessageListener(listener);
        c.start();
        return c;
    }

    private GroupScenarios() {
    }
}
