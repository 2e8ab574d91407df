package rocketmqts.compat;

import com.alibaba.fastjson.JSON;
import com.alibaba.fastjson.JSONObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * The replication groups' client side (compat-tests/replication-groups.test.ts), on rocketmq-client 4.9.8:
 * {@code ReplicationScenarios <scenario> <namesrvAddr> [args]}, same output as {@link Scenarios}.
 *
 * <ul>
 * <li>{@code repl-send <topic> <stateFile> <masterAddr> <slaveAddr>}: first waits until the slave is attached
 * (a probe topic's sends come back SEND_OK and the slave's commit log reaches the master's, see
 * {@link ReplicaReader#awaitAttached}); then sends single, batch, delayed (level 1) and transactional
 * messages (committed, and one rolled back) to the master through the NameServer and appends one JSON line
 * per message to the state file: what was sent (body, tags, keys, user properties) and what its SendResult
 * said. Every send must be SEND_OK (on a SYNC_MASTER that means the slave acknowledged it).</li>
 * <li>{@code repl-read <topic> <masterAddr> <slaveAddr> <timeoutMs> <stateFile>...}: {@link ReplicaReader}.</li>
 * </ul>
 * The Go sender (compat-tests/go replsend.go) writes the same state lines, so one reader judges both.
 */
public final class ReplicationScenarios {
    static final int SINGLES = 8;
    static final int BATCH = 6;
    static final int DELAYED = 3;
    /** Level 1 = 1 s: short, and still through SCHEDULE_TOPIC_XXXX and the master's re-put. */
    static final int DELAY_LEVEL = 1;
    static final int TX_COMMITTED = 3;
    /** The state line field that names each message; also sent as a user property, which is how the reader finds it. */
    static final String RK = "rk";

    static {
        Scenarios.SCENARIOS.put("repl-send", (n, a) -> send(n, a.get(0), a.get(1), a.get(2), a.get(3)));
        Scenarios.SCENARIOS.put("repl-read", (n, a) -> ReplicaReader.read(n, a.get(0), a.get(1), a.get(2),
            Long.parseLong(a.get(3)), a.subList(4, a.size())));
    }

    public static void main(String[] argv) {
        Scenarios.main(argv);
    }

    static Outcome send(String namesrv, String topic, String stateFile, String masterAddr, String slaveAddr) throws Exception {
        String runId = Content.newRunId();
        Outcome out = new Outcome();
        List<JSONObject> lines = new ArrayList<>();
        DefaultMQProducer p = Clients.producer(namesrv, Clients.unique("ReplP", runId), 4);
        TransactionMQProducer tx = null;
        try {
            long attachedMs = ReplicaReader.awaitAttached(p, namesrv, topic + "_probe", masterAddr, slaveAddr, out);
            Scenarios.info("slave attached and caught up after " + attachedMs + " ms");
            if (!out.problems.isEmpty()) {
                return out;
            }
            int idx = 0;
            for (int i = 0; i < SINGLES; i++, idx++) {
                Content c = Content.of(runId, idx);
                Message m = tagged(c.toMessage(topic), "java-single-" + idx);
                lines.add(line("single", c, m, p.send(m), out));
            }
            List<Content> batch = Content.range(runId, idx, BATCH);
            List<Message> ms = new ArrayList<>();
            for (Content c : batch) {
                ms.add(tagged(c.toMessage(topic), "java-batch-" + c.idx));
            }
            idx += BATCH;
            SendResult br = p.send(ms);
            String[] uniq = br.getMsgId() == null ? new String[0] : br.getMsgId().split(",");
            String[] offs = br.getOffsetMsgId() == null ? new String[0] : br.getOffsetMsgId().split(",");
            expectOk("batch", br, out);
            if (uniq.length != BATCH || offs.length != BATCH) {
                out.problem("batch: expected " + BATCH + " msgIds and offsetMsgIds, got " + br);
            } else {
                for (int i = 0; i < BATCH; i++) {
                    lines.add(line("batch", batch.get(i), ms.get(i), null, out)
                        .fluentPut("msgId", uniq[i]).fluentPut("offsetMsgId", offs[i])
                        .fluentPut("queueId", br.getMessageQueue().getQueueId()).fluentPut("queueOffset", br.getQueueOffset() + i)
                        .fluentPut("status", br.getSendStatus().name()));
                }
            }
            for (int i = 0; i < DELAYED; i++, idx++) {
                Content c = Content.of(runId, idx);
                Message m = tagged(c.toMessage(topic), "java-delay-" + idx);
                m.setDelayTimeLevel(DELAY_LEVEL);
                lines.add(line("delay", c, m, p.send(m), out));
            }
            tx = new TransactionMQProducer(Clients.unique("ReplTxP", runId));
            tx.setNamesrvAddr(namesrv);
            tx.setInstanceName("repl-tx-" + runId);
            tx.setPollNameServerInterval(Clients.POLL_NAMESRV_INTERVAL_MS);
            tx.setSendMsgTimeout(Clients.SEND_TIMEOUT_MS);
            tx.setTransactionListener(new ByProperty());
            tx.start();
            for (int i = 0; i <= TX_COMMITTED; i++, idx++) {
                boolean rollback = i == TX_COMMITTED;
                Content c = Content.of(runId, idx);
                String kind = rollback ? "tx-rollback" : "tx-commit";
                Message m = tagged(c.toMessage(topic), "java-" + kind + "-" + idx);
                m.putUserProperty("decide", rollback ? "rollback" : "commit");
                JSONObject l = line(kind, c, m, tx.sendMessageInTransaction(m, null), out);
                l.getJSONObject("props").put("decide", rollback ? "rollback" : "commit");
                lines.add(l);
            }
            StringBuilder text = new StringBuilder();
            for (JSONObject l : lines) {
                text.append(l.toJSONString()).append('\n');
            }
            Files.write(Paths.get(stateFile), text.toString().getBytes(StandardCharsets.UTF_8),
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            return out.summary(lines.size() + " messages sent (" + SINGLES + " single, " + BATCH + " in a batch, "
                + DELAYED + " delayed, " + TX_COMMITTED + " committed + 1 rolled back transactional)");
        } finally {
            Clients.markFinalShutdown();
            if (tx != null) {
                tx.shutdown();
            }
            p.shutdown();
        }
    }

    private static Message tagged(Message m, String rk) {
        m.putUserProperty(RK, rk);
        return m;
    }

    /** One state line; r may be null (a batch member: the caller fills the result fields). */
    private static JSONObject line(String kind, Content c, Message m, SendResult r, Outcome out) {
        JSONObject o = new JSONObject(true);
        o.put("rk", m.getUserProperty(RK));
        o.put("kind", kind);
        o.put("sender", "java 4.9.8");
        o.put("body", Base64.getEncoder().encodeToString(c.body));
        o.put("tags", c.tags);
        o.put("keys", c.keys);
        Map<String, String> props = new LinkedHashMap<>(c.userProps);
        props.put(RK, m.getUserProperty(RK));
        o.put("props", new JSONObject(new LinkedHashMap<>(props)));
        if (r != null) {
            expectOk(o.getString("rk"), r, out);
            o.put("msgId", r.getMsgId());
            o.put("offsetMsgId", r.getOffsetMsgId());
            o.put("queueId", r.getMessageQueue().getQueueId());
            o.put("queueOffset", r.getQueueOffset());
            o.put("status", r.getSendStatus().name());
        }
        return o;
    }

    private static void expectOk(String what, SendResult r, Outcome out) {
        if (r.getSendStatus() != SendStatus.SEND_OK) {
            out.problem(what + ": expected SEND_OK, got " + r.getSendStatus() + " (" + r + ")");
        }
    }

    /** The local transaction's outcome is the message's "decide" property; a check-back answers the same. */
    static final class ByProperty implements TransactionListener {
        @Override
        public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
            return decide(msg.getUserProperty("decide"));
        }

        @Override
        public LocalTransactionState checkLocalTransaction(MessageExt msg) {
            return decide(msg.getUserProperty("decide"));
        }

        private static LocalTransactionState decide(String s) {
            return "rollback".equals(s) ? LocalTransactionState.ROLLBACK_MESSAGE
                : "commit".equals(s) ? LocalTransactionState.COMMIT_MESSAGE : LocalTransactionState.UNKNOW;
        }
    }

    static List<JSONObject> readState(List<String> files) throws IOException {
        List<JSONObject> out = new ArrayList<>();
        for (String f : files) {
            for (String l : Files.readAllLines(Paths.get(f), StandardCharsets.UTF_8)) {
                if (!l.isBlank()) {
                    out.add(JSON.parseObject(l));
                }
            }
        }
        return out;
    }

    private ReplicationScenarios() {
    }
}
