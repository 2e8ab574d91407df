package rocketmqts.compat5;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyContext;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.RPCHook;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;

/**
 * POP traffic for compat-tests/pop.test.ts on rocketmq-client 5.3.3 only (POP consumption over remoting
 * does not exist in 4.9.8; Main never loads this class, so the jar still runs on the 4.9.8 classpath).
 * One JVM driven line by line on stdin:
 *   produce <topic> <count> <keyPrefix>
 *       sync sends; tag TagP, key <keyPrefix><i>, body "pop body <key> ü", user property pop-prop=値-<key>;
 *       prints "SENT <key> <msgId> <queueId> <queueOffset>"
 *   consume <group> <topic> <invisibleMs> <maxReconsume> <failPrefix|-> <stallPrefix|-> <stallMs> <sleepMs> [stallAlways]
 *       DefaultMQPushConsumer with setClientRebalance(false) (the broker's QUERY_ASSIGNMENT decides PULL or
 *       POP), concurrent listener. Keys starting with failPrefix return RECONSUME_LATER on their first
 *       delivery; keys starting with stallPrefix sleep stallMs on their first delivery (on every delivery
 *       with stallAlways=true); every call sleeps
 *       sleepMs. Prints per message
 *       "RECV <key> <reconsumeTimes> <msgId> <queueId> <popTime> <contentOk> <ck with '|' for spaces>"
 *       (popTime = field 1 of the POP_CK property, the broker's clock when it popped; "-" without POP_CK).
 *   stop <group>     shuts the consumer down
 *   quit
 * An RPC hook on the consumer reports every answer to the consumer's acknowledgements, which the client
 * sends asynchronously and otherwise only logs on failure:
 *   "ACK <code> <nowMs> <ck>" for ACK_MESSAGE (200051), "CIT <code> <nowMs> <ck>" for
 *   CHANGE_MESSAGE_INVISIBLETIME (200053), "ASSIGN <code> <body>" for QUERY_ASSIGNMENT (400).
 * Every command ends with "OK <command>" (or "ERR <command> <reason>").
 */
public final class PopTraffic {
    private static final int ACK_MESSAGE = 200051;
    private static final int CHANGE_MESSAGE_INVISIBLETIME = 200053;
    private static final int QUERY_ASSIGNMENT = 400;
    private static final String PROP = "pop-prop";
    private static final PrintStream OUT = System.out;
    private static final Map<String, DefaultMQPushConsumer> CONSUMERS = new ConcurrentHashMap<>();

    private PopTraffic() {
    }

    static String body(String key) {
        return "pop body " + key + " \u00fc";
    }

    static synchronized void say(String line) {
        OUT.println(line);
        OUT.flush();
    }

    static String flat(String s) {
        return s == null ? "-" : s.replace(' ', '|');
    }

    public static void main(String[] args) throws Exception {
        String namesrv = args[0];
        DefaultMQProducer producer = new DefaultMQProducer("pop-traffic-producer");
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName("pop-traffic-producer");
        producer.start();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] a = line.trim().split("\\s+");
            try {
                switch (a[0]) {
                    case "produce":
                        produce(producer, a[1], Integer.parseInt(a[2]), a[3]);
                        break;
                    case "consume":
                        consume(namesrv, a);
                        break;
                    case "stop": {
                        DefaultMQPushConsumer c = CONSUMERS.remove(a[1]);
                        if (c != null) c.shutdown();
                        break;
                    }
                    case "quit":
                        for (DefaultMQPushConsumer c : CONSUMERS.values()) c.shutdown();
                        producer.shutdown();
                        say("OK quit");
                        System.exit(0);
                        break;
                    default:
                        throw new IllegalArgumentException("unknown command");
                }
                say("OK " + a[0]);
            } catch (Throwable t) {
                t.printStackTrace(OUT);
                say("ERR " + a[0] + " " + Main.describe(t));
            }
        }
        System.exit(0);
    }

    static void produce(DefaultMQProducer producer, String topic, int count, String prefix) throws Exception {
        for (int i = 0; i < count; i++) {
            String key = prefix + i;
            Message m = new Message(topic, "TagP", key, body(key).getBytes(StandardCharsets.UTF_8));
            m.putUserProperty(PROP, "\u5024-" + key);
            SendResult r = producer.send(m);
            if (r.getSendStatus() != SendStatus.SEND_OK) throw new IllegalStateException("send " + key + ": " + r);
            say("SENT " + key + " " + r.getMsgId() + " " + r.getMessageQueue().getQueueId() + " " + r.getQueueOffset());
        }
    }

    static void consume(String namesrv, String[] a) throws Exception {
        final String group = a[1];
        final String topic = a[2];
        final long invisibleMs = Long.parseLong(a[3]);
        final int maxReconsume = Integer.parseInt(a[4]);
        final String failPrefix = a[5];
        final String stallPrefix = a[6];
        final long stallMs = Long.parseLong(a[7]);
        final long sleepMs = Long.parseLong(a[8]);
        final boolean stallAlways = a.length > 9 && Boolean.parseBoolean(a[9]);
        final Set<String> firstSeen = ConcurrentHashMap.newKeySet();
        RPCHook hook = new RPCHook() {
            @Override
            public void doBeforeRequest(String remoteAddr, RemotingCommand request) {
            }

            @Override
            public void doAfterResponse(String remoteAddr, RemotingCommand request, RemotingCommand response) {
                int code = request.getCode();
                if (code != ACK_MESSAGE && code != CHANGE_MESSAGE_INVISIBLETIME && code != QUERY_ASSIGNMENT) return;
                int answer = response == null ? -1 : response.getCode();
                if (code == QUERY_ASSIGNMENT) {
                    byte[] b = response == null ? null : response.getBody();
                    say("ASSIGN " + answer + " " + (b == null ? "-" : new String(b, StandardCharsets.UTF_8)));
                    return;
                }
                Map<String, String> f = request.getExtFields();
                String ck = f == null ? null : f.get("extraInfo");
                say((code == ACK_MESSAGE ? "ACK " : "CIT ") + answer + " " + System.currentTimeMillis() + " " + flat(ck));
            }
        };
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group, hook);
        consumer.setNamesrvAddr(namesrv);
        consumer.setInstanceName("pop-traffic-" + group);
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.setClientRebalance(false);
        consumer.setPopInvisibleTime(invisibleMs);
        consumer.setMaxReconsumeTimes(maxReconsume);
        consumer.subscribe(topic, "*");
        consumer.registerMessageListener(new MessageListenerConcurrently() {
            @Override
            public ConsumeConcurrentlyStatus consumeMessage(List<MessageExt> msgs, ConsumeConcurrentlyContext context) {
                ConsumeConcurrentlyStatus status = ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
                for (MessageExt m : msgs) {
                    String key = m.getKeys();
                    String ck = m.getProperty(MessageConst.PROPERTY_POP_CK);
                    String popTime = "-";
                    if (ck != null) {
                        String[] parts = ck.split(" ");
                        if (parts.length > 1) popTime = parts[1];
                    }
                    boolean contentOk = key != null
                        && body(key).equals(new String(m.getBody(), StandardCharsets.UTF_8))
                        && "TagP".equals(m.getTags())
                        && ("\u5024-" + key).equals(m.getUserProperty(PROP))
                        && topic.equals(m.getTopic());
                    say("RECV " + key + " " + m.getReconsumeTimes() + " " + m.getMsgId() + " " + m.getQueueId() + " "
                        + popTime + " " + contentOk + " " + flat(ck));
                    boolean first = key != null && firstSeen.add(key);
                    if (first && !"-".equals(failPrefix) && key.startsWith(failPrefix)) {
                        status = ConsumeConcurrentlyStatus.RECONSUME_LATER;
                    }
                    if ((first || stallAlways) && !"-".equals(stallPrefix) && key != null && key.startsWith(stallPrefix)) sleep(stallMs);
                }
                if (sleepMs > 0) sleep(sleepMs);
                return status;
            }
        });
        consumer.start();
        CONSUMERS.put(group, consumer);
        say("CONSUMER " + consumer.getDefaultMQPushConsumerImpl().getmQClientFactory().getClientId());
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
