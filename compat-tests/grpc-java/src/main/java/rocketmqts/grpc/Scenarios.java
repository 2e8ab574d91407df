package rocketmqts.grpc;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.rocketmq.client.apis.ClientConfiguration;
import org.apache.rocketmq.client.apis.ClientException;
import org.apache.rocketmq.client.apis.ClientServiceProvider;
import org.apache.rocketmq.client.apis.consumer.ConsumeResult;
import org.apache.rocketmq.client.apis.consumer.FilterExpression;
import org.apache.rocketmq.client.apis.consumer.PushConsumer;
import org.apache.rocketmq.client.apis.consumer.SimpleConsumer;
import org.apache.rocketmq.client.apis.message.Message;
import org.apache.rocketmq.client.apis.message.MessageBuilder;
import org.apache.rocketmq.client.apis.message.MessageView;
import org.apache.rocketmq.client.apis.producer.Producer;
import org.apache.rocketmq.client.apis.producer.SendReceipt;
import org.apache.rocketmq.client.apis.producer.Transaction;
import org.apache.rocketmq.client.apis.producer.TransactionResolution;

/** The scenarios; each returns "key=value ..." facts on success and throws AssertionError on a failed check. */
final class Scenarios {
    private static final ClientServiceProvider PROVIDER = ClientServiceProvider.loadService();
    /** Long enough for a long poll (awaitDuration) plus a slow, shared machine. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration AWAIT = Duration.ofSeconds(3);
    /** The Apache proxy refuses a receive invisible duration under 10 s (minInvisibleTimeMillsForRecv). */
    private static final Duration RECEIVE_INVISIBLE = Duration.ofSeconds(15);

    private final String endpoint;

    Scenarios(String endpoint) {
        this.endpoint = endpoint;
    }

    static synchronized void print(String line) {
        System.out.println(line);
        System.out.flush();
    }

    /** Answers from the caller: "REPLY <key> <value>" lines on stdin, read by one daemon thread. */
    private static final Map<String, java.util.concurrent.CompletableFuture<String>> REPLIES = new ConcurrentHashMap<>();

    static {
        Thread reader = new Thread(() -> {
            try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    String[] parts = line.split(" ", 3);
                    if (parts.length >= 2 && parts[0].equals("REPLY")) {
                        reply(parts[1]).complete(parts.length > 2 ? parts[2] : "");
                    }
                }
            } catch (java.io.IOException e) {
                // stdin closed: no more answers
            }
        }, "stdin-replies");
        reader.setDaemon(true);
        reader.start();
    }

    private static java.util.concurrent.CompletableFuture<String> reply(String key) {
        return REPLIES.computeIfAbsent(key, k -> new java.util.concurrent.CompletableFuture<>());
    }

    /** Prints "ASK <key> <args>" and waits for the caller's "REPLY <key> <value>". */
    static String ask(String key, String args, Duration timeout) throws Exception {
        print("ASK " + key + " " + args);
        return reply(key).get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    String run(String name, String topic, String group) throws Exception {
        switch (name) {
            case "normal": return normal(topic, group);
            case "simple": return simple(topic, group);
            case "fifo": return fifo(topic, group);
            case "delay": return delay(topic, group);
            case "transaction": return transaction(topic, group);
            case "dlq": return dlq(topic, group);
            case "restart": return restart(topic, group);
            case "bench-send": return Bench.send(endpoint, topic);
            case "bench-receive": return Bench.receive(endpoint, topic, group);
            default: throw new IllegalArgumentException("unknown scenario " + name);
        }
    }

    private ClientConfiguration config() {
        return ClientConfiguration.newBuilder().setEndpoints(endpoint).enableSsl(false).setRequestTimeout(REQUEST_TIMEOUT).build();
    }

    private Producer producer(String topic) throws ClientException {
        return PROVIDER.newProducerBuilder().setClientConfiguration(config()).setTopics(topic).build();
    }

    private SimpleConsumer simpleConsumer(String topic, String group, FilterExpression filter) throws ClientException {
        return PROVIDER.newSimpleConsumerBuilder().setClientConfiguration(config()).setConsumerGroup(group)
            .setAwaitDuration(AWAIT).setSubscriptionExpressions(Collections.singletonMap(topic, filter)).build();
    }

    /** A message with every piece of content the suites check end to end. */
    private static MessageBuilder content(String topic, String id) {
        return PROVIDER.newMessageBuilder().setTopic(topic).setBody(("body-" + id + "-\u00e9\u4e2d").getBytes(StandardCharsets.UTF_8))
            .setTag("TagA").setKeys("key-" + id, "key2-" + id).addProperty("userProp", "v-" + id).addProperty("id", id);
    }

    /** Body, tag, keys and user properties as content() set them. */
    static void checkContent(MessageView v, String topic) {
        String id = v.getProperties().get("id");
        check(id != null, "no user property id on " + v.getMessageId() + ": " + v.getProperties());
        check(v.getTopic().equals(topic), "topic " + v.getTopic() + " != " + topic);
        check(Main.utf8(v.getBody()).equals("body-" + id + "-\u00e9\u4e2d"), "body " + Main.utf8(v.getBody()) + " of " + id);
        check(v.getTag().orElse("").equals("TagA"), "tag " + v.getTag() + " of " + id);
        check(new HashSet<>(v.getKeys()).equals(new HashSet<>(List.of("key-" + id, "key2-" + id))), "keys " + v.getKeys() + " of " + id);
        check(("v-" + id).equals(v.getProperties().get("userProp")), "userProp " + v.getProperties() + " of " + id);
        check(v.getBornTimestamp() > 0 && v.getBornTimestamp() <= System.currentTimeMillis(), "bornTimestamp " + v.getBornTimestamp());
        check(v.getDeliveryAttempt() >= 1, "deliveryAttempt " + v.getDeliveryAttempt());
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    /** Sends `count` messages with content(); returns id -> message id. */
    private static Map<String, String> sendContent(Producer p, String topic, String prefix, int count) throws ClientException {
        Map<String, String> sent = new HashMap<>();
        for (int i = 0; i < count; i++) {
            String id = prefix + i;
            SendReceipt r = p.send(content(topic, id).build());
            sent.put(id, r.getMessageId().toString());
        }
        return sent;
    }

    /** normal: send with tag, keys, properties; SimpleConsumer (tag filter) receives each once with the same content and message id; ack. */
    private String normal(String topic, String group) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        try (Producer p = producer(topic); SimpleConsumer c = simpleConsumer(topic, group, new FilterExpression("TagA"))) {
            Map<String, String> sent = sendContent(p, topic, "n" + run + "-", 5);
            // A message with another tag must be filtered out.
            p.send(PROVIDER.newMessageBuilder().setTopic(topic).setBody("other".getBytes(StandardCharsets.UTF_8)).setTag("TagB").build());
            Map<String, MessageView> got = new HashMap<>();
            long deadline = System.currentTimeMillis() + 30_000;
            while (got.size() < sent.size() && System.currentTimeMillis() < deadline) {
                for (MessageView v : c.receive(16, RECEIVE_INVISIBLE)) {
                    check(v.getTag().orElse("").equals("TagA"), "tag filter TagA let through " + v.getTag());
                    checkContent(v, topic);
                    String id = v.getProperties().get("id");
                    check(sent.get(id) != null && sent.get(id).equals(v.getMessageId().toString()),
                        "message id " + v.getMessageId() + " of " + id + " != sent " + sent.get(id));
                    check(!v.getMessageGroup().isPresent(), "normal message has a group " + v.getMessageGroup());
                    check(!v.getDeliveryTimestamp().isPresent(), "normal message has a delivery timestamp " + v.getDeliveryTimestamp());
                    got.put(id, v);
                    c.ack(v);
                }
            }
            check(got.size() == sent.size(), "received " + got.size() + " of " + sent.size() + ": " + got.keySet());
            return "sent=" + sent.size() + " received=" + got.size();
        }
    }

    /**
     * simple: receive 3 (invisible 15 s); ack two; change the third's invisible duration to 2 s: it comes
     * back after about 2 s (long before 15 s) with deliveryAttempt 2 and the same content; ack it. A receive
     * after the first invisible time has passed returns none of the acked messages.
     */
    private String simple(String topic, String group) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        try (Producer p = producer(topic); SimpleConsumer c = simpleConsumer(topic, group, FilterExpression.SUB_ALL)) {
            Map<String, String> sent = sendContent(p, topic, "s" + run + "-", 3);
            List<MessageView> first = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 30_000;
            while (first.size() < 3 && System.currentTimeMillis() < deadline) {
                first.addAll(c.receive(3 - first.size(), RECEIVE_INVISIBLE));
            }
            long receivedAt = System.currentTimeMillis();
            check(first.size() == 3, "first receive got " + first.size() + " of 3");
            for (MessageView v : first) {
                checkContent(v, topic);
                check(v.getDeliveryAttempt() == 1, "first delivery attempt " + v.getDeliveryAttempt());
            }
            c.ack(first.get(0));
            c.ack(first.get(1));
            MessageView third = first.get(2);
            long changedAt = System.currentTimeMillis();
            c.changeInvisibleDuration(third, Duration.ofSeconds(2));
            MessageView back = null;
            long backAt = 0;
            while (back == null && System.currentTimeMillis() < changedAt + 12_000) {
                for (MessageView v : c.receive(3, RECEIVE_INVISIBLE)) {
                    check(v.getMessageId().equals(third.getMessageId()), "an acked or unknown message came back: " + v.getProperties().get("id"));
                    back = v;
                    backAt = System.currentTimeMillis();
                }
            }
            check(back != null, "the message whose invisible duration was changed to 2 s did not come back within 12 s");
            long after = backAt - changedAt;
            check(after >= 1500, "came back " + after + " ms after changing the invisible duration to 2 s");
            check(back.getDeliveryAttempt() == 2, "came back with deliveryAttempt " + back.getDeliveryAttempt());
            checkContent(back, topic);
            c.ack(back);
            // Past the first receive's 15 s invisible time, nothing acked may come back.
            long wait = receivedAt + RECEIVE_INVISIBLE.toMillis() + 500 - System.currentTimeMillis();
            if (wait > 0) {
                Thread.sleep(wait);
            }
            List<MessageView> again = c.receive(3, RECEIVE_INVISIBLE);
            check(again.isEmpty(), "acked messages came back: " + again.size());
            return "received=3 backAfterMs=" + after + " attempt=" + back.getDeliveryAttempt() + " sent=" + sent.size();
        }
    }

    /**
     * fifo: 3 message groups x 8 messages; a PushConsumer (orderly group) sees each group's messages in
     * send order, and the one failed consumption (g0 seq 3) is redelivered before g0 seq 4.
     */
    private String fifo(String topic, String group) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        int groups = 3;
        int perGroup = 8;
        Map<String, List<String>> seen = new ConcurrentHashMap<>();
        Set<String> failedOnce = ConcurrentHashMap.newKeySet();
        List<String> problems = new CopyOnWriteArrayList<>();
        try (Producer p = producer(topic)) {
            // A message without a group is refused for a FIFO topic: the SDK checks it against the route's
            // accept_message_types (QueryRoute) before sending, the proxy checks it again on SendMessage.
            String refusal = "none";
            try {
                p.send(content(topic, "nogroup" + run).build());
            } catch (ClientException | IllegalArgumentException e) {
                refusal = e.getClass().getSimpleName();
            }
            check(!refusal.equals("none"), "a normal message to a FIFO topic was accepted");
            for (int i = 0; i < perGroup; i++) {
                for (int g = 0; g < groups; g++) {
                    String mg = "g" + g + "-" + run;
                    p.send(content(topic, mg + "-" + i).setMessageGroup(mg).addProperty("seq", String.valueOf(i)).build());
                }
            }
            PushConsumer pc = PROVIDER.newPushConsumerBuilder().setClientConfiguration(config()).setConsumerGroup(group)
                .setSubscriptionExpressions(Collections.singletonMap(topic, FilterExpression.SUB_ALL))
                .setConsumptionThreadCount(4)
                .setMessageListener(v -> {
                    try {
                        checkContent(v, topic);
                    } catch (AssertionError e) {
                        problems.add(e.getMessage());
                    }
                    String mg = v.getMessageGroup().orElse("?");
                    String seq = v.getProperties().get("seq");
                    if (!v.getProperties().get("id").equals(mg + "-" + seq)) {
                        problems.add("message group " + mg + " on " + v.getProperties().get("id"));
                    }
                    seen.computeIfAbsent(mg, k -> Collections.synchronizedList(new ArrayList<>())).add(seq);
                    if (mg.startsWith("g0-") && "3".equals(seq) && failedOnce.add(mg)) {
                        return ConsumeResult.FAILURE;
                    }
                    return ConsumeResult.SUCCESS;
                }).build();
            try {
                long deadline = System.currentTimeMillis() + 45_000;
                while (System.currentTimeMillis() < deadline && total(seen) < groups * perGroup + 1) {
                    Thread.sleep(100);
                }
                Thread.sleep(500);
            } finally {
                pc.close();
            }
            check(problems.isEmpty(), "content: " + problems);
            for (int g = 0; g < groups; g++) {
                String mg = "g" + g + "-" + run;
                List<String> want = new ArrayList<>();
                for (int i = 0; i < perGroup; i++) {
                    want.add(String.valueOf(i));
                    if (g == 0 && i == 3) {
                        want.add("3");
                    }
                }
                check(want.equals(seen.get(mg)), "group " + mg + " delivered " + seen.get(mg) + ", want " + want);
            }
            return "groups=" + groups + " perGroup=" + perGroup + " delivered=" + total(seen) + " refusal=" + refusal;
        }
    }

    private static int total(Map<String, List<String>> seen) {
        return seen.values().stream().mapToInt(List::size).sum();
    }

    /** delay: delivery timestamps now+3 s and now+5 s; each arrives no earlier and carries its timestamp. */
    private String delay(String topic, String group) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        try (Producer p = producer(topic); SimpleConsumer c = simpleConsumer(topic, group, FilterExpression.SUB_ALL)) {
            long now = System.currentTimeMillis();
            Map<String, Long> due = new HashMap<>();
            due.put("d" + run + "-0", now + 3_000);
            due.put("d" + run + "-1", now + 5_000);
            for (Map.Entry<String, Long> e : due.entrySet()) {
                p.send(content(topic, e.getKey()).setDeliveryTimestamp(e.getValue()).build());
            }
            Map<String, Long> early = new HashMap<>();
            Map<String, Long> arrived = new HashMap<>();
            long deadline = now + 30_000;
            while (arrived.size() < due.size() && System.currentTimeMillis() < deadline) {
                for (MessageView v : c.receive(4, RECEIVE_INVISIBLE)) {
                    long at = System.currentTimeMillis();
                    checkContent(v, topic);
                    String id = v.getProperties().get("id");
                    check(due.containsKey(id), "unexpected " + id);
                    check(v.getDeliveryTimestamp().orElse(-1L).equals(due.get(id)), "delivery timestamp " + v.getDeliveryTimestamp() + " != " + due.get(id));
                    if (at < due.get(id) - 200) {
                        early.put(id, due.get(id) - at);
                    }
                    arrived.put(id, at - due.get(id));
                    c.ack(v);
                }
            }
            check(arrived.size() == due.size(), "arrived " + arrived.keySet() + " of " + due.keySet());
            check(early.isEmpty(), "arrived early (ms before due): " + early);
            return "delayed=" + due.size() + " lateMs=" + arrived.values();
        }
    }

    /**
     * transaction: commit and rollback by the producer; two left open are resolved by the TransactionChecker
     * (check-back through the telemetry stream): one COMMIT, one ROLLBACK. Exactly the two committed arrive.
     */
    private String transaction(String topic, String group) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Map<String, Integer> checks = new ConcurrentHashMap<>();
        List<String> checkProblems = new CopyOnWriteArrayList<>();
        Producer p = PROVIDER.newProducerBuilder().setClientConfiguration(config()).setTopics(topic)
            .setTransactionChecker(v -> {
                String id = v.getProperties().getOrDefault("id", "?");
                checks.merge(id, 1, Integer::sum);
                try {
                    checkContent(v, topic);
                } catch (AssertionError e) {
                    checkProblems.add(e.getMessage());
                }
                if (id.endsWith("check-commit")) {
                    return TransactionResolution.COMMIT;
                }
                if (id.endsWith("check-rollback")) {
                    return TransactionResolution.ROLLBACK;
                }
                return TransactionResolution.UNKNOWN;
            }).build();
        try (p; SimpleConsumer c = simpleConsumer(topic, group, FilterExpression.SUB_ALL)) {
            String[] kinds = {"commit", "rollback", "check-commit", "check-rollback"};
            long started = System.currentTimeMillis();
            for (String kind : kinds) {
                Transaction tx = p.beginTransaction();
                p.send(content(topic, "t" + run + "-" + kind).build(), tx);
                if (kind.equals("commit")) {
                    tx.commit();
                } else if (kind.equals("rollback")) {
                    tx.rollback();
                }
            }
            Set<String> got = new HashSet<>();
            Map<String, Long> gotAfterMs = new HashMap<>();
            long deadline = started + 60_000;
            String cc = "t" + run + "-check-commit";
            String cr = "t" + run + "-check-rollback";
            // Until both commits arrived and the rollback check ran, then 2 s more for anything that should not come.
            long quietUntil = Long.MAX_VALUE;
            while (System.currentTimeMillis() < Math.min(deadline, quietUntil)) {
                for (MessageView v : c.receive(4, RECEIVE_INVISIBLE)) {
                    checkContent(v, topic);
                    String id = v.getProperties().get("id");
                    got.add(id);
                    gotAfterMs.put(id.substring(id.indexOf('-') + 1), System.currentTimeMillis() - started);
                    c.ack(v);
                }
                if (quietUntil == Long.MAX_VALUE && got.contains("t" + run + "-commit") && got.contains(cc) && checks.containsKey(cr)) {
                    quietUntil = System.currentTimeMillis() + 2_000;
                }
            }
            check(checkProblems.isEmpty(), "checker saw: " + checkProblems);
            check(checks.containsKey(cc), "no check-back for the open transaction to commit (checks: " + checks + ")");
            check(checks.containsKey(cr), "no check-back for the open transaction to roll back (checks: " + checks + ")");
            Set<String> want = new HashSet<>(List.of("t" + run + "-commit", cc));
            check(got.equals(want), "consumed " + got + ", want " + want);
            return "committed=2 rolledBack=2 checks=" + checks.size() + " arrivedMs=" + gotAfterMs;
        }
    }

    /**
     * dlq: the group allows 2 retries (retryMaxTimes 2: 3 delivery attempts); the listener fails every time.
     * Attempts 1, 2, 3 arrive (after the backoff), then no more: the caller reads %DLQ%group.
     */
    private String dlq(String topic, String group) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String id = "q" + run + "-0";
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        List<Long> at = new CopyOnWriteArrayList<>();
        List<String> problems = new CopyOnWriteArrayList<>();
        try (Producer p = producer(topic)) {
            String msgId = p.send(content(topic, id).build()).getMessageId().toString();
            PushConsumer pc = PROVIDER.newPushConsumerBuilder().setClientConfiguration(config()).setConsumerGroup(group)
                .setSubscriptionExpressions(Collections.singletonMap(topic, FilterExpression.SUB_ALL))
                .setMessageListener(v -> {
                    try {
                        checkContent(v, topic);
                        check(v.getMessageId().toString().equals(msgId), "message id " + v.getMessageId() + " != " + msgId);
                    } catch (AssertionError e) {
                        problems.add(e.getMessage());
                    }
                    attempts.add(v.getDeliveryAttempt());
                    at.add(System.currentTimeMillis());
                    return ConsumeResult.FAILURE;
                }).build();
            String dlqAnswer;
            try {
                long deadline = System.currentTimeMillis() + 40_000;
                while (attempts.size() < 3 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(100);
                }
                check(attempts.size() >= 3, "delivery attempts " + attempts + " within 40 s, want [1, 2, 3]");
                // The consumer keeps running (the Apache proxy moves the message when it would deliver attempt 4);
                // the caller reads %DLQ%group until the message is there and answers "found ..." or "missing ...".
                dlqAnswer = ask("dlq", group + " " + id, Duration.ofSeconds(90));
            } finally {
                pc.close();
            }
            check(problems.isEmpty(), "content: " + problems);
            check(attempts.equals(List.of(1, 2, 3)), "delivery attempts " + attempts + ", want [1, 2, 3]");
            check(dlqAnswer.startsWith("found"), "%DLQ%" + group + ": " + dlqAnswer);
            List<Long> gaps = new ArrayList<>();
            for (int i = 1; i < at.size(); i++) {
                gaps.add(at.get(i) - at.get(i - 1));
            }
            return "attempts=" + attempts.size() + " gapsMs=" + gaps + " msgId=" + msgId + " id=" + id + " dlq=" + dlqAnswer.replace(' ', '_');
        }
    }

    /**
     * restart: 60 messages; a PushConsumer (one thread, 100 ms per message, at most 4 cached, so most are
     * still on the server) asks the caller to restart the server after 15 (ASK restart), and consumes on; every message
     * still arrives (duplicates allowed), and 10 sent after the restart too (sends retried while the server
     * is down, as an application would).
     */
    private String restart(String topic, String group) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        int before = 60;
        int after = 10;
        Set<String> got = ConcurrentHashMap.newKeySet();
        List<String> problems = new CopyOnWriteArrayList<>();
        int[] deliveries = {0};
        try (Producer p = producer(topic)) {
            Map<String, String> sent = sendContent(p, topic, "r" + run + "-", before);
            PushConsumer pc = PROVIDER.newPushConsumerBuilder().setClientConfiguration(config()).setConsumerGroup(group)
                .setSubscriptionExpressions(Collections.singletonMap(topic, FilterExpression.SUB_ALL))
                .setConsumptionThreadCount(1)
                .setMaxCacheMessageCount(4)
                .setMessageListener(v -> {
                    try {
                        checkContent(v, topic);
                    } catch (AssertionError e) {
                        problems.add(e.getMessage());
                    }
                    synchronized (deliveries) {
                        deliveries[0]++;
                    }
                    got.add(v.getProperties().get("id"));
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return ConsumeResult.SUCCESS;
                }).build();
            try {
                long deadline = System.currentTimeMillis() + 30_000;
                while (got.size() < 15 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(20);
                }
                check(got.size() >= 15, "only " + got.size() + " consumed before the restart");
                int atRestart = got.size();
                String restarted = ask("restart", "consumed=" + atRestart, Duration.ofSeconds(120));
                check(restarted.startsWith("done"), "the caller could not restart the server: " + restarted);
                // The Apache proxy answers ReceiveMessage with INTERNAL for ~100 s after its restart (see the test file).
                deadline = System.currentTimeMillis() + 150_000;
                while (!got.containsAll(sent.keySet()) && System.currentTimeMillis() < deadline) {
                    Thread.sleep(100);
                }
                Set<String> missing = new HashSet<>(sent.keySet());
                missing.removeAll(got);
                check(missing.isEmpty(), "lost across the restart: " + missing.size() + " " + missing);
                Map<String, String> late = new HashMap<>();
                long sendDeadline = System.currentTimeMillis() + 60_000;
                int sendFailures = 0;
                for (int i = 0; i < after; i++) {
                    String id = "r" + run + "-after-" + i;
                    while (true) {
                        try {
                            late.put(id, p.send(content(topic, id).build()).getMessageId().toString());
                            break;
                        } catch (Exception e) {
                            // ClientException, or the channel's cached UNAVAILABLE (StatusRuntimeException) while
                            // grpc-java backs off reconnecting after the restart.
                            sendFailures++;
                            check(System.currentTimeMillis() < sendDeadline, "sends still failing 60 s after the restart: " + e);
                            Thread.sleep(500);
                        }
                    }
                }
                deadline = System.currentTimeMillis() + 30_000;
                while (!got.containsAll(late.keySet()) && System.currentTimeMillis() < deadline) {
                    Thread.sleep(100);
                }
                missing = new HashSet<>(late.keySet());
                missing.removeAll(got);
                check(missing.isEmpty(), "sent after the restart but not consumed: " + missing);
                check(problems.isEmpty(), "content: " + problems);
                return "sent=" + (before + after) + " consumed=" + got.size() + " deliveries=" + deliveries[0] + " beforeRestart=" + atRestart
                    + " sendFailures=" + sendFailures;
            } finally {
                pc.close();
            }
        }
    }
}
