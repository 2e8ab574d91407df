import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * Traffic for the mqadmin tests (rocketmq-client 4.9.8, from the mqadmin 4.9.8 classpath), driven
 * line by line on stdin so one JVM serves the whole test:
 *   produce <topic> <count> <keyPrefix>   sync sends; prints "SENT <uniqId> <offsetMsgId> <queueId> <queueOffset> <key>"
 *   consume <group> <topic>               push consumer whose listener waits at the group's gate; prints "CONSUMER <clientId>"
 *   heartbeat                             the producer's heartbeat to every broker it knows, now
 *   open <group>                          opens the group's gate: everything held and later is consumed
 *   count <group>                         prints "CONSUMED <n>"
 *   quit
 * Every command ends with "OK <command>" (or "ERR <command> <reason>").
 * Run as a single-file source program: java -cp <classpath> AdminTraffic.java <namesrvAddr> <producerGroup>
 */
public class AdminTraffic {
    private static final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> consumed = new ConcurrentHashMap<>();
    private static final Map<String, DefaultMQPushConsumer> consumers = new ConcurrentHashMap<>();

    public static void main(String[] args) throws Exception {
        String namesrv = args[0];
        DefaultMQProducer producer = new DefaultMQProducer(args[1]);
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName("admin-traffic-producer");
        producer.start();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] a = line.trim().split("\\s+");
            try {
                switch (a[0]) {
                    case "produce":
                        for (int i = 0; i < Integer.parseInt(a[2]); i++) {
                            String key = a[3] + i;
                            Message m = new Message(a[1], "TagA", key, ("admin message " + i).getBytes(StandardCharsets.UTF_8));
                            SendResult r = producer.send(m);
                            System.out.printf("SENT %s %s %d %d %s%n", r.getMsgId(), r.getOffsetMsgId(),
                                r.getMessageQueue().getQueueId(), r.getQueueOffset(), key);
                        }
                        break;
                    case "consume": {
                        final String group = a[1];
                        final CountDownLatch gate = new CountDownLatch(1);
                        final AtomicInteger count = new AtomicInteger();
                        gates.put(group, gate);
                        consumed.put(group, count);
                        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group);
                        consumer.setNamesrvAddr(namesrv);
                        consumer.setInstanceName("admin-traffic-" + group);
                        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
                        consumer.setPersistConsumerOffsetInterval(1000);
                        consumer.subscribe(a[2], "*");
                        consumer.registerMessageListener(new MessageListenerConcurrently() {
                            @Override
                            public ConsumeConcurrentlyStatus consumeMessage(List<MessageExt> msgs,
                                org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyContext context) {
                                try {
                                    gate.await();
                                } catch (InterruptedException e) {
                                    return ConsumeConcurrentlyStatus.RECONSUME_LATER;
                                }
                                count.addAndGet(msgs.size());
                                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
                            }
                        });
                        consumer.start();
                        consumers.put(group, consumer);
                        System.out.printf("CONSUMER %s%n", consumer.getDefaultMQPushConsumerImpl().getmQClientFactory().getClientId());
                        break;
                    }
                    case "heartbeat":
                        // A producer heartbeats every 30 s, not after its first send; producerConnection needs one.
                        producer.getDefaultMQProducerImpl().getmQClientFactory().sendHeartbeatToAllBrokerWithLock();
                        break;
                    case "open":
                        gates.get(a[1]).countDown();
                        break;
                    case "count":
                        System.out.printf("CONSUMED %d%n", consumed.get(a[1]).get());
                        break;
                    case "quit":
                        for (DefaultMQPushConsumer c : consumers.values()) c.shutdown();
                        producer.shutdown();
                        System.out.println("OK quit");
                        System.exit(0);
                        break;
                    default:
                        throw new IllegalArgumentException("unknown command");
                }
                System.out.println("OK " + a[0]);
            } catch (Exception e) {
                System.out.println("ERR " + a[0] + " " + e);
            }
            System.out.flush();
        }
        System.exit(0);
    }
}
