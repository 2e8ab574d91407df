package rocketmqts.compat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntPredicate;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.MessageSelector;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.heartbeat.MessageModel;

/**
 * filter-tags: groups subscribed with `*`, `TagA || TagB`, a unicode tag and a mix each receive exactly
 * the messages whose tag matches.
 * filter-sql92 (broker with enablePropertyFilter=true): groups subscribed with MessageSelector.bySql each
 * receive exactly the matching subset, through push and pull consumers; a malformed expression is refused
 * with SUBSCRIPTION_PARSE_FAILED at consumer start (CHECK_CLIENT_CONFIG) and on pull.
 * filter-sql92-disabled (broker without it): SQL92 is refused, not ignored.
 */
final class FilterScenarios {
    static final int QUEUES = 4;
    static final int MESSAGES = 60;
    static final int SUBSCRIPTION_PARSE_FAILED = 23;
    static final int SYSTEM_ERROR = 1;

    static Outcome tags(String namesrv) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatTags", runId);
        Map<Integer, Sent> sent = new ConcurrentHashMap<>();
        Outcome out = new Outcome();
        DefaultMQProducer producer = Styles.producer(namesrv, Clients.unique("PG", runId), QUEUES);
        List<DefaultMQPushConsumer> consumers = new ArrayList<>();
        try {
            List<Content> all = Content.range(runId, 0, MESSAGES);
            out.problems(SendScenarios.sendSync(producer, topic, all, sent));
            Map<String, List<Content>> expected = new LinkedHashMap<>();
            for (String sub : new String[] {"*", "TagA || TagB", "标签-ü", "TagC || 标签-ü", "NoSuchTag"}) {
                List<Content> want = new ArrayList<>();
                Set<String> tags = new TreeSet<>(Arrays.asList(sub.split("\\s*\\|\\|\\s*")));
                for (Content c : all) {
                    if (sub.equals("*") || tags.contains(c.tags)) {
                        want.add(c);
                    }
                }
                expected.put(sub, want);
            }
            Map<String, Collector> collectors = new LinkedHashMap<>();
            int g = 0;
            for (String sub : expected.keySet()) {
                Collector c = new Collector(runId);
                collectors.put(sub, c);
                DefaultMQPushConsumer pc = Styles.push(namesrv, Clients.unique("CGT" + g, runId), topic, MessageSelector.byTag(sub),
                    "tags" + g + "-" + runId, MessageModel.CLUSTERING, ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
                pc.registerMessageListener(c.listener("g" + g));
                pc.start();
                consumers.add(pc);
                g++;
            }
            StringBuilder summary = new StringBuilder();
            for (Map.Entry<String, List<Content>> e : expected.entrySet()) {
                Collector c = collectors.get(e.getKey());
                c.await(Styles.idxs(e.getValue()), Styles.CONSUME_TIMEOUT_MS, 0);
            }
            Thread.sleep(2000); // time for wrong deliveries to show up, if any
            for (Map.Entry<String, List<Content>> e : expected.entrySet()) {
                Collector c = collectors.get(e.getKey());
                Verify.Report r = Verify.delivery(topic, e.getValue(), sent, c, true);
                for (String p : r.problems) {
                    out.problem("subscription '" + e.getKey() + "': " + p);
                }
                Set<Integer> extra = new TreeSet<>(c.byIdx.keySet());
                extra.removeAll(Styles.idxs(e.getValue()));
                for (Integer idx : extra) {
                    out.problem("subscription '" + e.getKey() + "': idx=" + idx + " with tag '" + Content.of(runId, idx).tags + "' delivered");
                }
                summary.append("'").append(e.getKey()).append("': ").append(e.getValue().size()).append("; ");
            }
            return out.summary(summary.toString().trim());
        } finally {
            for (DefaultMQPushConsumer c : consumers) {
                c.shutdown();
            }
            producer.shutdown();
        }
    }

    /** The properties each SQL92 message carries, derived from its index; some lack "color". */
    static Message sqlMessage(String topic, String runId, int i) throws Exception {
        Message m = new Message(topic, i % 4 == 0 ? "TagA" : "TagB", "k" + i, ("sql " + i + " ✓ ünï").getBytes("UTF-8"));
        m.putUserProperty("run", runId);
        m.putUserProperty("idx", Integer.toString(i));
        m.putUserProperty("n", Integer.toString(i));
        m.putUserProperty("price", Double.toString(i * 1.5));
        m.putUserProperty("flag", i % 2 == 0 ? "true" : "false");
        if (i % 7 != 0) {
            m.putUserProperty("color", new String[] {"red", "green", "blue"}[i % 3]);
        }
        if (i % 5 == 0) {
            m.putUserProperty("city", "Zürich 東京");
        }
        return m;
    }

    static String color(int i) {
        return i % 7 == 0 ? null : new String[] {"red", "green", "blue"}[i % 3];
    }

    /** Expression and the same predicate written in Java (a missing property makes a comparison unknown). */
    static Map<String, IntPredicate> sqlCases() {
        Map<String, IntPredicate> m = new LinkedHashMap<>();
        m.put("n BETWEEN 10 AND 29 AND color = 'red'", i -> i >= 10 && i <= 29 && "red".equals(color(i)));
        m.put("color IN ('green', 'blue') OR n > 55", i -> (color(i) != null && !color(i).equals("red")) || i > 55);
        m.put("color IS NULL", i -> color(i) == null);
        m.put("NOT (color = 'red') AND price >= 30.0", i -> color(i) != null && !color(i).equals("red") && i * 1.5 >= 30.0);
        m.put("TAGS = 'TagA' AND flag = TRUE", i -> i % 4 == 0 && i % 2 == 0);
        m.put("city = 'Zürich 東京' OR (n < 3 AND color IS NOT NULL)", i -> i % 5 == 0 || (i < 3 && color(i) != null));
        m.put("n NOT BETWEEN 5 AND 50 AND NOT (TAGS IN ('TagA'))", i -> (i < 5 || i > 50) && i % 4 != 0);
        return m;
    }

    static Outcome sql92(String namesrv, boolean javaBroker) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatSql", runId);
        Outcome out = new Outcome();
        DefaultMQProducer producer = Styles.producer(namesrv, Clients.unique("PG", runId), QUEUES);
        List<DefaultMQPushConsumer> consumers = new ArrayList<>();
        DefaultMQPullConsumer pull = null;
        try {
            for (int i = 0; i < MESSAGES; i++) {
                producer.send(sqlMessage(topic, runId, i));
            }
            Map<String, Map<Integer, List<MessageExt>>> got = new LinkedHashMap<>();
            int g = 0;
            for (String expr : sqlCases().keySet()) {
                Map<Integer, List<MessageExt>> byIdx = new ConcurrentHashMap<>();
                got.put(expr, byIdx);
                DefaultMQPushConsumer pc = Styles.push(namesrv, Clients.unique("CGS" + g, runId), topic, MessageSelector.bySql(expr),
                    "sql" + g + "-" + runId, MessageModel.CLUSTERING, ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
                pc.registerMessageListener((org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently) (msgs, ctx) -> {
                    for (MessageExt m : msgs) {
                        if (runId.equals(m.getUserProperty("run"))) {
                            byIdx.computeIfAbsent(Integer.parseInt(m.getUserProperty("idx")), k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(m);
                        }
                    }
                    return org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
                });
                pc.start();
                consumers.add(pc);
                g++;
            }
            Map<String, Set<Integer>> expected = new LinkedHashMap<>();
            for (Map.Entry<String, IntPredicate> e : sqlCases().entrySet()) {
                Set<Integer> want = new TreeSet<>();
                for (int i = 0; i < MESSAGES; i++) {
                    if (e.getValue().test(i)) {
                        want.add(i);
                    }
                }
                expected.put(e.getKey(), want);
                Map<Integer, List<MessageExt>> byIdx = got.get(e.getKey());
                Styles.waitFor(() -> byIdx.keySet().containsAll(want), Styles.CONSUME_TIMEOUT_MS);
            }
            Thread.sleep(2000);
            StringBuilder summary = new StringBuilder();
            for (Map.Entry<String, Set<Integer>> e : expected.entrySet()) {
                Map<Integer, List<MessageExt>> byIdx = got.get(e.getKey());
                Set<Integer> have = new TreeSet<>(byIdx.keySet());
                if (!have.equals(e.getValue())) {
                    Set<Integer> missing = new TreeSet<>(e.getValue());
                    missing.removeAll(have);
                    Set<Integer> extra = new TreeSet<>(have);
                    extra.removeAll(e.getValue());
                    out.problem("bySql(\"" + e.getKey() + "\"): missing " + missing + ", unexpected " + extra);
                }
                for (Map.Entry<Integer, List<MessageExt>> d : byIdx.entrySet()) {
                    if (d.getValue().size() > 1) {
                        out.problem("bySql(\"" + e.getKey() + "\"): idx=" + d.getKey() + " delivered " + d.getValue().size() + " times");
                    }
                    MessageExt m = d.getValue().get(0);
                    String body = new String(m.getBody(), "UTF-8");
                    Content.expectEq(out.problems, "idx=" + d.getKey() + " body", "sql " + d.getKey() + " ✓ ünï", body);
                    Content.expectEq(out.problems, "idx=" + d.getKey() + " color", color(d.getKey()), m.getUserProperty("color"));
                }
                summary.append(e.getValue().size()).append(" ");
            }

            // The pull consumer sends its expression with every pull.
            pull = new DefaultMQPullConsumer(Clients.unique("CGSP", runId));
            pull.setNamesrvAddr(namesrv);
            pull.setInstanceName("sqlpull-" + runId);
            pull.setHeartbeatBrokerInterval(Styles.HEARTBEAT_INTERVAL_MS);
            pull.start();
            pull.fetchSubscribeMessageQueues(topic);
            Styles.heartbeatNow(pull, topic);
            String pullExpr = "n < 20 AND color = 'green'";
            Set<Integer> pulled = new TreeSet<>();
            for (MessageQueue mq : pull.fetchSubscribeMessageQueues(topic)) {
                long offset = 0;
                for (int guard = 0; guard < 50; guard++) {
                    PullResult r = pull.pull(mq, MessageSelector.bySql(pullExpr), offset, 32);
                    if (r.getPullStatus() == PullStatus.FOUND) {
                        for (MessageExt m : r.getMsgFoundList()) {
                            pulled.add(Integer.parseInt(m.getUserProperty("idx")));
                        }
                    }
                    if (r.getNextBeginOffset() == offset || r.getPullStatus() == PullStatus.NO_NEW_MSG) {
                        break;
                    }
                    offset = r.getNextBeginOffset();
                }
            }
            Set<Integer> wantPulled = new TreeSet<>();
            for (int i = 0; i < MESSAGES; i++) {
                if (i < 20 && "green".equals(color(i))) {
                    wantPulled.add(i);
                }
            }
            Content.expectEq(out.problems, "pull with bySql(\"" + pullExpr + "\")", wantPulled, pulled);
            try {
                PullResult r = pull.pull(pull.fetchSubscribeMessageQueues(topic).iterator().next(), MessageSelector.bySql("n >"), 0, 32);
                // The Java broker compiles a header expression into null filter data and then filters nothing.
                if (!javaBroker || r.getPullStatus() != PullStatus.FOUND) {
                    out.problem("pull with bySql(\"n >\"): expected MQBrokerException SUBSCRIPTION_PARSE_FAILED, got " + r);
                }
            } catch (MQBrokerException e) {
                if (javaBroker) {
                    out.problem("pull with bySql(\"n >\") on the Java broker: expected FOUND (it does not refuse), got " + e);
                }
                Content.expectEq(out.problems, "pull with bySql(\"n >\") response code", SUBSCRIPTION_PARSE_FAILED, e.getResponseCode());
            }
            out.problems(refusedAtStart(namesrv, runId, topic, "n > 'abc' AND", SUBSCRIPTION_PARSE_FAILED));
            out.problems(refusedAtStart(namesrv, runId, topic, "color = = 'red'", SUBSCRIPTION_PARSE_FAILED));
            return out.summary("matching subsets of sizes " + summary.toString().trim() + "; pull " + pulled.size() + "; malformed refused");
        } finally {
            for (DefaultMQPushConsumer c : consumers) {
                c.shutdown();
            }
            if (pull != null) {
                pull.shutdown();
            }
            producer.shutdown();
        }
    }

    /** A push consumer with this SQL92 expression must fail to start with the given broker code (CHECK_CLIENT_CONFIG). */
    static List<String> refusedAtStart(String namesrv, String runId, String topic, String expr, int code) throws Exception {
        List<String> problems = new ArrayList<>();
        DefaultMQPushConsumer pc = Styles.push(namesrv, Clients.unique("CGX" + Math.abs(expr.hashCode() % 1000), runId), topic,
            MessageSelector.bySql(expr), "bad-" + runId + Math.abs(expr.hashCode()), MessageModel.CLUSTERING,
            ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        pc.registerMessageListener((org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently) (msgs, ctx) ->
            org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus.CONSUME_SUCCESS);
        try {
            pc.start();
            problems.add("consumer with bySql(\"" + expr + "\"): expected start() to fail with code " + code + ", it started");
        } catch (MQClientException e) {
            Content.expectEq(problems, "bySql(\"" + expr + "\") start() response code", code, e.getResponseCode());
            if (e.getErrorMessage() == null || e.getErrorMessage().isEmpty()) {
                problems.add("bySql(\"" + expr + "\"): expected a readable remark, got none");
            }
            Scenarios.info("bySql(\"" + expr + "\") refused: code " + e.getResponseCode() + " remark: " + e.getErrorMessage());
        } finally {
            pc.shutdown();
        }
        return problems;
    }

    static Outcome sql92Disabled(String namesrv) throws Exception {
        String runId = Content.newRunId();
        String topic = Clients.unique("CompatSqlOff", runId);
        Outcome out = new Outcome();
        DefaultMQProducer producer = Styles.producer(namesrv, Clients.unique("PG", runId), QUEUES);
        DefaultMQPullConsumer pull = new DefaultMQPullConsumer(Clients.unique("CGSO", runId));
        try {
            for (int i = 0; i < 4; i++) {
                producer.send(sqlMessage(topic, runId, i));
            }
            out.problems(refusedAtStart(namesrv, runId, topic, "n > 1", SYSTEM_ERROR));
            pull.setNamesrvAddr(namesrv);
            pull.setInstanceName("sqloff-" + runId);
            pull.setHeartbeatBrokerInterval(Styles.HEARTBEAT_INTERVAL_MS);
            pull.start();
            MessageQueue mq = pull.fetchSubscribeMessageQueues(topic).iterator().next();
            Styles.heartbeatNow(pull, topic);
            try {
                PullResult r = pull.pull(mq, MessageSelector.bySql("n > 1"), 0, 32);
                out.problem("pull with SQL92 on a broker without enablePropertyFilter: expected SYSTEM_ERROR, got " + r);
            } catch (MQBrokerException e) {
                Content.expectEq(out.problems, "pull with SQL92, filter switch off: code", SYSTEM_ERROR, e.getResponseCode());
                if (e.getErrorMessage() == null || !e.getErrorMessage().contains("SQL92")) {
                    out.problem("pull with SQL92, filter switch off: expected a remark naming SQL92, got " + e.getErrorMessage());
                }
            }
            return out.summary("SQL92 refused at start and on pull");
        } finally {
            pull.shutdown();
            producer.shutdown();
        }
    }

    private FilterScenarios() {
    }
}
