package rocketmqts.compat5;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.impl.CommunicationMode;
import org.apache.rocketmq.client.impl.MQClientAPIImpl;
import org.apache.rocketmq.client.impl.consumer.PullResultExt;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.filter.ExpressionType;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.sysflag.PullSysFlag;
import org.apache.rocketmq.remoting.RPCHook;
import org.apache.rocketmq.remoting.protocol.body.UserInfo;
import org.apache.rocketmq.remoting.protocol.header.PullMessageRequestHeader;

/**
 * ACL 2.0 client driver on rocketmq-client 5.3.3 (compat-tests/acl-v2.test.ts): one JVM reading commands on
 * stdin, arguments separated by tabs, each answered by ONE JSON line "RESULT {...}" then "@@@ END <n>".
 * Every command builds its own clients under a fresh instance name (clients sharing an instance name share
 * one MQClientInstance, hence one RPC hook) and shuts them down before answering. A user "-" means no
 * AclClientRPCHook at all. A refusal is reported as {"ok":false,"code":<broker response code>,"remark":..}.
 *
 * send  <namesrv> <topic> <user> <password> <count>            sync sends, no retries; stops at the first failure
 * consume <namesrv> <topic> <group> <user> <password> <count> <timeoutMs>   push consumer from the first offset
 * retry <namesrv> <topic> <group> <user> <password> <msgId,msgId,...> <timeoutMs>
 *       push consumer answering RECONSUME_LATER (delay level 1) at the first delivery of each listed message:
 *       CONSUMER_SEND_MSG_BACK, then the redelivery pulled from %RETRY%<group>
 * pull  <namesrv> <topic> <group> <user> <password>            DefaultMQPullConsumer.pull of every queue from 0
 * read  <namesrv> <addr> <topic> <queues> <group> <user> <password> <count> <timeoutMs>
 *       PULL_MESSAGE straight to one broker address (a slave), repeated until count messages are there
 * list-users  <namesrv> <addr> <user> <password>                AUTH_LIST_USER as that user
 * create-user <namesrv> <addr> <user> <password> <newUser> <newPassword>   AUTH_CREATE_USER as that user
 * topics      <namesrv> <addr> <user> <password>                GET_ALL_TOPIC_CONFIG as that user: the broker's topic names
 * create-topic <namesrv> <addr> <user> <password> <topic> <queues>  UPDATE_AND_CREATE_TOPIC as that user
 */
public final class AclClient {
    private static final int SEND_TIMEOUT_MS = 5_000;
    private static final int RPC_TIMEOUT_MS = 5_000;
    private static final AtomicLong INSTANCE = new AtomicLong();
    /**
     * Clients are shut down here, after the command has answered: MQClientInstance#shutdown joins its
     * NettyEventExecutor thread, which polls with a 3 s timeout, so a shutdown in line would add up to 3 s
     * to every command whatever the broker does.
     */
    private static final ExecutorService SHUTDOWNS = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "acl-client-shutdown");
        t.setDaemon(true);
        return t;
    });

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        System.setOut(out);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        int n = 0;
        while ((line = in.readLine()) != null) {
            if (line.trim().isEmpty()) {
                continue;
            }
            String[] a = line.split("\t");
            String result;
            try {
                result = run(a);
            } catch (Throwable t) {
                result = refusal(a[0], t);
            }
            out.println("RESULT " + result);
            out.println("@@@ END " + n++);
            out.flush();
        }
        System.exit(0);
    }

    private static String run(String[] a) throws Exception {
        switch (a[0]) {
            case "send":
                return send(a[1], a[2], hook(a[3], a[4]), Integer.parseInt(a[5]));
            case "consume":
                return consume(a[1], a[2], a[3], hook(a[4], a[5]), Integer.parseInt(a[6]), Long.parseLong(a[7]));
            case "retry":
                return retry(a[1], a[2], a[3], hook(a[4], a[5]), a[6].split(","), Long.parseLong(a[7]));
            case "pull":
                return pull(a[1], a[2], a[3], hook(a[4], a[5]));
            case "read":
                return read(a[1], a[2], a[3], Integer.parseInt(a[4]), a[5], hook(a[6], a[7]), Integer.parseInt(a[8]), Long.parseLong(a[9]));
            case "list-users":
            case "create-user":
            case "topics":
            case "create-topic":
                return admin(a[0], a[1], a[2], hook(a[3], a[4]), a.length > 5 ? a[5] : null, a.length > 6 ? a[6] : null);
            default:
                return "{\"op\":" + q(a[0]) + ",\"ok\":false,\"error\":\"unknown command\"}";
        }
    }

    private static RPCHook hook(String user, String password) {
        return "-".equals(user) ? null : new AclClientRPCHook(new SessionCredentials(user, password));
    }

    private static String instance(String op) {
        return "acl-" + op + "-" + INSTANCE.incrementAndGet() + "-" + System.nanoTime();
    }

    private static String send(String namesrv, String topic, RPCHook hook, int count) throws Exception {
        String inst = instance("p");
        DefaultMQProducer p = new DefaultMQProducer(inst, hook);
        p.setNamesrvAddr(namesrv);
        p.setInstanceName(inst);
        p.setSendMsgTimeout(SEND_TIMEOUT_MS);
        p.setRetryTimesWhenSendFailed(0);
        p.start();
        List<String> ids = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                Message m = new Message(topic, "TagA", "k" + i, ("acl " + topic + " " + i).getBytes(StandardCharsets.UTF_8));
                try {
                    SendResult r = p.send(m);
                    ids.add(r.getMsgId());
                } catch (Exception e) {
                    return refusal("send", e).replaceFirst("}$", ",\"sent\":" + ids.size() + "}");
                }
            }
        } finally {
            SHUTDOWNS.execute(p::shutdown);
        }
        return "{\"op\":\"send\",\"ok\":true,\"sent\":" + ids.size() + ",\"msgIds\":" + list(ids) + "}";
    }

    private static String consume(String namesrv, String topic, String group, RPCHook hook, int count, long timeoutMs)
        throws Exception {
        Set<String> got = ConcurrentHashMap.newKeySet();
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group, hook);
        c.setNamesrvAddr(namesrv);
        c.setInstanceName(instance("c"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                got.add(m.getMsgId());
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        try {
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (got.size() < count && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
        } finally {
            SHUTDOWNS.execute(c::shutdown);
        }
        return "{\"op\":\"consume\",\"ok\":" + (got.size() >= count) + ",\"received\":" + got.size()
            + ",\"msgIds\":" + list(new ArrayList<>(new TreeSet<>(got))) + "}";
    }

    private static String retry(String namesrv, String topic, String group, RPCHook hook, String[] ids, long timeoutMs)
        throws Exception {
        Set<String> wanted = new TreeSet<>(java.util.Arrays.asList(ids));
        java.util.Map<String, Integer> firstSeen = new ConcurrentHashMap<>();
        java.util.Map<String, Integer> redelivered = new ConcurrentHashMap<>();
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group, hook);
        c.setNamesrvAddr(namesrv);
        c.setInstanceName(instance("retry"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                if (!wanted.contains(m.getMsgId())) {
                    continue;
                }
                if (m.getReconsumeTimes() == 0 && !redelivered.containsKey(m.getMsgId())) {
                    firstSeen.merge(m.getMsgId(), 1, Integer::sum);
                    ctx.setDelayLevelWhenNextConsume(1);
                    return ConsumeConcurrentlyStatus.RECONSUME_LATER;
                }
                redelivered.put(m.getMsgId(), m.getReconsumeTimes());
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        try {
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (!redelivered.keySet().containsAll(wanted) && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
        } finally {
            SHUTDOWNS.execute(c::shutdown);
        }
        List<String> again = new ArrayList<>(new TreeSet<>(redelivered.keySet()));
        return "{\"op\":\"retry\",\"ok\":" + redelivered.keySet().containsAll(wanted) + ",\"received\":" + firstSeen.size()
            + ",\"found\":" + again.size() + ",\"msgIds\":" + list(again) + "}";
    }

    @SuppressWarnings("deprecation")
    private static String pull(String namesrv, String topic, String group, RPCHook hook) throws Exception {
        DefaultMQPullConsumer c = new DefaultMQPullConsumer(group, hook);
        c.setNamesrvAddr(namesrv);
        c.setInstanceName(instance("pull"));
        c.start();
        int found = 0;
        try {
            Set<MessageQueue> mqs = c.fetchSubscribeMessageQueues(topic);
            for (MessageQueue mq : new TreeSet<>(mqs)) {
                PullResult r = c.pull(mq, "*", 0, 32);
                if (r.getPullStatus() == PullStatus.FOUND) {
                    found += r.getMsgFoundList().size();
                }
            }
        } finally {
            SHUTDOWNS.execute(c::shutdown);
        }
        return "{\"op\":\"pull\",\"ok\":true,\"found\":" + found + "}";
    }

    private static String read(String namesrv, String addr, String topic, int queues, String group, RPCHook hook, int count,
        long timeoutMs) throws Exception {
        String inst = instance("read");
        DefaultMQProducer p = new DefaultMQProducer(inst, hook);
        p.setNamesrvAddr(namesrv);
        p.setInstanceName(inst);
        p.start();
        Set<String> ids = new TreeSet<>();
        String last = "";
        try {
            MQClientAPIImpl api = p.getDefaultMQProducerImpl().getMqClientFactory().getMQClientAPIImpl();
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (true) {
                ids.clear();
                try {
                    for (int q = 0; q < queues; q++) {
                        ids.addAll(pullAll(api, addr, topic, q, group));
                    }
                    last = "";
                } catch (Exception e) {
                    last = refusal("read", e);
                }
                if (ids.size() >= count || System.currentTimeMillis() > deadline) {
                    break;
                }
                Thread.sleep(500);
            }
        } finally {
            SHUTDOWNS.execute(p::shutdown);
        }
        return "{\"op\":\"read\",\"ok\":" + (ids.size() >= count) + ",\"found\":" + ids.size() + ",\"msgIds\":"
            + list(new ArrayList<>(ids)) + ",\"lastError\":" + (last.isEmpty() ? "null" : last) + "}";
    }

    private static String admin(String op, String namesrv, String addr, RPCHook hook, String arg1, String arg2)
        throws Exception {
        String inst = instance("admin");
        DefaultMQProducer p = new DefaultMQProducer(inst, hook);
        p.setNamesrvAddr(namesrv);
        p.setInstanceName(inst);
        p.start();
        try {
            MQClientAPIImpl api = p.getDefaultMQProducerImpl().getMqClientFactory().getMQClientAPIImpl();
            if ("create-topic".equals(op)) {
                TopicConfig tc = new TopicConfig(arg1, Integer.parseInt(arg2), Integer.parseInt(arg2), 6);
                api.createTopic(addr, "TBW102", tc, RPC_TIMEOUT_MS);
                return "{\"op\":" + q(op) + ",\"ok\":true}";
            }
            if ("create-user".equals(op)) {
                UserInfo u = new UserInfo();
                u.setUsername(arg1);
                u.setPassword(arg2);
                api.createUser(addr, u, RPC_TIMEOUT_MS);
                return "{\"op\":" + q(op) + ",\"ok\":true}";
            }
            List<String> names = new ArrayList<>();
            if ("topics".equals(op)) {
                names.addAll(new TreeSet<>(api.getAllTopicConfig(addr, RPC_TIMEOUT_MS).getTopicConfigTable().keySet()));
                return "{\"op\":" + q(op) + ",\"ok\":true,\"topics\":" + list(names) + "}";
            }
            for (UserInfo u : api.listUser(addr, null, RPC_TIMEOUT_MS)) {
                names.add(u.getUsername());
            }
            return "{\"op\":" + q(op) + ",\"ok\":true,\"users\":" + list(names) + "}";
        } finally {
            SHUTDOWNS.execute(p::shutdown);
        }
    }

    private static List<String> pullAll(MQClientAPIImpl api, String addr, String topic, int queueId, String group) throws Exception {
        List<String> ids = new ArrayList<>();
        long offset = 0;
        while (true) {
            PullMessageRequestHeader h = new PullMessageRequestHeader();
            h.setConsumerGroup(group);
            h.setTopic(topic);
            h.setQueueId(queueId);
            h.setQueueOffset(offset);
            h.setMaxMsgNums(32);
            h.setSysFlag(PullSysFlag.buildSysFlag(false, false, true, false));
            h.setCommitOffset(0L);
            h.setSuspendTimeoutMillis(0L);
            h.setSubscription("*");
            h.setSubVersion(0L);
            h.setExpressionType(ExpressionType.TAG);
            PullResult r = api.pullMessage(addr, h, RPC_TIMEOUT_MS, CommunicationMode.SYNC, null);
            if (r.getPullStatus() != PullStatus.FOUND) {
                return ids;
            }
            byte[] bin = ((PullResultExt) r).getMessageBinary();
            for (MessageExt m : MessageDecoder.decodes(ByteBuffer.wrap(bin))) {
                ids.add(m.getMsgId());
            }
            if (r.getNextBeginOffset() <= offset) {
                return ids;
            }
            offset = r.getNextBeginOffset();
        }
    }

    /** The broker's response code and remark of the failure (MQBrokerException anywhere in the cause chain), else the client's. */
    static String refusal(String op, Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof MQBrokerException) {
                MQBrokerException b = (MQBrokerException) c;
                return "{\"op\":" + q(op) + ",\"ok\":false,\"code\":" + b.getResponseCode() + ",\"remark\":" + q(b.getErrorMessage())
                    + ",\"error\":" + q(t.getClass().getSimpleName()) + "}";
            }
        }
        Integer code = t instanceof MQClientException ? ((MQClientException) t).getResponseCode() : null;
        String msg = t instanceof MQClientException ? ((MQClientException) t).getErrorMessage() : t.toString();
        return "{\"op\":" + q(op) + ",\"ok\":false,\"code\":" + code + ",\"remark\":null,\"error\":" + q(String.valueOf(msg)) + "}";
    }

    private static String list(List<String> xs) {
        StringBuilder sb = new StringBuilder("[");
        for (String x : xs) {
            sb.append(sb.length() > 1 ? "," : "").append(q(x));
        }
        return sb.append(']').toString();
    }

    static String q(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') {
                sb.append('\\').append(ch);
            } else if (ch < 0x20) {
                sb.append(String.format("\\u%04x", (int) ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.append('"').toString();
    }

    private AclClient() {
    }
}
