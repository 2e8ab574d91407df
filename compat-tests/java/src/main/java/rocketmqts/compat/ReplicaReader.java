package rocketmqts.compat;

import com.alibaba.fastjson.JSONObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.rocketmq.client.ClientConfig;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.impl.CommunicationMode;
import org.apache.rocketmq.client.impl.MQClientAPIImpl;
import org.apache.rocketmq.client.impl.MQClientManager;
import org.apache.rocketmq.client.impl.consumer.PullAPIWrapper;
import org.apache.rocketmq.client.impl.factory.MQClientInstance;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.filter.ExpressionType;
import org.apache.rocketmq.common.filter.FilterAPI;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageClientExt;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageId;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.header.PullMessageRequestHeader;
import org.apache.rocketmq.common.protocol.heartbeat.SubscriptionData;
import org.apache.rocketmq.common.protocol.route.BrokerData;
import org.apache.rocketmq.common.protocol.route.QueueData;
import org.apache.rocketmq.common.protocol.route.TopicRouteData;
import org.apache.rocketmq.common.sysflag.MessageSysFlag;
import org.apache.rocketmq.common.sysflag.PullSysFlag;

/**
 * {@code repl-read <topic> <masterAddr> <slaveAddr> <timeoutMs> <stateFile>...}: reads the topic back from the
 * master and FROM THE SLAVE with the client's own pull path (MQClientAPIImpl#pullMessage to the address the
 * NameServer routes as brokerId 1, decoded by PullAPIWrapper#processPullResult as a consumer does), and checks:
 * the route names master (0) and slave (1) under one brokerName; every message of the state files is on both,
 * once, with its body, tags, keys and user properties; single and batch messages where their SendResult said
 * (msgId, offsetMsgId, queue, queue offset), delayed and transactional ones under their msgId (their
 * SendResult named the SCHEDULE / half record); the offsetMsgId decodes to the master's store host and the
 * message's commit-log offset; the slave's copy equals the master's field by field (offsets, timestamps, hosts,
 * sysFlag, CRC, all properties); queue min/max offsets equal; the rolled-back message is on neither; nothing else.
 */
final class ReplicaReader {
    static final int PULL_BATCH = 32;
    static final long RPC_TIMEOUT_MS = 10_000;
    static final long ATTACH_TIMEOUT_MS = 90_000;
    static final long POLL_STEP_MS = 500;
    /** Delay level 1 is 1 s; the schedule service's 100 ms tick and clock granularity allow a little less. */
    static final long DELAY_STORED_AFTER_MS_MIN = 800;
    /** Pull-result properties that describe the queue at pull time, not the message. */
    static final List<String> PULL_PROPERTIES = List.of(MessageConst.PROPERTY_MIN_OFFSET, MessageConst.PROPERTY_MAX_OFFSET);

    /** One broker's copy of the topic. */
    static final class Snapshot {
        final Map<String, List<MessageExt>> byRk = new HashMap<>();
        final List<MessageExt> foreign = new ArrayList<>();
        final Map<Integer, String> ends = new TreeMap<>();
        final Map<Integer, List<Long>> minMax = new TreeMap<>();
    }

    /**
     * Sends probes to the master until one is SEND_OK and the slave's commit log has reached the master's
     * (GET_BROKER_RUNTIME_INFO commitLogMaxOffset): the slave is attached and replicating. Returns the time taken.
     */
    static long awaitAttached(DefaultMQProducer p, String namesrv, String probeTopic, String masterAddr, String slaveAddr,
        Outcome out) throws Exception {
        MQClientAPIImpl api = MQClientManager.getInstance().getOrCreateMQClientInstance(p).getMQClientAPIImpl();
        long started = System.currentTimeMillis();
        String last = "no probe sent";
        while (System.currentTimeMillis() - started < ATTACH_TIMEOUT_MS) {
            try {
                SendResult r = p.send(new Message(probeTopic, "probe".getBytes()));
                long until = System.currentTimeMillis() + 6_000;
                while (System.currentTimeMillis() < until) {
                    long m = maxOffset(api, masterAddr);
                    long s = maxOffset(api, slaveAddr);
                    last = "probe " + r.getSendStatus() + "; commitLogMaxOffset master " + m + ", slave " + s;
                    if (r.getSendStatus() == SendStatus.SEND_OK && s >= m) {
                        return System.currentTimeMillis() - started;
                    }
                    if (r.getSendStatus() != SendStatus.SEND_OK && s >= m) {
                        break;
                    }
                    Thread.sleep(POLL_STEP_MS);
                }
            } catch (Exception e) {
                last = Scenarios.describe(e);
                Thread.sleep(POLL_STEP_MS);
            }
            Scenarios.info("waiting for the slave: " + last);
        }
        out.problem("slave " + slaveAddr + " not attached to master " + masterAddr + " after " + ATTACH_TIMEOUT_MS + " ms: " + last);
        return System.currentTimeMillis() - started;
    }

    private static long maxOffset(MQClientAPIImpl api, String addr) throws Exception {
        return Long.parseLong(api.getBrokerRuntimeInfo(addr, RPC_TIMEOUT_MS).getTable().get("commitLogMaxOffset"));
    }

    static Outcome read(String namesrv, String topic, String masterAddr, String slaveAddr, long timeoutMs, List<String> stateFiles)
        throws Exception {
        Outcome out = new Outcome();
        List<JSONObject> state = ReplicationScenarios.readState(stateFiles);
        Map<String, JSONObject> expected = new LinkedHashMap<>();
        List<String> rolledBack = new ArrayList<>();
        for (JSONObject l : state) {
            if ("tx-rollback".equals(l.getString("kind"))) {
                rolledBack.add(l.getString("rk"));
            } else {
                expected.put(l.getString("rk"), l);
            }
        }
        ClientConfig cc = new ClientConfig();
        cc.setNamesrvAddr(namesrv);
        cc.setInstanceName("repl-read-" + Content.newRunId());
        MQClientInstance client = MQClientManager.getInstance().getOrCreateMQClientInstance(cc);
        client.start();
        try {
            long deadline = System.currentTimeMillis() + timeoutMs;
            String[] brokerName = new String[1];
            int queues = awaitRoute(client.getMQClientAPIImpl(), topic, masterAddr, slaveAddr, deadline, brokerName, out);
            if (queues <= 0) {
                return out;
            }
            Reader reader = new Reader(client, topic, brokerName[0], queues);
            long t0 = System.currentTimeMillis();
            Snapshot master = reader.awaitAll(masterAddr, expected, null, deadline, out, "master");
            long onMasterMs = System.currentTimeMillis() - t0;
            Snapshot slave = reader.awaitAll(slaveAddr, expected, master, deadline, out, "slave");
            long onSlaveMs = System.currentTimeMillis() - t0;
            if (master == null || slave == null) {
                return out;
            }
            for (JSONObject e : expected.values()) {
                String rk = e.getString("rk");
                MessageExt m = single(master, rk, "master", out);
                MessageExt s = single(slave, rk, "slave", out);
                if (m != null) {
                    out.problems(against(e, m, topic, masterAddr, "master"));
                }
                if (s != null) {
                    out.problems(against(e, s, topic, masterAddr, "slave"));
                }
                if (m != null && s != null) {
                    out.problems(sameRecord(rk, m, s));
                }
            }
            for (String rk : rolledBack) {
                if (master.byRk.containsKey(rk) || slave.byRk.containsKey(rk)) {
                    out.problem(rk + " was rolled back but is readable (master " + master.byRk.containsKey(rk) + ", slave "
                        + slave.byRk.containsKey(rk) + ")");
                }
            }
            for (Snapshot sn : List.of(master, slave)) {
                for (MessageExt f : sn.foreign) {
                    out.problem((sn == master ? "master" : "slave") + ": message this run never sent: queue " + f.getQueueId()
                        + " offset " + f.getQueueOffset() + " properties " + f.getProperties());
                }
            }
            for (int q = 0; q < queues; q++) {
                if (!Objects.equals(master.minMax.get(q), slave.minMax.get(q))) {
                    out.problem("queue " + q + " [min, max) offsets: master " + master.minMax.get(q) + ", slave " + slave.minMax.get(q));
                }
            }
            Map<String, Integer> bySender = new TreeMap<>();
            expected.values().forEach(e -> bySender.merge(e.getString("sender"), 1, Integer::sum));
            return out.summary(expected.size() + " messages " + bySender + " identical on master " + masterAddr + " and slave "
                + slaveAddr + " (brokerId 1), " + rolledBack.size() + " rolled back on neither; all on master after "
                + onMasterMs + " ms, on slave after " + onSlaveMs + " ms; queue ends master " + master.ends + ", slave " + slave.ends);
        } finally {
            Clients.markFinalShutdown();
            client.shutdown();
        }
    }

    /** Waits until the NameServer routes brokerId 0 to the master and 1 to the slave under one brokerName; returns its read queue count. */
    private static int awaitRoute(MQClientAPIImpl api, String topic, String masterAddr, String slaveAddr, long deadline,
        String[] brokerName, Outcome out) throws InterruptedException {
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            try {
                TopicRouteData route = api.getTopicRouteInfoFromNameServer(topic, RPC_TIMEOUT_MS);
                last = route.toString();
                for (BrokerData bd : route.getBrokerDatas()) {
                    if (masterAddr.equals(bd.getBrokerAddrs().get(0L)) && slaveAddr.equals(bd.getBrokerAddrs().get(1L))) {
                        for (QueueData qd : route.getQueueDatas()) {
                            if (qd.getBrokerName().equals(bd.getBrokerName())) {
                                brokerName[0] = bd.getBrokerName();
                                return qd.getReadQueueNums();
                            }
                        }
                    }
                }
            } catch (Exception e) {
                last = Scenarios.describe(e);
            }
            Thread.sleep(POLL_STEP_MS);
        }
        out.problem("route of " + topic + ": expected brokerAddrs {0=" + masterAddr + ", 1=" + slaveAddr + "} with queues, got " + last);
        return -1;
    }

    private static MessageExt single(Snapshot sn, String rk, String where, Outcome out) {
        List<MessageExt> ms = sn.byRk.get(rk);
        if (ms == null) {
            out.problem(where + ": " + rk + " missing");
            return null;
        }
        if (ms.size() > 1) {
            out.problem(where + ": " + rk + " readable " + ms.size() + " times");
        }
        return ms.get(0);
    }

    private static String hostPort(java.net.InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    static String offsetMsgId(MessageExt m) {
        return m instanceof MessageClientExt ? ((MessageClientExt) m).getOffsetMsgId() : m.getMsgId();
    }

    /** The message against its state line: content, and where its SendResult said it is. */
    private static List<String> against(JSONObject e, MessageExt got, String topic, String masterAddr, String where) {
        List<String> p = new ArrayList<>();
        String at = where + " " + e.getString("rk") + " (queue " + got.getQueueId() + " offset " + got.getQueueOffset() + "): ";
        Content.expectEq(p, at + "topic", topic, got.getTopic());
        byte[] body = Base64.getDecoder().decode(e.getString("body"));
        if (!Arrays.equals(body, got.getBody())) {
            p.add(at + "body: expected " + Content.describeBody(body) + ", got " + Content.describeBody(got.getBody()));
        }
        Content.expectEq(p, at + "tags", e.getString("tags"), got.getTags());
        Content.expectEq(p, at + "keys", e.getString("keys"), got.getKeys());
        JSONObject props = e.getJSONObject("props");
        for (String k : props.keySet()) {
            Content.expectEq(p, at + "user property '" + k + "'", props.getString(k), got.getUserProperty(k));
        }
        for (String k : got.getProperties().keySet()) {
            if (!props.containsKey(k) && !Content.isSystemProperty(k)) {
                p.add(at + "unexpected property '" + k + "'='" + got.getProperty(k) + "'");
            }
        }
        String kind = e.getString("kind");
        String msgId = e.getString("msgId");
        if (msgId != null && !msgId.isEmpty()) {
            Content.expectEq(p, at + "msgId (UNIQ_KEY) vs SendResult", msgId, got.getMsgId());
        }
        if ("single".equals(kind) || "batch".equals(kind)) {
            Content.expectEq(p, at + "offsetMsgId vs SendResult", e.getString("offsetMsgId"), offsetMsgId(got));
            Content.expectEq(p, at + "queueId vs SendResult", e.getInteger("queueId"), got.getQueueId());
            Content.expectEq(p, at + "queueOffset vs SendResult", e.getLong("queueOffset"), got.getQueueOffset());
        }
        if ("delay".equals(kind)) {
            // Re-put by the master's schedule service: DELAY kept, stored at least ~1 s after it was born.
            Content.expectEq(p, at + "property DELAY", Integer.toString(ReplicationScenarios.DELAY_LEVEL), got.getProperty(MessageConst.PROPERTY_DELAY_TIME_LEVEL));
            if (got.getStoreTimestamp() - got.getBornTimestamp() < DELAY_STORED_AFTER_MS_MIN) {
                p.add(at + "delayed message stored " + (got.getStoreTimestamp() - got.getBornTimestamp()) + " ms after it was born");
            }
        }
        if ("tx-commit".equals(kind)) {
            // Written by END_TRANSACTION from the half message: commit type, pointing back at the half record.
            Content.expectEq(p, at + "transaction type in sysFlag", MessageSysFlag.TRANSACTION_COMMIT_TYPE, MessageSysFlag.getTransactionValue(got.getSysFlag()));
            Content.expectEq(p, at + "property TRAN_MSG", "true", got.getProperty(MessageConst.PROPERTY_TRANSACTION_PREPARED));
            if (got.getPreparedTransactionOffset() <= 0 && got.getCommitLogOffset() > 0) {
                p.add(at + "preparedTransactionOffset " + got.getPreparedTransactionOffset() + " does not name the half message");
            }
        }
        try {
            MessageId id = MessageDecoder.decodeMessageId(offsetMsgId(got));
            Content.expectEq(p, at + "offsetMsgId commit-log offset", got.getCommitLogOffset(), id.getOffset());
            Content.expectEq(p, at + "offsetMsgId store host (the master's)", masterAddr,
                hostPort((java.net.InetSocketAddress) id.getAddress()));
        } catch (Exception ex) {
            p.add(at + "offsetMsgId '" + offsetMsgId(got) + "' does not decode: " + ex);
        }
        return p;
    }

    /** The slave's copy against the master's: the same commit-log record, so every field the client decodes. */
    private static List<String> sameRecord(String rk, MessageExt m, MessageExt s) {
        List<String> p = new ArrayList<>();
        String at = rk + " slave vs master: ";
        Content.expectEq(p, at + "msgId", m.getMsgId(), s.getMsgId());
        Content.expectEq(p, at + "offsetMsgId", offsetMsgId(m), offsetMsgId(s));
        Content.expectEq(p, at + "queueId", m.getQueueId(), s.getQueueId());
        Content.expectEq(p, at + "queueOffset", m.getQueueOffset(), s.getQueueOffset());
        Content.expectEq(p, at + "commitLogOffset", m.getCommitLogOffset(), s.getCommitLogOffset());
        Content.expectEq(p, at + "storeSize", m.getStoreSize(), s.getStoreSize());
        Content.expectEq(p, at + "sysFlag", m.getSysFlag(), s.getSysFlag());
        Content.expectEq(p, at + "flag", m.getFlag(), s.getFlag());
        Content.expectEq(p, at + "bodyCRC", m.getBodyCRC(), s.getBodyCRC());
        Content.expectEq(p, at + "bornTimestamp", m.getBornTimestamp(), s.getBornTimestamp());
        Content.expectEq(p, at + "storeTimestamp", m.getStoreTimestamp(), s.getStoreTimestamp());
        Content.expectEq(p, at + "bornHost", String.valueOf(m.getBornHost()), String.valueOf(s.getBornHost()));
        Content.expectEq(p, at + "storeHost", String.valueOf(m.getStoreHost()), String.valueOf(s.getStoreHost()));
        Content.expectEq(p, at + "reconsumeTimes", m.getReconsumeTimes(), s.getReconsumeTimes());
        Content.expectEq(p, at + "preparedTransactionOffset", m.getPreparedTransactionOffset(), s.getPreparedTransactionOffset());
        if (!Arrays.equals(m.getBody(), s.getBody())) {
            p.add(at + "body: master " + Content.describeBody(m.getBody()) + ", slave " + Content.describeBody(s.getBody()));
        }
        Map<String, String> mp = new TreeMap<>(m.getProperties());
        Map<String, String> sp = new TreeMap<>(s.getProperties());
        PULL_PROPERTIES.forEach(k -> {
            mp.remove(k);
            sp.remove(k);
        });
        if (!Objects.equals(mp, sp)) {
            p.add(at + "properties: master " + mp + ", slave " + sp);
        }
        return p;
    }

    /** Pulls every queue of the topic from one broker address, as a consumer decodes it. */
    static final class Reader {
        final MQClientAPIImpl api;
        final PullAPIWrapper wrapper;
        final SubscriptionData all;
        final String topic;
        final String brokerName;
        final int queues;
        final String group;

        Reader(MQClientInstance client, String topic, String brokerName, int queues) throws Exception {
            this.api = client.getMQClientAPIImpl();
            this.group = "ReplRead_" + Content.newRunId();
            this.wrapper = new PullAPIWrapper(client, group, false);
            this.all = FilterAPI.buildSubscriptionData(topic, "*");
            this.topic = topic;
            this.brokerName = brokerName;
            this.queues = queues;
        }

        /**
         * Reads addr until every expected message is there (and, for the slave, its queue ends equal the
         * master's) or the deadline passes; null with a problem if it never was.
         */
        Snapshot awaitAll(String addr, Map<String, JSONObject> expected, Snapshot master, long deadline, Outcome out, String what)
            throws InterruptedException {
            String last = "";
            Snapshot sn = null;
            long infoAt = System.currentTimeMillis() + 5_000;
            while (true) {
                try {
                    sn = readAll(addr);
                    List<String> missing = new ArrayList<>(expected.keySet());
                    missing.removeAll(sn.byRk.keySet());
                    boolean ends = master == null || master.minMax.equals(sn.minMax);
                    if (missing.isEmpty() && ends) {
                        return sn;
                    }
                    last = missing.size() + " of " + expected.size() + " missing (first " + missing.subList(0, Math.min(5, missing.size()))
                        + "); queue [min, max) " + sn.minMax + (master == null ? "" : " vs master " + master.minMax);
                } catch (Exception e) {
                    last = Scenarios.describe(e);
                }
                if (System.currentTimeMillis() >= deadline) {
                    out.problem(what + " " + addr + " never had everything: " + last);
                    return sn;
                }
                if (System.currentTimeMillis() >= infoAt) {
                    Scenarios.info("waiting for the " + what + ": " + last);
                    infoAt = System.currentTimeMillis() + 5_000;
                }
                Thread.sleep(POLL_STEP_MS);
            }
        }

        Snapshot readAll(String addr) throws Exception {
            Snapshot sn = new Snapshot();
            for (int q = 0; q < queues; q++) {
                MessageQueue mq = new MessageQueue(topic, brokerName, q);
                long offset = 0;
                for (int guard = 0; guard < 1000; guard++) {
                    PullResult r = wrapper.processPullResult(mq, pull(addr, q, offset), all);
                    if (r.getPullStatus() != PullStatus.FOUND) {
                        sn.ends.put(q, r.getPullStatus() + "@" + offset);
                        sn.minMax.put(q, List.of(r.getMinOffset(), r.getMaxOffset()));
                        break;
                    }
                    for (MessageExt m : r.getMsgFoundList()) {
                        String rk = m.getUserProperty(ReplicationScenarios.RK);
                        if (rk == null) {
                            sn.foreign.add(m);
                        } else {
                            sn.byRk.computeIfAbsent(rk, k -> new ArrayList<>()).add(m);
                        }
                    }
                    offset = r.getNextBeginOffset();
                }
            }
            return sn;
        }

        private PullResult pull(String addr, int queueId, long offset) throws Exception {
            PullMessageRequestHeader h = new PullMessageRequestHeader();
            h.setConsumerGroup(group);
            h.setTopic(topic);
            h.setQueueId(queueId);
            h.setQueueOffset(offset);
            h.setMaxMsgNums(PULL_BATCH);
            h.setSysFlag(PullSysFlag.buildSysFlag(false, false, true, false));
            h.setCommitOffset(0L);
            h.setSuspendTimeoutMillis(0L);
            h.setSubscription("*");
            h.setSubVersion(0L);
            h.setExpressionType(ExpressionType.TAG);
            return api.pullMessage(addr, h, RPC_TIMEOUT_MS, CommunicationMode.SYNC, null);
        }
    }

    private ReplicaReader() {
    }
}
