package rocketmqts.compat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageClientIDSetter;

/**
 * send-sync / send-async / send-oneway / send-batch: send MESSAGES_PER_RUN messages one way, then a push
 * consumer in a new group reads the topic from the first offset; every message must arrive once with its
 * body, tags, keys and user properties intact, where the send result said (msgId, offsetMsgId, queue, offset).
 */
final class SendScenarios {
    enum Mode { SYNC, ASYNC, ONEWAY, BATCH }

    static final int MESSAGES_PER_RUN = 32;
    static final int BATCH_SIZE = 8;
    static final int TOPIC_QUEUES = 4;
    static final long SEND_ALL_TIMEOUT_MS = 30_000;
    static final long CONSUME_TIMEOUT_MS = 30_000;
    /** Time to wait after the last expected delivery for duplicates. */
    static final long DUPLICATE_GRACE_MS = 1000;

    static Outcome run(String namesrv, Mode mode) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatSend" + mode, runId);
        List<Content> expected = Content.range(runId, 0, MESSAGES_PER_RUN);
        Map<Integer, Sent> sent = new ConcurrentHashMap<>();
        Outcome out = new Outcome();
        DefaultMQProducer producer = Clients.producer(namesrv, Clients.unique("PG", runId), TOPIC_QUEUES);
        DefaultMQPushConsumer consumer = null;
        try {
            Scenarios.info("topic " + topic + ": sending " + expected.size() + " messages " + mode);
            out.problems(send(producer, topic, expected, mode, sent));
            Collector collector = new Collector(runId);
            consumer = Clients.pushConsumer(namesrv, Clients.unique("CG", runId), topic, "consumer-" + runId,
                new Clients.RecordingAllocation());
            consumer.registerMessageListener(collector.listener("c1"));
            consumer.start();
            List<Integer> idxs = new ArrayList<>();
            expected.forEach(e -> idxs.add(e.idx));
            collector.await(idxs, CONSUME_TIMEOUT_MS, DUPLICATE_GRACE_MS);
            Verify.Report r = Verify.delivery(topic, expected, sent, collector, true);
            return out.problems(r.problems).summary(mode + " " + r.summary(expected.size()));
        } finally {
            Clients.markFinalShutdown();
            if (consumer != null) {
                consumer.shutdown();
            }
            producer.shutdown();
        }
    }

    private static List<String> send(DefaultMQProducer producer, String topic, List<Content> msgs, Mode mode,
        Map<Integer, Sent> sent) throws Exception {
        switch (mode) {
            case SYNC:
                return sendSync(producer, topic, msgs, sent);
            case ASYNC:
                return sendAsync(producer, topic, msgs, sent);
            case ONEWAY:
                return sendOneway(producer, topic, msgs, sent);
            default:
                return sendBatches(producer, topic, msgs, sent);
        }
    }

    static List<String> sendSync(DefaultMQProducer producer, String topic, List<Content> msgs, Map<Integer, Sent> sent)
        throws Exception {
        List<String> problems = new ArrayList<>();
        for (Content c : msgs) {
            long at = System.currentTimeMillis();
            SendResult r = producer.send(c.toMessage(topic));
            if (r.getSendStatus() != SendStatus.SEND_OK) {
                problems.add("idx=" + c.idx + " sync send: expected SEND_OK, got " + r);
            }
            sent.put(c.idx, Sent.of(r, at));
        }
        return problems;
    }

    private static List<String> sendAsync(DefaultMQProducer producer, String topic, List<Content> msgs,
        Map<Integer, Sent> sent) throws Exception {
        List<String> problems = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(msgs.size());
        for (Content c : msgs) {
            long at = System.currentTimeMillis();
            producer.send(c.toMessage(topic), new SendCallback() {
                @Override
                public void onSuccess(SendResult r) {
                    if (r.getSendStatus() != SendStatus.SEND_OK) {
                        problems.add("idx=" + c.idx + " async send: expected SEND_OK, got " + r);
                    }
                    sent.put(c.idx, Sent.of(r, at));
                    done.countDown();
                }

                @Override
                public void onException(Throwable e) {
                    problems.add("idx=" + c.idx + " async send failed: " + Scenarios.describe(e));
                    done.countDown();
                }
            });
        }
        if (!done.await(SEND_ALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            problems.add("async send: " + done.getCount() + " callbacks never called within " + SEND_ALL_TIMEOUT_MS + " ms");
        }
        return problems;
    }

    private static List<String> sendOneway(DefaultMQProducer producer, String topic, List<Content> msgs,
        Map<Integer, Sent> sent) throws Exception {
        for (Content c : msgs) {
            Message m = c.toMessage(topic);
            producer.sendOneway(m);
            // The client sets UNIQ_KEY on the message before sending it, so even one-way sends have a msgId.
            sent.put(c.idx, new Sent(MessageClientIDSetter.getUniqID(m), null, -1, -1, System.currentTimeMillis()));
        }
        return new ArrayList<>();
    }

    private static List<String> sendBatches(DefaultMQProducer producer, String topic, List<Content> msgs,
        Map<Integer, Sent> sent) throws Exception {
        List<String> problems = new ArrayList<>();
        for (int from = 0; from < msgs.size(); from += BATCH_SIZE) {
            List<Content> batch = msgs.subList(from, Math.min(from + BATCH_SIZE, msgs.size()));
            List<Message> ms = new ArrayList<>();
            batch.forEach(c -> ms.add(c.toMessage(topic)));
            long at = System.currentTimeMillis();
            SendResult r = producer.send(ms);
            if (r.getSendStatus() != SendStatus.SEND_OK) {
                problems.add("batch from idx=" + batch.get(0).idx + ": expected SEND_OK, got " + r);
            }
            // A batch's SendResult carries comma-joined ids and the first message's queue offset.
            String[] uniq = r.getMsgId() == null ? new String[0] : r.getMsgId().split(",");
            String[] offs = r.getOffsetMsgId() == null ? new String[0] : r.getOffsetMsgId().split(",");
            if (uniq.length != batch.size() || offs.length != batch.size()) {
                problems.add("batch from idx=" + batch.get(0).idx + ": expected " + batch.size()
                    + " msgIds and offsetMsgIds in SendResult, got " + uniq.length + " and " + offs.length + ": " + r);
                continue;
            }
            for (int i = 0; i < batch.size(); i++) {
                sent.put(batch.get(i).idx, new Sent(uniq[i], offs[i], r.getMessageQueue().getQueueId(),
                    r.getQueueOffset() + i, at));
            }
        }
        return problems;
    }

    private SendScenarios() {
    }
}
