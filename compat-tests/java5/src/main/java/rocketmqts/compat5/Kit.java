package rocketmqts.compat5;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.rocketmq.client.consumer.AllocateMessageQueueStrategy;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.MQVersion;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * Clients configured the same way in every scenario, the message content every scenario sends, and the
 * checks on what comes back. Touches only API present in both the 4.9.8 and the 5.3.3 client.
 */
final class Kit {
    /** Routes polled every second so a freshly created topic or a dead broker is seen quickly, not after 30 s. */
    static final int POLL_NAMESRV_INTERVAL_MS = 1000;
    static final int SEND_TIMEOUT_MS = 10_000;
    static final long ROUTE_TIMEOUT_MS = 45_000;
    static final long CONSUME_TIMEOUT_MS = 40_000;
    static final long ALLOCATION_TIMEOUT_MS = 30_000;
    static final String TAG = "TagA";
    /** A property with a non-ASCII value: catches property-string and header encoding mangling. */
    static final String PROP_TEXT = "värde ü 中";

    static String clientVersion() {
        return MQVersion.getVersionDesc(MQVersion.CURRENT_VERSION);
    }

    static String newRunId() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    static DefaultMQProducer producer(String namesrv, String group, int retries) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(group);
        configure(p, namesrv, group, retries);
        p.start();
        return p;
    }

    static void configure(DefaultMQProducer p, String namesrv, String group, int retries) {
        p.setNamesrvAddr(namesrv);
        p.setInstanceName("p-" + group);
        p.setPollNameServerInterval(POLL_NAMESRV_INTERVAL_MS);
        p.setSendMsgTimeout(SEND_TIMEOUT_MS);
        p.setDefaultTopicQueueNums(4);
        p.setRetryTimesWhenSendFailed(retries);
        p.setRetryTimesWhenSendAsyncFailed(retries);
    }

    /** A push consumer from the first offset, model CLUSTERING or BROADCASTING; start() after the listener. */
    static DefaultMQPushConsumer consumer(String namesrv, String group, String topic, String instance, String model,
        AllocateMessageQueueStrategy allocation) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(namesrv);
        c.setInstanceName(instance);
        c.setPollNameServerInterval(POLL_NAMESRV_INTERVAL_MS);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setAllocateMessageQueueStrategy(allocation != null ? allocation : new AllocateMessageQueueAveragely());
        setMessageModel(c, model);
        c.subscribe(topic, "*");
        return c;
    }

    /** MessageModel moved from common.protocol.heartbeat (4.x) to remoting.protocol.heartbeat (5.x): set it by name. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static void setMessageModel(DefaultMQPushConsumer c, String model) throws Exception {
        for (Method m : DefaultMQPushConsumer.class.getMethods()) {
            if (m.getName().equals("setMessageModel") && m.getParameterCount() == 1) {
                Class<? extends Enum> type = (Class<? extends Enum>) m.getParameterTypes()[0];
                m.invoke(c, Enum.valueOf(type, model));
                return;
            }
        }
        throw new IllegalStateException("no setMessageModel");
    }

    static boolean waitFor(BooleanSupplier cond, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (cond.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return cond.getAsBoolean();
    }

    /** Message idx of run runId: body, tag, key and properties all derived from idx so a delivery can be checked alone. */
    static Message message(String topic, String runId, int idx) {
        Message m = new Message(topic, TAG, "K-" + runId + "-" + idx, body(runId, idx));
        m.putUserProperty("run", runId);
        m.putUserProperty("idx", String.valueOf(idx));
        m.putUserProperty("text", PROP_TEXT);
        return m;
    }

    static byte[] body(String runId, int idx) {
        return ("body " + runId + " #" + idx + " ünïcödé").getBytes(StandardCharsets.UTF_8);
    }

    static List<Message> messages(String topic, String runId, int from, int count) {
        List<Message> l = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            l.add(message(topic, runId, i));
        }
        return l;
    }

    /** Differences between a delivered message and what idx should look like; empty if it matches. */
    static List<String> contentProblems(MessageExt m, String topic, String runId, int idx) {
        List<String> p = new ArrayList<>();
        String at = "idx " + idx + ": ";
        if (!topic.equals(m.getTopic())) {
            p.add(at + "topic expected " + topic + ", got " + m.getTopic());
        }
        String body = new String(m.getBody(), StandardCharsets.UTF_8);
        if (!body.equals(new String(body(runId, idx), StandardCharsets.UTF_8))) {
            p.add(at + "body got '" + body + "'");
        }
        if (!TAG.equals(m.getTags())) {
            p.add(at + "tag expected " + TAG + ", got " + m.getTags());
        }
        if (!("K-" + runId + "-" + idx).equals(m.getKeys())) {
            p.add(at + "keys got " + m.getKeys());
        }
        if (!PROP_TEXT.equals(m.getUserProperty("text"))) {
            p.add(at + "property text got " + m.getUserProperty("text"));
        }
        if (m.getMsgId() == null || m.getMsgId().isEmpty()) {
            p.add(at + "no msgId");
        }
        return p;
    }

    static Set<Integer> range(int from, int count) {
        Set<Integer> s = new HashSet<>();
        for (int i = from; i < from + count; i++) {
            s.add(i);
        }
        return s;
    }

    /** Creates topic with queues per broker on every broker serving TBW102, and waits for the route to show all. */
    static List<MessageQueue> createTopic(DefaultMQProducer p, String topic, int queuesPerBroker, int brokers) throws Exception {
        createTopicOnBrokers(p, "TBW102", topic, queuesPerBroker);
        List<MessageQueue> mqs = new ArrayList<>();
        boolean ok = waitFor(() -> {
            try {
                mqs.clear();
                mqs.addAll(p.fetchPublishMessageQueues(topic));
                return mqs.size() >= queuesPerBroker * brokers;
            } catch (Exception e) {
                return false;
            }
        }, ROUTE_TIMEOUT_MS);
        if (!ok) {
            throw new IllegalStateException("route of " + topic + " never showed " + brokers + " x " + queuesPerBroker + " queues: " + mqs);
        }
        return mqs;
    }

    /** 4.9.8 has createTopic(key, topic, queues); 5.x only the overloads with an attributes map: call whichever exists. */
    static void createTopicOnBrokers(DefaultMQProducer p, String key, String topic, int queues) throws Exception {
        for (Method m : DefaultMQProducer.class.getMethods()) {
            Class<?>[] t = m.getParameterTypes();
            if (!m.getName().equals("createTopic")) {
                continue;
            }
            if (t.length == 3 && t[2] == int.class) {
                m.invoke(p, key, topic, queues);
                return;
            }
            if (t.length == 4 && t[2] == int.class && t[3] == java.util.Map.class) {
                m.invoke(p, key, topic, queues, new java.util.HashMap<String, String>());
                return;
            }
        }
        throw new IllegalStateException("no createTopic(key, topic, queues) on this client");
    }

    static Set<String> brokerNames(List<MessageQueue> mqs) {
        Set<String> s = new HashSet<>();
        for (MessageQueue mq : mqs) {
            s.add(mq.getBrokerName());
        }
        return s;
    }

    private Kit() {
    }
}
