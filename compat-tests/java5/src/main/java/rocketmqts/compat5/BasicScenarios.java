package rocketmqts.compat5;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.consumer.AllocateMessageQueueStrategy;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * send-sync / send-async / send-batch: SEND_MESSAGES sent that way all come back SEND_OK with ids, and a
 * push consumer gets every one with body, tag, key and properties intact.
 * push-clustering: two consumers of one group split the queues (disjoint, both busy) and together consume all.
 * push-broadcasting: two consumers of one broadcasting group each consume every message.
 * tag-filter: a consumer subscribed to "TagA || TagC" gets the TagA messages and none of the TagB ones
 * (the broker filters by the subscription's tag hash codes, the client by tag text).
 * lite-pull: a DefaultLitePullConsumer (5.x sends LITE_PULL_MESSAGE 361 for it, 4.9.8 PULL_MESSAGE 11) polls
 * every message.
 */
final class BasicScenarios {
    enum Mode { SYNC, ASYNC, BATCH }

    static final int SEND_MESSAGES = 20;
    static final int BATCH_SIZE = 10;
    static final int GROUP_MESSAGES = 40;
    static final long DUPLICATE_GRACE_MS = 500;

    static Outcome send(String namesrv, Mode mode) throws Exception {
        String run = Kit.newRunId();
        String topic = "J5Send" + mode + "_" + run;
        Outcome out = new Outcome();
        DefaultMQProducer producer = Kit.producer(namesrv, "PG_" + run, 0);
        DefaultMQPushConsumer consumer = null;
        try {
            List<SendResult> results = sendAll(producer, Kit.messages(topic, run, 0, SEND_MESSAGES), mode, out);
            for (SendResult r : results) {
                out.problems(checkResult(r));
            }
            Inbox inbox = new Inbox(run);
            consumer = Kit.consumer(namesrv, "CG_" + run, topic, "c-" + run, "CLUSTERING", null);
            consumer.registerMessageListener(inbox.listener("c1"));
            consumer.start();
            Set<Integer> all = Kit.range(0, SEND_MESSAGES);
            inbox.await(all, Kit.CONSUME_TIMEOUT_MS, DUPLICATE_GRACE_MS);
            out.problems(inbox.verify(topic, all));
            return out.summary(results.size() + " sent " + mode + ", " + (all.size() - inbox.missing(all).size()) + " consumed");
        } finally {
            if (consumer != null) {
                consumer.shutdown();
            }
            producer.shutdown();
        }
    }

    static List<SendResult> sendAll(DefaultMQProducer p, List<Message> msgs, Mode mode, Outcome out) throws Exception {
        List<SendResult> results = new CopyOnWriteArrayList<>();
        switch (mode) {
            case SYNC:
                for (Message m : msgs) {
                    results.add(p.send(m));
                }
                break;
            case ASYNC: {
                CountDownLatch done = new CountDownLatch(msgs.size());
                for (Message m : msgs) {
                    p.send(m, new SendCallback() {
                        @Override
                        public void onSuccess(SendResult r) {
                            results.add(r);
                            done.countDown();
                        }

                        @Override
                        public void onException(Throwable e) {
                            out.problem("async send failed: " + Main.describe(e));
                            done.countDown();
                        }
                    });
                }
                if (!done.await(Kit.SEND_TIMEOUT_MS * 2L, TimeUnit.MILLISECONDS)) {
                    out.problem("async sends: " + done.getCount() + " callbacks never came");
                }
                break;
            }
            case BATCH:
                for (int i = 0; i < msgs.size(); i += BATCH_SIZE) {
                    SendResult r = p.send(new ArrayList<>(msgs.subList(i, Math.min(msgs.size(), i + BATCH_SIZE))));
                    // One result per batch; its msgId lists the batch's unique ids, comma-joined.
                    String[] ids = r.getMsgId() == null ? new String[0] : r.getMsgId().split(",");
                    if (ids.length != Math.min(BATCH_SIZE, msgs.size() - i)) {
                        out.problem("batch at " + i + ": msgId should list " + BATCH_SIZE + " ids, got " + r.getMsgId());
                    }
                    results.add(r);
                }
                break;
            default:
                throw new IllegalArgumentException(String.valueOf(mode));
        }
        return results;
    }

    static List<String> checkResult(SendResult r) {
        List<String> p = new ArrayList<>();
        if (r.getSendStatus() != SendStatus.SEND_OK) {
            p.add("send status " + r.getSendStatus() + " for " + r.getMsgId());
        }
        if (r.getMsgId() == null || r.getOffsetMsgId() == null || !r.getOffsetMsgId().matches("[0-9A-F]{32}(,[0-9A-F]{32})*")) {
            p.add("send result ids: msgId " + r.getMsgId() + ", offsetMsgId " + r.getOffsetMsgId());
        }
        if (r.getQueueOffset() < 0 || r.getMessageQueue() == null) {
            p.add("send result queue: " + r.getMessageQueue() + " offset " + r.getQueueOffset());
        }
        return p;
    }

    static Outcome clustering(String namesrv) throws Exception {
        String run = Kit.newRunId();
        String topic = "J5Cluster_" + run;
        Outcome out = new Outcome();
        DefaultMQProducer producer = Kit.producer(namesrv, "PG_" + run, 0);
        List<DefaultMQPushConsumer> consumers = new ArrayList<>();
        try {
            producer.send(Kit.message(topic, run, 0)); // creates the topic before consumers look up its route
            int queues = producer.fetchPublishMessageQueues(topic).size();
            Inbox inbox = new Inbox(run);
            List<Recording> allocs = new ArrayList<>();
            for (int i = 1; i <= 2; i++) {
                Recording alloc = new Recording();
                allocs.add(alloc);
                DefaultMQPushConsumer c = Kit.consumer(namesrv, "CG_" + run, topic, "c" + i + "-" + run, "CLUSTERING", alloc);
                c.registerMessageListener(inbox.listener("c" + i));
                c.start();
                consumers.add(c);
            }
            boolean split = Kit.waitFor(() -> {
                Set<MessageQueue> union = new HashSet<>();
                int total = 0;
                for (Recording a : allocs) {
                    if (a.last.isEmpty() || a.consumersSeen != 2) {
                        return false;
                    }
                    union.addAll(a.last);
                    total += a.last.size();
                }
                return union.size() == queues && total == queues;
            }, Kit.ALLOCATION_TIMEOUT_MS);
            if (!split) {
                return out.problem("2 consumers never split " + queues + " queues: " + allocs.get(0).last + " / " + allocs.get(1).last);
            }
            Main.info("queues split " + allocs.get(0).last.size() + "/" + allocs.get(1).last.size() + "; sending " + GROUP_MESSAGES);
            for (Message m : Kit.messages(topic, run, 1, GROUP_MESSAGES)) {
                out.problems(checkResult(producer.send(m)));
            }
            Set<Integer> all = Kit.range(0, GROUP_MESSAGES + 1);
            inbox.await(all, Kit.CONSUME_TIMEOUT_MS, DUPLICATE_GRACE_MS);
            out.problems(inbox.verify(topic, all));
            if (inbox.consumersOf(all).size() != 2) {
                out.problem("expected both consumers to consume, got " + inbox.consumersOf(all));
            }
            return out.summary(queues + " queues, 2 consumers, " + all.size() + " messages, " + inbox.duplicates(all) + " duplicates");
        } finally {
            for (DefaultMQPushConsumer c : consumers) {
                c.shutdown();
            }
            producer.shutdown();
        }
    }

    static Outcome broadcasting(String namesrv) throws Exception {
        String run = Kit.newRunId();
        String topic = "J5Bcast_" + run;
        Outcome out = new Outcome();
        DefaultMQProducer producer = Kit.producer(namesrv, "PG_" + run, 0);
        List<DefaultMQPushConsumer> consumers = new ArrayList<>();
        List<Inbox> inboxes = new ArrayList<>();
        try {
            producer.send(Kit.message(topic, run, 0));
            for (int i = 1; i <= 2; i++) {
                Inbox inbox = new Inbox(run);
                inboxes.add(inbox);
                DefaultMQPushConsumer c = Kit.consumer(namesrv, "CG_" + run, topic, "c" + i + "-" + run, "BROADCASTING", null);
                c.registerMessageListener(inbox.listener("c" + i));
                c.start();
                consumers.add(c);
            }
            for (Message m : Kit.messages(topic, run, 1, SEND_MESSAGES)) {
                out.problems(checkResult(producer.send(m)));
            }
            Set<Integer> all = Kit.range(0, SEND_MESSAGES + 1);
            for (int i = 0; i < inboxes.size(); i++) {
                inboxes.get(i).await(all, Kit.CONSUME_TIMEOUT_MS, 0);
                for (String p : inboxes.get(i).verify(topic, all)) {
                    out.problem("consumer c" + (i + 1) + ": " + p);
                }
            }
            Thread.sleep(DUPLICATE_GRACE_MS);
            return out.summary("2 broadcasting consumers x " + all.size() + " messages");
        } finally {
            for (DefaultMQPushConsumer c : consumers) {
                c.shutdown();
            }
            producer.shutdown();
        }
    }

    static Outcome tagFilter(String namesrv) throws Exception {
        String run = Kit.newRunId();
        String topic = "J5Tag_" + run;
        Outcome out = new Outcome();
        DefaultMQProducer producer = Kit.producer(namesrv, "PG_" + run, 0);
        DefaultMQPushConsumer consumer = null;
        try {
            Set<Integer> wanted = new HashSet<>();
            Set<Integer> unwanted = new HashSet<>();
            for (int i = 0; i < SEND_MESSAGES; i++) {
                Message m = Kit.message(topic, run, i);
                if (i % 2 == 1) {
                    m.setTags("TagB");
                    unwanted.add(i);
                } else {
                    wanted.add(i);
                }
                out.problems(checkResult(producer.send(m)));
            }
            Inbox inbox = new Inbox(run);
            consumer = Kit.consumer(namesrv, "CG_" + run, topic, "c-" + run, "CLUSTERING", null);
            consumer.subscribe(topic, "TagA || TagC");
            consumer.registerMessageListener(inbox.listener("c1"));
            consumer.start();
            inbox.await(wanted, Kit.CONSUME_TIMEOUT_MS, 2000);
            out.problems(inbox.verify(topic, wanted));
            Set<Integer> leaked = new java.util.TreeSet<>(unwanted);
            leaked.removeAll(inbox.missing(unwanted));
            if (!leaked.isEmpty()) {
                out.problem("TagB messages delivered to a TagA || TagC subscription: " + leaked);
            }
            return out.summary(wanted.size() + " TagA consumed, " + unwanted.size() + " TagB filtered");
        } finally {
            if (consumer != null) {
                consumer.shutdown();
            }
            producer.shutdown();
        }
    }

    static Outcome litePull(String namesrv) throws Exception {
        String run = Kit.newRunId();
        String topic = "J5Lite_" + run;
        Outcome out = new Outcome();
        DefaultMQProducer producer = Kit.producer(namesrv, "PG_" + run, 0);
        DefaultLitePullConsumer consumer = new DefaultLitePullConsumer("CG_" + run);
        try {
            for (Message m : Kit.messages(topic, run, 0, SEND_MESSAGES)) {
                out.problems(checkResult(producer.send(m)));
            }
            consumer.setNamesrvAddr(namesrv);
            consumer.setInstanceName("c-" + run);
            consumer.setPollNameServerInterval(Kit.POLL_NAMESRV_INTERVAL_MS);
            consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
            consumer.subscribe(topic, "*");
            consumer.start();
            Inbox inbox = new Inbox(run);
            Set<Integer> all = Kit.range(0, SEND_MESSAGES);
            long deadline = System.currentTimeMillis() + Kit.CONSUME_TIMEOUT_MS;
            while (!inbox.missing(all).isEmpty() && System.currentTimeMillis() < deadline) {
                for (MessageExt m : consumer.poll(1000)) {
                    inbox.record(m, "lite");
                }
            }
            out.problems(inbox.verify(topic, all));
            return out.summary((all.size() - inbox.missing(all).size()) + " of " + all.size() + " polled, " + inbox.duplicates(all) + " duplicates");
        } finally {
            consumer.shutdown();
            producer.shutdown();
        }
    }

    /** Averaging allocation that remembers what it last gave, so a scenario can wait for a settled split. */
    static final class Recording implements AllocateMessageQueueStrategy {
        private final AllocateMessageQueueAveragely delegate = new AllocateMessageQueueAveragely();
        volatile List<MessageQueue> last = new ArrayList<>();
        volatile int consumersSeen;

        @Override
        public List<MessageQueue> allocate(String group, String currentCID, List<MessageQueue> mqAll, List<String> cidAll) {
            List<MessageQueue> r = delegate.allocate(group, currentCID, mqAll, cidAll);
            // Called per subscribed topic; the group's own %RETRY% topic is not the one the scenarios watch.
            if (!mqAll.isEmpty() && !mqAll.get(0).getTopic().startsWith("%RETRY%")) {
                last = new ArrayList<>(r);
                consumersSeen = cidAll.size();
            }
            return r;
        }

        @Override
        public String getName() {
            return "RECORDING_AVG";
        }
    }

    private BasicScenarios() {
    }
}
