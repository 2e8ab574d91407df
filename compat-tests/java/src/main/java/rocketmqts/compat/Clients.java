package rocketmqts.compat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.client.consumer.AllocateMessageQueueStrategy;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.client.log.ClientLogger;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageQueue;

/** Producers and consumers configured the same way in every scenario. */
final class Clients {
    /** Scenario clients poll routes often so a freshly auto-created topic is seen within a second, not 30 s. */
    static final int POLL_NAMESRV_INTERVAL_MS = 1000;
    static final int SEND_TIMEOUT_MS = 10_000;

    /** Written to the client log before a scenario's final shutdown; the harness files later WARN lines under shutdown. */
    static final String FINAL_SHUTDOWN_MARKER = "rocketmq-ts compat: final client shutdown";

    static void markFinalShutdown() {
        ClientLogger.getLog().info(FINAL_SHUTDOWN_MARKER);
    }

    static String unique(String prefix, String runId) {
        return prefix + "_" + runId;
    }

    static DefaultMQProducer producer(String namesrv, String group, int topicQueueNums) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(group);
        p.setNamesrvAddr(namesrv);
        p.setInstanceName("producer-" + group);
        p.setPollNameServerInterval(POLL_NAMESRV_INTERVAL_MS);
        p.setSendMsgTimeout(SEND_TIMEOUT_MS);
        // With autoCreateTopicEnable, a new topic gets min(this, TBW102's queue count) queues.
        p.setDefaultTopicQueueNums(topicQueueNums);
        // A failed send must fail the scenario, not hide behind a retry.
        p.setRetryTimesWhenSendFailed(0);
        p.setRetryTimesWhenSendAsyncFailed(0);
        p.start();
        return p;
    }

    /** A clustering push consumer from the first offset; call start() after registering the listener. */
    static DefaultMQPushConsumer pushConsumer(String namesrv, String group, String topic, String instance,
        AllocateMessageQueueStrategy allocation) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(namesrv);
        c.setInstanceName(instance);
        c.setPollNameServerInterval(POLL_NAMESRV_INTERVAL_MS);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setAllocateMessageQueueStrategy(allocation);
        c.subscribe(topic, "*");
        return c;
    }

    /**
     * Averaging allocation that remembers, per topic, what it last gave this consumer, so scenarios can
     * wait for a stable split. Per topic because a clustering consumer also rebalances its group's
     * %RETRY% topic through the same strategy.
     */
    static final class RecordingAllocation implements AllocateMessageQueueStrategy {
        private final AllocateMessageQueueAveragely delegate = new AllocateMessageQueueAveragely();
        private final Map<String, List<MessageQueue>> last = new ConcurrentHashMap<>();
        private final Map<String, Integer> consumersSeen = new ConcurrentHashMap<>();

        @Override
        public List<MessageQueue> allocate(String group, String currentCID, List<MessageQueue> mqAll, List<String> cidAll) {
            List<MessageQueue> r = delegate.allocate(group, currentCID, mqAll, cidAll);
            if (!mqAll.isEmpty()) {
                String topic = mqAll.get(0).getTopic();
                last.put(topic, new ArrayList<>(r));
                consumersSeen.put(topic, cidAll.size());
            }
            return r;
        }

        @Override
        public String getName() {
            return "RECORDING_AVG";
        }

        Set<Integer> queueIds(String topic) {
            Set<Integer> ids = new TreeSet<>();
            for (MessageQueue mq : last.getOrDefault(topic, List.of())) {
                ids.add(mq.getQueueId());
            }
            return ids;
        }

        int consumersSeen(String topic) {
            return consumersSeen.getOrDefault(topic, 0);
        }
    }

    private Clients() {
    }
}
