package rocketmqts.compat5;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * orderly: per-order messages sent to one queue by a selector reach an orderly consumer in send order.
 * delay: messages with delay level 1 (1 s) arrive no earlier than that, on their own topic, intact.
 * retry: RECONSUME_LATER once brings each message back, reconsumeTimes 1, same id and content.
 * transaction: commit is delivered, rollback never, unknown is resolved by the broker's check-back (committed).
 */
final class FeatureScenarios {
    static final int ORDERS = 4;
    static final int STEPS = 10;
    static final int DELAY_LEVEL = 1;
    /** Level 1 is 1 s; allow for clock granularity and the scheduler's 100 ms poll on the early side. */
    static final long DELAY_MIN_MS = 800;
    static final int DELAY_MESSAGES = 5;
    static final int RETRY_MESSAGES = 5;
    static final int TX_MESSAGES = 6;
    /** Check-back: transactionTimeOut (6 s) must pass, then a check interval (5-10 s in the tests), then delivery. */
    static final long TX_CHECK_TIMEOUT_MS = 60_000;
    static final long ROLLBACK_GRACE_MS = 3000;

    static Outcome orderly(String namesrv) throws Exception {
        String run = Kit.newRunId();
        String topic = "J5Order_" + run;
        Outcome out = new Outcome();
        DefaultMQProducer producer = Kit.producer(namesrv, "PG_" + run, 0);
        DefaultMQPushConsumer consumer = null;
        Map<Integer, List<Integer>> stepsByOrder = new ConcurrentHashMap<>();
        Map<Integer, Set<Integer>> queuesByOrder = new ConcurrentHashMap<>();
        try {
            for (int order = 0; order < ORDERS; order++) {
                sendOrdered(producer, topic, run, order, 0, out);
            }
            Inbox inbox = new Inbox(run);
            consumer = Kit.consumer(namesrv, "CG_" + run, topic, "c-" + run, "CLUSTERING", null);
            consumer.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
                for (MessageExt m : msgs) {
                    if (inbox.record(m, "c1") != null) {
                        int order = Integer.parseInt(m.getUserProperty("order"));
                        stepsByOrder.computeIfAbsent(order, k -> new CopyOnWriteArrayList<>()).add(Integer.parseInt(m.getUserProperty("step")));
                        queuesByOrder.computeIfAbsent(order, k -> new TreeSet<>()).add(m.getQueueId());
                    }
                }
                return ConsumeOrderlyStatus.SUCCESS;
            });
            consumer.start();
            for (int step = 1; step < STEPS; step++) {
                for (int order = 0; order < ORDERS; order++) {
                    sendOrdered(producer, topic, run, order, step, out);
                }
            }
            Set<Integer> all = Kit.range(0, ORDERS * STEPS);
            inbox.await(all, Kit.CONSUME_TIMEOUT_MS, 500);
            out.problems(inbox.verify(topic, all));
            for (int order = 0; order < ORDERS; order++) {
                List<Integer> seen = new ArrayList<>();
                for (Integer s : stepsByOrder.getOrDefault(order, List.of())) {
                    if (!seen.contains(s)) {
                        seen.add(s);
                    }
                }
                List<Integer> expected = new ArrayList<>(Kit.range(0, STEPS));
                expected.sort(null);
                if (!seen.equals(expected)) {
                    out.problem("order " + order + " consumed steps " + stepsByOrder.get(order) + ", expected " + expected);
                }
                if (queuesByOrder.getOrDefault(order, Set.of()).size() != 1) {
                    out.problem("order " + order + " came from queues " + queuesByOrder.get(order));
                }
            }
            return out.summary(ORDERS + " orders x " + STEPS + " steps in order");
        } finally {
            if (consumer != null) {
                consumer.shutdown();
            }
            producer.shutdown();
        }
    }

    private static void sendOrdered(DefaultMQProducer p, String topic, String run, int order, int step, Outcome out) throws Exception {
        Message m = Kit.message(topic, run, order * STEPS + step);
        m.putUserProperty("order", String.valueOf(order));
        m.putUserProperty("step", String.valueOf(step));
        SendResult r = p.send(m, (mqs, msg, arg) -> mqs.get((Integer) arg % mqs.size()), order);
        out.problems(BasicScenarios.checkResult(r));
    }

    static Outcome delay(String namesrv) throws Exception {
        String run = Kit.newRunId();
        String topic = "J5Delay_" + run;
        Outcome out = new Outcome();
        DefaultMQProducer producer = Kit.producer(namesrv, "PG_" + run, 0);
        DefaultMQPushConsumer consumer = null;
        Map<Integer, Long> sentAtMs = new ConcurrentHashMap<>();
        try {
            producer.send(Kit.message(topic, run, 0));
            sentAtMs.put(0, System.currentTimeMillis());
            Inbox inbox = new Inbox(run);
            consumer = Kit.consumer(namesrv, "CG_" + run, topic, "c-" + run, "CLUSTERING", null);
            consumer.registerMessageListener(inbox.listener("c1"));
            consumer.start();
            inbox.await(Set.of(0), Kit.CONSUME_TIMEOUT_MS, 0); // consumer is up and pulling
            for (int i = 1; i <= DELAY_MESSAGES; i++) {
                Message m = Kit.message(topic, run, i);
                m.setDelayTimeLevel(DELAY_LEVEL);
                out.problems(BasicScenarios.checkResult(producer.send(m)));
                sentAtMs.put(i, System.currentTimeMillis());
            }
            Set<Integer> all = Kit.range(0, DELAY_MESSAGES + 1);
            inbox.await(all, Kit.CONSUME_TIMEOUT_MS, 200);
            out.problems(inbox.verify(topic, all));
            long minMs = Long.MAX_VALUE;
            for (int i = 1; i <= DELAY_MESSAGES; i++) {
                List<Inbox.Delivery> ds = inbox.byIdx.get(i);
                if (ds == null) {
                    continue;
                }
                long waited = ds.get(0).atMs - sentAtMs.get(i);
                minMs = Math.min(minMs, waited);
                if (waited < DELAY_MIN_MS) {
                    out.problem("idx " + i + " (delay level " + DELAY_LEVEL + ") delivered " + waited + " ms after send");
                }
            }
            return out.summary(DELAY_MESSAGES + " delayed messages, earliest after " + minMs + " ms");
        } finally {
            if (consumer != null) {
                consumer.shutdown();
            }
            producer.shutdown();
        }
    }

    static Outcome retry(String namesrv) throws Exception {
        String run = Kit.newRunId();
        String topic = "J5Retry_" + run;
        Outcome out = new Outcome();
        DefaultMQProducer producer = Kit.producer(namesrv, "PG_" + run, 0);
        DefaultMQPushConsumer consumer = null;
        try {
            producer.send(Kit.message(topic, run, 0));
            Inbox inbox = new Inbox(run);
            consumer = Kit.consumer(namesrv, "CG_" + run, topic, "c-" + run, "CLUSTERING", null);
            // First delivery of each message fails; the redelivery is acknowledged.
            consumer.registerMessageListener(inbox.listener("c1", d -> d.msg.getReconsumeTimes() == 0
                ? ConsumeConcurrentlyStatus.RECONSUME_LATER : ConsumeConcurrentlyStatus.CONSUME_SUCCESS));
            consumer.setConsumeMessageBatchMaxSize(1);
            consumer.start();
            for (int i = 1; i < RETRY_MESSAGES; i++) {
                out.problems(BasicScenarios.checkResult(producer.send(Kit.message(topic, run, i))));
            }
            Set<Integer> all = Kit.range(0, RETRY_MESSAGES);
            Kit.waitFor(() -> all.stream().allMatch(i -> inbox.byIdx.getOrDefault(i, List.of()).size() >= 2), Kit.CONSUME_TIMEOUT_MS);
            out.problems(inbox.verify(topic, all));
            for (Integer i : all) {
                List<Inbox.Delivery> ds = inbox.byIdx.getOrDefault(i, List.of());
                if (ds.size() < 2) {
                    out.problem("idx " + i + " delivered " + ds.size() + " time(s), expected a redelivery after RECONSUME_LATER");
                    continue;
                }
                MessageExt first = ds.get(0).msg;
                MessageExt again = ds.get(1).msg;
                // A broker redelivery comes from %RETRY%<group> and carries RETRY_TOPIC; when CONSUMER_SEND_MSG_BACK
                // fails the Java client re-runs the same object locally, which must not count as a pass.
                if (again == first || again.getProperty("RETRY_TOPIC") == null) {
                    out.problem("idx " + i + " was redelivered by the client itself, not through the broker's retry topic");
                }
                if (again.getReconsumeTimes() != 1) {
                    out.problem("idx " + i + " redelivery reconsumeTimes " + again.getReconsumeTimes() + ", expected 1");
                }
                if (!first.getMsgId().equals(again.getMsgId())) {
                    out.problem("idx " + i + " redelivered with msgId " + again.getMsgId() + ", first " + first.getMsgId());
                }
                out.problems(Kit.contentProblems(again, topic, run, i));
            }
            return out.summary(all.size() + " messages each redelivered once");
        } finally {
            if (consumer != null) {
                consumer.shutdown();
            }
            producer.shutdown();
        }
    }

    static Outcome transaction(String namesrv) throws Exception {
        String run = Kit.newRunId();
        String topic = "J5Tx_" + run;
        Outcome out = new Outcome();
        Set<Integer> checked = new TreeSet<>();
        TransactionMQProducer producer = new TransactionMQProducer("TPG_" + run);
        Kit.configure(producer, namesrv, "TPG_" + run, 0);
        producer.setTransactionListener(new TransactionListener() {
            @Override
            public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
                return decide(Integer.parseInt(msg.getUserProperty("idx")));
            }

            @Override
            public LocalTransactionState checkLocalTransaction(MessageExt msg) {
                synchronized (checked) {
                    checked.add(Integer.parseInt(msg.getUserProperty("idx")));
                }
                return LocalTransactionState.COMMIT_MESSAGE;
            }
        });
        producer.start();
        DefaultMQPushConsumer consumer = null;
        try {
            // A plain message creates the topic; transactional sends to an unknown topic would go to TBW102's route.
            DefaultMQProducer plain = Kit.producer(namesrv, "PG_" + run, 0);
            plain.send(Kit.message(topic, run, 100));
            plain.shutdown();
            Inbox inbox = new Inbox(run);
            consumer = Kit.consumer(namesrv, "CG_" + run, topic, "c-" + run, "CLUSTERING", null);
            consumer.registerMessageListener(inbox.listener("c1"));
            consumer.start();
            for (int i = 0; i < TX_MESSAGES; i++) {
                TransactionSendResult r = producer.sendMessageInTransaction(Kit.message(topic, run, i), null);
                // Only the status: the 5.3.3 client leaves TransactionSendResult.offsetMsgId null whatever the broker says.
                if (r.getSendStatus() != SendStatus.SEND_OK || r.getMsgId() == null) {
                    out.problem("idx " + i + " half message: status " + r.getSendStatus() + ", msgId " + r.getMsgId());
                }
                if (r.getLocalTransactionState() != decide(i)) {
                    out.problem("idx " + i + " local state " + r.getLocalTransactionState() + ", expected " + decide(i));
                }
            }
            Set<Integer> delivered = new TreeSet<>();
            Set<Integer> rolledBack = new TreeSet<>();
            Set<Integer> unknown = new TreeSet<>();
            for (int i = 0; i < TX_MESSAGES; i++) {
                LocalTransactionState s = decide(i);
                (s == LocalTransactionState.ROLLBACK_MESSAGE ? rolledBack : delivered).add(i);
                if (s == LocalTransactionState.UNKNOW) {
                    unknown.add(i);
                }
            }
            Main.info("sent " + TX_MESSAGES + " half messages; waiting for commits and check-backs of " + unknown);
            inbox.await(delivered, TX_CHECK_TIMEOUT_MS, ROLLBACK_GRACE_MS);
            out.problems(inbox.verify(topic, delivered));
            for (Integer i : rolledBack) {
                if (inbox.byIdx.containsKey(i)) {
                    out.problem("idx " + i + " was rolled back but consumed");
                }
            }
            synchronized (checked) {
                if (!checked.containsAll(unknown)) {
                    out.problem("check-back asked about " + checked + ", expected at least " + unknown);
                }
            }
            return out.summary("committed " + delivered + " delivered, rolled back " + rolledBack + " not; checked " + checked);
        } finally {
            if (consumer != null) {
                consumer.shutdown();
            }
            producer.shutdown();
        }
    }

    /** Local transaction outcome of idx: commit, rollback, unknown (resolved as commit by the check-back). */
    static LocalTransactionState decide(int idx) {
        switch (idx % 3) {
            case 0:
                return LocalTransactionState.COMMIT_MESSAGE;
            case 1:
                return LocalTransactionState.ROLLBACK_MESSAGE;
            default:
                return LocalTransactionState.UNKNOW;
        }
    }

    private FeatureScenarios() {
    }
}
