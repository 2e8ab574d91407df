package rocketmqts.compat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.heartbeat.MessageModel;
import org.apache.rocketmq.common.sysflag.MessageSysFlag;

/**
 * large-bodies: with client-side compression and size check out of the way, a body of exactly
 * maxMessageSize (4 MiB) is stored and read back intact; one byte more is refused with MESSAGE_ILLEGAL.
 * compressed-bodies: bodies of at least the producer's 4 KiB threshold are sent compressed, stored with the
 * COMPRESSED sysFlag and delivered so the consumer inflates them; unicode in bodies, keys, tags and
 * property values survives.
 */
final class BodyScenarios {
    static final int MAX_MESSAGE_SIZE = 4 * 1024 * 1024;
    static final int MESSAGE_ILLEGAL = 13;

    static Outcome largeBodies(String namesrv) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatLarge", runId);
        Outcome out = new Outcome();
        DefaultMQProducer producer = Styles.producer(namesrv, Clients.unique("PG", runId), 1);
        producer.shutdown();
        // Only the broker's limit should apply: no client-side size check, no compression.
        producer = new DefaultMQProducer(Clients.unique("PGL", runId));
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName("large-" + runId);
        producer.setMaxMessageSize(2 * MAX_MESSAGE_SIZE);
        producer.setCompressMsgBodyOverHowmuch(Integer.MAX_VALUE);
        producer.setSendMsgTimeout(30_000);
        producer.setRetryTimesWhenSendFailed(0);
        producer.setHeartbeatBrokerInterval(Styles.HEARTBEAT_INTERVAL_MS);
        producer.setDefaultTopicQueueNums(1);
        producer.start();
        DefaultMQPullConsumer pull = new DefaultMQPullConsumer(Clients.unique("CGL", runId));
        pull.setNamesrvAddr(namesrv);
        pull.setInstanceName("large-pull-" + runId);
        pull.setHeartbeatBrokerInterval(Styles.HEARTBEAT_INTERVAL_MS);
        try {
            producer.send(new Message(topic, "small", "k", "create the topic".getBytes(StandardCharsets.UTF_8)));
            byte[] max = new byte[MAX_MESSAGE_SIZE];
            new Random(42).nextBytes(max);
            Message big = new Message(topic, "大", "big-key", max);
            big.putUserProperty("size", "4MiB ✓");
            SendResult ok = producer.send(big);
            if (ok.getSendStatus() != SendStatus.SEND_OK) {
                out.problem("4 MiB body: expected SEND_OK, got " + ok);
            }
            byte[] over = Arrays.copyOf(max, MAX_MESSAGE_SIZE + 1);
            try {
                SendResult r = producer.send(new Message(topic, "big", over));
                out.problem("4 MiB + 1 body: expected MQBrokerException MESSAGE_ILLEGAL, got " + r);
            } catch (MQBrokerException e) {
                Content.expectEq(out.problems, "4 MiB + 1 body: response code", MESSAGE_ILLEGAL, e.getResponseCode());
                Scenarios.info("4 MiB + 1 refused: " + e.getErrorMessage());
            }
            pull.start();
            MessageQueue mq = ok.getMessageQueue();
            PullResult r = pull.pull(mq, "*", ok.getQueueOffset(), 1);
            if (r.getPullStatus() != PullStatus.FOUND || r.getMsgFoundList().size() != 1) {
                out.problem("pulling the 4 MiB message: expected FOUND with one message, got " + r);
            } else {
                MessageExt m = r.getMsgFoundList().get(0);
                if (!Arrays.equals(max, m.getBody())) {
                    out.problem("4 MiB body read back differs: " + Content.describeBody(m.getBody()));
                }
                Content.expectEq(out.problems, "4 MiB message tags", "大", m.getTags());
                Content.expectEq(out.problems, "4 MiB message property", "4MiB ✓", m.getUserProperty("size"));
                Content.expectEq(out.problems, "4 MiB message stored uncompressed", 0, m.getSysFlag() & MessageSysFlag.COMPRESSED_FLAG);
            }
            // Nothing else landed in the queue: the refused message was not stored.
            PullResult next = pull.pull(mq, "*", ok.getQueueOffset() + 1, 1);
            Content.expectEq(out.problems, "after the refused message", PullStatus.NO_NEW_MSG, next.getPullStatus());
            return out.summary("4 MiB stored and read back; 4 MiB + 1 refused");
        } finally {
            pull.shutdown();
            producer.shutdown();
        }
    }

    static Outcome compressedBodies(String namesrv) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatZip", runId);
        Outcome out = new Outcome();
        DefaultMQProducer producer = Styles.producer(namesrv, Clients.unique("PG", runId), 2);
        DefaultMQPushConsumer consumer = null;
        try {
            int[] sizes = {4095, 4096, 64 * 1024, 1024 * 1024, MAX_MESSAGE_SIZE};
            Map<String, byte[]> bodies = new ConcurrentHashMap<>();
            for (int i = 0; i < sizes.length; i++) {
                StringBuilder sb = new StringBuilder();
                while (sb.length() < sizes[i]) {
                    sb.append("压缩 ünïcødé 😀 line ").append(sb.length()).append('\n');
                }
                byte[] b = Arrays.copyOf(sb.toString().getBytes(StandardCharsets.UTF_8), sizes[i]);
                // Cut on a byte boundary is fine: the body is bytes, compared as bytes.
                String key = "zip-" + i;
                bodies.put(key, b);
                Message m = new Message(topic, "标签-" + i, key + " 鍵", b);
                m.putUserProperty("run", runId);
                m.putUserProperty("key", key);
                m.putUserProperty("note", "値 ✓ " + i);
                SendResult r = producer.send(m);
                if (r.getSendStatus() != SendStatus.SEND_OK) {
                    out.problem(key + ": expected SEND_OK, got " + r);
                }
            }
            Map<String, List<MessageExt>> got = new ConcurrentHashMap<>();
            consumer = Styles.push(namesrv, Clients.unique("CGZ", runId), topic, null, "zip-" + runId, MessageModel.CLUSTERING,
                ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
            consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                for (MessageExt m : msgs) {
                    if (runId.equals(m.getUserProperty("run"))) {
                        got.computeIfAbsent(m.getUserProperty("key"), k -> new ArrayList<>()).add(m);
                    }
                }
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            });
            consumer.start();
            Styles.waitFor(() -> got.keySet().containsAll(bodies.keySet()), Styles.CONSUME_TIMEOUT_MS);
            for (int i = 0; i < sizes.length; i++) {
                String key = "zip-" + i;
                List<MessageExt> ms = got.get(key);
                if (ms == null) {
                    out.problem(key + " (" + sizes[i] + " bytes) never delivered");
                    continue;
                }
                MessageExt m = ms.get(0);
                if (!Arrays.equals(bodies.get(key), m.getBody())) {
                    out.problem(key + ": body differs: expected " + Content.describeBody(bodies.get(key)) + ", got " + Content.describeBody(m.getBody()));
                }
                boolean compressed = (m.getSysFlag() & MessageSysFlag.COMPRESSED_FLAG) != 0;
                Content.expectEq(out.problems, key + " (" + sizes[i] + " bytes) stored with COMPRESSED sysFlag", sizes[i] >= Content.COMPRESS_THRESHOLD_BYTES, compressed);
                Content.expectEq(out.problems, key + " tags", "标签-" + i, m.getTags());
                Content.expectEq(out.problems, key + " keys", key + " 鍵", m.getKeys());
                Content.expectEq(out.problems, key + " property", "値 ✓ " + i, m.getUserProperty("note"));
            }
            return out.summary(sizes.length + " bodies of " + Arrays.toString(sizes) + " bytes round-tripped");
        } finally {
            if (consumer != null) {
                consumer.shutdown();
            }
            producer.shutdown();
        }
    }

    private BodyScenarios() {
    }
}
