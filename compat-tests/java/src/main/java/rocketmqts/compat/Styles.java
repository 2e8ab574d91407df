package rocketmqts.compat;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.MessageSelector;
import org.apache.rocketmq.client.impl.MQClientAPIImpl;
import org.apache.rocketmq.client.impl.factory.MQClientInstance;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.heartbeat.MessageModel;

/** Helpers shared by the consumption-style scenarios: consumers configured one way, waiting, client internals. */
final class Styles {
    static final long CONSUME_TIMEOUT_MS = 40_000;
    static final long DUPLICATE_GRACE_MS = 1000;
    static final int RPC_TIMEOUT_MS = 5000;
    /** Heartbeat every second (30 s by default) so a test broker with a short channelExpiredTimeout keeps live members. */
    static final int HEARTBEAT_INTERVAL_MS = 1000;

    /** A push consumer (not started) with fast route polling; selector null means "*". */
    static DefaultMQPushConsumer push(String namesrv, String group, String topic, MessageSelector selector, String instance,
        MessageModel model, ConsumeFromWhere from) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(namesrv);
        c.setInstanceName(instance);
        c.setPollNameServerInterval(Clients.POLL_NAMESRV_INTERVAL_MS);
        c.setHeartbeatBrokerInterval(HEARTBEAT_INTERVAL_MS);
        c.setMessageModel(model);
        c.setConsumeFromWhere(from);
        if (selector == null) {
            c.subscribe(topic, "*");
        } else {
            c.subscribe(topic, selector);
        }
        return c;
    }

    /** Clients.producer's settings, plus a heartbeat every second (see HEARTBEAT_INTERVAL_MS). */
    static DefaultMQProducer producer(String namesrv, String group, int topicQueueNums) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(group);
        p.setNamesrvAddr(namesrv);
        p.setInstanceName("producer-" + group);
        p.setPollNameServerInterval(Clients.POLL_NAMESRV_INTERVAL_MS);
        p.setHeartbeatBrokerInterval(HEARTBEAT_INTERVAL_MS);
        p.setSendMsgTimeout(Clients.SEND_TIMEOUT_MS);
        p.setDefaultTopicQueueNums(topicQueueNums);
        p.setRetryTimesWhenSendFailed(0);
        p.setRetryTimesWhenSendAsyncFailed(0);
        p.start();
        return p;
    }

    static boolean waitFor(BooleanSupplier cond, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (cond.getAsBoolean()) {
                return true;
            }
            Thread.sleep(100);
        }
        return cond.getAsBoolean();
    }

    static List<Integer> idxs(Collection<Content> msgs) {
        List<Integer> out = new ArrayList<>();
        for (Content c : msgs) {
            out.add(c.idx);
        }
        return out;
    }

    /**
     * A pull consumer learns the broker's version from its first heartbeat, and refuses SQL92 pulls to a
     * broker of unknown (0) version; its first scheduled heartbeat may predate the route. Send one now.
     */
    static void heartbeatNow(DefaultMQPullConsumer c, String topic) {
        MQClientInstance f = c.getDefaultMQPullConsumerImpl().getRebalanceImpl().getmQClientFactory();
        f.updateTopicRouteInfoFromNameServer(topic);
        f.sendHeartbeatToAllBrokerWithLock();
    }

    static MQClientInstance factory(DefaultMQPushConsumer c) {
        return c.getDefaultMQPushConsumerImpl().getmQClientFactory();
    }

    static MQClientAPIImpl api(DefaultMQProducer p) {
        return p.getDefaultMQProducerImpl().getmQClientFactory().getMQClientAPIImpl();
    }

    static String brokerAddr(DefaultMQProducer p, String topic) throws Exception {
        MessageQueue mq = p.fetchPublishMessageQueues(topic).get(0);
        String addr = p.getDefaultMQProducerImpl().getmQClientFactory().findBrokerAddressInPublish(mq.getBrokerName());
        if (addr == null) {
            throw new IllegalStateException("no broker address for " + mq);
        }
        return addr;
    }

    /**
     * A crash as the broker sees it: the client's sockets close without UNREGISTER_CLIENT and without
     * persisting offsets; its threads keep running but every call fails.
     */
    static void crash(DefaultMQPushConsumer c) {
        factory(c).getMQClientAPIImpl().getRemotingClient().shutdown();
    }

    /**
     * A member that hangs: it stops heartbeating (and persisting offsets) and pulling, but keeps its
     * connection open, so only the broker's channel expiry can remove it from the group.
     */
    static void freeze(DefaultMQPushConsumer c) throws Exception {
        c.suspend();
        Field f = MQClientInstance.class.getDeclaredField("scheduledExecutorService");
        f.setAccessible(true);
        ((ScheduledExecutorService) f.get(factory(c))).shutdownNow();
    }

    private Styles() {
    }
}
