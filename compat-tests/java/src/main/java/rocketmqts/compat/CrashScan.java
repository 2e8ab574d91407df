package rocketmqts.compat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.impl.MQClientAPIImpl;
import org.apache.rocketmq.client.impl.MQClientManager;
import org.apache.rocketmq.common.message.MessageClientIDSetter;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.ResponseCode;
import org.apache.rocketmq.common.protocol.header.QueryConsumerOffsetRequestHeader;

/**
 * Reads a queue range with the Java pull consumer, checking every message's body (CrashBody), and
 * matches acknowledged sends against what is at their queue offsets. Shared by CrashLoad's checks after
 * each restart and CrashVerify's final full read.
 */
final class CrashScan {
    /** The most a pull returns at once (DefaultMQPullConsumer's own cap). */
    static final int PULL_BATCH = 32;
    static final long PULL_TIMEOUT_MS = 5_000;
    /** A unit just written may not be dispatched yet; past this, an acknowledged offset the broker cannot serve is a loss. */
    static final long UNREADABLE_RETRY_MS = 100;
    /** Corrupt or missing messages listed before summarising: the rest are usually the same fault. */
    static final int LISTED_MAX = 20;

    /** What a range read found, by queue offset. */
    static final class Found {
        final Map<Long, Long> seqByOffset = new HashMap<>();
        final Map<Long, String> msgIdByOffset = new HashMap<>();
        int messages;
        int corrupt;
    }

    /**
     * Pulls [from, to) of mq, checking each body and that queue offsets come back dense and in order.
     * Problems (corrupt bodies, gaps, an offset below `to` the broker will not serve by deadlineMs) go to problems.
     */
    static Found read(DefaultMQPullConsumer pull, String runId, MessageQueue mq, long from, long to, long deadlineMs,
        List<String> problems) throws InterruptedException {
        Found f = new Found();
        long offset = from;
        String lastFailure = "";
        while (offset < to) {
            PullResult r = null;
            try {
                r = pull.pull(mq, "*", offset, PULL_BATCH, PULL_TIMEOUT_MS);
            } catch (Exception e) {
                lastFailure = "pull threw " + e;
            }
            if (r != null && r.getPullStatus() == PullStatus.FOUND && !r.getMsgFoundList().isEmpty()) {
                long expectOffset = offset;
                for (MessageExt m : r.getMsgFoundList()) {
                    if (m.getQueueOffset() != expectOffset) {
                        problems.add("queue " + mq.getQueueId() + ": pull at " + offset + " returned offset " + m.getQueueOffset()
                            + " where " + expectOffset + " was due (units missing or out of order)");
                    }
                    expectOffset = m.getQueueOffset() + 1;
                    f.messages++;
                    String bad = CrashBody.problem(runId, m);
                    if (bad != null) {
                        if (f.corrupt++ < LISTED_MAX) {
                            problems.add("corrupt message at " + CrashBody.where(m) + ": " + bad);
                        }
                        continue;
                    }
                    f.seqByOffset.put(m.getQueueOffset(), CrashBody.check(m.getBody()));
                    f.msgIdByOffset.put(m.getQueueOffset(), MessageClientIDSetter.getUniqID(m));
                }
                if (r.getNextBeginOffset() <= offset) {
                    problems.add("queue " + mq.getQueueId() + ": pull at " + offset + " returned next begin offset " + r.getNextBeginOffset());
                    break;
                }
                offset = r.getNextBeginOffset();
                continue;
            }
            if (r != null) {
                lastFailure = r.getPullStatus() + " (next begin " + r.getNextBeginOffset() + ", min " + r.getMinOffset()
                    + ", max " + r.getMaxOffset() + ")";
            }
            if (System.currentTimeMillis() > deadlineMs) {
                problems.add("queue " + mq.getQueueId() + ": offsets up to " + (to - 1) + " were acknowledged or reported, but a pull at "
                    + offset + " still gets " + lastFailure);
                break;
            }
            Thread.sleep(UNREADABLE_RETRY_MS);
        }
        return f;
    }

    /** Every ack must be at its queue offset with its seq and msgId. Returns how many matched. */
    static int matchAcks(List<CrashBody.Ack> acks, Map<Integer, Found> byQueue, List<String> problems) {
        int matched = 0;
        List<String> missing = new ArrayList<>();
        for (CrashBody.Ack a : acks) {
            Found f = byQueue.get(a.queueId);
            Long seq = f == null ? null : f.seqByOffset.get(a.queueOffset);
            if (seq == null) {
                missing.add(a.toString());
            } else if (seq != a.seq || !a.msgId.equals(f.msgIdByOffset.get(a.queueOffset))) {
                problems.add("acknowledged " + a + " msgId " + a.msgId + ": that offset holds seq " + seq + " msgId "
                    + f.msgIdByOffset.get(a.queueOffset));
            } else {
                matched++;
            }
        }
        if (!missing.isEmpty()) {
            problems.add(missing.size() + " of " + acks.size() + " acknowledged messages not readable at their offsets: "
                + String.join(", ", missing.subList(0, Math.min(LISTED_MAX, missing.size())))
                + (missing.size() > LISTED_MAX ? ", ..." : ""));
        }
        return matched;
    }

    /** Acks grouped by queue, each queue's by offset. */
    static Map<Integer, TreeMap<Long, CrashBody.Ack>> byQueue(List<CrashBody.Ack> acks) {
        Map<Integer, TreeMap<Long, CrashBody.Ack>> m = new TreeMap<>();
        for (CrashBody.Ack a : acks) {
            m.computeIfAbsent(a.queueId, q -> new TreeMap<>()).put(a.queueOffset, a);
        }
        return m;
    }

    /** A group's committed offsets as the broker reports them (QUERY_CONSUMER_OFFSET): -1 for none stored, -2 for a failed query. */
    static Map<Integer, Long> committed(DefaultMQPullConsumer client, String brokerAddr, String topic, String group, int queues) {
        Map<Integer, Long> out = new TreeMap<>();
        MQClientAPIImpl api = MQClientManager.getInstance().getOrCreateMQClientInstance(client).getMQClientAPIImpl();
        for (int q = 0; q < queues; q++) {
            QueryConsumerOffsetRequestHeader h = new QueryConsumerOffsetRequestHeader();
            h.setConsumerGroup(group);
            h.setTopic(topic);
            h.setQueueId(q);
            long off;
            try {
                off = api.queryConsumerOffset(brokerAddr, h, PULL_TIMEOUT_MS);
            } catch (MQBrokerException e) {
                off = e.getResponseCode() == ResponseCode.QUERY_NOT_FOUND ? -1 : -2;
            } catch (Exception e) {
                off = -2;
            }
            out.put(q, off);
        }
        return out;
    }

    private CrashScan() {
    }
}
