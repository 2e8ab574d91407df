package rocketmqts.spring;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.spring.annotation.ConsumeMode;
import org.apache.rocketmq.spring.annotation.RocketMQMessageListener;
import org.apache.rocketmq.spring.annotation.RocketMQTransactionListener;
import org.apache.rocketmq.spring.core.RocketMQListener;
import org.apache.rocketmq.spring.core.RocketMQLocalRequestCallback;
import org.apache.rocketmq.spring.core.RocketMQLocalTransactionListener;
import org.apache.rocketmq.spring.core.RocketMQLocalTransactionState;
import org.apache.rocketmq.spring.core.RocketMQReplyListener;
import org.apache.rocketmq.spring.core.RocketMQTemplate;
import org.apache.rocketmq.spring.support.RocketMQHeaders;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.stereotype.Component;

/**
 * {@code SpringScenario <namesrvAddr>}: one Spring Boot application with the rocketmq-spring-boot-starter.
 * RocketMQTemplate sends normal, orderly (syncSendOrderly), delayed (level 1 and syncSendDelayTimeMills) and
 * transactional messages and sendAndReceive requests; @RocketMQMessageListener beans consume them and the
 * content is checked. Prints one "CASE <name> PASS|FAIL <detail>" line per case, then the usual
 * "PASS|FAIL spring ..." verdict with "  - problem" lines (same format as compat-tests/java5).
 */
@SpringBootApplication
public class SpringScenario {
    static final String RUN = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    static final String TOPIC = "SpringT_" + RUN;
    static final String ORDER_TOPIC = "SpringO_" + RUN;
    static final String REPLY_TOPIC = "SpringR_" + RUN;
    static final String TEXT = " ünïcödé 中";
    static final long CONSUME_TIMEOUT_MS = 40_000;
    static final int ORDERS = 2;
    static final int STEPS = 5;
    /** Delay level 1 is 1 s; the timer rounds up to its 1 s precision, never down. */
    static final long DELAY_LEVEL_MIN_MS = 900;
    static final long DELAY_MS = 1_500;

    /** Every delivery by body text: the consumer that got it, when, and the message. */
    static final Map<String, List<MessageExt>> GOT = new ConcurrentHashMap<>();
    static final Map<String, Long> GOT_AT_MS = new ConcurrentHashMap<>();
    static final List<String> ORDERLY = new CopyOnWriteArrayList<>();
    static final Map<String, Set<Integer>> ORDER_QUEUES = new ConcurrentHashMap<>();

    static void record(MessageExt m) {
        String body = new String(m.getBody(), StandardCharsets.UTF_8);
        GOT.computeIfAbsent(body, k -> new CopyOnWriteArrayList<>()).add(m);
        GOT_AT_MS.putIfAbsent(body, System.currentTimeMillis());
    }

    @Component
    @RocketMQMessageListener(topic = "${compat.topic}", consumerGroup = "${compat.group}")
    public static class Listener implements RocketMQListener<MessageExt> {
        @Override
        public void onMessage(MessageExt m) {
            record(m);
        }
    }

    @Component
    @RocketMQMessageListener(topic = "${compat.orderTopic}", consumerGroup = "${compat.group}_order", consumeMode = ConsumeMode.ORDERLY)
    public static class OrderListener implements RocketMQListener<MessageExt> {
        @Override
        public void onMessage(MessageExt m) {
            record(m);
            String body = new String(m.getBody(), StandardCharsets.UTF_8);
            if (body.startsWith("order-")) {
                ORDERLY.add(body);
                ORDER_QUEUES.computeIfAbsent(body.split("-")[1], k -> ConcurrentHashMap.newKeySet()).add(m.getQueueId());
            }
        }
    }

    @Component
    @RocketMQMessageListener(topic = "${compat.replyTopic}", consumerGroup = "${compat.group}_reply")
    public static class ReplyListener implements RocketMQReplyListener<String, String> {
        @Override
        public String onMessage(String request) {
            return "pong:" + request;
        }
    }

    @RocketMQTransactionListener
    public static class TxListener implements RocketMQLocalTransactionListener {
        @Override
        public RocketMQLocalTransactionState executeLocalTransaction(org.springframework.messaging.Message msg, Object arg) {
            return RocketMQLocalTransactionState.COMMIT;
        }

        @Override
        public RocketMQLocalTransactionState checkLocalTransaction(org.springframework.messaging.Message msg) {
            return RocketMQLocalTransactionState.COMMIT;
        }
    }

    public static void main(String[] argv) throws Exception {
        String namesrv = argv[0];
        long started = System.currentTimeMillis();
        Map<String, List<String>> cases = new LinkedHashMap<>();
        int exit = 1;
        ConfigurableApplicationContext ctx = null;
        try {
            warm(namesrv);
            System.setProperty("compat.topic", TOPIC);
            System.setProperty("compat.orderTopic", ORDER_TOPIC);
            System.setProperty("compat.replyTopic", REPLY_TOPIC);
            System.setProperty("compat.group", "SpringCG_" + RUN);
            System.setProperty("rocketmq.name-server", namesrv);
            System.setProperty("rocketmq.producer.group", "SpringPG_" + RUN);
            System.setProperty("spring.main.banner-mode", "off");
            ctx = SpringApplication.run(SpringScenario.class);
            RocketMQTemplate template = ctx.getBean(RocketMQTemplate.class);
            // The listeners consume from the first offset of these new topics: the warm-up messages tell they are assigned.
            if (!waitFor(() -> GOT.containsKey("warm " + TOPIC) && GOT.containsKey("warm " + ORDER_TOPIC), CONSUME_TIMEOUT_MS)) {
                throw new IllegalStateException("listeners never received the warm-up messages; got " + GOT.keySet());
            }
            cases.put("normal", normal(template));
            cases.put("orderly", orderly(template));
            cases.put("delay", delayed(template));
            cases.put("transaction", transaction(template));
            cases.put("request-reply", requestReply(template));
            List<String> all = new ArrayList<>();
            for (Map.Entry<String, List<String>> c : cases.entrySet()) {
                System.out.println("CASE " + c.getKey() + " " + (c.getValue().isEmpty() ? "PASS" : "FAIL " + String.join("; ", c.getValue())));
                for (String p : c.getValue()) {
                    all.add(c.getKey() + ": " + p);
                }
            }
            long took = System.currentTimeMillis() - started;
            if (all.isEmpty()) {
                System.out.println("PASS spring [starter 2.3.5] in " + took + " ms: " + cases.keySet());
                exit = 0;
            } else {
                System.out.println("FAIL spring [starter 2.3.5] in " + took + " ms: " + all.size() + " problem(s)");
                for (String p : all) {
                    System.out.println("  - " + p);
                }
            }
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.out.println("FAIL spring [starter 2.3.5]: threw " + t);
        } finally {
            System.out.flush();
            if (ctx != null) {
                ctx.close();
            }
        }
        System.exit(exit);
    }

    /** One message to each topic before the listeners start: the topics exist (auto-created) and have routes. */
    static void warm(String namesrv) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer("SpringWarm_" + RUN);
        p.setNamesrvAddr(namesrv);
        p.setInstanceName("warm-" + RUN);
        p.setDefaultTopicQueueNums(4);
        p.start();
        try {
            for (String t : new String[] {TOPIC, ORDER_TOPIC, REPLY_TOPIC}) {
                p.send(new Message(t, ("warm " + t).getBytes(StandardCharsets.UTF_8)));
            }
        } finally {
            p.shutdown();
        }
    }

    static List<String> normal(RocketMQTemplate template) throws Exception {
        List<String> problems = new ArrayList<>();
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String body = "normal-" + i + TEXT;
            SendResult r = template.syncSend(TOPIC + ":TagN", MessageBuilder.withPayload(body).setHeader(RocketMQHeaders.KEYS, "key-" + i).build());
            if (r.getSendStatus() != SendStatus.SEND_OK) {
                problems.add(body + ": status " + r.getSendStatus());
            }
            bodies.add(body);
        }
        waitFor(() -> bodies.stream().allMatch(GOT::containsKey), CONSUME_TIMEOUT_MS);
        for (int i = 0; i < bodies.size(); i++) {
            List<MessageExt> got = GOT.get(bodies.get(i));
            if (got == null) {
                problems.add(bodies.get(i) + " never consumed");
                continue;
            }
            MessageExt m = got.get(0);
            if (!"TagN".equals(m.getTags()) || !("key-" + i).equals(m.getKeys()) || !TOPIC.equals(m.getTopic())) {
                problems.add(bodies.get(i) + ": tags " + m.getTags() + ", keys " + m.getKeys() + ", topic " + m.getTopic());
            }
        }
        return problems;
    }

    static List<String> orderly(RocketMQTemplate template) throws Exception {
        List<String> problems = new ArrayList<>();
        for (int step = 0; step < STEPS; step++) {
            for (int o = 0; o < ORDERS; o++) {
                SendResult r = template.syncSendOrderly(ORDER_TOPIC, "order-" + o + "-" + step, "hash-" + o);
                if (r.getSendStatus() != SendStatus.SEND_OK) {
                    problems.add("order " + o + " step " + step + ": status " + r.getSendStatus());
                }
            }
        }
        waitFor(() -> ORDERLY.size() >= ORDERS * STEPS, CONSUME_TIMEOUT_MS);
        for (int o = 0; o < ORDERS; o++) {
            List<Integer> steps = new ArrayList<>();
            for (String b : ORDERLY) {
                String[] parts = b.split("-");
                if (parts[1].equals(String.valueOf(o))) {
                    steps.add(Integer.parseInt(parts[2]));
                }
            }
            List<Integer> expected = new ArrayList<>();
            for (int s = 0; s < STEPS; s++) {
                expected.add(s);
            }
            if (!steps.equals(expected)) {
                problems.add("order " + o + " consumed steps " + steps + ", expected " + expected);
            }
            Set<Integer> queues = ORDER_QUEUES.get(String.valueOf(o));
            if (queues == null || queues.size() != 1) {
                problems.add("order " + o + " came from queues " + queues);
            }
        }
        return problems;
    }

    static List<String> delayed(RocketMQTemplate template) throws Exception {
        List<String> problems = new ArrayList<>();
        String level = "delay-level" + TEXT;
        String ms = "delay-ms" + TEXT;
        long t0 = System.currentTimeMillis();
        SendResult a = template.syncSend(TOPIC, MessageBuilder.withPayload(level).build(), 10_000, 1);
        long t1 = System.currentTimeMillis();
        SendResult b = template.syncSendDelayTimeMills(TOPIC, ms, DELAY_MS);
        for (SendResult r : new SendResult[] {a, b}) {
            if (r.getSendStatus() != SendStatus.SEND_OK) {
                problems.add("status " + r.getSendStatus());
            }
        }
        waitFor(() -> GOT.containsKey(level) && GOT.containsKey(ms), CONSUME_TIMEOUT_MS);
        Long atLevel = GOT_AT_MS.get(level);
        Long atMs = GOT_AT_MS.get(ms);
        if (atLevel == null || atMs == null) {
            problems.add("not consumed: level " + atLevel + ", ms " + atMs);
            return problems;
        }
        if (atLevel - t0 < DELAY_LEVEL_MIN_MS) {
            problems.add("delay level 1 delivered after " + (atLevel - t0) + " ms");
        }
        if (atMs - t1 < DELAY_MS) {
            problems.add("syncSendDelayTimeMills(" + DELAY_MS + ") delivered after " + (atMs - t1) + " ms");
        }
        System.out.println("INFO delay level 1 after " + (atLevel - t0) + " ms; delay " + DELAY_MS + " ms after " + (atMs - t1) + " ms");
        return problems;
    }

    static List<String> transaction(RocketMQTemplate template) throws Exception {
        List<String> problems = new ArrayList<>();
        String body = "tx-0" + TEXT;
        TransactionSendResult r = template.sendMessageInTransaction(TOPIC, MessageBuilder.withPayload(body).build(), null);
        if (r.getSendStatus() != SendStatus.SEND_OK || r.getLocalTransactionState() != LocalTransactionState.COMMIT_MESSAGE) {
            problems.add("status " + r.getSendStatus() + ", local state " + r.getLocalTransactionState());
        }
        if (r.getTransactionId() == null || !r.getTransactionId().equals(r.getMsgId())) {
            problems.add("transactionId " + r.getTransactionId() + ", msgId " + r.getMsgId());
        }
        waitFor(() -> GOT.containsKey(body), CONSUME_TIMEOUT_MS);
        if (!GOT.containsKey(body)) {
            problems.add("committed message never consumed");
        }
        return problems;
    }

    /**
     * Async sendAndReceive (RocketMQLocalRequestCallback) must bring the reply back intact. The sync form is
     * tried too, but the 5.3.x client under the starter counts a sync request's latch down as soon as the
     * request is stored (DefaultMQProducerImpl#request: acquireCountDownLatch, apache/rocketmq#9319), so it
     * throws "... OK, but wait reply message timeout" (10006) at once unless the reply beat the send's
     * answer: either outcome passes, anything else does not.
     */
    static List<String> requestReply(RocketMQTemplate template) throws InterruptedException {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String request = "ping-" + i + "-" + RUN + TEXT;
            java.util.concurrent.CompletableFuture<String> reply = new java.util.concurrent.CompletableFuture<>();
            template.sendAndReceive(REPLY_TOPIC, request, new RocketMQLocalRequestCallback<String>() {
                @Override
                public void onSuccess(String message) {
                    reply.complete(message);
                }

                @Override
                public void onException(Throwable e) {
                    reply.completeExceptionally(e);
                }
            }, 15_000);
            try {
                String got = reply.get(20, java.util.concurrent.TimeUnit.SECONDS);
                if (!("pong:" + request).equals(got)) {
                    problems.add("async reply " + got + ", expected pong:" + request);
                }
            } catch (Exception e) {
                problems.add("async sendAndReceive failed: " + e);
            }
        }
        String request = "ping-sync-" + RUN + TEXT;
        long startMs = System.currentTimeMillis();
        try {
            String got = template.sendAndReceive(REPLY_TOPIC, request, String.class, 15_000);
            if (!("pong:" + request).equals(got)) {
                problems.add("sync reply " + got + ", expected pong:" + request);
            }
            System.out.println("INFO sync sendAndReceive answered in " + (System.currentTimeMillis() - startMs) + " ms");
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            boolean earlyTimeout = cause instanceof org.apache.rocketmq.client.exception.RequestTimeoutException
                && ((org.apache.rocketmq.client.exception.RequestTimeoutException) cause).getResponseCode() == 10006
                && System.currentTimeMillis() - startMs < 5_000;
            if (!earlyTimeout) {
                problems.add("sync sendAndReceive threw " + e);
            }
            System.out.println("INFO sync sendAndReceive returned early after " + (System.currentTimeMillis() - startMs) + " ms (apache/rocketmq#9319): " + cause);
        }
        return problems;
    }

    static boolean waitFor(java.util.function.BooleanSupplier cond, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (cond.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return cond.getAsBoolean();
    }
}
