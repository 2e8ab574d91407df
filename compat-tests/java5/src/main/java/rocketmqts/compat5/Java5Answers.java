package rocketmqts.compat5;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.exception.MQBrokerException;
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
 * Answers a 5.x broker gives where a 4.9 broker says nothing. Uses 5.x-only client API (setDelayTimeMs,
 * setDeliverTimeMs, SendResult#getRecallHandle): run on a 5.x client only. The JVM loads this class only
 * when one of its scenarios runs, so the rest of the jar still runs on the 4.9.8 client.
 *
 * tx-id: SendResult.getTransactionId() of a transactional and of a plain send is the message's id (UNIQ_KEY).
 * timer: setDelayTimeMs / setDeliverTimeMs messages are delivered no earlier than due and within
 * precision + slack after; a delay beyond timerMaxDelaySec (argument) is refused with code 13 and the
 * remark printed as "REFUSED code=<c> remark=<r>".
 */
final class Java5Answers {
    static final int TX_MESSAGES = 3;
    /** The broker rounds up to its precision (1 s), then a pull round trip: generous, but catches "ignored the timer". */
    static final long LATE_SLACK_MS = 4_000;

    static Outcome transactionId(String namesrv) throws Exception {
        String run = Kit.newRunId();
        String topic = "J5TxId_" + run;
        Outcome out = new Outcome();
        TransactionMQProducer producer = new TransactionMQProducer("TPG_" + run);
        Kit.configure(producer, namesrv, "TPG_" + run, 0);
        producer.setTransactionListener(new TransactionListener() {
            @Override
            public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
                return LocalTransactionState.COMMIT_MESSAGE;
            }

            @Override
            public LocalTransactionState checkLocalTransaction(MessageExt msg) {
                return LocalTransactionState.COMMIT_MESSAGE;
            }
        });
        producer.start();
        DefaultMQPushConsumer consumer = null;
        try {
            DefaultMQProducer plain = Kit.producer(namesrv, "PG_" + run, 0);
            SendResult p = plain.send(Kit.message(topic, run, 100));
            plain.shutdown();
            check(out, "plain send", p.getSendStatus(), p.getMsgId(), p.getTransactionId());
            Inbox inbox = new Inbox(run);
            consumer = Kit.consumer(namesrv, "CG_" + run, topic, "c-" + run, "CLUSTERING", null);
            consumer.registerMessageListener(inbox.listener("c1"));
            consumer.start();
            Set<Integer> sent = new TreeSet<>();
            sent.add(100);
            for (int i = 0; i < TX_MESSAGES; i++) {
                TransactionSendResult r = producer.sendMessageInTransaction(Kit.message(topic, run, i), null);
                check(out, "transactional idx " + i, r.getSendStatus(), r.getMsgId(), r.getTransactionId());
                Main.info("idx " + i + " msgId " + r.getMsgId() + " transactionId " + r.getTransactionId());
                sent.add(i);
            }
            inbox.await(sent, Kit.CONSUME_TIMEOUT_MS, 500);
            out.problems(inbox.verify(topic, sent));
            return out.summary("transactionId == msgId on " + TX_MESSAGES + " transactional sends and a plain one; " + sent.size() + " consumed");
        } finally {
            if (consumer != null) {
                consumer.shutdown();
            }
            producer.shutdown();
        }
    }

    private static void check(Outcome out, String what, SendStatus status, String msgId, String transactionId) {
        if (status != SendStatus.SEND_OK) {
            out.problem(what + ": status " + status);
        }
        if (transactionId == null || !transactionId.equals(msgId)) {
            out.problem(what + ": transactionId " + transactionId + ", expected the msgId " + msgId);
        }
    }

    static Outcome timer(String namesrv, long maxDelaySec) throws Exception {
        String run = Kit.newRunId();
        String topic = "J5Timer_" + run;
        Outcome out = new Outcome();
        DefaultMQProducer producer = Kit.producer(namesrv, "PG_" + run, 0);
        DefaultMQPushConsumer consumer = null;
        Map<Integer, Long> dueMs = new ConcurrentHashMap<>();
        try {
            producer.send(Kit.message(topic, run, 100));
            Inbox inbox = new Inbox(run);
            consumer = Kit.consumer(namesrv, "CG_" + run, topic, "c-" + run, "CLUSTERING", null);
            consumer.registerMessageListener(inbox.listener("c1"));
            consumer.start();
            long[] delaysMs = {1_500, 2_300, 3_000};
            for (int i = 0; i < delaysMs.length; i++) {
                Message m = Kit.message(topic, run, i);
                long before = System.currentTimeMillis();
                if (i == 1) {
                    m.setDeliverTimeMs(before + delaysMs[i]);
                } else {
                    m.setDelayTimeMs(delaysMs[i]);
                }
                SendResult r = producer.send(m);
                dueMs.put(i, before + delaysMs[i]);
                if (r.getSendStatus() != SendStatus.SEND_OK) {
                    out.problem("idx " + i + ": status " + r.getSendStatus());
                }
                if (r.getRecallHandle() == null) {
                    out.problem("idx " + i + ": no recallHandle for a timer message");
                }
            }
            Message tooFar = Kit.message(topic, run, 50);
            tooFar.setDelayTimeMs(maxDelaySec * 1000 + 3_600_000);
            try {
                SendResult r = producer.send(tooFar);
                out.problem("delay beyond timerMaxDelaySec: expected a refusal, got " + r.getSendStatus());
            } catch (MQBrokerException e) {
                System.out.println("REFUSED code=" + e.getResponseCode() + " remark=" + e.getErrorMessage());
                if (e.getResponseCode() != 13) {
                    out.problem("delay beyond timerMaxDelaySec: code " + e.getResponseCode() + ", expected 13 (MESSAGE_ILLEGAL)");
                }
            }
            Set<Integer> all = new TreeSet<>(dueMs.keySet());
            all.add(100);
            inbox.await(all, Kit.CONSUME_TIMEOUT_MS, 500);
            out.problems(inbox.verify(topic, all));
            StringBuilder lateness = new StringBuilder();
            for (Map.Entry<Integer, Long> e : dueMs.entrySet()) {
                Inbox.Delivery d = inbox.byIdx.containsKey(e.getKey()) ? inbox.byIdx.get(e.getKey()).get(0) : null;
                if (d == null) {
                    continue;
                }
                long late = d.atMs - e.getValue();
                lateness.append(" idx ").append(e.getKey()).append(' ').append(late).append("ms");
                if (late < 0) {
                    out.problem("idx " + e.getKey() + " delivered " + (-late) + " ms before due");
                }
                if (late > LATE_SLACK_MS) {
                    out.problem("idx " + e.getKey() + " delivered " + late + " ms after due");
                }
                if (d.msg.getProperty("TIMER_OUT_MS") == null) {
                    out.problem("idx " + e.getKey() + " has no TIMER_OUT_MS");
                }
            }
            return out.summary("delivered after due by" + lateness);
        } finally {
            if (consumer != null) {
                consumer.shutdown();
            }
            producer.shutdown();
        }
    }

    private Java5Answers() {
    }
}
