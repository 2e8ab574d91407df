package rocketmqts.compat5;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyContext;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.message.MessageExt;

/** Every delivery of this run's messages, from any number of consumers, keyed by the "idx" property. */
final class Inbox {
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

    final String runId;
    final Map<Integer, List<Delivery>> byIdx = new ConcurrentHashMap<>();
    final List<MessageExt> foreign = new CopyOnWriteArrayList<>();

    Inbox(String runId) {
        this.runId = runId;
    }

    /** A listener that records and acknowledges every message. */
    MessageListenerConcurrently listener(String consumer) {
        return listener(consumer, d -> ConsumeConcurrentlyStatus.CONSUME_SUCCESS);
    }

    /** A listener that records every message and answers what decide says about it (one message per call). */
    MessageListenerConcurrently listener(String consumer, Function<Delivery, ConsumeConcurrentlyStatus> decide) {
        return (List<MessageExt> msgs, ConsumeConcurrentlyContext ctx) -> {
            ConsumeConcurrentlyStatus status = ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            for (MessageExt m : msgs) {
                Delivery d = record(m, consumer);
                if (d != null && decide.apply(d) == ConsumeConcurrentlyStatus.RECONSUME_LATER) {
                    status = ConsumeConcurrentlyStatus.RECONSUME_LATER;
                }
            }
            // Retry after delay level 1 (1 s) instead of the broker's 3 + reconsumeTimes (10 s and up): keeps scenarios short.
            ctx.setDelayLevelWhenNextConsume(1);
            return status;
        };
    }

    Delivery record(MessageExt m, String consumer) {
        String idx = m.getUserProperty("idx");
        if (idx == null || !runId.equals(m.getUserProperty("run"))) {
            foreign.add(m);
            return null;
        }
        Delivery d = new Delivery(m, consumer, System.currentTimeMillis());
        byIdx.computeIfAbsent(Integer.parseInt(idx), k -> new CopyOnWriteArrayList<>()).add(d);
        return d;
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

    /** Waits until every idx arrived (or timeoutMs), then graceMs more for duplicates; returns what is missing. */
    Set<Integer> await(Collection<Integer> idxs, long timeoutMs, long graceMs) throws InterruptedException {
        Kit.waitFor(() -> missing(idxs).isEmpty(), timeoutMs);
        Thread.sleep(graceMs);
        return missing(idxs);
    }

    Set<String> consumersOf(Collection<Integer> idxs) {
        Set<String> s = new HashSet<>();
        for (Integer i : idxs) {
            for (Delivery d : byIdx.getOrDefault(i, List.of())) {
                s.add(d.consumer);
            }
        }
        return s;
    }

    /** Content check of the first delivery of every idx, plus missing ones. */
    List<String> verify(String topic, Collection<Integer> idxs) {
        List<String> p = new ArrayList<>();
        Set<Integer> missing = missing(idxs);
        if (!missing.isEmpty()) {
            p.add("not consumed: " + missing.size() + " of " + idxs.size() + " " + abbreviate(missing));
        }
        for (Integer i : idxs) {
            List<Delivery> ds = byIdx.get(i);
            if (ds != null) {
                p.addAll(Kit.contentProblems(ds.get(0).msg, topic, runId, i));
            }
        }
        return p;
    }

    int duplicates(Collection<Integer> idxs) {
        int n = 0;
        for (Integer i : idxs) {
            n += Math.max(0, byIdx.getOrDefault(i, List.of()).size() - 1);
        }
        return n;
    }

    static String abbreviate(Collection<?> c) {
        String s = c.toString();
        return s.length() > 200 ? s.substring(0, 200) + "...]" : s;
    }
}
