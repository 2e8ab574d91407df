package rocketmqts.compat5;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.RequestTimeoutException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.client.producer.RequestCallback;
import org.apache.rocketmq.client.utils.MessageUtil;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageAccessor;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * Request/reply ({@code DefaultMQProducer.request}) between clients of any kind, in two programs:
 *
 * <p>{@code reply-responder <topic> <label> <controlDir>}: creates the topic (4 queues), consumes it and
 * answers every request with {@code MessageUtil.createReplyMessage}, body {@code reply[<label>]:<body>|<reqKey>|q=<queueId>}
 * and user property {@code replyKey=r-<reqKey>}. Prints "INFO READY" once it owns the 4 queues; runs until
 * {@code <controlDir>/stop} exists. Requests with user property {@code mode}:
 * {@code no-reply-to} first sends a reply without REPLY_TO_CLIENT (the broker refuses it), then a normal
 * reply whose body is {@code no-reply-to:<the refusal>}; {@code gone} waits {@code delayMs} (the requester
 * gives up and shuts down meanwhile) and prints the refusal of its reply as "INFO REPLY-ERROR gone <text>".
 *
 * <p>{@code request-reply <topic>=<label>...}: for each responder, sync, async (RequestCallback), selector
 * (sync and async) requests with every reply checked (body, CORRELATION_ID and REPLY_TO_CLIENT as sent,
 * MSG_TYPE, the responder's user property, the queue the selector chose), the no-reply-to probe, and a gone
 * requester; prints "INFO PAIR <label> PASS|FAIL ..." per responder. With a target {@code timeout=<topic>}
 * (a topic nobody answers): the sync and async timeouts.
 */
final class RequestReplyScenarios {
    static final int QUEUES = 4;
    static final long REQUEST_TIMEOUT_MS = 10_000;
    static final long WARMUP_TIMEOUT_MS = 30_000;
    static final long NO_RESPONDER_TIMEOUT_MS = 2_000;
    static final long GONE_DELAY_MS = 2_500;
    static final int PER_STYLE = 3;
    static final long RESPONDER_LIFETIME_MS = 170_000;

    // ------------------------------------------------------------------ responder

    static Outcome responder(String namesrv, String topic, String label, String controlDir) throws Exception {
        Outcome out = new Outcome();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger replied = new AtomicInteger();
        DefaultMQProducer producer = Kit.producer(namesrv, "rr-responder-" + label, 2);
        DefaultMQPushConsumer consumer = null;
        try {
            Kit.createTopic(producer, topic, QUEUES, 1);
            consumer = Kit.consumer(namesrv, "rr-responder-" + label, topic, "c-" + label, "CLUSTERING", null);
            consumer.setConsumeThreadMin(8);
            consumer.registerMessageListener((MessageListenerConcurrently) (msgs, context) -> {
                for (MessageExt m : msgs) {
                    answer(producer, m, label, problems, replied);
                }
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            });
            consumer.start();
            DefaultMQPushConsumer c = consumer;
            if (!Kit.waitFor(() -> c.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().keySet().stream()
                .filter(mq -> mq.getTopic().equals(topic)).count() == QUEUES, Kit.ALLOCATION_TIMEOUT_MS)) {
                return out.problem("the responder never owned the " + QUEUES + " queues of " + topic);
            }
            Main.info("READY " + label + " " + topic);
            File stop = new File(controlDir, "stop");
            Kit.waitFor(stop::exists, RESPONDER_LIFETIME_MS);
        } finally {
            if (consumer != null) {
                consumer.shutdown();
            }
            producer.shutdown();
        }
        return out.problems(problems).summary("replied " + replied.get() + " request(s) on " + topic);
    }

    private static void answer(DefaultMQProducer producer, MessageExt req, String label, List<String> problems, AtomicInteger replied) {
        String at = "request " + req.getMsgId() + ": ";
        for (String p : new String[] {MessageConst.PROPERTY_CLUSTER, MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT,
            MessageConst.PROPERTY_CORRELATION_ID, MessageConst.PROPERTY_MESSAGE_TTL}) {
            if (req.getProperty(p) == null || req.getProperty(p).isEmpty()) {
                problems.add(at + "arrived without " + p);
            }
        }
        String mode = req.getUserProperty("mode");
        String reqKey = req.getUserProperty("reqKey");
        String body = new String(req.getBody(), StandardCharsets.UTF_8);
        try {
            if ("gone".equals(mode)) {
                Thread.sleep(Long.parseLong(req.getUserProperty("delayMs")));
                try {
                    producer.send(MessageUtil.createReplyMessage(req, "too late".getBytes(StandardCharsets.UTF_8)));
                    Main.info("REPLY-ERROR gone none");
                } catch (Exception e) {
                    Main.info("REPLY-ERROR gone " + brokerRefusal(e));
                }
                return;
            }
            String replyBody = "reply[" + label + "]:" + body + "|" + reqKey + "|q=" + req.getQueueId();
            if ("no-reply-to".equals(mode)) {
                Message bad = MessageUtil.createReplyMessage(req, "no reply-to".getBytes(StandardCharsets.UTF_8));
                MessageAccessor.clearProperty(bad, MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT);
                String refusal;
                try {
                    producer.send(bad);
                    refusal = "accepted";
                } catch (Exception e) {
                    refusal = brokerRefusal(e);
                }
                replyBody = "no-reply-to:" + refusal;
            }
            Message reply = MessageUtil.createReplyMessage(req, replyBody.getBytes(StandardCharsets.UTF_8));
            reply.putUserProperty("replyKey", "r-" + reqKey);
            producer.send(reply);
            replied.incrementAndGet();
        } catch (Exception e) {
            String refusal = brokerRefusal(e);
            if (refusal.contains("not found.")) {
                // The requester left first (a 5.3.x sync request that returned early, then the program ended).
                Main.info("REPLY-ERROR late " + refusal);
            } else {
                problems.add(at + "reply failed: " + Main.describe(e));
            }
        }
    }

    /** "CODE <n> <remark>" of the broker's refusal inside a send's exception (the client wraps it after its retries). */
    static String brokerRefusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof MQBrokerException) {
                MQBrokerException b = (MQBrokerException) t;
                return "CODE " + b.getResponseCode() + " " + b.getErrorMessage();
            }
        }
        return "no broker refusal: " + Main.describe(e);
    }

    // ------------------------------------------------------------------ requester

    static Outcome requester(String namesrv, List<String> targets) throws Exception {
        Outcome out = new Outcome();
        String run = Kit.newRunId();
        DefaultMQProducer producer = Kit.producer(namesrv, "rr-requester-" + run, 2);
        List<String> summary = new ArrayList<>();
        try {
            for (String target : targets) {
                String[] kv = target.split("=", 2);
                if (kv[0].equals("timeout")) {
                    List<String> p = timeouts(producer, kv[1]);
                    out.problems(p);
                    summary.add("timeouts " + (p.isEmpty() ? "ok" : "FAIL"));
                    continue;
                }
                List<String> p = pair(namesrv, producer, kv[0], kv[1], run);
                Main.info("PAIR " + kv[1] + " " + (p.isEmpty() ? "PASS" : "FAIL " + String.join("; ", p)));
                for (String x : p) {
                    out.problem(kv[1] + ": " + x);
                }
                summary.add(kv[1] + " " + (p.isEmpty() ? "ok" : "FAIL"));
            }
        } finally {
            producer.shutdown();
        }
        Main.info("SEND-ACK-CALLBACKS " + SEND_ACK_CALLBACKS.get());
        return out.summary(String.join(", ", summary));
    }

    /** Every request style against the responder `label` on `topic`; the problems found. */
    private static List<String> pair(String namesrv, DefaultMQProducer producer, String topic, String label, String run) throws Exception {
        List<String> problems = new ArrayList<>();
        String clientId = producer.buildMQClientId();
        // The responder may still be rebalancing: the first request waits longer (async: see sync() for why).
        Message warm = request(topic, run, "warm", 0);
        check(problems, "warm-up", warm, awaitAsync(producer, warm, null, 0, WARMUP_TIMEOUT_MS), label, clientId, -1);
        List<MessageQueue> mqs = producer.fetchPublishMessageQueues(topic);
        MessageQueueSelector byArg = (all, msg, arg) -> all.get((Integer) arg % all.size());
        int early = 0;
        for (int i = 0; i < PER_STYLE; i++) {
            Message m = request(topic, run, "sync", i);
            Message reply = sync(producer, m, null, 0, label, "sync #" + i);
            early += reply == null ? 1 : 0;
            if (reply != null) {
                check(problems, "sync #" + i, m, reply, label, clientId, -1);
            }
            Message sm = request(topic, run, "selector", i);
            Message sreply = sync(producer, sm, byArg, i, label, "selector #" + i);
            early += sreply == null ? 1 : 0;
            if (sreply != null) {
                check(problems, "selector #" + i, sm, sreply, label, clientId, mqs.get(i % mqs.size()).getQueueId());
            }
        }
        Map<Integer, Message> asyncReplies = new ConcurrentHashMap<>();
        Map<Integer, Message> asyncRequests = new ConcurrentHashMap<>();
        Map<Integer, Throwable> asyncErrors = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(2 * PER_STYLE);
        for (int i = 0; i < PER_STYLE; i++) {
            Message m = request(topic, run, "async", i);
            asyncRequests.put(i, m);
            producer.request(m, callback(i, asyncReplies, asyncErrors, done), REQUEST_TIMEOUT_MS);
            Message sm = request(topic, run, "selector-async", i);
            asyncRequests.put(PER_STYLE + i, sm);
            producer.request(sm, byArg, i, callback(PER_STYLE + i, asyncReplies, asyncErrors, done), REQUEST_TIMEOUT_MS);
        }
        if (!done.await(REQUEST_TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS)) {
            problems.add("async: only " + (2 * PER_STYLE - done.getCount()) + " of " + (2 * PER_STYLE) + " callbacks ran");
        }
        for (Map.Entry<Integer, Throwable> e : asyncErrors.entrySet()) {
            problems.add("async #" + e.getKey() + ": " + Main.describe(e.getValue()));
        }
        for (Map.Entry<Integer, Message> e : asyncReplies.entrySet()) {
            int i = e.getKey();
            boolean selected = i >= PER_STYLE;
            int expectQueue = selected ? mqs.get((i - PER_STYLE) % mqs.size()).getQueueId() : -1;
            check(problems, (selected ? "selector-async #" + (i - PER_STYLE) : "async #" + i), asyncRequests.get(i), e.getValue(), label, clientId, expectQueue);
        }
        Main.info("STYLES " + label + " sync=" + (2 * PER_STYLE - early) + "/" + (2 * PER_STYLE) + " early=" + early
            + " async=" + asyncReplies.size() + "/" + (2 * PER_STYLE));

        // The broker refuses a reply without REPLY_TO_CLIENT; the responder tells us what it answered.
        Message probe = request(topic, run, "probe", 0);
        probe.putUserProperty("mode", "no-reply-to");
        Message probeReply = awaitAsync(producer, probe, null, 0, REQUEST_TIMEOUT_MS);
        Main.info("NO-REPLY-TO " + label + " " + (probeReply == null ? "no reply" : new String(probeReply.getBody(), StandardCharsets.UTF_8)));

        // A requester that gives up and leaves: the responder's late reply is refused (it prints the remark).
        DefaultMQProducer gone = new DefaultMQProducer("rr-gone-" + run);
        Kit.configure(gone, namesrv, "rr-gone-" + run, 2);
        gone.setInstanceName("gone-" + label + "-" + run);
        gone.start();
        try {
            Message m = request(topic, run, "gone", 0);
            m.putUserProperty("mode", "gone");
            m.putUserProperty("delayMs", String.valueOf(GONE_DELAY_MS));
            Main.info("GONE-CLIENT " + label + " " + gone.buildMQClientId());
            // Sync: 4.9.8 gives up after exactly 1 s, 5.3.x at once (see sync()); an async request's timeout
            // waits for RequestFutureHolder's 1 s scan, which on a busy machine can come after the reply.
            try {
                gone.request(m, 1_000);
                problems.add("gone: a reply arrived before the responder's delay");
            } catch (RequestTimeoutException expected) {
                // the requester gives up, then shuts down below
            }
        } finally {
            gone.shutdown();
        }
        return problems;
    }

    /**
     * A sync request, or null when the client returned before the reply came. The 5.3.x clients count the
     * request's latch down as soon as the send succeeds (DefaultMQProducerImpl#request: acquireCountDownLatch,
     * apache/rocketmq#9319), so their sync request throws "... OK, but wait reply message timeout" at once
     * unless the reply beat the send's answer; 4.9.x waits for the reply.
     */
    private static Message sync(DefaultMQProducer producer, Message m, MessageQueueSelector selector, int arg, String label, String what) throws Exception {
        long start = System.currentTimeMillis();
        try {
            return selector == null ? producer.request(m, REQUEST_TIMEOUT_MS) : producer.request(m, selector, arg, REQUEST_TIMEOUT_MS);
        } catch (RequestTimeoutException e) {
            long took = System.currentTimeMillis() - start;
            if (took >= REQUEST_TIMEOUT_MS / 2) {
                throw e;
            }
            Main.info("SYNC-EARLY " + label + " " + what + " after " + took + " ms: " + e.getErrorMessage());
            return null;
        }
    }

    /** An async request (RequestCallback) awaited here: its reply, or null after a RequestTimeoutException. */
    private static Message awaitAsync(DefaultMQProducer producer, Message m, MessageQueueSelector selector, int arg, long timeoutMs) throws Exception {
        Map<Integer, Message> replies = new ConcurrentHashMap<>();
        Map<Integer, Throwable> errors = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(1);
        if (selector == null) {
            producer.request(m, callback(0, replies, errors, done), timeoutMs);
        } else {
            producer.request(m, selector, arg, callback(0, replies, errors, done), timeoutMs);
        }
        if (!done.await(timeoutMs + 5_000, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("request " + m.getUserProperty("reqKey") + ": no callback within " + (timeoutMs + 5_000) + " ms");
        }
        Throwable e = errors.get(0);
        if (e instanceof RequestTimeoutException) {
            return null;
        }
        if (e != null) {
            throw new IllegalStateException("request " + m.getUserProperty("reqKey") + " failed", e);
        }
        return replies.get(0);
    }

    /** Callbacks of the clients' send acknowledgement, onSuccess(null) (see callback()). */
    static final AtomicInteger SEND_ACK_CALLBACKS = new AtomicInteger();

    /**
     * The 4.9.8 and 5.3.x clients call onSuccess(null) once the request is sent (DefaultMQProducerImpl#request:
     * executeRequestCallback with no reply yet), then onSuccess(reply) or onException(timeout): only those count.
     */
    private static RequestCallback callback(int i, Map<Integer, Message> replies, Map<Integer, Throwable> errors, CountDownLatch done) {
        return new RequestCallback() {
            @Override
            public void onSuccess(Message message) {
                if (message == null) {
                    SEND_ACK_CALLBACKS.incrementAndGet();
                    return;
                }
                replies.put(i, message);
                done.countDown();
            }

            @Override
            public void onException(Throwable e) {
                errors.put(i, e);
                done.countDown();
            }
        };
    }

    static Message request(String topic, String run, String style, int i) {
        String reqKey = style + "-" + i + "-" + Kit.PROP_TEXT;
        Message m = new Message(topic, Kit.TAG, "RR-" + run + "-" + style + "-" + i,
            ("ask " + run + " " + style + " #" + i + " ünïcödé").getBytes(StandardCharsets.UTF_8));
        m.putUserProperty("reqKey", reqKey);
        return m;
    }

    /** A reply against its request: body, correlation, reply-to, type, the responder's property, the queue chosen. */
    static void check(List<String> problems, String what, Message req, Message reply, String label, String clientId, int expectQueue) {
        if (reply == null) {
            problems.add(what + ": no reply");
            return;
        }
        String reqKey = req.getUserProperty("reqKey");
        String body = new String(reply.getBody(), StandardCharsets.UTF_8);
        String expect = "reply[" + label + "]:" + new String(req.getBody(), StandardCharsets.UTF_8) + "|" + reqKey + "|q=";
        if (!body.startsWith(expect)) {
            problems.add(what + ": body '" + body + "', expected '" + expect + "<queue>'");
        } else if (expectQueue >= 0 && !body.equals(expect + expectQueue)) {
            problems.add(what + ": the selector chose queue " + expectQueue + " but the responder got '" + body.substring(expect.length() - 2) + "'");
        }
        String corr = req.getProperty(MessageConst.PROPERTY_CORRELATION_ID);
        if (corr == null || !corr.equals(reply.getProperty(MessageConst.PROPERTY_CORRELATION_ID))) {
            problems.add(what + ": CORRELATION_ID sent " + corr + ", reply has " + reply.getProperty(MessageConst.PROPERTY_CORRELATION_ID));
        }
        String replyTo = reply.getProperty(MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT);
        if (!clientId.equals(req.getProperty(MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT)) || !clientId.equals(replyTo)) {
            problems.add(what + ": REPLY_TO_CLIENT sent " + req.getProperty(MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT)
                + ", reply has " + replyTo + ", client id " + clientId);
        }
        if (!"reply".equals(reply.getProperty(MessageConst.PROPERTY_MESSAGE_TYPE))) {
            problems.add(what + ": MSG_TYPE " + reply.getProperty(MessageConst.PROPERTY_MESSAGE_TYPE));
        }
        if (!("r-" + reqKey).equals(reply.getUserProperty("replyKey"))) {
            problems.add(what + ": replyKey " + reply.getUserProperty("replyKey") + ", expected r-" + reqKey);
        }
        if (reply.getProperty(MessageConst.PROPERTY_PUSH_REPLY_TIME) == null) {
            problems.add(what + ": no PUSH_REPLY_TIME on the pushed reply");
        }
        if (reply.getTopic() == null || !reply.getTopic().endsWith("_REPLY_TOPIC")) {
            problems.add(what + ": reply topic " + reply.getTopic());
        }
    }

    /** No responder on `topic`: sync request times out in the caller, async by RequestFutureHolder's scan. */
    private static List<String> timeouts(DefaultMQProducer producer, String topic) throws Exception {
        List<String> problems = new ArrayList<>();
        Kit.createTopic(producer, topic, QUEUES, 1);
        try {
            producer.request(new Message(topic, "nobody answers".getBytes(StandardCharsets.UTF_8)), NO_RESPONDER_TIMEOUT_MS);
            problems.add("sync request to " + topic + " got a reply");
        } catch (RequestTimeoutException e) {
            Main.info("TIMEOUT sync " + e.getErrorMessage());
        }
        AtomicReference<Throwable> err = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        producer.request(new Message(topic, "nobody answers".getBytes(StandardCharsets.UTF_8)), new RequestCallback() {
            @Override
            public void onSuccess(Message message) {
                if (message == null) {
                    return; // the send's acknowledgement (see callback())
                }
                done.countDown();
            }

            @Override
            public void onException(Throwable e) {
                err.set(e);
                done.countDown();
            }
        }, NO_RESPONDER_TIMEOUT_MS);
        if (!done.await(NO_RESPONDER_TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS)) {
            problems.add("async request to " + topic + ": no callback");
        } else if (err.get() instanceof RequestTimeoutException) {
            Main.info("TIMEOUT async " + ((RequestTimeoutException) err.get()).getErrorMessage());
        } else {
            problems.add("async request to " + topic + ": " + (err.get() == null ? "got a reply" : Main.describe(err.get())));
        }
        return problems;
    }

    private RequestReplyScenarios() {
    }
}
