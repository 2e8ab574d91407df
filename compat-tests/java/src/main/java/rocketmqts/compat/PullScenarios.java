package rocketmqts.compat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.header.QueryConsumerOffsetRequestHeader;

/**
 * pull-consumer: DefaultMQPullConsumer reads every queue from explicit offsets; an offset past the end is
 * OFFSET_ILLEGAL corrected to the max offset (and leaves an OffsetMovedEvent in OFFSET_MOVED_EVENT), the
 * max offset itself is NO_NEW_MSG, and pullBlockIfNotFound parked at the end returns a message sent later.
 * lite-pull-subscribe: DefaultLitePullConsumer subscribe mode polls everything, commits, seeks back and
 * re-reads a queue, and a later instance of the group resumes from the committed offsets.
 * lite-pull-assign: assign mode with seek / seekToBegin / seekToEnd and commit persisted to the broker.
 */
final class PullScenarios {
    static final int QUEUES = 4;
    static final int MESSAGES = 40;
    static final int PULL_BATCH = 16;
    static final long POLL_TIMEOUT_MS = 30_000;
    static final long BLOCKING_PULL_LATENCY_MAX_MS = 10_000;

    static Outcome pullConsumer(String namesrv) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatPull", runId);
        String group = Clients.unique("CGP", runId);
        Map<Integer, Sent> sent = new ConcurrentHashMap<>();
        Outcome out = new Outcome();
        DefaultMQProducer producer = Styles.producer(namesrv, Clients.unique("PG", runId), QUEUES);
        DefaultMQPullConsumer pc = new DefaultMQPullConsumer(group);
        pc.setNamesrvAddr(namesrv);
        pc.setInstanceName("pull-" + runId);
        pc.setHeartbeatBrokerInterval(Styles.HEARTBEAT_INTERVAL_MS);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            List<Content> all = Content.range(runId, 0, MESSAGES);
            out.problems(SendScenarios.sendSync(producer, topic, all, sent));
            pc.start();
            List<MessageQueue> mqs = new ArrayList<>(pc.fetchSubscribeMessageQueues(topic));
            mqs.sort(MessageQueue::compareTo);
            if (mqs.size() != QUEUES) {
                out.problem("fetchSubscribeMessageQueues: expected " + QUEUES + " queues, got " + mqs);
            }
            Collector collector = new Collector(runId);
            MessageListenerConcurrently record = collector.listener("pull");
            Map<MessageQueue, Long> maxOffsets = new TreeMap<>();
            for (MessageQueue mq : mqs) {
                long offset = 0;
                for (int guard = 0; guard < 100; guard++) {
                    PullResult r = pc.pull(mq, "*", offset, PULL_BATCH);
                    if (r.getPullStatus() == PullStatus.FOUND) {
                        record.consumeMessage(r.getMsgFoundList(), null);
                        offset = r.getNextBeginOffset();
                        continue;
                    }
                    if (r.getPullStatus() != PullStatus.NO_NEW_MSG) {
                        out.problem(mq + " at " + offset + ": expected FOUND or NO_NEW_MSG, got " + r);
                    }
                    Content.expectEq(out.problems, mq + " NO_NEW_MSG nextBeginOffset", offset, r.getNextBeginOffset());
                    Content.expectEq(out.problems, mq + " maxOffset", offset, r.getMaxOffset());
                    Content.expectEq(out.problems, mq + " minOffset", 0L, r.getMinOffset());
                    break;
                }
                maxOffsets.put(mq, offset);
            }
            Verify.Report rep = Verify.delivery(topic, all, sent, collector, true);
            out.problems(rep.problems);

            // Past the end: PULL_OFFSET_MOVED, corrected to the max offset (DefaultMessageStore OFFSET_OVERFLOW_BADLY).
            MessageQueue mq0 = mqs.get(0);
            long max0 = maxOffsets.get(mq0);
            PullResult tooLarge = pc.pull(mq0, "*", max0 + 10, PULL_BATCH);
            Content.expectEq(out.problems, "pull at maxOffset+10 status", PullStatus.OFFSET_ILLEGAL, tooLarge.getPullStatus());
            Content.expectEq(out.problems, "pull at maxOffset+10 nextBeginOffset", max0, tooLarge.getNextBeginOffset());
            out.problems(offsetMovedEventWritten(pc, group, topic, max0 + 10, max0));

            // pullBlockIfNotFound parked at the end wakes for a message sent afterwards.
            long parkedAt = System.currentTimeMillis();
            Future<PullResult> blocked = pool.submit(() -> pc.pullBlockIfNotFound(mq0, "*", max0, PULL_BATCH));
            Thread.sleep(1000);
            Content late = Content.of(runId, MESSAGES);
            SendResult lateSent = producer.send(late.toMessage(topic), mq0);
            PullResult woke = blocked.get(30, TimeUnit.SECONDS);
            long tookMs = System.currentTimeMillis() - parkedAt;
            if (woke.getPullStatus() != PullStatus.FOUND || woke.getMsgFoundList().size() != 1) {
                out.problem("pullBlockIfNotFound at the end: expected FOUND with the message sent later, got " + woke);
            } else {
                out.problems(late.diff(topic, woke.getMsgFoundList().get(0)));
                Content.expectEq(out.problems, "blocked pull message offset", lateSent.getQueueOffset(), woke.getMsgFoundList().get(0).getQueueOffset());
            }
            if (tookMs > BLOCKING_PULL_LATENCY_MAX_MS) {
                out.problem("pullBlockIfNotFound: expected to return within " + BLOCKING_PULL_LATENCY_MAX_MS + " ms of the send, took " + tookMs + " ms");
            }
            return out.summary(rep.summary(all.size()) + "; offset past end corrected to " + max0 + "; blocking pull woke in " + tookMs + " ms");
        } finally {
            pool.shutdownNow();
            pc.shutdown();
            producer.shutdown();
        }
    }

    /** Reads OFFSET_MOVED_EVENT for the event our bad pull caused (PullMessageProcessor#generateOffsetMovedEvent). */
    private static List<String> offsetMovedEventWritten(DefaultMQPullConsumer pc, String group, String topic, long requested, long corrected)
        throws Exception {
        List<String> problems = new ArrayList<>();
        String eventTopic = "OFFSET_MOVED_EVENT";
        boolean found = false;
        String seen = "";
        for (int attempt = 0; attempt < 20 && !found; attempt++) {
            for (MessageQueue mq : pc.fetchSubscribeMessageQueues(eventTopic)) {
                long offset = 0;
                while (true) {
                    PullResult r = pc.pull(mq, "*", offset, 32);
                    if (r.getPullStatus() != PullStatus.FOUND) {
                        break;
                    }
                    for (MessageExt m : r.getMsgFoundList()) {
                        String body = new String(m.getBody(), StandardCharsets.UTF_8);
                        if (body.contains("\"topic\":\"" + topic + "\"")) {
                            found = true;
                            seen = body;
                            Content.expectEq(problems, "offset moved event tags", group, m.getTags());
                            Content.expectEq(problems, "offset moved event keys", group, m.getKeys());
                            for (String part : new String[] {"\"consumerGroup\":\"" + group + "\"", "\"offsetRequest\":" + requested,
                                "\"offsetNew\":" + corrected}) {
                                if (!body.contains(part)) {
                                    problems.add("offset moved event body: expected it to contain " + part + ", got " + body);
                                }
                            }
                        }
                    }
                    offset = r.getNextBeginOffset();
                }
            }
            if (!found) {
                Thread.sleep(250);
            }
        }
        if (!found) {
            problems.add("expected an OffsetMovedEvent for " + topic + " in " + eventTopic + ", found none");
        } else {
            Scenarios.info("offset moved event: " + seen);
        }
        return problems;
    }

    static DefaultLitePullConsumer lite(String namesrv, String group, String instance) {
        DefaultLitePullConsumer lc = new DefaultLitePullConsumer(group);
        lc.setNamesrvAddr(namesrv);
        lc.setInstanceName(instance);
        lc.setAutoCommit(false);
        lc.setPollTimeoutMillis(1000);
        lc.setPollNameServerInterval(Clients.POLL_NAMESRV_INTERVAL_MS);
        lc.setHeartbeatBrokerInterval(Styles.HEARTBEAT_INTERVAL_MS);
        return lc;
    }

    /** Polls until every idx arrived (or timeout); returns every message polled. */
    static List<MessageExt> pollUntil(DefaultLitePullConsumer lc, Collector c, Collection<Integer> idxs, long timeoutMs) {
        List<MessageExt> got = new ArrayList<>();
        long deadline = System.currentTimeMillis() + timeoutMs;
        MessageListenerConcurrently record = c.listener("lite");
        while (System.currentTimeMillis() < deadline && !c.missing(idxs).isEmpty()) {
            List<MessageExt> batch = lc.poll();
            if (!batch.isEmpty()) {
                record.consumeMessage(batch, null);
                got.addAll(batch);
            }
        }
        return got;
    }

    static long brokerOffset(DefaultMQProducer p, String addr, String group, MessageQueue mq) throws Exception {
        QueryConsumerOffsetRequestHeader h = new QueryConsumerOffsetRequestHeader();
        h.setConsumerGroup(group);
        h.setTopic(mq.getTopic());
        h.setQueueId(mq.getQueueId());
        try {
            return Styles.api(p).queryConsumerOffset(addr, h, Styles.RPC_TIMEOUT_MS);
        } catch (Exception e) {
            return -1;
        }
    }

    static Outcome litePullSubscribe(String namesrv) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatLiteSub", runId);
        String group = Clients.unique("CGLS", runId);
        Map<Integer, Sent> sent = new ConcurrentHashMap<>();
        Outcome out = new Outcome();
        DefaultMQProducer producer = Styles.producer(namesrv, Clients.unique("PG", runId), QUEUES);
        DefaultLitePullConsumer lc = lite(namesrv, group, "lite1-" + runId);
        DefaultLitePullConsumer lc2 = null;
        try {
            List<Content> first = Content.range(runId, 0, MESSAGES);
            out.problems(SendScenarios.sendSync(producer, topic, first, sent));
            lc.subscribe(topic, "*");
            lc.start();
            Collector c1 = new Collector(runId);
            pollUntil(lc, c1, Styles.idxs(first), POLL_TIMEOUT_MS);
            Verify.Report r1 = Verify.delivery(topic, first, sent, c1, true);
            out.problems(r1.problems);
            lc.commitSync();
            // Seek back to the start of one queue and read it again.
            MessageQueue mq = new ArrayList<>(lc.assignment()).get(0);
            List<Content> inQueue = new ArrayList<>();
            for (Content c : first) {
                if (sent.get(c.idx).queueId == mq.getQueueId()) {
                    inQueue.add(c);
                }
            }
            lc.seek(mq, 0);
            Collector again = new Collector(runId);
            pollUntil(lc, again, Styles.idxs(inQueue), POLL_TIMEOUT_MS);
            Verify.Report r2 = Verify.delivery(topic, inQueue, sent, again, true);
            for (String p : r2.problems) {
                out.problem("after seek(" + mq + ", 0): " + p);
            }
            for (Integer idx : again.byIdx.keySet()) {
                if (sent.get(idx).queueId != mq.getQueueId()) {
                    out.problem("after seek(queue " + mq.getQueueId() + ", 0) idx=" + idx + " of queue " + sent.get(idx).queueId + " was delivered again");
                }
            }
            lc.commit(lc.assignment(), true);
            String addr = Styles.brokerAddr(producer, topic);
            Map<Integer, Long> maxByQueue = new TreeMap<>();
            for (Sent s : sent.values()) {
                maxByQueue.merge(s.queueId, s.queueOffset + 1, Math::max);
            }
            for (MessageQueue q : lc.assignment()) {
                long expected = maxByQueue.getOrDefault(q.getQueueId(), 0L);
                Content.expectEq(out.problems, "committed offset of queue " + q.getQueueId() + " on the broker after commit", expected,
                    brokerOffset(producer, addr, group, q));
            }
            lc.shutdown();
            // A new instance of the group resumes from the committed offsets: only new messages arrive.
            List<Content> second = Content.range(runId, MESSAGES, QUEUES * 2);
            out.problems(SendScenarios.sendSync(producer, topic, second, sent));
            lc2 = lite(namesrv, group, "lite2-" + runId);
            lc2.subscribe(topic, "*");
            lc2.start();
            Collector c2 = new Collector(runId);
            pollUntil(lc2, c2, Styles.idxs(second), POLL_TIMEOUT_MS);
            Thread.sleep(Styles.DUPLICATE_GRACE_MS);
            c2.listener("lite").consumeMessage(lc2.poll(), null);
            Verify.Report r3 = Verify.delivery(topic, second, sent, c2, true);
            for (String p : r3.problems) {
                out.problem("second instance: " + p);
            }
            for (Integer idx : c2.byIdx.keySet()) {
                if (idx < MESSAGES) {
                    out.problem("second instance: idx=" + idx + " was committed by the first instance but delivered again");
                }
            }
            return out.summary(r1.summary(first.size()) + "; seek re-read " + inQueue.size() + "; resumed with " + r3.summary(second.size()));
        } finally {
            if (lc.isRunning()) {
                lc.shutdown();
            }
            if (lc2 != null) {
                lc2.shutdown();
            }
            producer.shutdown();
        }
    }

    static Outcome litePullAssign(String namesrv) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatLiteAssign", runId);
        String group = Clients.unique("CGLA", runId);
        Map<Integer, Sent> sent = new ConcurrentHashMap<>();
        Outcome out = new Outcome();
        DefaultMQProducer producer = Styles.producer(namesrv, Clients.unique("PG", runId), QUEUES);
        DefaultLitePullConsumer lc = lite(namesrv, group, "assign-" + runId);
        try {
            List<Content> all = Content.range(runId, 0, MESSAGES);
            out.problems(SendScenarios.sendSync(producer, topic, all, sent));
            lc.start();
            List<MessageQueue> mqs = new ArrayList<>(lc.fetchMessageQueues(topic));
            mqs.sort(MessageQueue::compareTo);
            lc.assign(mqs);
            MessageQueue q0 = mqs.get(0);
            MessageQueue q1 = mqs.get(1);
            final long skip = 3;
            lc.seek(q0, skip);
            for (MessageQueue q : mqs.subList(1, mqs.size())) {
                lc.seekToBegin(q);
            }
            List<Content> expected = new ArrayList<>();
            for (Content c : all) {
                Sent s = sent.get(c.idx);
                if (s.queueId != q0.getQueueId() || s.queueOffset >= skip) {
                    expected.add(c);
                }
            }
            Collector c1 = new Collector(runId);
            pollUntil(lc, c1, Styles.idxs(expected), POLL_TIMEOUT_MS);
            Thread.sleep(Styles.DUPLICATE_GRACE_MS);
            c1.listener("lite").consumeMessage(lc.poll(), null);
            Verify.Report r = Verify.delivery(topic, expected, sent, c1, true);
            out.problems(r.problems);
            for (Integer idx : c1.byIdx.keySet()) {
                Sent s = sent.get(idx);
                if (s.queueId == q0.getQueueId() && s.queueOffset < skip) {
                    out.problem("seek(queue " + q0.getQueueId() + ", " + skip + "): idx=" + idx + " at offset " + s.queueOffset + " was delivered");
                }
            }
            Map<Integer, Long> maxByQueue = new TreeMap<>();
            for (Sent s : sent.values()) {
                maxByQueue.merge(s.queueId, s.queueOffset + 1, Math::max);
            }
            Map<MessageQueue, Long> offsets = new TreeMap<>();
            for (MessageQueue q : mqs) {
                offsets.put(q, maxByQueue.getOrDefault(q.getQueueId(), 0L));
            }
            lc.commitSync(offsets, true);
            String addr = Styles.brokerAddr(producer, topic);
            // The client persists with one-way UPDATE_CONSUMER_OFFSET requests on its own connection, while this
            // query goes over the producer's: it can arrive first, so allow the update a moment to land.
            for (MessageQueue q : mqs) {
                long got = brokerOffset(producer, addr, group, q);
                for (long until = System.currentTimeMillis() + 3000; got != offsets.get(q) && System.currentTimeMillis() < until; ) {
                    Thread.sleep(50);
                    got = brokerOffset(producer, addr, group, q);
                }
                Content.expectEq(out.problems, "broker offset of queue " + q.getQueueId() + " after commitSync(offsets, persist)",
                    offsets.get(q), got);
            }
            // seekToEnd skips what is there; only messages sent afterwards arrive.
            lc.seekToEnd(q1);
            Thread.sleep(500);
            lc.poll(500);
            List<Content> later = new ArrayList<>();
            int idx = MESSAGES;
            while (later.size() < 3) {
                Content c = Content.of(runId, idx++);
                SendResult s = producer.send(c.toMessage(topic), q1);
                sent.put(c.idx, Sent.of(s, System.currentTimeMillis()));
                later.add(c);
            }
            Collector c2 = new Collector(runId);
            pollUntil(lc, c2, Styles.idxs(later), POLL_TIMEOUT_MS);
            Verify.Report r2 = Verify.delivery(topic, later, sent, c2, true);
            for (String p : r2.problems) {
                out.problem("after seekToEnd: " + p);
            }
            for (Integer i : c2.byIdx.keySet()) {
                if (i < MESSAGES) {
                    out.problem("after seekToEnd(queue " + q1.getQueueId() + "): old idx=" + i + " delivered again");
                }
            }
            return out.summary(r.summary(expected.size()) + " after seek; " + r2.summary(later.size()) + " after seekToEnd");
        } finally {
            lc.shutdown();
            producer.shutdown();
        }
    }

    private PullScenarios() {
    }
}
