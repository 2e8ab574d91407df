package rocketmqts.compat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.UtilAll;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.header.UpdateConsumerOffsetRequestHeader;
import org.apache.rocketmq.common.protocol.heartbeat.MessageModel;

/**
 * consume-from-where: on queues that still start at offset 0, a new group reads from the start whatever its
 * ConsumeFromWhere (LAST, FIRST or TIMESTAMP), because the broker answers QUERY_CONSUMER_OFFSET with 0 (the
 * Java broker's rule); a group that committed resumes where it stopped.
 * replay-by-time: resetting a group to a point in time with INVOKE_BROKER_TO_RESET_OFFSET re-delivers from
 * that point to the online consumer (RESET_CONSUMER_CLIENT_OFFSET); with nobody online the broker answers
 * CONSUMER_NOT_ONLINE and the admin's fallback (SEARCH_OFFSET_BY_TIMESTAMP + UPDATE_CONSUMER_OFFSET) makes
 * the next consumer start from that point.
 */
final class ReplayScenarios {
    static final int QUEUES = 4;
    static final int BATCH = 24;
    static final int CONSUMER_NOT_ONLINE = 206;
    static final long COMMIT_WAIT_MS = 40_000;

    static Outcome consumeFromWhere(String namesrv) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatFrom", runId);
        Map<Integer, Sent> sent = new ConcurrentHashMap<>();
        Outcome out = new Outcome();
        DefaultMQProducer producer = Styles.producer(namesrv, Clients.unique("PG", runId), QUEUES);
        List<DefaultMQPushConsumer> consumers = new ArrayList<>();
        try {
            List<Content> history = Content.range(runId, 0, BATCH);
            out.problems(SendScenarios.sendSync(producer, topic, history, sent));
            ConsumeFromWhere[] froms = {ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET, ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
                ConsumeFromWhere.CONSUME_FROM_TIMESTAMP};
            StringBuilder summary = new StringBuilder();
            for (ConsumeFromWhere from : froms) {
                Collector c = new Collector(runId);
                DefaultMQPushConsumer pc = Styles.push(namesrv, Clients.unique("CGF" + from.ordinal(), runId), topic, null,
                    "from" + from.ordinal() + "-" + runId, MessageModel.CLUSTERING, from);
                // A timestamp after every message: it would skip them all if the broker did not answer 0.
                pc.setConsumeTimestamp(UtilAll.timeMillisToHumanString3(System.currentTimeMillis() + 3_600_000));
                pc.registerMessageListener(c.listener(from.name()));
                pc.start();
                consumers.add(pc);
                c.await(Styles.idxs(history), Styles.CONSUME_TIMEOUT_MS, Styles.DUPLICATE_GRACE_MS);
                Verify.Report r = Verify.delivery(topic, history, sent, c, true);
                for (String p : r.problems) {
                    out.problem("new group with " + from + " on fresh queues: " + p);
                }
                summary.append(from).append(": ").append(r.summary(history.size())).append("; ");
            }
            // The LAST_OFFSET group stops (persisting its offsets), more is sent, a new instance resumes.
            consumers.remove(0).shutdown();
            List<Content> more = Content.range(runId, BATCH, BATCH / 2);
            out.problems(SendScenarios.sendSync(producer, topic, more, sent));
            Collector resumed = new Collector(runId);
            DefaultMQPushConsumer again = Styles.push(namesrv, Clients.unique("CGF" + froms[0].ordinal(), runId), topic, null,
                "from-again-" + runId, MessageModel.CLUSTERING, ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
            again.registerMessageListener(resumed.listener("again"));
            again.start();
            consumers.add(again);
            resumed.await(Styles.idxs(more), Styles.CONSUME_TIMEOUT_MS, 2000);
            Verify.Report r = Verify.delivery(topic, more, sent, resumed, true);
            for (String p : r.problems) {
                out.problem("restarted group: " + p);
            }
            for (Integer idx : resumed.byIdx.keySet()) {
                if (idx < BATCH) {
                    out.problem("restarted group (committed before stopping) got idx=" + idx + " again");
                }
            }
            return out.summary(summary + "resumed: " + r.summary(more.size()));
        } finally {
            for (DefaultMQPushConsumer c : consumers) {
                c.shutdown();
            }
            producer.shutdown();
        }
    }

    static Outcome replayByTime(String namesrv) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatReplay", runId);
        String group = Clients.unique("CGR", runId);
        Map<Integer, Sent> sent = new ConcurrentHashMap<>();
        Outcome out = new Outcome();
        DefaultMQProducer producer = Styles.producer(namesrv, Clients.unique("PG", runId), QUEUES);
        DefaultMQPushConsumer consumer = null;
        try {
            List<Content> before = Content.range(runId, 0, BATCH);
            out.problems(SendScenarios.sendSync(producer, topic, before, sent));
            Collector c1 = new Collector(runId);
            consumer = Styles.push(namesrv, group, topic, null, "replay1-" + runId, MessageModel.CLUSTERING,
                ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
            consumer.registerMessageListener(c1.listener("c1"));
            consumer.start();
            c1.await(Styles.idxs(before), Styles.CONSUME_TIMEOUT_MS, 0);
            Thread.sleep(1100);
            long point = System.currentTimeMillis();
            Thread.sleep(1100);
            List<Content> after = Content.range(runId, BATCH, BATCH);
            out.problems(SendScenarios.sendSync(producer, topic, after, sent));
            c1.await(Styles.idxs(after), Styles.CONSUME_TIMEOUT_MS, 0);
            String addr = Styles.brokerAddr(producer, topic);
            List<MessageQueue> mqs = producer.fetchPublishMessageQueues(topic);
            Map<Integer, Long> maxByQueue = new TreeMap<>();
            Map<Integer, Long> firstAfter = new TreeMap<>();
            for (Map.Entry<Integer, Sent> e : sent.entrySet()) {
                maxByQueue.merge(e.getValue().queueId, e.getValue().queueOffset + 1, Math::max);
                if (e.getKey() >= BATCH) {
                    firstAfter.merge(e.getValue().queueId, e.getValue().queueOffset, Math::min);
                }
            }
            // The reset needs every queue's committed offset on the broker (else "group not exist").
            boolean committed = Styles.waitFor(() -> {
                for (MessageQueue mq : mqs) {
                    try {
                        if (PullScenarios.brokerOffset(producer, addr, group, mq) != maxByQueue.getOrDefault(mq.getQueueId(), 0L)) {
                            return false;
                        }
                    } catch (Exception e) {
                        return false;
                    }
                }
                return true;
            }, COMMIT_WAIT_MS);
            if (!committed) {
                return out.problem("the consumer's offsets never reached the broker: expected " + maxByQueue);
            }

            // Online: the broker tells the consumer, which re-consumes from the point.
            Map<MessageQueue, Long> reset = Styles.api(producer).invokeBrokerToResetOffset(addr, topic, group, point, true, Styles.RPC_TIMEOUT_MS);
            Map<Integer, Long> resetByQueue = new TreeMap<>();
            for (Map.Entry<MessageQueue, Long> e : reset.entrySet()) {
                resetByQueue.put(e.getKey().getQueueId(), e.getValue());
            }
            Content.expectEq(out.problems, "INVOKE_BROKER_TO_RESET_OFFSET offsets by queue", firstAfter, resetByQueue);
            boolean replayed = Styles.waitFor(() -> {
                for (Content c : after) {
                    if (c1.byIdx.getOrDefault(c.idx, List.of()).size() < 2) {
                        return false;
                    }
                }
                return true;
            }, Styles.CONSUME_TIMEOUT_MS);
            Thread.sleep(Styles.DUPLICATE_GRACE_MS);
            if (!replayed) {
                Set<Integer> notAgain = new TreeSet<>();
                for (Content c : after) {
                    if (c1.byIdx.getOrDefault(c.idx, List.of()).size() < 2) {
                        notAgain.add(c.idx);
                    }
                }
                out.problem("after the online reset, expected every message after the point consumed again; not again: " + notAgain);
            }
            for (Content c : before) {
                int n = c1.byIdx.getOrDefault(c.idx, List.of()).size();
                if (n != 1) {
                    out.problem("idx=" + c.idx + " (before the point) consumed " + n + " times, expected once");
                }
            }
            Verify.Report r1 = Verify.delivery(topic, Content.range(runId, 0, 2 * BATCH), sent, c1, false);
            out.problems(r1.problems);

            // Offline: CONSUMER_NOT_ONLINE, then what mqadmin does instead.
            consumer.shutdown();
            consumer = null;
            try {
                Styles.api(producer).invokeBrokerToResetOffset(addr, topic, group, point, true, Styles.RPC_TIMEOUT_MS);
                out.problem("reset with no consumer online: expected CONSUMER_NOT_ONLINE, got success");
            } catch (MQClientException e) {
                Content.expectEq(out.problems, "reset with no consumer online: code", CONSUMER_NOT_ONLINE, e.getResponseCode());
            }
            for (MessageQueue mq : mqs) {
                long offset = Styles.api(producer).searchOffset(addr, mq, point, Styles.RPC_TIMEOUT_MS);
                Content.expectEq(out.problems, "SEARCH_OFFSET_BY_TIMESTAMP queue " + mq.getQueueId(), firstAfter.get(mq.getQueueId()), offset);
                UpdateConsumerOffsetRequestHeader h = new UpdateConsumerOffsetRequestHeader();
                h.setConsumerGroup(group);
                h.setTopic(topic);
                h.setQueueId(mq.getQueueId());
                h.setCommitOffset(offset);
                Styles.api(producer).updateConsumerOffset(addr, h, Styles.RPC_TIMEOUT_MS);
            }
            Collector c2 = new Collector(runId);
            consumer = Styles.push(namesrv, group, topic, null, "replay2-" + runId, MessageModel.CLUSTERING,
                ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET);
            consumer.registerMessageListener(c2.listener("c2"));
            consumer.start();
            c2.await(Styles.idxs(after), Styles.CONSUME_TIMEOUT_MS, 2000);
            Verify.Report r2 = Verify.delivery(topic, after, sent, c2, true);
            for (String p : r2.problems) {
                out.problem("after the offline reset: " + p);
            }
            for (Integer idx : c2.byIdx.keySet()) {
                if (idx < BATCH) {
                    out.problem("after the offline reset: idx=" + idx + " from before the point was consumed");
                }
            }
            return out.summary("online reset to " + resetByQueue + " replayed " + after.size() + "; offline: " + r2.summary(after.size()));
        } finally {
            if (consumer != null) {
                consumer.shutdown();
            }
            producer.shutdown();
        }
    }

    private ReplayScenarios() {
    }
}
