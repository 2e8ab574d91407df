package rocketmqts.compat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyContext;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * Records every delivery, from any number of consumers, keyed by the message's "idx" property.
 * Always acknowledges (CONSUME_SUCCESS): scenarios judge content afterwards, never by retrying.
 */
final class Collector {
    static final class Delivery {
        final MessageExt msg;
        final String consumer;
        final long atMs;

        Delivery(MessageExt msg, String consumer, long atMs) {
            this.msg = msg;
            this.consumer = consumer;
            this.atMs = atMs;
        }
    }

    private final String runId;
    final Map<Integer, List<Delivery>> byIdx = new ConcurrentHashMap<>();
    /** Deliveries of messages this run did not send (no idx, or another run's). */
    final List<Delivery> foreign = new CopyOnWriteArrayList<>();

    Collector(String runId) {
        this.runId = runId;
    }

    MessageListenerConcurrently listener(String consumerName) {
        return (List<MessageExt> msgs, ConsumeConcurrentlyContext ctx) -> {
            long now = System.currentTimeMillis();
            for (MessageExt m : msgs) {
                Delivery d = new Delivery(m, consumerName, now);
                String idx = m.getUserProperty(Content.IDX);
                if (idx == null || !runId.equals(m.getUserProperty(Content.RUN))) {
                    foreign.add(d);
                } else {
                    byIdx.computeIfAbsent(Integer.parseInt(idx), k -> new CopyOnWriteArrayList<>()).add(d);
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        };
    }

    Set<Integer> missing(Collection<Integer> idxs) {
        Set<Integer> m = new TreeSet<>();
        for (Integer i : idxs) {
            if (!byIdx.containsKey(i)) {
                m.add(i);
            }
        }
        return m;
    }

    /** Waits until every idx has arrived or timeoutMs passes, then graceMs more for late duplicates. */
    Set<Integer> await(Collection<Integer> idxs, long timeoutMs, long graceMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!missing(idxs).isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        Thread.sleep(graceMs);
        return missing(idxs);
    }

    int deliveries() {
        int n = 0;
        for (List<Delivery> l : byIdx.values()) {
            n += l.size();
        }
        return n;
    }

    List<Integer> duplicated(Collection<Integer> idxs) {
        List<Integer> d = new ArrayList<>();
        for (Integer i : idxs) {
            List<Delivery> l = byIdx.get(i);
            if (l != null && l.size() > 1) {
                d.add(i);
            }
        }
        return d;
    }
}
