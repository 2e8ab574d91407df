package rocketmqts.compat;

import com.alibaba.fastjson.JSON;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.impl.MQClientAPIImpl;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.header.QueryMessageRequestHeader;
import org.apache.rocketmq.remoting.RPCHook;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;

/**
 * ACL 1.0 probe: one JVM, driven line by line on stdin, each line one client operation with its own
 * credentials, run on its own thread with its own client instance (the RPC hook belongs to the
 * MQClientInstance, which is shared by instance name, so every operation gets a unique one).
 *
 * Line: {@code <id> TAB <op> TAB <namesrv> TAB <accessKey|-> TAB <secretKey|-> TAB args...}; "-" as the
 * access key means no hook at all (unsigned requests). Answer: one line {@code @@@ <id> <json>} with
 * {@code ok} and, for a refusal, what the client sees: {@code code} and {@code remark} (the broker's
 * response code and remark, from the MQBrokerException, or the MQClientException that carries them),
 * {@code exception} (the class thrown to the caller) and {@code clientCode}.
 *
 * Ops:
 * <ul>
 * <li>{@code send topic count}: DefaultMQProducer sync sends (default retries); answers msgIds/offsetMsgIds.</li>
 * <li>{@code consume group topic expected timeoutMs}: DefaultMQPushConsumer from the first offset until
 *     {@code expected} messages arrived; answers how many and their msgIds.</li>
 * <li>{@code pull group topic}: DefaultMQPullConsumer.pull on every queue from offset 0 (a refused pull throws).</li>
 * <li>{@code createTopic brokerAddr topic}: UPDATE_AND_CREATE_TOPIC (what DefaultMQAdminExt#createAndUpdateTopicConfig sends).</li>
 * <li>{@code queryUniq brokerAddr topic uniqKey}: QUERY_MESSAGE with _UNIQUE_KEY_QUERY=true straight to the broker
 *     (raw code and remark) and MQAdminImpl#queryMessageByUniqKey (what viewMessage/queryMsgById end in).</li>
 * </ul>
 */
public final class AclProbe {
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    private static final int TIMEOUT_MS = 5000;
    private static PrintStream out;

    private AclProbe() {
    }

    public static void main(String[] args) throws Exception {
        out = new PrintStream(System.out, true, "UTF-8");
        ExecutorService pool = Executors.newCachedThreadPool();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        out.println("@@@ ready");
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().isEmpty()) continue;
            final String[] f = line.split("\t", -1);
            pool.execute(() -> answer(f));
        }
        pool.shutdown();
        pool.awaitTermination(2, TimeUnit.MINUTES);
        System.exit(0);
    }

    private static void answer(String[] f) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("op", f.length > 1 ? f[1] : "");
        long t0 = System.currentTimeMillis();
        try {
            String op = f[1];
            String namesrv = f[2];
            RPCHook hook = "-".equals(f[3]) ? null : new AclClientRPCHook(new SessionCredentials(f[3], f[4]));
            String instance = "acl-probe-" + INSTANCES.incrementAndGet();
            switch (op) {
                case "send": send(r, namesrv, hook, instance, f[5], Integer.parseInt(f[6])); break;
                case "consume": consume(r, namesrv, hook, instance, f[5], f[6], Integer.parseInt(f[7]), Long.parseLong(f[8])); break;
                case "pull": pull(r, namesrv, hook, instance, f[5], f[6]); break;
                case "createTopic": createTopic(r, namesrv, hook, instance, f[5], f[6]); break;
                case "queryUniq": queryUniq(r, namesrv, hook, instance, f[5], f[6], f[7]); break;
                default: throw new IllegalArgumentException("unknown op " + op);
            }
        } catch (Throwable t) {
            r.put("ok", false);
            refusal(t, r);
        }
        r.put("tookMs", System.currentTimeMillis() - t0);
        synchronized (AclProbe.class) {
            out.println("@@@ " + f[0] + " " + JSON.toJSONString(r));
        }
    }

    /** What the caller of the client API sees: the thrown class, and the broker's code and remark inside it. */
    static void refusal(Throwable t, Map<String, Object> r) {
        r.put("exception", t.getClass().getName());
        String msg = String.valueOf(t.getMessage());
        r.put("message", msg.split("\n")[0]);
        if (t instanceof MQClientException) r.put("clientCode", ((MQClientException) t).getResponseCode());
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof MQBrokerException) {
                r.put("code", ((MQBrokerException) c).getResponseCode());
                r.put("remark", ((MQBrokerException) c).getErrorMessage());
                return;
            }
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof MQClientException && ((MQClientException) c).getResponseCode() > 0) {
                r.put("code", ((MQClientException) c).getResponseCode());
                r.put("remark", ((MQClientException) c).getErrorMessage());
                return;
            }
        }
    }

    private static DefaultMQProducer producer(String namesrv, RPCHook hook, String instance) throws MQClientException {
        DefaultMQProducer p = new DefaultMQProducer("PG_ACL_PROBE", hook);
        p.setNamesrvAddr(namesrv);
        p.setInstanceName(instance);
        p.setSendMsgTimeout(TIMEOUT_MS);
        p.start();
        return p;
    }

    private static void send(Map<String, Object> r, String namesrv, RPCHook hook, String instance, String topic, int count) throws Exception {
        DefaultMQProducer p = producer(namesrv, hook, instance);
        try {
            List<String> ids = new ArrayList<>();
            List<String> offsetIds = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Message m = new Message(topic, "TagA", ("acl probe " + instance + " #" + i).getBytes(StandardCharsets.UTF_8));
                m.setKeys("K-" + instance + "-" + i);
                SendResult s = p.send(m);
                ids.add(s.getMsgId());
                offsetIds.add(s.getOffsetMsgId());
                r.put("status", s.getSendStatus().name());
            }
            r.put("ok", true);
            r.put("msgIds", ids);
            r.put("offsetMsgIds", offsetIds);
        } finally {
            p.shutdown();
        }
    }

    private static void consume(Map<String, Object> r, String namesrv, RPCHook hook, String instance, String group, String topic,
        int expected, long timeoutMs) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group, hook, new AllocateMessageQueueAveragely());
        c.setNamesrvAddr(namesrv);
        c.setInstanceName(instance);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        Set<String> seen = ConcurrentHashMap.newKeySet();
        CountDownLatch enough = new CountDownLatch(1);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) seen.add(m.getMsgId());
            if (seen.size() >= expected) enough.countDown();
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        try {
            enough.await(timeoutMs, TimeUnit.MILLISECONDS);
            r.put("ok", seen.size() >= expected);
            r.put("received", seen.size());
            r.put("msgIds", new ArrayList<>(seen));
        } finally {
            c.shutdown();
        }
    }

    private static void pull(Map<String, Object> r, String namesrv, RPCHook hook, String instance, String group, String topic) throws Exception {
        DefaultMQPullConsumer c = new DefaultMQPullConsumer(group, hook);
        c.setNamesrvAddr(namesrv);
        c.setInstanceName(instance);
        c.start();
        try {
            int found = 0;
            for (MessageQueue mq : c.fetchSubscribeMessageQueues(topic)) {
                PullResult pr = c.pull(mq, "*", 0, 32);
                if (pr.getMsgFoundList() != null) found += pr.getMsgFoundList().size();
            }
            r.put("ok", true);
            r.put("found", found);
        } finally {
            c.shutdown();
        }
    }

    private static void createTopic(Map<String, Object> r, String namesrv, RPCHook hook, String instance, String brokerAddr, String topic)
        throws Exception {
        DefaultMQProducer p = producer(namesrv, hook, instance);
        try {
            TopicConfig tc = new TopicConfig(topic, 4, 4, 6);
            api(p).createTopic(brokerAddr, "TBW102", tc, TIMEOUT_MS);
            r.put("ok", true);
        } finally {
            p.shutdown();
        }
    }

    private static void queryUniq(Map<String, Object> r, String namesrv, RPCHook hook, String instance, String brokerAddr, String topic,
        String uniqKey) throws Exception {
        DefaultMQProducer p = producer(namesrv, hook, instance);
        try {
            QueryMessageRequestHeader h = new QueryMessageRequestHeader();
            h.setTopic(topic);
            h.setKey(uniqKey);
            h.setMaxNum(32);
            h.setBeginTimestamp(0L);
            h.setEndTimestamp(Long.MAX_VALUE);
            AtomicReference<RemotingCommand> raw = new AtomicReference<>();
            CountDownLatch done = new CountDownLatch(1);
            api(p).queryMessage(brokerAddr, h, TIMEOUT_MS, rf -> {
                raw.set(rf.getResponseCommand());
                done.countDown();
            }, true);
            done.await(TIMEOUT_MS * 2L, TimeUnit.MILLISECONDS);
            RemotingCommand res = raw.get();
            r.put("rawCode", res == null ? null : res.getCode());
            r.put("rawRemark", res == null ? null : res.getRemark());
            try {
                MessageExt m = p.getDefaultMQProducerImpl().queryMessageByUniqKey(topic, uniqKey);
                r.put("ok", m != null && uniqKey.equals(m.getMsgId()));
                r.put("foundMsgId", m == null ? null : m.getMsgId());
            } catch (Throwable t) {
                r.put("ok", false);
                refusal(t, r);
            }
        } finally {
            p.shutdown();
        }
    }

    private static MQClientAPIImpl api(DefaultMQProducer p) {
        return p.getDefaultMQProducerImpl().getmQClientFactory().getMQClientAPIImpl();
    }
}
